"""A subscription to a session's events: an unbounded queue with an end.

Subscribing is immediate (no event emitted after `Session.events()` returns is missed);
iteration ends after `close()` once the queued events are drained.
"""

from __future__ import annotations

import asyncio
from typing import Callable

from agent.protocol.events import Event

_END = object()


class EventStream:
    def __init__(self, on_close: Callable[[EventStream], None]):
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._on_close = on_close
        self._closed = False

    def put(self, event: Event) -> None:
        if not self._closed:
            self._queue.put_nowait(event)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put_nowait(_END)
            try:
                self._on_close(self)
            except ValueError:
                pass

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
        item = await self._queue.get()
        if item is _END:
            raise StopAsyncIteration
        return item  # type: ignore[return-value]

    async def next(self, timeout: float | None = None) -> Event:
        """The next event, waiting at most `timeout` seconds."""
        return await asyncio.wait_for(self.__anext__(), timeout)
