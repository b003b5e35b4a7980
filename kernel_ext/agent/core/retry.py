"""Stream retries around a whole model request (spec §2.4 b), shared by turns and compaction.

`retry_stream(session, turn_id, attempt)` awaits `attempt()` again after a retryable model
error, up to the provider's `stream_max_retries`, each time emitting
`stream_error "Reconnecting... n/max"` and sleeping the server's hint or the backoff.
Fatal errors and cancellation pass straight through.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Awaitable, Callable, TypeVar

from agent.client.backoff import backoff_delay
from agent.client.errors import RetryableModelError
from agent.protocol import events as ev

if TYPE_CHECKING:
    from .session import Session

T = TypeVar("T")


async def retry_stream(session: Session, turn_id: str, attempt: Callable[[], Awaitable[T]]) -> T:
    max_retries = session.stream_max_retries()
    retries = 0
    while True:
        try:
            return await attempt()
        except RetryableModelError as err:
            retries += 1
            if retries > max_retries:
                raise
            delay = err.retry_after if err.retry_after is not None else backoff_delay(retries, base_s=session.retry_base_s)
            message = f"Reconnecting... {retries}/{max_retries}"
            await session.emit(turn_id, ev.StreamError(message=message, retry_in_ms=int(delay * 1000)))
            await asyncio.sleep(delay)
