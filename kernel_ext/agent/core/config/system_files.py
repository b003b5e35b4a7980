"""The admin's system folder: `managed_config.toml` and `requirements.toml`, read once.

`read_system_files(env)` reads both from `system_dir(env)` (a missing file manages or
requires nothing) and returns a `SystemFiles`. It fails closed: a file that cannot be
read, is not TOML, has an unknown key or a value of the wrong type raises `ConfigError`
naming the file, the line and the key. The session holds what was read for its lifetime
(`Config.managed`, `Config.requirements`); nothing re-reads these files later.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

from pydantic import BaseModel, ValidationError

from agent.core.home import system_dir

from .errors import ConfigError, describe, dotted
from .file_schema import ConfigToml
from .requirements import REQUIREMENTS_FILE, Requirements, RequirementsToml

MANAGED_FILE = "managed_config.toml"


@dataclass(frozen=True)
class SystemFiles:
    """What the system folder holds: the managed table (raw and validated) and the requirements."""

    managed_path: Path | None = None
    managed_raw: Mapping[str, Any] = field(default_factory=dict)
    managed: ConfigToml | None = None
    requirements: Requirements = field(default_factory=Requirements)


def read_system_files(env: Mapping[str, str]) -> SystemFiles:
    """Read and validate both files of `system_dir(env)` (see the module docstring)."""
    folder = system_dir(env)
    managed_path = folder / MANAGED_FILE
    managed_raw, managed_text = _read(managed_path)
    managed = _validate(ConfigToml, managed_raw, managed_text, managed_path) if managed_text is not None else None
    req_path = folder / REQUIREMENTS_FILE
    req_raw, req_text = _read(req_path)
    requirements = Requirements()
    if req_text is not None:
        toml = _validate(RequirementsToml, req_raw, req_text, req_path)
        requirements = Requirements.from_toml(toml, str(req_path))  # type: ignore[arg-type]
    return SystemFiles(managed_path if managed is not None else None, managed_raw, managed, requirements)


def login_refusal(env: Mapping[str, str] | None = None) -> str | None:
    """The one line refusing `kernel-agent login` / `%agent login` when the admin's
    requirements.toml sets `allow_user_login = false`, else None (ConfigError when the
    system files are malformed: fail closed)."""
    import os

    return read_system_files(os.environ if env is None else env).requirements.login_refusal()


def _read(path: Path) -> tuple[dict[str, Any], str | None]:
    """The parsed table and its text; ({}, None) when the file does not exist."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}, None
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror}; the agent does not start without it",
                          source=str(path)) from None
    try:
        text = data.decode("utf-8")
        return tomllib.loads(text), text
    except UnicodeDecodeError:
        raise ConfigError("invalid TOML: the file is not valid UTF-8", source=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", source=str(path)) from None


def _validate(model: type[BaseModel], raw: dict[str, Any], text: str, path: Path) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = dotted(error["loc"])
        names = [str(p) for p in error["loc"] if isinstance(p, str)]
        line = line_of(text, names)
        where = f"{path}, line {line}" if line else str(path)
        raise ConfigError(describe(error, key), key=key, source=where) from None


def line_of(text: str, names: Sequence[str]) -> int | None:
    """The 1-based line where the dotted key `names` is written (an assignment of its last
    part, or a table header ending with it); the first match after the header of its
    parent table when there is one. None when it cannot be found."""
    if not names:
        return None
    lines = text.splitlines()
    last = re.escape(names[-1])
    assign = re.compile(rf"""^\s*(?:[\w.\-"' ]*\.)?\s*["']?{last}["']?\s*=""")
    header = re.compile(rf"""^\s*\[\[?\s*(?:[^\]]*\.)?\s*["']?{last}["']?\s*\]\]?\s*(#.*)?$""")
    start = 0
    if len(names) > 1:
        parent = re.compile(rf"""^\s*\[\[?\s*(?:[^\]]*\.)?\s*["']?{re.escape(names[-2])}["']?\s*\]""")
        start = next((i for i, ln in enumerate(lines) if parent.match(ln)), 0)
    for i in range(start, len(lines)):
        if assign.match(lines[i]) or header.match(lines[i]):
            return i + 1
    for i, ln in enumerate(lines):
        if assign.match(ln) or header.match(ln):
            return i + 1
    return None
