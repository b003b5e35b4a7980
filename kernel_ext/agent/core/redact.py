"""Secret redaction for everything that leaves the session (events, logs, files).

`Redactor(secrets)` replaces every known secret value, and anything shaped like an
OpenAI-style API key, with `[REDACTED]`.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

MARKER = "[REDACTED]"
_KEY_SHAPES = r"sk-[A-Za-z0-9_\-]{16,}|sk-proj-[A-Za-z0-9_\-]{16,}"


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
