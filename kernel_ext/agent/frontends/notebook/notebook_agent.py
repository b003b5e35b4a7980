"""The notebook controller: the kernel's one session and the live view of each turn.

`%%agent`, `%agent` and the JupyterLab side panel all go through one `NotebookAgent`:

    lifecycle   ensure_session(), new(), resume(target), fork(source, at), switch(session),
                close(): one implementation each. Whatever replaces a session detaches it
                first: its events stop reaching the current views, its SIGINT watch is
                undone, and it is shut down (its running turn and tools stopped).
    turns       start_turn(text, opts, make_view) submits a prompt and returns at once;
                compact(make_view), wait(sub_id), decide(call_id, decision), stop()
    options     config(opts), set_defaults(model=, approval_policy=, sandbox_mode=) for the
                later turns; a cell's TurnOptions apply to its own turn only, and
                this_turn() says where the running turn's settings differ from the defaults
    listeners   `SessionListener`s (the side panel's bridge), told when the session changes,
                when a view starts showing a turn, when a view decided an approval and
                when the defaults changed
    notebook    `notebook_edit`: the relay every session's notebook_edit tool is built with

Each session's events go to the views of its turns (turn_router.py). A kernel interrupt
while a turn runs also stops it (kernel_interrupt.py). Outside a kernel (terminal IPython,
plain Python) sessions live on a private loop (session_loop.py), turns run to completion
in the foreground and approvals are asked on stdin.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .edit_relay import NotebookEditRelay
from .kernel_interrupt import KernelInterruptWatch
from .session_loop import SessionLoop

if TYPE_CHECKING:  # imported lazily at run time: `%load_ext agent` must stay cheap
    from pathlib import Path

    from agent.core.api import Config, Session
    from agent.protocol import events as ev

    from .interfaces import MakeView, SessionListener, TurnView
    from .turn_router import TurnRouter

NOTHING_TO_RESUME = "No recorded session to resume for this notebook or folder."


@dataclass
class TurnOptions:
    model: str | None = None
    approval_policy: str | None = None
    sandbox_mode: str | None = None
    raw: list[str] = field(default_factory=list)


def in_kernel(shell: Any) -> bool:
    """True in ipykernel (a front end that renders widgets and runs our loop)."""
    return shell is not None and getattr(shell, "kernel", None) is not None


class NothingToResume(Exception):
    """No recorded session of this notebook or folder."""


class NotebookAgent:
    def __init__(self, shell: Any):
        self.shell = shell
        self.session: Session | None = None
        self.defaults = TurnOptions()
        self.last_info: ev.TokenUsageInfo | None = None
        self._turn: tuple[str, TurnSettings] | None = None
        self._restore_after: set[str] = set()
        """Turns that ran with a cell's flags: when one ends, the defaults are sent again."""
        """The running turn's submission id and settings."""
        self.interrupted: set[str] = set()
        """Turns a kernel interrupt stopped (so `%%agent --wait` can fail its cell)."""
        self.origins: dict[str, str] = {}
        """Where each running submission was started: "cell [3]", "the panel"."""
        self.listeners: list[SessionListener] = []
        self.notebook_edit = NotebookEditRelay()
        self.in_kernel = in_kernel(shell)
        """Sessions run on a Jupyter kernel's loop (their streams then share the CPU with
        the kernel's I/O threads); False in terminal IPython."""
        self.loop = SessionLoop(self.in_kernel, on_exit=self.close)
        self._router: TurnRouter | None = None
        self._interrupts = KernelInterruptWatch(shell.kernel if in_kernel(shell) else None, self._on_interrupt)

    @property
    def views(self) -> dict[str, TurnView]:
        """The current session's live views by submission id."""
        return self._router.views if self._router is not None else {}

    @property
    def last_view(self) -> TurnView | None:
        return self._router.last_view if self._router is not None else None

    # --- sessions ------------------------------------------------------------------------

    def config(self, opts: TurnOptions | None = None) -> Config:
        from agent.core.api import CliOverrides, load_config

        opts = opts or self.defaults
        return load_config(CliOverrides(
            cwd=os.getcwd(), model=opts.model or self.defaults.model,
            approval_policy=opts.approval_policy or self.defaults.approval_policy,
            sandbox_mode=opts.sandbox_mode or self.defaults.sandbox_mode, raw=[*self.defaults.raw, *opts.raw],
        ))

    def ensure_session(self) -> Session:
        """The kernel's session, a new one if there is none (on the session loop)."""
        if self.session is None:
            from agent.core.api import open_session

            self._attach(open_session(self.config(), source="notebook", notebook=_notebook(),
                                      in_kernel=self.in_kernel))
        assert self.session is not None
        return self.session

    def new(self) -> None:
        """Forget the session now (the next turn opens a new one); it shuts down in the
        background (in a kernel) or before this returns (elsewhere)."""
        self.loop.call(lambda: self._shut_down_soon(self._detach()))

    def resume(self, target: str | Path | None = None) -> Session:
        """Continue a recorded session (id, unique id prefix or path; by default this
        notebook's latest, else this folder's) as the kernel's session. Raises
        NothingToResume, or SetupError saying what is wrong."""
        from agent.core.api import resume_session

        config = self.config()
        target = target or self.latest_recorded(config)
        if target is None:
            raise NothingToResume(NOTHING_TO_RESUME)
        return self.loop.call(lambda: self.switch(resume_session(config, target, in_kernel=self.in_kernel)))

    def fork(self, source: str, at: int | None = None) -> Session:
        """A new session holding `source`'s history before its `at`-th user message (all of
        it by default) becomes the kernel's session. Raises SetupError."""
        from agent.core.api import fork_session

        config = self.config()
        return self.loop.call(lambda: self.switch(fork_session(config, source, at, in_kernel=self.in_kernel)))

    def latest_recorded(self, config: Config) -> Path | None:
        """The session `resume` continues by default: this notebook's latest, else this folder's."""
        from agent.core.api import list_sessions

        notebook = _notebook()
        for where in ([{"notebook": notebook}] if notebook else []) + [{"cwd": config.cwd}]:
            rows = list_sessions(config.home, limit=1, **where)
            if rows:
                return rows[0].path
        return None

    def switch(self, session: Session) -> Session:
        """Make `session` the kernel's session (on the session loop); the current one is
        detached at once and shut down in the background."""
        old = self._detach(notify=False)
        self._attach(session)
        self._shut_down_soon(old)
        return session

    async def close(self) -> None:
        """Stop the session (its running turn is interrupted, its tools killed) and wait for
        every session still shutting down."""
        await self._shut_down(self._detach())
        await self.loop.drain()

    def _attach(self, session: Session) -> None:
        from agent.core.api import add_kernel_tools

        from .turn_router import TurnRouter

        add_kernel_tools(session, self.shell, self.notebook_edit)
        self.session = session
        self._router = TurnRouter(session.events(), self._on_event, self._interrupts.stop)
        for listener in list(self.listeners):
            listener.session_changed(session)

    def _detach(self, notify: bool = True) -> tuple[Session | None, TurnRouter | None]:
        session, router = self.session, self._router
        self.session, self._router, self._turn = None, None, None
        self._restore_after.clear()
        if router is not None:
            router.current = False  # it only finishes its own turns from now on
        self._interrupts.stop()
        if notify:
            for listener in list(self.listeners):
                listener.session_changed(None)
        return session, router

    def _shut_down_soon(self, detached: tuple[Session | None, TurnRouter | None]) -> None:
        if detached[0] is not None:
            self.loop.spawn(self._shut_down(detached))

    async def _shut_down(self, detached: tuple[Session | None, TurnRouter | None]) -> None:
        session, router = detached
        if session is not None:
            await session.shutdown()
        if router is not None:  # its stream ends with the session: the pump closes its views
            await asyncio.wait({router.task}, timeout=2)

    # --- turns ---------------------------------------------------------------------------

    def start_turn(self, text: str, opts: TurnOptions, make_view: MakeView) -> str:
        """Submit `text` as a turn (it joins the running turn if there is one); a view made
        with `make_view` shows it. Returns the submission id. Raises SetupError."""
        from agent.core.api import submit_user_text

        session = self.ensure_session()
        router = self._router
        assert router is not None
        overrides = self._overrides(opts)
        running = router.running_turn() if session.running else None
        view = make_view(on_decision=self.decide, on_stop=self.stop)
        sub_id = submit_user_text(session, text, **overrides)
        settings = self._settings_of(session, sub_id, running, opts)
        if running is None:
            self._turn = (sub_id, settings)
        if overrides:  # a user_turn's settings persist in the session: restore the defaults after it
            self._restore_after.add(running or sub_id)
        view.feed(_configured_with(session.configured, settings))  # the model, policies, session id it runs with
        self._begin(router, sub_id, view, joined=running)
        return sub_id

    def _settings_of(self, session: Session, sub_id: str, running: str | None, opts: TurnOptions) -> TurnSettings:
        """The model and policies turn `sub_id` runs with: the running turn's when its text
        joined that turn (or it has started), else (it waits behind a compaction) the defaults
        with the cell's options."""
        ctx = session.turn_settings
        if not (session.running and (running is not None or ctx.turn_id == sub_id)):
            ctx = self.config(opts)
        return TurnSettings(ctx.model, ctx.approval_policy, ctx.sandbox_policy)

    def this_turn(self) -> dict[str, str]:
        """Where the running turn's settings differ from the defaults of later turns (a cell's
        `--approval` flag, or defaults changed while it runs): `model`, `approval_policy`,
        `sandbox_mode` -> the running turn's value. Empty when no turn runs."""
        if self._turn is None:
            return {}
        config, turn = self.config(), self._turn[1]
        return {k: v for k, v, default in (("model", turn.model, config.model),
                                           ("approval_policy", turn.approval_policy, config.approval_policy),
                                           ("sandbox_mode", turn.sandbox_policy.type, config.sandbox_mode)) if v != default}

    def compact(self, make_view: MakeView) -> str:
        """Summarise the conversation to free context, shown in a view; the submission id."""
        from agent.protocol import ops

        session = self.ensure_session()
        router = self._router
        assert router is not None
        view = make_view(on_decision=self.decide, on_stop=self.stop)
        sub_id = session.submit(ops.Compact())
        self._begin(router, sub_id, view, joined=None)
        return sub_id

    def _begin(self, router: TurnRouter, sub_id: str, view: TurnView, joined: str | None) -> None:
        self.origins = {k: v for k, v in self.origins.items() if k in router.done}  # only running ones
        self.origins[sub_id] = getattr(view, "origin", None) or _cell_label(self.shell)
        self.track_view(sub_id, view, joined)
        router.expect(sub_id, joined)
        self.interrupted.discard(sub_id)  # sub ids restart with each session
        self._interrupts.start()

    def track_view(self, sub_id: str, view: TurnView, joined: str | None = None) -> None:
        """Feed `view` the events of submission `sub_id`, in the current cell's context
        (`joined`: the running turn whose events it follows); listeners are told."""
        if self._router is not None:
            self._router.track(sub_id, view)
        for listener in list(self.listeners):
            listener.view_added(view, joined)

    def _overrides(self, opts: TurnOptions) -> dict[str, Any]:
        if not (opts.model or opts.approval_policy or opts.sandbox_mode or opts.raw):
            return {}
        config = self.config(opts)
        return {"model": config.model, "approval_policy": config.approval_policy, "sandbox_policy": config.sandbox_policy}

    async def wait(self, sub_id: str) -> str:
        """Until the turn ends; returns `task_complete` or `turn_aborted`. A ticker keeps
        the loop waking up so a kernel interrupt lands promptly (ipykernel #881)."""
        done = self._router.done.get(sub_id) if self._router is not None else None
        if done is None:  # already over (or its session was closed)
            return "turn_aborted"
        while not done.done():
            await asyncio.wait({done}, timeout=0.1)
        return done.result()

    def decide(self, call_id: str, decision: str) -> None:
        from agent.protocol import ops

        if self.session is not None:
            self.session.submit(ops.Approval(call_id=call_id, decision=decision))  # type: ignore[arg-type]
            for listener in list(self.listeners):
                listener.decision_made(call_id, decision)

    def stop(self) -> str | None:
        """Interrupt the running turn; where it was started ("cell [3]", "the panel"), or
        None when nothing runs."""
        if self.session is not None and self.session.running:
            from agent.protocol import ops

            running = self._router.running_turn() if self._router is not None else None
            self.session.submit(ops.Interrupt())
            return self.origins.get(running or "", "this session")
        return None

    def set_defaults(self, *, model: str | None = None, approval_policy: str | None = None,
                     sandbox_mode: str | None = None) -> None:
        """Options for the next turns (the given ones change), the running session's too."""
        for name, value in (("model", model), ("approval_policy", approval_policy), ("sandbox_mode", sandbox_mode)):
            if value:
                setattr(self.defaults, name, value)
        self._send_defaults()
        for listener in list(self.listeners):
            listener.defaults_changed()

    def _send_defaults(self) -> None:
        """The session's settings for later turns become the notebook's defaults."""
        from agent.protocol import ops

        if self.session is not None:
            config = self.config()
            self.session.submit(ops.OverrideTurnContext(
                model=config.model, approval_policy=config.approval_policy, sandbox_policy=config.sandbox_policy))

    # --- events --------------------------------------------------------------------------

    def _on_event(self, event: ev.Event) -> None:
        msg = event.msg
        if msg.type == "token_count" and msg.info is not None:
            self.last_info = msg.info
        elif msg.type in ("task_complete", "turn_aborted"):
            if self._turn is not None and self._turn[0] == event.id:
                self._turn = None  # before any view hears of the end (the panel's status follows)
            if event.id in self._restore_after:
                self._restore_after.discard(event.id)
                self._send_defaults()

    def _on_interrupt(self) -> None:
        if self._router is not None:
            self.interrupted.update(self._router.done)
        self.stop()


@dataclass(frozen=True)
class TurnSettings:
    model: str
    approval_policy: str
    sandbox_policy: Any


def _configured_with(configured: ev.Event, turn: TurnSettings) -> ev.Event:
    """The session's `session_configured`, saying the model and policies of one turn."""
    from agent.protocol import events as ev

    msg = configured.msg
    update: dict[str, Any] = {"model": turn.model, "approval_policy": turn.approval_policy,
                              "sandbox_policy": turn.sandbox_policy}
    if turn.sandbox_policy.type == "danger-full-access":
        update["sandbox_warning"] = None  # as the session says for full access
    return ev.Event(id=configured.id, msg=msg.model_copy(update=update))


def _cell_label(shell: Any) -> str:
    """The running cell as Jupyter numbers it ("cell [3]"): IPython has moved its counter on
    to the next cell before running this one."""
    count = getattr(shell, "execution_count", None)
    return f"cell [{count - 1}]" if isinstance(count, int) and count > 1 else "a cell"


def _notebook() -> str | None:
    """The notebook's path, when Jupyter says which notebook this kernel serves."""
    return os.environ.get("JPY_SESSION_NAME") or None
