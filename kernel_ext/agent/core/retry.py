"""Retries, shared by turns and compaction.

* Stream retries around a whole model request (spec §2.4 b): `retry_stream(policy,
  events, turn_id, attempt)` awaits `attempt()` again after a retryable model error, up to the
  policy's `max_retries`, each time emitting `stream_error "Reconnecting... n/max"` and
  sleeping the server's hint or the backoff. Fatal errors and cancellation pass through.
* Request retries happen inside the client, which reports each as a `RequestRetry`
  stream event; `request_retry_notice` is the `stream_error` the turn shows for it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Awaitable, Callable, TypeVar

from agent.client.backoff import backoff_delay
from agent.client.errors import RetryableModelError
from agent.client.stream import RequestRetry
from agent.protocol import events as ev

from .event_fanout import EventFanout

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int
    """Stream retries of one request (the provider's `stream_max_retries`)."""
    base_s: float = 0.2
    """Backoff base when the server gave no delay."""


async def retry_stream(policy: RetryPolicy, events: EventFanout, turn_id: str, attempt: Callable[[], Awaitable[T]]) -> T:
    retries = 0
    while True:
        try:
            return await attempt()
        except RetryableModelError as err:
            retries += 1
            if retries > policy.max_retries:
                raise
            delay = err.retry_after if err.retry_after is not None else backoff_delay(retries, base_s=policy.base_s)
            message = f"Reconnecting... {retries}/{policy.max_retries}"
            await events.emit(turn_id, ev.StreamError(message=message, retry_in_ms=int(delay * 1000)))
            await asyncio.sleep(delay)


def request_retry_notice(retry: RequestRetry) -> ev.StreamError:
    """What the user sees when the client is about to send a request again."""
    message = f"{retry.reason}; retrying in {retry.delay_s:.1f}s ({retry.attempt}/{retry.max_attempts})"
    return ev.StreamError(message=message, codex_error_info="http_connection_failed", retry_in_ms=int(retry.delay_s * 1000))
