"""Secret redaction for everything that leaves the session (events, logs, files, and
model input: core/model_input_redaction.py).

`Redactor(secrets)` replaces every known secret value, and anything shaped like an
OpenAI-style API key, with `[REDACTED]`. The known values come from
`auth.secrets_to_redact`, `secret_env_values(env)` (values of at least 8 characters of
environment variables whose names contain KEY, SECRET, TOKEN, PASSW, PASSPHRASE,
CREDENTIAL or PRIVATE; an existing absolute path is not a secret) and
`auth_file_values(home)` (every string of auth.json).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Iterable, Mapping

MARKER = "[REDACTED]"
_KEY_SHAPES = r"sk-(?<![A-Za-z0-9]sk-)[A-Za-z0-9_\-]{16,}"
"""An OpenAI-style key (`sk-…`, `sk-proj-…`), not the tail of a word (`task-…`, `disk-…`)."""


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()):
        values = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)
        parts = [re.escape(v) for v in values] + [_KEY_SHAPES]
        self._pattern = re.compile("|".join(parts))

    def text(self, value: str) -> str:
        return self._pattern.sub(MARKER, value)

    def has_secret(self, value: str) -> bool:
        return self._pattern.search(value) is not None

    def data(self, value: Any) -> Any:
        """Redact every string inside nested dicts and lists."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(v) for v in value]
        return value


SECRET_ENV_MARKERS = ("KEY", "SECRET", "TOKEN", "PASSW", "PASSPHRASE", "CREDENTIAL", "PRIVATE")
MIN_SECRET_LENGTH = 8


_SECRET_NAME = re.compile("|".join(SECRET_ENV_MARKERS))


def secret_env_values(env: Mapping[str, str]) -> list[str]:
    """Values of the environment variables whose names look secret (module docstring).
    Read before every model request: the cheap tests come first."""
    found = []
    for name, value in env.items():
        if len(value) < MIN_SECRET_LENGTH or _SECRET_NAME.search(name.upper()) is None:
            continue
        value = value.strip()
        if len(value) < MIN_SECRET_LENGTH:
            continue
        if os.path.isabs(value) and os.path.exists(value):
            continue
        found.append(value)
    return found


def auth_file_values(home: Path) -> list[str]:
    """Every string of at least 8 characters in `<home>/auth.json` (none if unreadable)."""
    try:
        data = json.loads((Path(home) / "auth.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    found: list[str] = []
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and len(value.strip()) >= MIN_SECRET_LENGTH:
            found.append(value.strip())
    return found
