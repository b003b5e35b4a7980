"""What the session tells its persistence layer (the rollout file), as a Protocol.

The session calls these as things happen; `NullSink` records nothing (tests, throwaway
sessions). The rollout recorder (recorder.py) implements it for real.
"""

from __future__ import annotations

from typing import Any, Protocol

from agent.protocol.events import EventMsg
from agent.protocol.items import ResponseItem


class RolloutSink(Protocol):
    path: str | None

    def items(self, items: list[ResponseItem]) -> None:
        """History items just recorded (API items only)."""

    def event(self, msg: EventMsg) -> None:
        """An event just emitted (the sink keeps only the kinds it persists)."""

    def turn_context(self, context: dict[str, Any]) -> None:
        """The settings of the model request about to be made."""

    def compacted(self, message: str, replacement_history: list[ResponseItem] | None = None) -> None:
        """History was replaced by compaction."""

    def flush(self) -> None: ...

    def close(self) -> None: ...


class NullSink:
    path = None

    def items(self, items: list[ResponseItem]) -> None:
        return None

    def event(self, msg: EventMsg) -> None:
        return None

    def turn_context(self, context: dict[str, Any]) -> None:
        return None

    def compacted(self, message: str, replacement_history: list[ResponseItem] | None = None) -> None:
        return None

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None
