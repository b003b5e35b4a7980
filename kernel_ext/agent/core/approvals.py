"""Pending approval requests: a future per call_id, resolved by approval ops.

`wait(call_id)` parks a tool until `resolve(call_id, decision)`; `cancel_all()` drops
every pending request (on abort) so no waiter hangs.
"""

from __future__ import annotations

import asyncio

from agent.protocol.policy import ReviewDecision


class PendingApprovals:
    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[ReviewDecision]] = {}

    def open(self, call_id: str) -> asyncio.Future[ReviewDecision]:
        future: asyncio.Future[ReviewDecision] = asyncio.get_running_loop().create_future()
        self._waiting[call_id] = future
        return future

    async def wait(self, call_id: str, future: asyncio.Future[ReviewDecision]) -> ReviewDecision:
        try:
            return await future
        finally:
            self._waiting.pop(call_id, None)

    def resolve(self, call_id: str, decision: ReviewDecision) -> bool:
        future = self._waiting.pop(call_id, None)
        if future is None or future.done():
            return False
        future.set_result(decision)
        return True

    def pending(self) -> list[str]:
        return list(self._waiting)

    def cancel_all(self) -> None:
        for future in self._waiting.values():
            if not future.done():
                future.cancel()
        self._waiting.clear()
