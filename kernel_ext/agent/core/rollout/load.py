"""Reading a rollout back (spec §9.3): lines, the rebuilt history, the transcript.

* `load_rollout(path)` reads every line. A line that is not a JSON object with a string
  `type` (typically the torn last line of a process killed mid-write) is skipped and
  counted in `skipped`, never fatal. The first `session_meta` payload is `meta`; the
  other lines are `items`, in file order.
* `rebuild_history(items)` replays them into the conversation history: every
  `response_item` is recorded again; a `compacted` line replaces the history so far with
  its `replacement_history`, or, without one, with what compaction builds from the
  initial context, the real user messages seen so far and the summary
  (`compacted_history`). The initial context is the one the session recorded when it
  started (the items before its first real user message), not re-derived from the
  current settings: the rebuild then depends only on the file. The result is normalised
  (`history.normalize`): a tool call recorded without its output (the process was killed
  while the tool ran: calls are recorded before their tool starts) is answered with a
  synthetic `aborted` output right after it, and outputs without a call are dropped, so
  a resumed history is always valid for the API.
* `initial_messages(items)` are the persisted `event_msg` payloads (to redraw a
  transcript); `last_turn_model(items)` is the model of the last `turn_context`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from agent.protocol.items import ResponseItem, response_item_adapter

from ..history import normalize
from .format import is_real_user_message, message_text

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RolloutLine:
    timestamp: str
    type: str
    payload: Any


@dataclass
class LoadedRollout:
    path: Path
    meta: dict[str, Any] | None
    items: list[RolloutLine] = field(default_factory=list)
    skipped: int = 0
    """Lines that did not parse (a torn last line after a crash, damage)."""

    @property
    def conversation_id(self) -> str | None:
        return (self.meta or {}).get("id")


def parse_line(raw: bytes) -> RolloutLine | None:
    """One line of a rollout file; None when it is not a complete record."""
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("type"), str) or "payload" not in record:
        return None
    return RolloutLine(str(record.get("timestamp", "")), record["type"], record["payload"])


def iter_lines(path: Path) -> Iterator[RolloutLine | None]:
    """Every non-blank line of the file, parsed (None for a line that doesn't parse)."""
    with open(path, "rb") as handle:
        for raw in handle:
            if raw.strip():
                yield parse_line(raw)


def load_rollout(path: Path) -> LoadedRollout:
    """The whole file; raises OSError when it can't be read."""
    loaded = LoadedRollout(Path(path), None)
    for line in iter_lines(loaded.path):
        if line is None:
            loaded.skipped += 1
        elif line.type == "session_meta" and loaded.meta is None:
            loaded.meta = line.payload if isinstance(line.payload, dict) else {}
        elif line.type != "session_meta":
            loaded.items.append(line)
    if loaded.skipped:
        log.warning("%s: skipped %d line(s) that did not parse", path, loaded.skipped)
    return loaded


def rebuild_history(items: Iterable[RolloutLine], initial_context: list[ResponseItem] | None = None) -> list[ResponseItem]:
    """The conversation history the recorded lines describe (spec §9.3).

    `initial_context` is what a summary-only `compacted` line starts the new history
    with; by default, the items recorded before the first real user message (the
    session's own initial context, as recorded when it started).
    """
    history: list[ResponseItem] = []
    initial = initial_context
    for line in items:
        if line.type == "response_item":
            if initial is None and is_real_user_message(line.payload):
                initial = list(history)
            item = _item(line.payload)
            if item is not None:
                history.append(item)
        elif line.type == "compacted" and isinstance(line.payload, dict):
            initial = list(history) if initial is None else initial
            history = _after_compaction(line.payload, history, initial)
    return normalize(history)


def _item(payload: Any) -> ResponseItem | None:
    try:
        return response_item_adapter.validate_python(payload)
    except ValueError:
        return None


def _after_compaction(payload: dict[str, Any], history: list[ResponseItem], initial: list[ResponseItem]) -> list[ResponseItem]:
    replacement = payload.get("replacement_history")
    if isinstance(replacement, list):
        return [item for item in map(_item, replacement) if item is not None]
    return compacted_history(initial, history, str(payload.get("message") or ""))


def compacted_history(initial: list[ResponseItem], history: list[ResponseItem], summary: str) -> list[ResponseItem]:
    """History after a compaction that recorded only its summary: what compaction itself
    builds (`core.compact.build_compacted_history`, spec §8.5 step 4)."""
    from ..compact import build_compacted_history

    return build_compacted_history(initial, history, summary)


def initial_messages(items: Iterable[RolloutLine]) -> list[dict[str, Any]]:
    """The persisted event payloads, in order (SessionConfigured.initial_messages)."""
    return [line.payload for line in items if line.type == "event_msg" and isinstance(line.payload, dict)]


def last_turn_model(items: list[RolloutLine]) -> str | None:
    for line in reversed(items):
        if line.type == "turn_context" and isinstance(line.payload, dict) and line.payload.get("model"):
            return str(line.payload["model"])
    return None


def first_user_text(items: Iterable[RolloutLine]) -> str | None:
    """The first thing the user typed: a user_message event or a real user message."""
    for line in items:
        payload = line.payload
        if line.type == "event_msg" and isinstance(payload, dict) and payload.get("type") == "user_message":
            return str(payload.get("message", ""))
        if line.type == "response_item" and is_real_user_message(payload):
            return message_text(payload)
    return None
