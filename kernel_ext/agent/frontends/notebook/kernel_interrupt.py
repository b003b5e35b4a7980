"""A kernel interrupt (toolbar Stop, `interrupt_kernel`) stops the running turn.

`KernelInterruptWatch(kernel, on_interrupt)`: `start()` while a turn runs, `stop()` once
none does (or its session is detached). Outside a kernel (`kernel` None) both do nothing.

ipykernel swaps SIGINT's handler around every shell message (`pre_handler_hook` sets
`default_int_handler`, `post_handler_hook` restores the handler it saved, SIG_IGN while
idle). So the loop's handler is also made the one ipykernel restores
(`kernel.saved_sigint_handler`); otherwise the first cell to finish would silently put
SIG_IGN back and interrupts would never reach the turn. Stopping restores the idle
handler, or leaves `default_int_handler` if a shell message is being handled.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any, Callable


class KernelInterruptWatch:
    def __init__(self, kernel: Any, on_interrupt: Callable[[], None]):
        self.kernel = kernel
        self.on_interrupt = on_interrupt
        self.active = False
        self._idle: Any = None
        self._loop_handler: Any = None

    def start(self) -> None:
        if self.active or self.kernel is None:
            return
        try:
            previous = signal.getsignal(signal.SIGINT)
            self._idle = getattr(self.kernel, "saved_sigint_handler", previous)
            asyncio.get_running_loop().add_signal_handler(signal.SIGINT, self.on_interrupt)
            self._loop_handler = signal.getsignal(signal.SIGINT)
            if hasattr(self.kernel, "saved_sigint_handler"):
                self.kernel.saved_sigint_handler = self._loop_handler
        except (ValueError, RuntimeError, NotImplementedError):
            return
        self.active = True

    def stop(self) -> None:
        if not self.active:
            return
        try:
            in_handler = signal.getsignal(signal.SIGINT) is not self._loop_handler
            asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)
            idle = self._idle if self._idle is not None else signal.default_int_handler
            if hasattr(self.kernel, "saved_sigint_handler"):
                self.kernel.saved_sigint_handler = idle
            signal.signal(signal.SIGINT, signal.default_int_handler if in_handler else idle)
        except (ValueError, RuntimeError, NotImplementedError):
            return
        self.active = False
