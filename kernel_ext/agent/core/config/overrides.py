"""What the command line asks for: `CliOverrides`, `-c key=value` parsing, and `Sources`,
which remembers where each raw value came from so errors can name it."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

from .errors import ConfigError

COMMAND_LINE = "command line"


@dataclass(frozen=True)
class CliOverrides:
    """What the command line (or a front end) asks for; `None`/empty means "not given"."""

    model: str | None = None
    model_provider: str | None = None
    approval_policy: str | None = None
    sandbox_mode: str | None = None
    cwd: str | Path | None = None
    profile: str | None = None
    add_dirs: Sequence[str | Path] = ()
    """Extra writable roots (`--add-dir`)."""
    raw: Sequence[str] = ()
    """The `-c key=value` strings, in order."""


def parse_cli_override(text: str) -> tuple[list[str], Any]:
    """Parse one `-c key=value`: a dotted key path and a TOML value (or a raw string)."""
    key, sep, value = text.partition("=")
    source = f"-c {text!r}"
    if not sep:
        raise ConfigError("expected key=value", key=key.strip() or None, source=source)
    path = _parse_key_path(key.strip())
    if not path or any(part == "" for part in path):
        raise ConfigError("empty key in override", key=key.strip(), source=source)
    return path, _parse_value(value)


def _parse_key_path(key: str) -> list[str]:
    """A TOML dotted key (quoted parts allowed), else a plain split at dots."""
    try:
        node: Any = tomllib.loads(f"{key} = 0")
    except tomllib.TOMLDecodeError:
        return key.split(".")
    path: list[str] = []
    while isinstance(node, dict):
        if len(node) != 1:
            return key.split(".")
        (name, node), = node.items()
        path.append(name)
    return path


def _parse_value(value: str) -> Any:
    """A TOML value; text that is not one (`-c model=gpt-5`) is taken as a bare string."""
    try:
        parsed = tomllib.loads(f"_ = {value}")
    except tomllib.TOMLDecodeError:
        return value.strip().strip("\"'")
    if list(parsed) != ["_"]:
        return value.strip().strip("\"'")
    return parsed["_"]


def _set_path(table: dict[str, Any], path: Sequence[str], value: Any) -> None:
    node = table
    for name in path[:-1]:
        child = node.get(name)
        if not isinstance(child, dict):
            child = node[name] = {}
        node = child
    node[path[-1]] = value


@dataclass(frozen=True)
class Sources:
    """Knows where each raw value came from, to name it in error messages."""

    file: Path
    overrides: tuple[tuple[tuple[str, ...], str], ...] = ()

    def override_text(self, path: Sequence[str], *, exact: bool = False) -> str | None:
        """The last `-c` text that set `path` (or, unless `exact`, a parent or child of it)."""
        path = tuple(path)
        for opath, text in reversed(self.overrides):
            n = min(len(opath), len(path))
            if opath == path or (not exact and opath[:n] == path[:n]):
                return text
        return None

    def of(self, path: Sequence[str]) -> str:
        text = self.override_text(path)
        return f"-c {text!r}" if text is not None else str(self.file)


def apply_overrides(raw: dict[str, Any], texts: Sequence[str], file: Path) -> Sources:
    """Set each `-c key=value` of `texts` into the raw table, in order; return the sources."""
    applied = []
    for text in texts:
        keys, value = parse_cli_override(text)
        _set_path(raw, keys, value)
        applied.append((tuple(keys), text))
    return Sources(file, tuple(applied))
