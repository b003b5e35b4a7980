"""An idle-timeout watchdog for streams: O(1) per event, no task per read.

`IdleWatchdog` cancels the task that reads the stream when no event arrived for
`timeout_s` while it was waiting on the network. Time spent by the consumer between
events does not count (`paused()`). After a cancellation it caused, `fired` is true and
the reader turns the CancelledError into its idle-timeout error.
"""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from typing import Iterator


class IdleWatchdog:
    def __init__(self, timeout_s: float):
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._timeout = timeout_s
        self._deadline = self._loop.time() + timeout_s
        self._paused = False
        self.fired = False
        self._handle: asyncio.TimerHandle | None = self._loop.call_at(self._deadline, self._check)

    def _check(self) -> None:
        now = self._loop.time()
        if self._paused:
            self._handle = self._loop.call_at(now + self._timeout, self._check)
        elif now >= self._deadline:
            self.fired = True
            self._handle = None
            if self._task is not None:
                self._task.cancel()
        else:
            self._handle = self._loop.call_at(self._deadline, self._check)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """While the consumer handles an event: the clock restarts when it asks for more."""
        self._paused = True
        try:
            yield
        finally:
            self._paused = False
            self._deadline = self._loop.time() + self._timeout

    def absorb(self) -> bool:
        """After a CancelledError: True if the watchdog caused it (and the task is un-cancelled)."""
        if not self.fired:
            return False
        uncancel = getattr(self._task, "uncancel", None)
        if uncancel is not None:
            uncancel()
        return True

    def close(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
