"""The idle watchdog: only time spent waiting on the stream counts."""

from __future__ import annotations

import asyncio

import pytest

from agent.client.idle import IdleWatchdog


async def reader(queue: asyncio.Queue, timeout_s: float):
    watchdog = IdleWatchdog(timeout_s)
    try:
        while True:
            try:
                item = await queue.get()
            except asyncio.CancelledError:
                if watchdog.absorb():
                    raise TimeoutError("idle") from None
                raise
            if item is None:
                return
            with watchdog.paused():
                yield item
    finally:
        watchdog.close()


async def test_slow_consumer_does_not_trip_the_timeout():
    queue: asyncio.Queue = asyncio.Queue()
    for item in [1, 2, 3, None]:
        queue.put_nowait(item)
    seen = []
    async for item in reader(queue, 0.05):
        seen.append(item)
        await asyncio.sleep(0.15)  # three times the timeout, but the stream is not to blame
    assert seen == [1, 2, 3]


async def test_stalled_stream_times_out_and_task_stays_usable():
    queue: asyncio.Queue = asyncio.Queue()
    queue.put_nowait(1)
    seen = []
    with pytest.raises(TimeoutError):
        async for item in reader(queue, 0.1):
            seen.append(item)
    assert seen == [1]
    await asyncio.sleep(0.01)  # the task was un-cancelled: it can await again


async def test_a_real_cancellation_is_not_mistaken_for_idle():
    queue: asyncio.Queue = asyncio.Queue()

    async def consume():
        async for _ in reader(queue, 5.0):
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
