"""The JupyterLab side panel's kernel end: two comm targets over the kernel's agent.

    panel --(agent.panel.commands, over a subshell)--> handler thread --call_soon_threadsafe--> loop
    loop  --(agent.panel.events)--> panel            status, transcript patches, sessions,
                                                     notices, notebook_edit requests

Why two comms (notes §7.5): ipykernel 7.4 routes a comm's front-end messages to the shell
that last *published* on it. The kernel never sends on the commands comm, so the panel's
clicks keep arriving on the panel's subshell even while a cell blocks the main shell; all
kernel -> panel traffic goes out on the events comm, from the loop. Kernels without
subshells simply run the handlers on the main shell (between cells; a `%%agent` turn is a
background task, so the kernel is idle while it runs).

What the panel shows is the same transcript as the cell widget: a `Transcript` (the
reducer in transcript.py) fed by the bridge's own subscription to the session's events,
spanning every turn of the session (cell or panel), sent as patches (blocks whose `rev`
moved). Turns, decisions and stops go through the `NotebookAgent`, whose `listeners` hook
tells the bridge when the session changes and when any view decided an approval, so a
decision made in a cell widget or in the panel shows in both.

The bridge is also the `notebook_edit` tool's front end (`request_edit`): a request goes
out on the events comm, the panel answers with a `notebook_edit_result` command.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
from typing import Any

from typing import TYPE_CHECKING

from agent._version import __version__

if TYPE_CHECKING:
    from agent.protocol import panel as wire
    from agent.protocol.events import Event

    from ..transcript.reducer import Transcript

# The protocol models are imported on first use, not at `%load_ext` (it must stay cheap).
COMMANDS_TARGET = "agent.panel.commands"
EVENTS_TARGET = "agent.panel.events"


def _wire() -> Any:
    from agent.protocol import panel

    return panel


def _transcript_module() -> Any:
    from ..transcript import reducer as transcript

    return transcript

log = logging.getLogger(__name__)
APPROVAL_POLICIES = ["untrusted", "on-failure", "on-request", "never"]
FLUSH_INTERVAL_S = 0.05
"""At most 20 transcript patches a second (approvals and turn ends go out at once)."""
EDIT_ACK_S = 10.0
"""A panel acknowledges a notebook_edit request at once; none within this: no panel is there."""
NO_ACK = ("no JupyterLab panel acknowledged the request (the browser tab may be closed); "
          "ask the user to open the kernel-agent panel on this notebook")


def attach_panel(shell: Any, magics: Any) -> PanelBridge | None:
    """Register the panel's comm targets for the magics' agent (in a kernel only)."""
    kernel = getattr(shell, "kernel", None)
    if kernel is None or getattr(kernel, "comm_manager", None) is None:
        return None
    bridge = PanelBridge(magics.agent, kernel.comm_manager)
    bridge.register()
    magics.panel_bridge = bridge
    return bridge


def detach_panel(magics: Any) -> None:
    bridge = getattr(magics, "panel_bridge", None)
    if bridge is not None:
        bridge.unregister()
        magics.panel_bridge = None


class PanelBridge:
    def __init__(self, agent: Any, comm_manager: Any, loop: asyncio.AbstractEventLoop | None = None):
        self.agent = agent
        self.comm_manager = comm_manager
        self.loop = loop or _current_loop()
        self.event_comms: dict[str, Any] = {}
        self.command_comms: dict[str, Any] = {}
        self.transcript: Transcript | None = None
        self._session: Any = None
        self._pump: asyncio.Task[None] | None = None
        self._sent: dict[str, int] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._edits: dict[str, tuple[asyncio.Future[None], asyncio.Future[dict[str, Any]]]] = {}
        self._edit_ids = itertools.count(1)
        self._mechanism: str | None = None
        self._last_seq = -1

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
        self._stop_pump()
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
        comm.on_close(lambda _msg: self._from_thread(self.event_comms.pop, comm.comm_id, None))
        self._from_thread(self._add_event_comm, comm)

    def _from_thread(self, fn: Any, *args: Any) -> None:
        self.loop.call_soon_threadsafe(fn, *args)

    def _add_event_comm(self, comm: Any) -> None:
        self.flush()  # the others are current, so the newcomer's full state matches `_sent`
        self.event_comms[comm.comm_id] = comm
        self._send_to(comm, self.status())
        self._send_to(comm, self._patch(full=True))

    # --- publishing (on the loop) ---------------------------------------------------------

    def publish(self, message: dict[str, Any]) -> None:
        for comm in list(self.event_comms.values()):
            self._send_to(comm, message)

    def _send_to(self, comm: Any, message: dict[str, Any]) -> None:
        try:
            comm.send(message)
        except Exception:  # noqa: BLE001 - a closed comm must not break the others
            log.debug("panel comm send failed", exc_info=True)
            self.event_comms.pop(comm.comm_id, None)

    def notice(self, level: str, message: str) -> None:
        self.publish({"type": "notice", "level": level, "message": message})

    def status(self) -> dict[str, Any]:
        agent = self.agent
        config = agent.config()
        session = agent.session
        configured = session.configured.msg if session is not None else None
        return _wire().PanelStatus(
            version=__version__,
            session_id=configured.session_id if configured else None,
            running=bool(session is not None and session.running),
            model=config.model,
            provider=config.model_provider_id,
            approval_policy=config.approval_policy,
            approval_policies=APPROVAL_POLICIES,  # type: ignore[arg-type]
            sandbox=config.sandbox_mode,
            sandbox_mechanism=configured.sandbox_mechanism if configured else self._probe_mechanism(),
            cwd=str(config.cwd),
            notebook=os.environ.get("JPY_SESSION_NAME") or None,
            notebook_edit=bool(session is not None and session.tools.get("notebook_edit") is not None),
        ).model_dump(mode="json")

    def _probe_mechanism(self) -> str | None:
        if self._mechanism is None:
            try:
                from agent.core.notebook import sandbox_mechanism

                self._mechanism = sandbox_mechanism()
            except Exception:  # noqa: BLE001 - the status line can live without it
                return None
        return self._mechanism

    def publish_status(self) -> None:
        self.publish(self.status())

    # --- the transcript -------------------------------------------------------------------

    def session_changed(self, session: Any) -> None:
        """NotebookAgent listener: a new, resumed or no session; the panel starts over."""
        from agent.core.notebook import set_notebook_frontend

        self._stop_pump()
        self._session = session
        self.transcript = _transcript_module().Transcript() if session is not None else None
        if session is not None:
            set_notebook_frontend(session, self)
            _replay(self.transcript, session)  # type: ignore[arg-type]
            stream = session.events()
            self._pump = self.loop.create_task(self._run_pump(session, stream))
        self._sent.clear()
        self.publish(self._patch(full=True))
        self.publish_status()

    def decision_made(self, call_id: str, decision: str) -> None:
        """NotebookAgent listener: a decision from any view shows in every view."""
        if self.transcript is not None and self.transcript.record_decision(call_id, decision):
            self.flush()
        for view in [*self.agent.views.values(), self.agent.last_view]:
            record = getattr(view, "record_decision", None)
            if record is not None:
                record(call_id, decision)

    async def _run_pump(self, session: Any, stream: Any) -> None:
        try:
            async for event in stream:
                if session is not self._session or self.transcript is None:
                    break
                self.transcript.apply(event)
                if event.msg.type in _transcript_module().URGENT_EVENTS:
                    self.flush()
                    if event.msg.type in ("task_complete", "turn_aborted"):
                        self.publish_status()
                else:
                    self._schedule_flush()
        finally:
            stream.close()

    def _stop_pump(self) -> None:
        if self._pump is not None and not self._pump.done():
            self._pump.cancel()
        self._pump = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _schedule_flush(self) -> None:
        if self._timer is None:
            self._timer = self.loop.call_later(FLUSH_INTERVAL_S, self.flush)

    def flush(self) -> None:
        """Send what changed since the last patch (nothing if nothing did)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self.event_comms:
            return
        last_seq = self._last_seq
        patch = self._patch(full=False)
        if patch["blocks"] or patch["seq"] != last_seq:
            self.publish(patch)

    def _patch(self, *, full: bool) -> dict[str, Any]:
        """A `TranscriptPatch` dict; marks its blocks as sent."""
        state = self.transcript.state() if self.transcript is not None else _empty_state()
        status = state["status"]
        session = self._session
        if status["state"] in ("running", "waiting_for_approval") and not (session is not None and session.running):
            status["state"] = "idle"  # a reducer starts "running"; before the first turn the session is idle
        blocks = [b for b in state["blocks"] if full or self._sent.get(b["id"]) != b["rev"]]
        for block in blocks:
            self._sent[block["id"]] = block["rev"]
        self._last_seq = state["seq"]
        configured = session.configured.msg if session is not None else None
        return {
            "type": "transcript", "session_id": configured.session_id if configured else None, "reset": full,
            "seq": state["seq"], "order": [b["id"] for b in state["blocks"]], "blocks": blocks,
            "turn_diff": state["turn_diff"], "status": status,
        }

    # --- commands (on the loop) ----------------------------------------------------------

    def handle_command(self, data: Any) -> None:
        try:
            command = _wire().panel_command_adapter.validate_python(data)
        except ValueError as err:
            self.notice("error", f"kernel-agent: a panel message was not understood ({err.__class__.__name__}).")
            return
        handler = getattr(self, f"_cmd_{command.type}")
        try:
            handler(command)
        except Exception as err:  # noqa: BLE001 - a failing command must not kill the comm
            log.exception("panel command %s failed", command.type)
            self.notice("error", f"{command.type} failed: {err}")

    def _cmd_hello(self, _command: wire.PanelHello) -> None:
        self.publish_status()

    def _cmd_user_input(self, command: wire.PanelUserInput) -> None:
        from agent.core.errors import SetupError

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

    def _turn_view(self, *, on_decision: Any, on_stop: Any) -> PanelTurnView:
        return PanelTurnView(self)

    def _cmd_decision(self, command: wire.PanelDecision) -> None:
        pending = self.transcript is not None and self.transcript.approval_kind(command.call_id) is not None
        if pending:
            self.agent.decide(command.call_id, command.decision)  # -> decision_made reflects it everywhere

    def _cmd_interrupt(self, _command: wire.PanelInterrupt) -> None:
        if self.transcript is not None and self.transcript.request_stop():
            self.flush()
        self.agent.stop()

    def _cmd_new_session(self, _command: wire.PanelNewSession) -> None:
        async def new() -> None:
            if self.agent.session is None:
                self.session_changed(None)
            await self.agent.close()
            self.notice("info", "New conversation: your next message starts it.")

        self.loop.create_task(new())

    def _cmd_list_sessions(self, _command: wire.PanelListSessions) -> None:
        from agent.core.rollout import list_sessions

        config = self.agent.config()
        rows = list_sessions(config.home, cwd=config.cwd, limit=20)
        sessions = [
            {"id": r.id, "started": r.created.astimezone().strftime("%Y-%m-%d %H:%M"),
             "first_user_message": r.first_user_message}
            for r in rows
        ]
        self.publish(_wire().SessionList.model_validate({"sessions": sessions}).model_dump(mode="json"))

    def _cmd_resume_session(self, command: wire.PanelResumeSession) -> None:
        from agent.core.errors import SetupError
        from agent.core.factory import resume_session

        config = self.agent.config()
        target = command.session_id or _last_session(config)
        if target is None:
            self.notice("warning", "No recorded session to resume for this notebook or folder.")
            return
        try:
            session = resume_session(config, target)
        except SetupError as err:
            self.notice("error", f"Can't resume: {err}")
            return

        async def switch() -> None:
            await self.agent.close()
            self.agent.attach(session)
            self.notice("info", f"Resumed session {session.conversation_id}.")

        self.loop.create_task(switch())

    def _cmd_set_options(self, command: wire.PanelSetOptions) -> None:
        agent = self.agent
        if command.model:
            agent.defaults.model = command.model
        if command.approval_policy:
            agent.defaults.approval_policy = command.approval_policy
        if agent.session is not None:
            config = agent.config()
            from agent.protocol.ops import OverrideTurnContext

            agent.session.submit(OverrideTurnContext(
                model=config.model, approval_policy=config.approval_policy, sandbox_policy=config.sandbox_policy))
        self.publish_status()

    def _cmd_notebook_edit_result(self, command: wire.NotebookEditResult) -> None:
        futures = self._edits.get(command.request_id)
        if futures is None:
            return
        received, result = futures
        if not received.done():
            received.set_result(None)
        if command.status != "received" and not result.done():
            result.set_result({"status": command.status, "message": command.message})

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
    """The view a panel-started turn hands the NotebookAgent: the bridge's own subscription
    already shows the events, so feeding is a no-op; approval kinds come from its transcript."""

    def __init__(self, bridge: PanelBridge):
        self.bridge = bridge

    def feed(self, event: Event) -> None:
        return None

    def approval_kind(self, call_id: str) -> str | None:
        transcript = self.bridge.transcript
        return transcript.approval_kind(call_id) if transcript is not None else None

    def close_turn(self) -> None:
        return None


def _data(msg: Any) -> Any:
    return (msg.get("content") or {}).get("data") if isinstance(msg, dict) else None


def _replay(transcript: Transcript, session: Any) -> None:
    """A resumed session's recorded events (user and agent messages, warnings) first."""
    for payload in getattr(session.configured.msg, "initial_messages", None) or []:
        try:
            transcript.apply(_event_class()(id="replay", msg=payload))
        except ValueError:
            continue


def _last_session(config: Any) -> Any:
    from agent.core.rollout import list_sessions

    notebook = os.environ.get("JPY_SESSION_NAME")
    for kw in ([{"notebook": notebook}] if notebook else []) + [{"cwd": config.cwd}]:
        rows = list_sessions(config.home, limit=1, **kw)
        if rows:
            return rows[0].path
    return None


def _empty_state() -> dict[str, Any]:
    state = _transcript_module().Transcript().state()
    state["status"]["state"] = "idle"
    return state


def _current_loop() -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.get_event_loop_policy().get_event_loop()


def _event_class() -> Any:
    from agent.protocol.events import Event

    return Event
