"""Where the notebook's sessions live and their coroutines run.

In a kernel that is the kernel's own event loop, which is running whenever a magic or a
panel command is handled: `call(fn)` just calls `fn`, `run(coro)` schedules it as a task
and the kernel stays usable (the task is returned, for a caller that awaits it). Elsewhere (terminal IPython, plain Python) nothing runs
between cells, so sessions live on a private loop made on first use: `call` and `run` run
to completion there, including the tasks they `spawn` (a shutdown started in passing
finishes before the magic returns). At interpreter exit `on_exit()` (the controller's
`close`) runs on the private loop, which is then closed.
"""

from __future__ import annotations

import asyncio
import atexit
from typing import Any, Awaitable, Callable, Coroutine, TypeVar

T = TypeVar("T")


class SessionLoop:
    def __init__(self, in_kernel: bool, on_exit: Callable[[], Awaitable[None]]):
        self.in_kernel = in_kernel
        self._on_exit = on_exit
        self._private: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    def call(self, fn: Callable[[], T]) -> T:
        """`fn()` called on the session loop (sessions are built there); its result."""
        if self.in_kernel:
            return fn()

        async def on_loop() -> T:
            return fn()

        return self._complete(on_loop())

    def run(self, coro: Coroutine[Any, Any, T]) -> T | asyncio.Task[T]:
        """In a kernel: `coro` as a background task (returned). Elsewhere: its result."""
        if self.in_kernel:
            return self.spawn(coro)
        return self._complete(coro)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """A background task on the running session loop, awaited by `drain()`."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self) -> None:
        """Until every spawned task (but the caller's own) has ended."""
        while others := self._tasks - {asyncio.current_task()}:
            await asyncio.wait(others)

    def _complete(self, coro: Coroutine[Any, Any, T]) -> T:
        async def with_spawned() -> T:
            try:
                return await coro
            finally:
                await self.drain()

        return self._loop().run_until_complete(with_spawned())

    def _loop(self) -> asyncio.AbstractEventLoop:
        if self._private is None:
            self._private = asyncio.new_event_loop()
            atexit.register(self._at_exit)
        return self._private

    def _at_exit(self) -> None:
        loop = self._private
        if loop is None or loop.is_closed() or loop.is_running():
            return
        try:
            loop.run_until_complete(self._on_exit())
        finally:
            loop.close()
