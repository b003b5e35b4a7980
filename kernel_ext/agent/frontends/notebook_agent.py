"""The agent bound to one kernel: its session, the live view of each `%%agent` turn.

    start_turn(text)  -> ensure a session (on the kernel's loop) -> a view shown in the
                         cell -> the prompt submitted -> returns at once
    pump (a task)     -> every session event goes to the view of its turn
    view clicks       -> approval ops / interrupt, always on the loop

A kernel interrupt (toolbar Stop, `interrupt_kernel`) while a turn runs also stops it:
SIGINT is watched with `loop.add_signal_handler` only while a turn is active. Outside a
kernel (terminal IPython, plain Python) turns run to completion in the foreground and
approvals are asked on stdin.
"""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import dataclass, field
from typing import Any, Callable

from agent.core.config import CliOverrides, Config, load_config
from agent.protocol import events as ev
from agent.protocol import ops

TERMINAL = {"task_complete", "turn_aborted"}


@dataclass
class TurnOptions:
    model: str | None = None
    approval_policy: str | None = None
    sandbox_mode: str | None = None
    raw: list[str] = field(default_factory=list)


def in_kernel(shell: Any) -> bool:
    """True in ipykernel (a front end that renders widgets and runs our loop)."""
    return shell is not None and getattr(shell, "kernel", None) is not None


class NotebookAgent:
    def __init__(self, shell: Any):
        self.shell = shell
        self.session: Any = None
        self.defaults = TurnOptions()
        self.views: dict[str, Any] = {}
        self.last_view: Any = None
        self.last_info: ev.TokenUsageInfo | None = None
        self._done: dict[str, asyncio.Future[str]] = {}
        self._pump: asyncio.Task[None] | None = None
        self._sigint = False
        self._prev_sigint: Any = None

    # --- sessions ------------------------------------------------------------------------

    def config(self, opts: TurnOptions | None = None) -> Config:
        opts = opts or self.defaults
        cli = CliOverrides(
            cwd=os.getcwd(), model=opts.model or self.defaults.model,
            approval_policy=opts.approval_policy or self.defaults.approval_policy,
            sandbox_mode=opts.sandbox_mode or self.defaults.sandbox_mode, raw=[*self.defaults.raw, *opts.raw],
        )
        return load_config(cli)

    def ensure_session(self) -> Any:
        if self.session is None:
            from agent.core.factory import open_session

            notebook = os.environ.get("JPY_SESSION_NAME") or None
            self.attach(open_session(self.config(), source="notebook", notebook=notebook))
        return self.session

    def attach(self, session: Any) -> None:
        """Make `session` the kernel's session (new, resumed or forked)."""
        from agent.core.notebook import add_kernel_tools

        add_kernel_tools(session, self.shell)
        self.session = session
        stream = session.events()
        self._pump = asyncio.get_running_loop().create_task(self._run_pump(session, stream))

    async def close(self) -> None:
        """Stop the session: the running turn is interrupted and its tools killed."""
        session, self.session = self.session, None
        self._watch_sigint(False)
        if session is not None:
            await session.shutdown()
        if self._pump is not None:
            await asyncio.wait({self._pump}, timeout=2)
        for view in self.views.values():
            view.close_turn()
        self.views.clear()

    # --- turns ---------------------------------------------------------------------------

    def start_turn(self, text: str, opts: TurnOptions, make_view: Callable[..., Any]) -> str:
        from agent.core.factory import submit_user_text

        session = self.ensure_session()
        overrides = self._overrides(opts)
        view = make_view(on_decision=self.decide, on_stop=self.stop)
        sub_id = submit_user_text(session, text, **overrides)
        self.views[sub_id] = self.last_view = view
        self._done[sub_id] = asyncio.get_running_loop().create_future()
        self._watch_sigint(True)
        return sub_id

    def _overrides(self, opts: TurnOptions) -> dict[str, Any]:
        if not (opts.model or opts.approval_policy or opts.sandbox_mode or opts.raw):
            return {}
        config = self.config(opts)
        return {"model": config.model, "approval_policy": config.approval_policy, "sandbox_policy": config.sandbox_policy}

    async def wait(self, sub_id: str) -> str:
        """Until the turn ends; returns `task_complete` or `turn_aborted`. A ticker keeps
        the loop waking up so a kernel interrupt lands promptly (ipykernel #881)."""
        done = self._done[sub_id]
        while not done.done():
            await asyncio.wait({done}, timeout=0.1)
        return done.result()

    def decide(self, call_id: str, decision: str) -> None:
        kinds = [v.approval_kind(call_id) for v in [*self.views.values(), self.last_view] if v is not None]
        kind = next((k for k in kinds if k), None)
        op = ops.PatchApproval if kind == "patch" else ops.ExecApproval
        if self.session is not None:
            self.session.submit(op(id=call_id, decision=decision))  # type: ignore[arg-type]

    def stop(self) -> None:
        if self.session is not None and self.session.running:
            self.session.submit(ops.Interrupt())

    # --- events --------------------------------------------------------------------------

    async def _run_pump(self, session: Any, stream: Any) -> None:
        async for event in stream:
            if session is not self.session and event.msg.type != "shutdown_complete":
                continue
            self._route(event)

    def _route(self, event: ev.Event) -> None:
        msg = event.msg
        if msg.type == "token_count" and msg.info is not None:
            self.last_info = msg.info
        view = self.views.get(event.id, self.last_view)
        if view is not None:
            view.feed(event)
        if msg.type in TERMINAL:
            self._finish(event.id, msg.type, view)

    def _finish(self, sub_id: str, outcome: str, view: Any) -> None:
        if view is not None:
            view.close_turn()
        self.views.pop(sub_id, None)
        done = self._done.pop(sub_id, None)
        if done is not None and not done.done():
            done.set_result(outcome)
        if not self._done:
            self._watch_sigint(False)

    def _watch_sigint(self, on: bool) -> None:
        """While a turn runs, a kernel interrupt stops it."""
        if on == self._sigint or not in_kernel(self.shell):
            return
        loop = asyncio.get_running_loop()
        try:
            if on:
                self._prev_sigint = signal.getsignal(signal.SIGINT)
                loop.add_signal_handler(signal.SIGINT, self.stop)
            else:
                loop.remove_signal_handler(signal.SIGINT)
                signal.signal(signal.SIGINT, self._prev_sigint or signal.default_int_handler)
        except (ValueError, RuntimeError, NotImplementedError):
            return
        self._sigint = on
