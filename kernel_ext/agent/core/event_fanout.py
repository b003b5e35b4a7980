"""The session's event stream, fanned out: every event is redacted once, persisted (the
rollout keeps the kinds it wants) and put on every subscription, in emission order.

`subscribe(first)` starts a subscription with `first` (the session's
`session_configured`); after `close()` new subscriptions end at once. Reasoning events
go through `reasoning` / `raw_reasoning`, which drop them when the config hides them
(`hide_agent_reasoning`; raw reasoning only with `show_raw_agent_reasoning`).
"""

from __future__ import annotations

from typing import Any, Iterable

from agent.protocol import events as ev

from .event_redaction import EventRedactor
from .events_stream import EventStream
from .rollout.sink import RolloutSink


class EventFanout:
    def __init__(self, rollout: RolloutSink, secrets: Iterable[str] = (), *, hide_reasoning: bool = False,
                 show_raw_reasoning: bool = False):
        self._rollout = rollout
        self._redactor = EventRedactor(secrets)
        self._hide_reasoning = hide_reasoning
        self._show_raw_reasoning = show_raw_reasoning
        self._subscribers: list[EventStream] = []
        self._closed = False

    def subscribe(self, first: ev.Event) -> EventStream:
        stream = EventStream(self._subscribers.remove)
        stream.put(first)
        if self._closed:
            stream.close()
        else:
            self._subscribers.append(stream)
        return stream

    def close(self) -> None:
        """End every subscription (after the events already queued)."""
        self._closed = True
        for stream in list(self._subscribers):
            stream.close()

    async def emit(self, turn_id: str, msg: ev.EventMsg) -> None:
        msg = self._redactor.redacted(msg)
        event = ev.Event.model_construct(id=turn_id, msg=msg)  # msg is already validated
        self._rollout.event(msg)
        for stream in list(self._subscribers):
            stream.put(event)

    async def error(self, turn_id: str, message: str, info: Any, status: int | None) -> None:
        await self.emit(turn_id, ev.Error(message=message, codex_error_info=info, http_status_code=status))

    async def reasoning(self, turn_id: str, msg: ev.EventMsg) -> None:
        if not self._hide_reasoning:
            await self.emit(turn_id, msg)

    async def raw_reasoning(self, turn_id: str, msg: ev.EventMsg) -> None:
        if self._show_raw_reasoning:
            await self.emit(turn_id, msg)
