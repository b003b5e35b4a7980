"""The JupyterLab side panel's kernel end: two comm targets over the kernel's agent.

    panel --(agent.panel.commands, over a subshell)--> handler thread --call_soon_threadsafe--> loop
    loop  --(agent.panel.events)--> panel            status, transcript patches, sessions,
                                                     notices, notebook_edit requests

Why two comms: ipykernel 7.4 routes a comm's front-end messages to the shell
that last *published* on it. The kernel never sends on the commands comm, so the panel's
clicks keep arriving on the panel's subshell even while a cell blocks the main shell; all
kernel -> panel traffic goes out on the events comm, from the loop. Kernels without
subshells simply run the handlers on the main shell (between cells; a `%%agent` turn is a
background task, so the kernel is idle while it runs).

What the panel shows is the session's turns, each the very `Transcript` its view (a cell
widget, or a `PanelTurnView` for a turn started in the panel) already reduced: the bridge
reduces no event itself. A `SessionTranscript` concatenates them (after a resumed session's
earlier messages, replayed only once a panel is attached) and each events comm has its own
`PatchCursor`, so the panel gets patches (blocks whose `rev` moved, text appends while an
answer streams). The bridge watches each turn's transcript and flushes at most
1 / FLUSH_INTERVAL_S times a second, at once for approvals, turn ends and view actions;
with no panel attached, watching costs one check per event. Turns, decisions and stops go
through the `NotebookAgent`, whose `listeners` hook tells the bridge when the session
changes, when a view starts showing a turn, when any view decided an approval (so a
decision made in a cell widget or in the panel shows in both) and when the defaults of later
turns changed. The status says the defaults and, while a cell's `--approval`/`--model`/
`--sandbox` turn runs, that turn's settings (`this_turn`).

The bridge is also the `notebook_edit` tool's front end (`request_edit`): a request goes
out on the events comm, the panel answers with a `notebook_edit_result` command.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
from typing import TYPE_CHECKING, Any, Callable

from agent._version import __version__
from agent.protocol.comm import COMMANDS_TARGET, EVENTS_TARGET

if TYPE_CHECKING:
    from agent.protocol import panel as wire
    from agent.core.api import Session
    from agent.protocol.events import Event

    from ..transcript.patches import PatchCursor
    from ..transcript.reducer import Transcript
    from ..transcript.session_view import SessionTranscript
    from .interfaces import TurnView
    from .notebook_agent import NotebookAgent

# The protocol models are imported on first use, not at `%load_ext` (it must stay cheap);
# the comm target names come from agent.protocol.comm, which has none.


def _wire() -> Any:
    from agent.protocol import panel

    return panel


def _policy() -> Any:
    from agent.protocol import policy

    return policy


def _transcript_module() -> Any:
    from ..transcript import reducer as transcript

    return transcript


def _session_transcript(history: Any) -> SessionTranscript:
    from ..transcript.session_view import SessionTranscript

    return SessionTranscript(history)


def _cursor() -> PatchCursor:
    from ..transcript.patches import PatchCursor

    return PatchCursor()

log = logging.getLogger(__name__)
FLUSH_INTERVAL_S = 0.05
"""At most 20 transcript patches a second (approvals and turn ends go out at once)."""
EDIT_ACK_S = 10.0
"""A panel acknowledges a notebook_edit request at once; none within this: no panel is there."""
NO_ACK = ("no JupyterLab panel acknowledged the request (the browser tab may be closed); "
          "ask the user to open the kernel-agent panel on this notebook")


def attach_panel(shell: Any, agent: NotebookAgent) -> PanelBridge | None:
    """Register the panel's comm targets for the agent (in a kernel with comms only); the
    bridge becomes the front end of the agent's notebook_edit tools."""
    kernel = getattr(shell, "kernel", None)
    if kernel is None or getattr(kernel, "comm_manager", None) is None:
        return None
    bridge = PanelBridge(agent, kernel.comm_manager)
    bridge.register()
    agent.notebook_edit.attach(bridge)
    return bridge


def detach_panel(bridge: PanelBridge) -> None:
    bridge.agent.notebook_edit.detach(bridge)
    bridge.unregister()


class PanelBridge:
    def __init__(self, agent: NotebookAgent, comm_manager: Any, loop: asyncio.AbstractEventLoop | None = None):
        self.agent = agent
        self.comm_manager = comm_manager
        self.loop = loop or _current_loop()
        self.event_comms: dict[str, Any] = {}
        self.command_comms: dict[str, Any] = {}
        self.transcript: SessionTranscript | None = None
        self._session: Session | None = None
        self._cursors: dict[str, PatchCursor] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._edits: dict[str, tuple[asyncio.Future[None], asyncio.Future[dict[str, Any]]]] = {}
        self._edit_ids = itertools.count(1)
        self._mechanism: str | None = None

    # --- lifecycle (on the loop) -----------------------------------------------------------

    def register(self) -> None:
        self.comm_manager.register_target(COMMANDS_TARGET, self._open_commands)
        self.comm_manager.register_target(EVENTS_TARGET, self._open_events)
        self.agent.listeners.append(self)
        if self.agent.session is not None:
            self.session_changed(self.agent.session)

    def unregister(self) -> None:
        for name in (COMMANDS_TARGET, EVENTS_TARGET):
            try:
                self.comm_manager.unregister_target(name, None)
            except (KeyError, TypeError):
                self.comm_manager.targets.pop(name, None)
        if self in self.agent.listeners:
            self.agent.listeners.remove(self)
        self._forget_session()
        for comm in [*self.event_comms.values(), *self.command_comms.values()]:
            try:
                comm.close()
            except Exception:  # noqa: BLE001 - the front end may already be gone
                pass
        self.event_comms.clear()
        self.command_comms.clear()

    # --- comms (their callbacks run on the shell's or a subshell's thread) ------------------

    def _open_commands(self, comm: Any, _msg: Any) -> None:
        self.command_comms[comm.comm_id] = comm
        comm.on_msg(lambda msg: self._from_thread(self.handle_command, _data(msg)))
        comm.on_close(lambda _msg: self._from_thread(self.command_comms.pop, comm.comm_id, None))

    def _open_events(self, comm: Any, _msg: Any) -> None:
        comm.on_close(lambda _msg: self._from_thread(self._drop_event_comm, comm.comm_id))
        self._from_thread(self._add_event_comm, comm)

    def _from_thread(self, fn: Callable[..., Any], *args: Any) -> None:
        self.loop.call_soon_threadsafe(fn, *args)

    def _add_event_comm(self, comm: Any) -> None:
        self.event_comms[comm.comm_id] = comm
        self._cursors[comm.comm_id] = _cursor()  # its first patch is a reset
        status = self._status_or_notice()
        if status is not None:
            self._send_to(comm, status)
        self._flush_to(comm)

    def _drop_event_comm(self, comm_id: str) -> None:
        self.event_comms.pop(comm_id, None)
        self._cursors.pop(comm_id, None)

    # --- publishing (on the loop) ---------------------------------------------------------

    def publish(self, message: dict[str, Any]) -> None:
        for comm in list(self.event_comms.values()):
            self._send_to(comm, message)

    def _send_to(self, comm: Any, message: dict[str, Any]) -> None:
        try:
            comm.send(message)
        except Exception:  # noqa: BLE001 - a closed comm must not break the others
            log.debug("panel comm send failed", exc_info=True)
            self._drop_event_comm(comm.comm_id)

    def notice(self, level: str, message: str) -> None:
        self.publish({"type": "notice", "level": level, "message": message})

    def status(self) -> dict[str, Any]:
        agent = self.agent
        config = agent.config()
        session = agent.session
        configured = session.configured.msg if session is not None else None
        turn = agent.this_turn()
        return _wire().PanelStatus(
            version=__version__,
            session_id=configured.session_id if configured else None,
            running=bool(session is not None and session.running),
            model=config.model,
            provider=config.model_provider_id,
            approval_policy=config.approval_policy,
            approval_policies=_offered_policies(getattr(session, "config", config), config.approval_policy),
            sandbox=config.sandbox_mode,
            sandbox_mechanism=configured.sandbox_mechanism if configured else self._probe_mechanism(),
            cwd=str(config.cwd),
            notebook=os.environ.get("JPY_SESSION_NAME") or None,
            notebook_edit=bool(session is not None and session.tools.get("notebook_edit") is not None),
            queued=len(agent.queue),
            this_turn=_wire().TurnSettings(model=turn.get("model"), approval_policy=turn.get("approval_policy"),
                                           sandbox=turn.get("sandbox_mode")) if turn else None,
        ).model_dump(mode="json")

    def _probe_mechanism(self) -> str | None:
        if self._mechanism is None:
            try:
                from agent.core.api import sandbox_mechanism

                self._mechanism = sandbox_mechanism()
            except Exception:  # noqa: BLE001 - the status line can live without it
                return None
        return self._mechanism

    def publish_status(self) -> None:
        status = self._status_or_notice()
        if status is not None:
            self.publish(status)

    def _status_or_notice(self) -> dict[str, Any] | None:
        """The status; None after publishing a bad configuration as an error notice (one line)."""
        from agent.core.api import ConfigError

        try:
            return self.status()
        except ConfigError as err:
            from .views import config_problem

            self.notice("error", config_problem(err))
            return None

    # --- the transcript -------------------------------------------------------------------

    def session_changed(self, session: Session | None) -> None:
        """NotebookAgent listener: a new, resumed or no session; the panel starts over."""
        self._forget_session()
        self._session = session
        self.transcript = _session_transcript(None if session is None else lambda: _history(session))
        for cursor in self._cursors.values():
            cursor.reset()
        self.flush()
        self.publish_status()

    def view_added(self, view: TurnView) -> None:
        """NotebookAgent listener: `view` shows a turn from now on (a queued prompt's: its
        prompt and "queued behind …" until it runs). Its transcript becomes the panel's next
        segment; the bridge watches it instead of reducing anything."""
        transcript = view.transcript
        if transcript is not None and self.transcript is not None:
            self.transcript.add(transcript)
            transcript.watch(self._turn_changed)
            self._turn_changed("view")
        if self.event_comms:
            self.publish_status()  # the running turn's model and policies

    def defaults_changed(self) -> None:
        """NotebookAgent listener: `%agent model/approvals/sandbox` or the panel changed the
        defaults of the later turns."""
        self.publish_status()

    def decision_made(self, call_id: str, decision: str) -> None:
        """NotebookAgent listener: a decision from any view shows in every view (and so in
        the panel, whose segments are those views' transcripts)."""
        last = self.agent.last_view
        for view in [*self.agent.views.values(), *([last] if last is not None else [])]:
            view.record_decision(call_id, decision)

    def _turn_changed(self, kind: str) -> None:
        """A watched turn transcript changed (called on the loop, once per event)."""
        if not self.event_comms:
            return
        if kind in _transcript_module().URGENT:
            self.flush()
            if kind in ("task_complete", "turn_aborted", "close"):
                self.publish_status()
        elif kind == "task_started":  # a queued prompt's turn may have begun: the queue is shorter
            self.flush()
            self.publish_status()
        elif self._timer is None:
            self._timer = self.loop.call_later(FLUSH_INTERVAL_S, self.flush)

    def _forget_session(self) -> None:
        if self.transcript is not None:
            for turn in self.transcript.turns:
                turn.unwatch(self._turn_changed)
        self.transcript = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def flush(self) -> None:
        """Send each panel what changed since its last patch (nothing if nothing did)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for comm in list(self.event_comms.values()):
            self._flush_to(comm)

    def _flush_to(self, comm: Any) -> None:
        cursor = self._cursors.get(comm.comm_id)
        if cursor is None:
            return
        if self.transcript is None:
            self.transcript = _session_transcript(None)
        session = self._session
        configured = session.configured.msg if session is not None else None
        patch = cursor.patch(self.transcript, configured.session_id if configured else None, self._idle_unless_running)
        if patch is not None:
            self._send_to(comm, patch)

    def _idle_unless_running(self, status: dict[str, Any]) -> None:
        """A reducer starts "running"; before the first turn the session is idle."""
        session = self._session
        if status["state"] in ("running", "waiting_for_approval") and not (session is not None and session.running):
            status["state"] = "idle"

    # --- commands (on the loop) ----------------------------------------------------------

    def handle_command(self, data: Any) -> None:
        try:
            command = _wire().panel_command_adapter.validate_python(data)
        except ValueError as err:
            self.notice("error", f"kernel-agent: a panel message was not understood ({err.__class__.__name__}).")
            return
        handler = getattr(self, f"_cmd_{command.type}")
        from agent.core.api import ConfigError

        try:
            handler(command)
        except ConfigError as err:
            from .views import config_problem

            self.notice("error", config_problem(err))
            self.publish_status()  # the settings the panel shows go back to the ones in force
        except Exception as err:  # noqa: BLE001 - a failing command must not kill the comm
            log.exception("panel command %s failed", command.type)
            self.notice("error", f"{command.type} failed: {err}")

    def _cmd_hello(self, _command: wire.PanelHello) -> None:
        self.publish_status()

    def _cmd_user_input(self, command: wire.PanelUserInput) -> None:
        from agent.core.api import SetupError

        from .notebook_agent import TurnOptions

        if not command.text.strip():
            return
        try:
            self.agent.start_turn(command.text, TurnOptions(), make_view=self._turn_view)
        except SetupError as err:
            self.notice("error", f"kernel-agent can't start: {err}")
            return
        self.flush()
        self.publish_status()

    def _turn_view(self, *, on_decision: Callable[[str, str], None], on_stop: Callable[[], None]) -> PanelTurnView:
        return PanelTurnView()

    def _cmd_decision(self, command: wire.PanelDecision) -> None:
        if self.transcript is not None and self.transcript.pending(command.call_id):
            self.agent.decide(command.call_id, command.decision)  # -> decision_made reflects it everywhere

    def _cmd_interrupt(self, _command: wire.PanelInterrupt) -> None:
        if self.transcript is not None:
            self.transcript.request_stop()  # the turn's views (and so the panel) show "stopping"
        self.agent.stop()

    def _cmd_new_session(self, _command: wire.PanelNewSession) -> None:
        self.agent.new()  # -> session_changed(None): the panel starts over
        self.notice("info", "New conversation: your next message starts it.")

    def _cmd_list_sessions(self, _command: wire.PanelListSessions) -> None:
        from agent.core.api import list_sessions

        config = self.agent.config()
        rows = list_sessions(config.home, cwd=config.cwd, limit=20)
        sessions = [
            {"id": r.id, "started": r.created.astimezone().strftime("%Y-%m-%d %H:%M"),
             "first_user_message": r.first_user_message}
            for r in rows
        ]
        self.publish(_wire().SessionList.model_validate({"sessions": sessions}).model_dump(mode="json"))

    def _cmd_resume_session(self, command: wire.PanelResumeSession) -> None:
        from agent.core.api import SetupError

        from .notebook_agent import NothingToResume

        try:
            session = self.agent.resume(command.session_id)  # -> session_changed: the panel starts over
        except NothingToResume as err:
            self.notice("warning", str(err))
        except SetupError as err:
            self.notice("error", f"Can't resume: {err}")
        else:
            self.notice("info", f"Resumed session {session.conversation_id}.")

    def _cmd_set_options(self, command: wire.PanelSetOptions) -> None:
        self.agent.set_defaults(model=command.model, approval_policy=command.approval_policy)  # -> defaults_changed

    def _cmd_notebook_edit_result(self, command: wire.NotebookEditResult) -> None:
        futures = self._edits.get(command.request_id)
        if futures is None:
            return
        received, result = futures
        if not received.done():
            received.set_result(None)
        if command.status != "received" and not result.done():
            result.set_result(command.model_dump(mode="json", exclude={"type", "request_id"}))

    # --- notebook_edit's front end ----------------------------------------------------------

    @property
    def connected(self) -> bool:
        return bool(self.event_comms)

    async def request_edit(self, request: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        request_id = f"edit-{next(self._edit_ids)}"
        received: asyncio.Future[None] = self.loop.create_future()
        result: asyncio.Future[dict[str, Any]] = self.loop.create_future()
        self._edits[request_id] = (received, result)
        message = _wire().NotebookEditRequest(request_id=request_id, **request).model_dump(mode="json")
        self.publish(message)
        try:
            try:
                await asyncio.wait_for(asyncio.shield(received), min(EDIT_ACK_S, timeout_s))
            except asyncio.TimeoutError:
                return {"status": "failed", "message": NO_ACK}
            return await asyncio.wait_for(result, timeout_s)
        except asyncio.TimeoutError:
            raise TimeoutError from None
        finally:
            self._edits.pop(request_id, None)
            self.publish({"type": "notebook_edit_cancel", "request_id": request_id})


class PanelTurnView:
    """The view of a turn started in the panel: it reduces the turn's events into the
    transcript the panel shows (the bridge adds it as a segment; see `view_added`)."""

    origin = "the panel"
    """Where the turn was started (what `%agent stop` names)."""

    def __init__(self) -> None:
        self.transcript: Transcript | None = _transcript_module().Transcript()

    def feed(self, event: Event) -> None:
        if self.transcript is not None:
            self.transcript.apply(event)

    def record_decision(self, call_id: str, decision: str) -> None:
        if self.transcript is not None:
            self.transcript.record_decision(call_id, decision)

    def close_turn(self) -> None:
        if self.transcript is not None:
            self.transcript.close()


def _data(msg: Any) -> Any:
    return (msg.get("content") or {}).get("data") if isinstance(msg, dict) else None


def _history(session: Session) -> Transcript:
    """The session's header and a resumed session's recorded events (user and agent
    messages, warnings): the panel's first segment, reduced when a panel first reads it."""
    from .replay import recorded_transcript

    return recorded_transcript(session, header=True)


def _current_loop() -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.get_event_loop_policy().get_event_loop()


def _offered_policies(held: Any, current: str) -> list[str]:
    """The approval policies the panel offers: those the requirements allow (the session's
    held ones once it runs), only the managed one when it is managed, and always the one in
    force, so the menu shows the truth."""
    offered = list(_policy().APPROVAL_POLICIES)
    requirements = getattr(held, "requirements", None)
    allowed = getattr(requirements, "allowed_approval_policies", None)
    if allowed is not None:
        offered = [p for p in offered if p in allowed]
    if "approval_policy" in (getattr(held, "managed", None) or {}):
        offered = [held.approval_policy]
    return offered if current in offered else [*offered, current]
