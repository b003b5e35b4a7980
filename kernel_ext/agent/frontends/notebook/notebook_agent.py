"""The agent bound to one kernel: its session, the live view of each `%%agent` turn.

    start_turn(text)  -> ensure a session (on the kernel's loop) -> a view shown in the
                         cell -> the prompt submitted -> returns at once
    pump (a task)     -> every session event goes to the view of its turn
    view clicks       -> approval ops / interrupt, always on the loop
    listeners         -> observers (the side panel's bridge) told when the session changes
                         and when any view decides an approval

A kernel interrupt (toolbar Stop, `interrupt_kernel`) while a turn runs also stops it:
SIGINT is watched with `loop.add_signal_handler` only while a turn is active. Outside a
kernel (terminal IPython, plain Python) turns run to completion in the foreground and
approvals are asked on stdin.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import signal
from dataclasses import dataclass, field
from typing import Any, Callable

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported lazily at run time: `%load_ext agent` must stay cheap
    from agent.core.config import Config
    from agent.protocol import events as ev

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


@dataclass
class _Turns:
    """One session's live turns: views and completion futures by submission id, and the
    submissions whose text joined a running turn (they follow that turn's events)."""

    views: dict[str, Any] = field(default_factory=dict)
    done: dict[str, asyncio.Future[str]] = field(default_factory=dict)
    joined: dict[str, list[str]] = field(default_factory=dict)
    contexts: dict[str, contextvars.Context] = field(default_factory=dict)
    """The context of the cell that started each turn: ipykernel keeps the parent header in
    a ContextVar, so a view fed from the pump (a task of the session's *first* cell) would
    otherwise publish its updates, and the final Markdown fallback, as that first cell's."""


class NotebookAgent:
    def __init__(self, shell: Any):
        self.shell = shell
        self.session: Any = None
        self.defaults = TurnOptions()
        self._turns = _Turns()
        self.last_view: Any = None
        self.last_info: ev.TokenUsageInfo | None = None
        self._pump: asyncio.Task[None] | None = None
        self.interrupted: set[str] = set()
        """Turns a kernel interrupt stopped (so `%%agent --wait` can fail its cell)."""
        self._sigint = False
        self._prev_sigint: Any = None
        self._idle_sigint: Any = None
        self._loop_sigint: Any = None
        self.listeners: list[Any] = []
        """Observers with `session_changed(session | None)` (after attach / close) and
        `decision_made(call_id, decision)` (after any view's decision), called on the loop."""

    @property
    def views(self) -> dict[str, Any]:
        """The current session's live views by submission id."""
        return self._turns.views

    @property
    def _done(self) -> dict[str, asyncio.Future[str]]:
        return self._turns.done

    # --- sessions ------------------------------------------------------------------------

    def config(self, opts: TurnOptions | None = None) -> Config:
        opts = opts or self.defaults
        from agent.core.config import CliOverrides, load_config

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
        self._turns, self.last_view = _Turns(), None  # its pump keeps routing the old session's
        stream = session.events()
        self._pump = asyncio.get_running_loop().create_task(self._run_pump(session, stream, self._turns))
        self._notify("session_changed", session)

    async def close(self) -> None:
        """Stop the session: the running turn is interrupted and its tools killed."""
        await self._shut_down(*self._detach())

    def close_soon(self) -> None:
        """Like `close()`, but the session is forgotten at once (the next turn opens a new
        one) and shut down in the background. On the kernel's loop only."""
        asyncio.get_running_loop().create_task(self._shut_down(*self._detach()))

    def _detach(self) -> tuple[Any, asyncio.Task[None] | None]:
        session, pump = self.session, self._pump
        self.session, self._pump = None, None
        self._watch_sigint(False)
        return session, pump

    async def _shut_down(self, session: Any, pump: asyncio.Task[None] | None) -> None:
        if session is not None:
            await session.shutdown()
        if pump is not None:
            await asyncio.wait({pump}, timeout=2)
        if session is not None:
            self._notify("session_changed", None)

    # --- turns ---------------------------------------------------------------------------

    def start_turn(self, text: str, opts: TurnOptions, make_view: Callable[..., Any]) -> str:
        from agent.core.factory import submit_user_text

        session = self.ensure_session()
        overrides = self._overrides(opts)
        running = next((s for s, f in self._done.items() if not f.done()), None) if session.running else None
        view = make_view(on_decision=self.decide, on_stop=self.stop)
        view.feed(session.configured)  # every view shows the model, sandbox, session id
        sub_id = submit_user_text(session, text, **overrides)
        self.track_view(sub_id, view)
        self._done[sub_id] = asyncio.get_running_loop().create_future()
        self.interrupted.discard(sub_id)  # sub ids restart with each session
        if running is not None:  # the session queues the text into the running turn
            self._turns.joined.setdefault(running, []).append(sub_id)
        self._watch_sigint(True)
        return sub_id

    def track_view(self, sub_id: str, view: Any) -> None:
        """Feed `view` the events of submission `sub_id`, in the current cell's context."""
        self.views[sub_id] = self.last_view = view
        self._turns.contexts[sub_id] = contextvars.copy_context()

    def _overrides(self, opts: TurnOptions) -> dict[str, Any]:
        if not (opts.model or opts.approval_policy or opts.sandbox_mode or opts.raw):
            return {}
        config = self.config(opts)
        return {"model": config.model, "approval_policy": config.approval_policy, "sandbox_policy": config.sandbox_policy}

    async def wait(self, sub_id: str) -> str:
        """Until the turn ends; returns `task_complete` or `turn_aborted`. A ticker keeps
        the loop waking up so a kernel interrupt lands promptly (ipykernel #881)."""
        done = self._done.get(sub_id)
        if done is None:  # already over (or its session was closed)
            return "turn_aborted"
        while not done.done():
            await asyncio.wait({done}, timeout=0.1)
        return done.result()

    def decide(self, call_id: str, decision: str) -> None:
        from agent.protocol import ops

        if self.session is not None:
            self.session.submit(ops.Approval(call_id=call_id, decision=decision))  # type: ignore[arg-type]
            self._notify("decision_made", call_id, decision)

    def _notify(self, name: str, *args: Any) -> None:
        for listener in list(self.listeners):
            getattr(listener, name)(*args)

    def stop(self) -> None:
        if self.session is not None and self.session.running:
            from agent.protocol import ops

            self.session.submit(ops.Interrupt())

    # --- events --------------------------------------------------------------------------

    async def _run_pump(self, session: Any, stream: Any, turns: _Turns) -> None:
        """Route one session's events to its own turns' views (sub ids restart per session),
        until its stream ends; views still open then are closed."""
        async for event in stream:
            self._route(event, turns, current=session is self.session)
        for sub_id in list(turns.views):
            self._finish(turns, [sub_id], [(turns.views[sub_id], turns.contexts.get(sub_id))], "turn_aborted")

    def _route(self, event: ev.Event, turns: _Turns, current: bool) -> None:
        msg = event.msg
        if msg.type == "session_configured":  # start_turn gave it to each view
            return
        if current and msg.type == "token_count" and msg.info is not None:
            self.last_info = msg.info
        ids = [event.id, *turns.joined.get(event.id, ())]
        views = [(turns.views[i], turns.contexts.get(i)) for i in ids if i in turns.views]
        if not views and current and self.last_view is not None:
            views = [(self.last_view, None)]
        for view, context in views:
            _in_context(context, view.feed, event)
        if msg.type in TERMINAL:
            turns.joined.pop(event.id, None)
            self._finish(turns, ids, views, msg.type)

    def _finish(self, turns: _Turns, sub_ids: list[str], views: list[tuple[Any, Any]], outcome: str) -> None:
        for view, context in views:
            _in_context(context, view.close_turn)
        for sub_id in sub_ids:
            turns.views.pop(sub_id, None)
            turns.contexts.pop(sub_id, None)
            done = turns.done.pop(sub_id, None)
            if done is not None and not done.done():
                done.set_result(outcome)
        if not self._done:
            self._watch_sigint(False)

    def _on_sigint(self) -> None:
        self.interrupted.update(self._done)
        self.stop()

    def _watch_sigint(self, on: bool) -> None:
        """While a turn runs, a kernel interrupt stops it.

        ipykernel swaps SIGINT's handler around every shell message (`pre_handler_hook`
        sets `default_int_handler`, `post_handler_hook` restores the handler it saved,
        SIG_IGN while idle). So the loop's handler is also made the one ipykernel restores
        (`kernel.saved_sigint_handler`); otherwise the first cell to finish would silently
        put SIG_IGN back and interrupts would never reach the turn. Turning off restores
        the idle handler, or leaves `default_int_handler` if a shell message is being handled.
        """
        if on == self._sigint or not in_kernel(self.shell):
            return
        loop = asyncio.get_running_loop()
        kernel = self.shell.kernel
        try:
            if on:
                self._prev_sigint = signal.getsignal(signal.SIGINT)
                self._idle_sigint = getattr(kernel, "saved_sigint_handler", self._prev_sigint)
                loop.add_signal_handler(signal.SIGINT, self._on_sigint)
                self._loop_sigint = signal.getsignal(signal.SIGINT)
                if hasattr(kernel, "saved_sigint_handler"):
                    kernel.saved_sigint_handler = self._loop_sigint
            else:
                in_handler = signal.getsignal(signal.SIGINT) is not self._loop_sigint
                loop.remove_signal_handler(signal.SIGINT)
                idle = self._idle_sigint if self._idle_sigint is not None else signal.default_int_handler
                if hasattr(kernel, "saved_sigint_handler"):
                    kernel.saved_sigint_handler = idle
                signal.signal(signal.SIGINT, signal.default_int_handler if in_handler else idle)
        except (ValueError, RuntimeError, NotImplementedError):
            return
        self._sigint = on


def _in_context(context: contextvars.Context | None, fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args) if context is None else context.run(fn, *args)
