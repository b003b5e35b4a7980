"""Secrets out of events: `EventRedactor.redacted(msg)` is `msg` with every known secret
(and anything shaped like an API key) replaced by `[REDACTED]` (core/redact.py).

Flat string fields are checked directly (the common, hot case: deltas); anything nested
is checked through its JSON. Command output travels base64-encoded and is looked at
decoded. An event without a secret is returned as it is.
"""

from __future__ import annotations

import base64
from typing import Iterable

from agent.protocol import events as ev

from .redact import Redactor

_FLAT = (str, int, float, bool, type(None))


class EventRedactor:
    def __init__(self, secrets: Iterable[str] = ()):
        self._redactor = Redactor(secrets)

    def redacted(self, msg: ev.EventMsg) -> ev.EventMsg:
        if isinstance(msg, ev.ExecCommandOutputDelta):
            return self._redacted_chunk(msg)
        fields = msg.__dict__.values()
        if all(isinstance(v, _FLAT) for v in fields):
            if not any(isinstance(v, str) and self._redactor.has_secret(v) for v in fields):
                return msg
        elif not self._redactor.has_secret(msg.model_dump_json()):
            return msg
        return type(msg).model_validate(self._redactor.data(msg.model_dump()))

    def _redacted_chunk(self, msg: ev.ExecCommandOutputDelta) -> ev.ExecCommandOutputDelta:
        text = base64.b64decode(msg.chunk).decode("utf-8", "replace")
        if not self._redactor.has_secret(text):
            return msg
        chunk = base64.b64encode(self._redactor.text(text).encode()).decode()
        return msg.model_copy(update={"chunk": chunk})
