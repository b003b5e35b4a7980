"""How a stream reader shares its thread while a fast stream keeps data buffered.

A model stream read on the loop never suspends while data is buffered, so a fast server
(or a replayed stream) could hold the loop, and the GIL, for the whole answer. The reader
therefore gives way after `busy_s` of continuous work:

* `COOPERATIVE` (the default: command line, scripts) yields one loop turn
  (`asyncio.sleep(0)`): other coroutines run, and the stream goes on at full speed.
* `SHARE_WITH_KERNEL` (a session on a Jupyter kernel's loop) also pauses for `pause_s`.
  The kernel's messages move through its own threads (the shell channel thread, the IOPub
  thread), which need the GIL; a loop turn alone does not give it up, so under a burst a
  trivial cell waited for the interpreter's 5 ms switch interval at every hop (bench
  kernel_responsiveness: burst p95 63 ms; pausing 1 ms every 2 ms: 12 ms). The pause
  costs a burst about half its speed (bench streaming); a paced stream, whose reader
  waits for data anyway, never reaches it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass(frozen=True)
class StreamPacing:
    busy_s: float = 0.001
    """Longest stretch of reading buffered data before giving way."""
    pause_s: float = 0.0
    """How long to give way (0: one loop turn)."""


COOPERATIVE = StreamPacing()
SHARE_WITH_KERNEL = StreamPacing(busy_s=0.002, pause_s=0.001)


class Pacer:
    """`await pacer.tick()` after each unit of work: it gives way once `busy_s` has passed."""

    def __init__(self, pacing: StreamPacing = COOPERATIVE):
        self._pacing = pacing
        self._loop = asyncio.get_running_loop()
        self._resumed = self._loop.time()

    async def tick(self) -> None:
        if self._loop.time() - self._resumed > self._pacing.busy_s:
            await asyncio.sleep(self._pacing.pause_s)
            self._resumed = self._loop.time()
