"""The notebook controller: the kernel's one session and the live view of each turn.

`%%agent`, `%agent` and the JupyterLab side panel all go through one `NotebookAgent`:

    lifecycle   ensure_session(), new(), resume(target), fork(source, at), switch(session),
                close(): one implementation each. Whatever replaces a session detaches it
                first: its events stop reaching the current views, its SIGINT watch is
                undone, its queued prompts are cancelled, and it is shut down (its running
                turn and tools stopped). In a notebook, the kernel's first session continues
                the notebook's latest recorded one (same notebook and folder; its view says so),
                unless `new()` (`%agent new`, `%%agent --new`) asked for a fresh one.
    turns       start_turn(text, opts, make_view) submits a prompt and returns at once;
                compact(make_view), wait(sub_id), decide(call_id, decision), stop(), interrupt()
    queue       One turn per cell: a prompt sent while a turn runs (or while prompts wait) is
                held here, its view saying "queued behind cell [n]" at once, and submitted as
                its own turn, with its own options, when the one ahead ends (done, failed or
                stopped). Its own Stop button takes it out of the queue; a kernel interrupt
                stops the running turn and cancels every queued one (as Jupyter aborts queued
                cells); a session change cancels them too. start_turn returns a ticket
                ("queued-1") for a queued prompt, which wait() and `interrupted` accept.
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
import contextvars
import dataclasses
import itertools
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
DISPATCH_POLL_S = 0.01
"""How often a queued prompt checks whether the session has finished the turn ahead of it."""


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
        self.queue: list[QueuedPrompt] = []
        """Prompts waiting for the running turn to end, in order."""
        self._tickets = itertools.count(1)
        self._started: dict[str, str] = {}
        """A submitted queued prompt's ticket -> its submission id."""
        self._dispatcher: asyncio.Task[None] | None = None
        self._fresh = False
        """`new()` was asked: the next session starts fresh instead of continuing the notebook's."""
        self._opening_note: tuple[str, str] | None = None
        """What the next turn's view says first about its session (continued, or why not)."""
        self.listeners: list[SessionListener] = []
        self.notebook_edit = NotebookEditRelay()
        self.in_kernel = in_kernel(shell)
        """Sessions run on a Jupyter kernel's loop (their streams then share the CPU with
        the kernel's I/O threads); False in terminal IPython."""
        self.loop = SessionLoop(self.in_kernel, on_exit=self.close)
        self._router: TurnRouter | None = None
        self._interrupts = KernelInterruptWatch(shell.kernel if in_kernel(shell) else None, self.interrupt)

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
        """The kernel's session (on the session loop): in a notebook with none yet, the
        notebook's latest recorded session continued, else a new one."""
        if self.session is None:
            self._attach(self._continued() or self._opened())
        assert self.session is not None
        return self.session

    def _opened(self) -> Session:
        from agent.core.api import open_session

        return open_session(self.config(), source="notebook", notebook=_notebook(), in_kernel=self.in_kernel)

    def _continued(self) -> Session | None:
        """This notebook's latest recorded session resumed (not the folder's: outside a
        notebook nothing is continued); None when there is none, `new()` was asked, or it
        can't be resumed (the next view says why in one line)."""
        from agent.core.api import SetupError, list_sessions, resume_session

        fresh, self._fresh = self._fresh, False
        notebook = _notebook()
        if fresh or notebook is None:
            return None
        config = self.config()
        rows = list_sessions(config.home, cwd=config.cwd, notebook=notebook, limit=1)
        if not rows:
            return None
        try:
            session = resume_session(config, rows[0].path, in_kernel=self.in_kernel)
        except (SetupError, ValueError) as err:
            self._opening_note = ("warning", f"could not continue session {rows[0].id} ({err}); started a new one")
            return None
        when = rows[0].updated.astimezone().strftime("%Y-%m-%d %H:%M")
        self._opening_note = ("info", f"continuing session {rows[0].id} from {when}; `--new` starts fresh")
        return session

    def new(self) -> None:
        """Forget the session now (the next turn opens a new one, not the notebook's last);
        it shuts down in the background (in a kernel) or before this returns (elsewhere)."""
        self._fresh = True
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

    async def close(self, *, fresh: bool = False) -> None:
        """Stop the session (its running turn is interrupted, its tools killed) and wait for
        every session still shutting down; `fresh`: the next one starts anew (`--new`)."""
        self._fresh = self._fresh or fresh
        await self._shut_down(self._detach())
        await self.loop.drain()

    def _attach(self, session: Session) -> None:
        from agent.core.api import add_kernel_tools

        from .turn_router import TurnRouter

        add_kernel_tools(session, self.shell, self.notebook_edit)
        self.session = session
        self._router = TurnRouter(session.events(), self._on_event, self._on_idle)
        for listener in list(self.listeners):
            listener.session_changed(session)

    def _detach(self, notify: bool = True) -> tuple[Session | None, TurnRouter | None]:
        session, router = self.session, self._router
        self.session, self._router, self._turn = None, None, None
        self._restore_after.clear()
        self._cancel_queue("cancelled: the session changed (`%agent new`, resume, fork or close) before it ran")
        self._started.clear()
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
        """Submit `text` as a turn, or queue it behind the running turn (and the prompts
        already waiting); a view made with `make_view` shows it from now on. Returns the
        submission id, or the queued prompt's ticket. Raises SetupError, or ConfigError for
        a flag the configuration refuses (a managed key, a requirement), before any view
        exists: the cell shows that one line, not a turn that never starts."""
        session = self.ensure_session()
        self._overrides(opts)  # checked now; a queued prompt's again when it starts (the config may change)
        ahead = self._ahead(session)
        if ahead is None:
            view = make_view(on_decision=self.decide, on_stop=self.stop)
            return self._submit(session, text, opts, view, _origin(view, self.shell), None)
        ticket = f"queued-{next(self._tickets)}"
        view = make_view(on_decision=self.decide, on_stop=lambda: self._stop_from_view(ticket))
        item = QueuedPrompt(ticket, text, opts, view, _origin(view, self.shell), contextvars.copy_context(),
                            asyncio.get_running_loop().create_future())
        self.queue.append(item)
        self._open_note(view)
        transcript = getattr(view, "transcript", None)
        if transcript is not None:
            transcript.queue(text, f"queued behind {_behind(ahead)}")
        self.interrupted.discard(ticket)
        for listener in list(self.listeners):
            listener.view_added(view)
        self._kick()
        return ticket

    def _ahead(self, session: Session) -> str | None:
        """Where the turn a new prompt would wait behind was started; None when none runs or waits."""
        if self.queue:
            return self.queue[-1].origin
        running = self._router.running_turn() if self._router is not None else None
        if running is None and not session.running:
            return None
        return self.origins.get(running or "", "the running turn")

    def _submit(self, session: Session, text: str, opts: TurnOptions, view: TurnView, origin: str,
                context: contextvars.Context | None) -> str:
        """Submit `text` as a turn now (no turn runs); `view` shows it."""
        from agent.core.api import submit_user_text

        router = self._router
        assert router is not None
        overrides = self._overrides(opts)
        sub_id = submit_user_text(session, text, **overrides)
        settings = self._settings_of(session, sub_id, opts)
        self._turn = (sub_id, settings)
        if overrides:  # a user_turn's settings persist in the session: restore the defaults after it
            self._restore_after.add(sub_id)
        if context is None:
            self._open_note(view)
        _in_context(context, view.feed, _configured_with(session.configured, settings))  # model, policies, session id
        self._begin(router, sub_id, view, origin, context)
        return sub_id

    def _open_note(self, view: TurnView) -> None:
        """The first line of the session's first turn: which recorded session it continues."""
        note, self._opening_note = self._opening_note, None
        transcript = getattr(view, "transcript", None)
        if note is not None and transcript is not None:
            transcript.note(*note)

    def _settings_of(self, session: Session, sub_id: str, opts: TurnOptions) -> TurnSettings:
        """The model and policies turn `sub_id` runs with: the session's once it has started,
        else (it waits behind a compaction) the defaults with the cell's options."""
        ctx = session.turn_settings
        if not (session.running and ctx.turn_id == sub_id):
            ctx = self.config(opts)
        return TurnSettings(ctx.model, ctx.approval_policy, ctx.sandbox_policy)

    # --- the queue -----------------------------------------------------------------------

    def _on_idle(self) -> None:
        """The router has no running turn left: the next queued prompt goes (or SIGINT is
        the kernel's again)."""
        self._interrupts.stop()
        self._kick()

    def _kick(self) -> None:
        """Start submitting the queue's head once no turn runs (unless that is under way)."""
        if self.queue and self._dispatcher is None and self.session is not None:
            if self._router is not None and self._router.running_turn() is None:
                self._dispatcher = self.loop.spawn(self._dispatch(self.session))

    async def _dispatch(self, session: Session) -> None:
        try:
            # The turn's end reaches the router before the session has quite finished it.
            while session.running and self.session is session:
                await asyncio.sleep(DISPATCH_POLL_S)
        finally:
            self._dispatcher = None
        router = self._router
        if self.session is not session or not self.queue or router is None or router.running_turn() is not None:
            return
        item = self.queue.pop(0)
        try:
            sub_id = self._submit(session, item.text, item.opts, item.view, item.origin, item.context)
        except Exception as err:  # noqa: BLE001 - a bad queued prompt must not strand the others
            self._drop(item, f"could not start: {err}")
            self._kick()
            return
        self._started[item.ticket] = sub_id
        if not item.started.done():
            item.started.set_result(sub_id)

    def _stop_from_view(self, ticket: str) -> None:
        """A queued prompt's Stop button: out of the queue, or (once it runs) stop its turn."""
        item = next((q for q in self.queue if q.ticket == ticket), None)
        if item is None:
            self.stop()
            return
        self.queue.remove(item)
        self._drop(item, "removed from the queue (Stop): it will not run")

    def _cancel_queue(self, note: str) -> None:
        queued, self.queue = self.queue, []
        for item in queued:
            self._drop(item, note)

    def _drop(self, item: QueuedPrompt, note: str) -> None:
        transcript = getattr(item.view, "transcript", None)
        if transcript is not None:
            _in_context(item.context, transcript.cancel, note)
        _in_context(item.context, item.view.close_turn)
        if not item.started.done():
            item.started.set_result(None)

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
        self._open_note(view)
        sub_id = session.submit(ops.Compact())
        self._begin(router, sub_id, view, _origin(view, self.shell), None)
        return sub_id

    def _begin(self, router: TurnRouter, sub_id: str, view: TurnView, origin: str,
               context: contextvars.Context | None) -> None:
        self.origins = {k: v for k, v in self.origins.items() if k in router.done}  # only running ones
        self.origins[sub_id] = origin
        if context is None:
            self.track_view(sub_id, view)
        else:  # a queued prompt: its view is the panel's already
            router.track(sub_id, view, context)
        router.expect(sub_id)
        self.interrupted.discard(sub_id)  # sub ids restart with each session
        self._interrupts.start()

    def track_view(self, sub_id: str, view: TurnView) -> None:
        """Feed `view` the events of submission `sub_id`, in the current cell's context;
        listeners are told."""
        if self._router is not None:
            self._router.track(sub_id, view)
        for listener in list(self.listeners):
            listener.view_added(view)

    def _overrides(self, opts: TurnOptions) -> dict[str, Any]:
        if not (opts.model or opts.approval_policy or opts.sandbox_mode or opts.raw):
            return {}
        config = self.config(opts)
        return {"model": config.model, "approval_policy": config.approval_policy, "sandbox_policy": config.sandbox_policy}

    async def wait(self, sub_id: str) -> str:
        """Until the turn ends (a queued prompt's: until it has run); returns `task_complete`
        or `turn_aborted` (also for a queued prompt that was cancelled). A ticker keeps the
        loop waking up so a kernel interrupt lands promptly (ipykernel #881)."""
        item = next((q for q in self.queue if q.ticket == sub_id), None)
        if item is not None:
            while not item.started.done():
                await asyncio.wait({item.started}, timeout=0.1)
            if item.started.result() is None:
                return "turn_aborted"
        sub_id = self._started.get(sub_id, sub_id)
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
        """Interrupt the running turn (the queued ones then run in turn); where it was
        started ("cell [3]", "the panel"), or None when nothing runs."""
        if self.session is not None and self.session.running:
            from agent.protocol import ops

            running = self._router.running_turn() if self._router is not None else None
            self.session.submit(ops.Interrupt())
            return self.origins.get(running or "", "this session")
        return None

    def set_defaults(self, *, model: str | None = None, approval_policy: str | None = None,
                     sandbox_mode: str | None = None) -> None:
        """Options for the next turns (the given ones change), the running session's too.
        A value the configuration refuses, or the running session's held managed keys and
        requirements forbid, raises ConfigError (one line) and nothing changes."""
        given = {name: value for name, value in (("model", model), ("approval_policy", approval_policy),
                                                 ("sandbox_mode", sandbox_mode)) if value}
        wanted = self.config(dataclasses.replace(self.defaults, **given))
        if self.session is not None:
            self.session.config.with_overrides(model=wanted.model, approval_policy=wanted.approval_policy,
                                               sandbox_policy=wanted.sandbox_policy)
        for name, value in given.items():
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

    def interrupt(self) -> None:
        """A kernel interrupt: stop the running turn and cancel every queued prompt."""
        if self._router is not None:
            self.interrupted.update(self._router.done)
            self.interrupted.update(t for t, s in self._started.items() if s in self._router.done)
        self.interrupted.update(q.ticket for q in self.queue)
        self._cancel_queue("cancelled: the kernel was interrupted")
        self.stop()


@dataclass
class QueuedPrompt:
    ticket: str
    text: str
    opts: TurnOptions
    view: TurnView
    origin: str
    """Where it was sent from: "cell [4]", "the panel"."""
    context: contextvars.Context
    """Its cell's context: its view publishes as that cell's output."""
    started: asyncio.Future[str | None]
    """Its submission id once submitted; None if it was cancelled."""


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


def _origin(view: Any, shell: Any) -> str:
    return getattr(view, "origin", None) or _cell_label(shell)


def _behind(origin: str) -> str:
    """What a queued prompt waits behind: "cell [3]", "the panel's turn"."""
    return "the panel's turn" if origin == "the panel" else origin


def _in_context(context: contextvars.Context | None, fn: Any, *args: Any) -> Any:
    return fn(*args) if context is None else context.run(fn, *args)


def _cell_label(shell: Any) -> str:
    """The running cell as Jupyter numbers it ("cell [3]"): IPython has moved its counter on
    to the next cell before running this one."""
    count = getattr(shell, "execution_count", None)
    return f"cell [{count - 1}]" if isinstance(count, int) and count > 1 else "a cell"


def _notebook() -> str | None:
    """The notebook's path, when Jupyter says which notebook this kernel serves."""
    return os.environ.get("JPY_SESSION_NAME") or None
