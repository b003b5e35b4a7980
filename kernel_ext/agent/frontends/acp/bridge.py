"""One ACP session: our session, the client's view of it, and the prompt running in it.

    bridge = Bridge(session, client, session_id)   # session: from agent.core.api
    await bridge.replay()                           # session/load: the recorded history
    bridge.start()                                  # follow the live events
    stop_reason = await bridge.prompt(items)        # one user turn (or /undo, /compact); "end_turn" / "cancelled"
    bridge.cancel(); await bridge.close()

A single task follows the session's events in order and turns them into updates. An
approval request is asked in a task of its own (the event stream goes on meanwhile),
and the answer is submitted as our `approval` op; the turn's end (or a cancel) drops any
question still open. A turn that ends with an error answers the prompt with a JSON-RPC
error carrying the message (secrets are already redacted from events).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from acp import RequestError
from acp.schema import ToolCallUpdate

from agent.protocol import events as ev
from agent.protocol import ops

from .commands import command_op, commands_update
from .permissions import ask_permission
from .updates import Updates

if TYPE_CHECKING:
    from agent.core.api import Session

log = logging.getLogger(__name__)
REPLAY_ID = "replay"


class Bridge:
    def __init__(self, session: Session, client: Any, session_id: str):
        self.session, self.client, self.id = session, client, session_id
        self.stream = session.events()
        self.updates = Updates(str(session.config.cwd))
        self._turn: asyncio.Future[str] | None = None
        self._errors: list[str] = []
        self._questions: set[asyncio.Task[None]] = set()
        self._follower: asyncio.Task[None] | None = None

    async def replay(self) -> None:
        """Send the recorded conversation (a loaded session's history) as updates."""
        replaying = Updates(str(self.session.config.cwd), replay=True)
        for payload in getattr(self.session.configured.msg, "initial_messages", None) or []:
            try:
                msg = ev.Event(id=REPLAY_ID, msg=payload).msg
            except ValueError:
                continue  # written by another version: left out, as every front end does
            for update in replaying.feed(msg):
                await self.client.session_update(session_id=self.id, update=update)

    def start(self) -> None:
        """Follow the live events; the slash commands are announced first."""
        self._follower = asyncio.get_running_loop().create_task(self._follow())

    async def _announce(self) -> None:
        await self._send([commands_update()])

    async def prompt(self, items: list[ops.UserInput]) -> str:
        if self._turn is not None:
            raise RequestError.invalid_request({"details": "a prompt is already running in this session"})
        self._turn = asyncio.get_running_loop().create_future()
        self._errors = []
        try:
            self.session.submit(command_op(items) or ops.UserTurn(items=items))
            stop_reason = await self._turn
        finally:
            self._turn = None
        if stop_reason == "end_turn" and self._errors:
            raise RequestError.internal_error({"details": self._errors[-1]})
        return stop_reason

    def cancel(self) -> None:
        """session/cancel: stop the running turn; its open questions end as aborted."""
        self._drop_questions()
        if self.session.running:
            self.session.submit(ops.Interrupt())

    def set_mode(self, op: ops.OverrideTurnContext) -> None:
        self.session.submit(op)

    async def close(self) -> None:
        self._drop_questions()
        await self.session.shutdown()
        if self._follower is not None:
            await asyncio.wait({self._follower}, timeout=5)

    # --- the event stream ----------------------------------------------------------------

    async def _follow(self) -> None:
        await self._announce()
        async for event in self.stream:
            msg = event.msg
            if msg.type == "session_configured":
                continue
            try:
                for update in self.updates.feed(msg):
                    await self.client.session_update(session_id=self.id, update=update)
            except ConnectionError:
                log.info("the client went away")
                return
            self._after(msg)

    def _after(self, msg: Any) -> None:
        if isinstance(msg, (ev.ExecApprovalRequest, ev.ApplyPatchApprovalRequest)):
            task = asyncio.get_running_loop().create_task(self._ask(msg))
            self._questions.add(task)
            task.add_done_callback(self._questions.discard)
        elif isinstance(msg, ev.Error):
            self._errors.append(msg.message)
        elif isinstance(msg, (ev.TaskComplete, ev.UndoCompleted)):
            self._end("end_turn")
        elif isinstance(msg, ev.TurnAborted):
            self._end("cancelled")

    async def _ask(self, request: ev.ExecApprovalRequest | ev.ApplyPatchApprovalRequest) -> None:
        shown = self.updates.calls
        tool_call = ToolCallUpdate(tool_call_id=request.call_id, status="pending", **shown.request_fields(request))
        try:
            decision = await ask_permission(self.client, self.id, request, tool_call)
        except asyncio.CancelledError:  # the turn ended or was cancelled while asking
            await self._send(shown.decided(request, "abort"))
            raise
        await self._send(shown.decided(request, decision))
        if self.session.running:
            self.session.submit(ops.Approval(call_id=request.call_id, decision=decision))

    async def _send(self, updates: list[Any]) -> None:
        try:
            for update in updates:
                await self.client.session_update(session_id=self.id, update=update)
        except ConnectionError:
            log.info("the client went away")

    def _end(self, stop_reason: str) -> None:
        self._drop_questions()
        if self._turn is not None and not self._turn.done():
            self._turn.set_result(stop_reason)

    def _drop_questions(self) -> None:
        for task in list(self._questions):
            task.cancel()
