"""What one model request has produced so far: the in-flight state of a turn.

The turn loop fills a `SampleState` while a request streams and keeps it on the task
(`ActiveTask.sample`) until the outputs of its calls are recorded; an interrupt in
between records an output for each call from it (core/turn.py `interrupted_items`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from agent.protocol import events as ev
from agent.protocol.items import ResponseItem
from agent.tools import ToolCall, ToolResult


@dataclass
class CallSlot:
    item: ResponseItem
    call: ToolCall
    task: asyncio.Future[ToolResult]
    started: float


@dataclass
class SampleState:
    """What one model request produced so far, in stream order. `items` are already
    recorded; the outputs of `calls` are recorded when the request ends."""

    items: list[ResponseItem] = field(default_factory=list)
    calls: dict[str, CallSlot] = field(default_factory=dict)
    usage: ev.TokenUsage | None = None
    refused: int = 0
    """Calls answered with an error instead of being run (no call_id, duplicate call_id)."""

    @property
    def only_refused(self) -> bool:
        return self.refused > 0 and self.refused == len(self.calls)

    async def cancel_calls(self, grace_s: float = 0.1) -> None:
        running = [slot.task for slot in self.calls.values() if not slot.task.done()]
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running, timeout=grace_s)
