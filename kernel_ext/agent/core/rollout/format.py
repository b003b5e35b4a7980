"""The rollout file format (spec §9.1): names, timestamps, one encoded line, user messages.

* A rollout lives at `<home>/sessions/YYYY/MM/DD/rollout-YYYY-MM-DDThh-mm-ss-<uuid>.jsonl`
  (local date and time of creation, `-` instead of `:`).
* Every line is `{"timestamp": "YYYY-MM-DDThh:mm:ss.mmmZ", "type": ..., "payload": ...}`
  (UTC, milliseconds), compact JSON, UTF-8, ending in `\\n`. JSON escapes every newline
  inside strings, so lines split on `\\n` bytes only (never `str.splitlines`, which also
  splits on U+2028).
* `encode_line` applies the redaction function to the serialised text. When redaction
  changed something it checks the result still parses and otherwise redacts the
  decoded strings one by one, so a line is always valid JSON.
* A "real" user message is a `user` message that is not environment context, AGENTS.md
  instructions or a user shell command (spec §8.6, §8.7, §9.4).
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

SESSIONS_DIR = "sessions"
ORIGINATOR = "kernel_agent"
PERSISTED_EVENTS = frozenset({
    "user_message", "agent_message", "agent_reasoning", "agent_reasoning_raw_content",
    "token_count", "undo_completed", "turn_aborted", "error",
})
"""Codex's list (spec §9.1, without review-mode events, which this agent has not) plus `error`,
so a transcript redrawn from the file shows why a turn failed."""

NOT_USER_PREFIXES = ("<environment_context>", "# AGENTS.md instructions for", "<user_instructions>", "<user_shell_command>")
_NAME = re.compile(r"^rollout-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2})-([0-9a-fA-F-]{36})\.jsonl$")

Redact = Callable[[str], str]


def utc_timestamp(now: datetime | None = None) -> str:
    """`YYYY-MM-DDThh:mm:ss.mmmZ` in UTC (of `now`, default the current time)."""
    if now is not None:
        now = now.astimezone(timezone.utc)
        return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    return _clock.stamp()


class _SecondCache:
    """The current time's stamp; the formatted second is reused until it changes."""

    def __init__(self) -> None:
        self._cached = (-1, "")  # one tuple: threads never see a second with another's text

    def stamp(self) -> str:
        now = time.time()
        second = int(now)
        cached = self._cached
        if cached[0] != second:
            cached = self._cached = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
        return f"{cached[1]}.{int((now - second) * 1000):03d}Z"


_clock = _SecondCache()


def rollout_path(home: Path, conversation_id: str, created: datetime) -> Path:
    """Where a rollout created at `created` (local time) is stored."""
    local = created.astimezone()
    folder = Path(home) / SESSIONS_DIR / f"{local:%Y}" / f"{local:%m}" / f"{local:%d}"
    return folder / f"rollout-{local:%Y-%m-%dT%H-%M-%S}-{conversation_id}.jsonl"


def parse_name(name: str) -> tuple[str, str] | None:
    """(timestamp text, uuid) from a rollout file name; None if it is not one."""
    match = _NAME.match(name)
    return (match.group(1), match.group(2).lower()) if match else None


def encode_line(kind: str, payload: Any, redact: Redact | None = None, timestamp: str | None = None) -> bytes:
    """One complete rollout line (with its `\\n`), redacted, as UTF-8 bytes."""
    return encode_json_line(kind, _dumps(payload), redact, timestamp)


def encode_json_line(kind: str, payload_json: str, redact: Redact | None = None, timestamp: str | None = None) -> bytes:
    """`encode_line` for a payload already serialised to JSON (e.g. by pydantic)."""
    text = f'{{"timestamp":{_dumps(timestamp or utc_timestamp())},"type":{_dumps(kind)},"payload":{payload_json}}}'
    if redact is not None:
        text = _redact_json(text, redact)
    return (text + "\n").encode("utf-8", "surrogatepass")


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _dumps(value: Any) -> str:
    return _ENCODER.encode(value)


def _redact_json(text: str, redact: Redact) -> str:
    redacted = redact(text)
    if redacted == text:
        return text
    try:
        json.loads(redacted)
        return redacted
    except ValueError:
        return _dumps(_redact_strings(json.loads(text), redact))


def _redact_strings(value: Any, redact: Redact) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_strings(v, redact) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_strings(v, redact) for v in value]
    return value


def message_text(payload: dict[str, Any]) -> str:
    """The text parts of a message payload, joined (images skipped)."""
    parts = payload.get("content") or []
    return "".join(p.get("text", "") for p in parts if isinstance(p, dict) and p.get("type") != "input_image")


def is_real_user_message(payload: Any) -> bool:
    """A `user` message payload a person typed (not context the agent injected)."""
    if not isinstance(payload, dict) or payload.get("type") != "message" or payload.get("role") != "user":
        return False
    return not message_text(payload).lstrip().startswith(NOT_USER_PREFIXES)
