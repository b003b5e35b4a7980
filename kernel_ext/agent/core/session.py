"""The session: a submission queue in, an event stream out (spec §1, §2.6).

`submit(op)` returns the submission id at once (it must be called on the session's event
loop); `events()` returns a subscription that starts with `session_configured`. At most
one task runs; user input that arrives while it runs is queued into it. `interrupt`
cancels the task, kills its tools, records a synthetic output for each open call and
emits `turn_aborted`. `compact` runs a compaction task (core/compact.py); it replaces a
running task, and user input sent while it runs starts a task once it is done.

History of a new session starts with the initial context (spec §8.8): [developer
instructions] [AGENTS.md instructions] [environment context]. A task whose cwd, approval
or sandbox policy differs from the previous task's first records an environment diff.

The session itself is op dispatch and task lifecycle; the turn loop (core/turn.py) and
compaction reach it as a `TurnHost` (core/turn_host.py), through these collaborators:
`fanout` (events, redacted), `conversation` (history, rollout, pending input),
`accounting` (token_count, limits), `prompts` (prompt assembly), `tool_runner`.

MCP servers configured under `[mcp_servers.*]` start with the session (`self.mcp`,
core/mcp_connections.py); a regular task waits for their start-up before its first request
so their tools are offered, and shutdown closes them. Without servers nothing MCP is imported.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import uuid
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from agent.exec.hidden import protected_read_paths
from agent.protocol import events as ev
from agent.protocol import ops
from agent.protocol.items import ResponseItem
from agent.protocol.policy import DangerFullAccess, ReviewDecision
from agent.tools import ToolRegistry, default_tools
from agent.tools.turn_diff import TurnDiffTracker
from agent.tools.undo_journal import TurnJournal

from .accounting import TokenAccounting
from .compact import run_compact_task
from .context import ConversationContext
from .conversation import Conversation
from .event_fanout import EventFanout
from .events_stream import EventStream
from .history import ConversationHistory
from .model_family import apply_patch_variant
from .prompt_assembly import PromptAssembler
from .retry import RetryPolicy
from .rollout.sink import NullSink, RolloutSink
from .task_context import ActiveTask, TaskKind, TurnContext
from .tool_context import ToolRunner, exec_settings_from
from .turn import interrupted_items, run_task
from .undo_stack import UndoStack, open_notebook
from .user_input import user_message

if TYPE_CHECKING:
    from agent.client import ModelClient

    from .config import Config

log = logging.getLogger(__name__)
ABORT_GRACE_S = 0.15


__all__ = ["ActiveTask", "Session", "TurnContext", "exec_settings_from", "user_message"]


class Session:
    def __init__(
        self,
        config: Config,
        client: ModelClient,
        tools: ToolRegistry | None = None,
        *,
        conversation_id: str | None = None,
        secrets: list[str] | None = None,
        retry_base_s: float = 0.2,
        sandbox_mechanism: str | None = None,
        sandbox_warning: str | None = None,
        rollout: RolloutSink | None = None,
        resumed_history: list[ResponseItem] | None = None,
        initial_messages: list[dict[str, Any]] | None = None,
    ):
        self.config = config
        self.client = client
        variant = apply_patch_variant(config.model, config.model_provider.wire_api)
        self.tools = tools if tools is not None else ToolRegistry(default_tools(variant, view_image=config.model_accepts_images))
        self.conversation_id = conversation_id or str(uuid.uuid4())
        self.rollout: RolloutSink = rollout or NullSink()
        self.retry_policy = RetryPolicy(config.model_provider.stream_retries(), retry_base_s)
        self._defaults = turn_defaults(config)
        self.resumed = resumed_history is not None
        context = ConversationContext(config, self._defaults, resumed_history)
        if not self.resumed:
            self.rollout.items(context.history.items)
        self._assemble(context, secrets or [], sandbox_mechanism or "none")
        self.mcp = self._mcp_connections()
        self.undo_stack = UndoStack(config.home / "snapshots" / "objects",
                                    hidden=(*self.tool_runner.hidden_paths, *open_notebook(Path(config.cwd))))
        self._ids = itertools.count(1)
        self._deferred: list[tuple[str, ops.Op]] = []
        self._active: ActiveTask | None = None
        self._closed = False
        self._config_warnings = list(config.warnings)
        configured = self._configured_msg(sandbox_warning)
        configured.initial_messages = initial_messages
        configured.rollout_path = self.rollout.path
        self.configured = ev.Event(id="0", msg=configured)

    def _assemble(self, context: ConversationContext, secrets: list[str], sandbox_mechanism: str) -> None:
        """The collaborators the turn loop reaches through `TurnHost`."""
        config = self.config
        self.fanout = EventFanout(self.rollout, secrets, hide_reasoning=config.hide_agent_reasoning,
                                  show_raw_reasoning=config.show_raw_agent_reasoning)
        self.conversation = Conversation(context, self.rollout, self.fanout)
        self.accounting = TokenAccounting(config, context.tokens, self.fanout, lambda: self.turn_settings.model)
        self.prompts = PromptAssembler(config, self.tools, context, self.conversation_id, secrets)
        self.tool_runner = ToolRunner(
            self.tools, self.fanout, self.conversation.queue, exec_settings=exec_settings_from(config),
            sandbox_mechanism=sandbox_mechanism,
            hidden_paths=protected_read_paths(config.home, extra=config.sandbox_hidden_paths),
            session_id=self.conversation_id, provider=config.model_provider_id,
        )

    def _mcp_connections(self) -> Any:
        """The MCP servers (core/mcp_connections.py), started now when a loop runs; None
        (and nothing MCP imported) without enabled `[mcp_servers.*]`."""
        if not any(server.enabled for server in self.config.mcp_servers):
            return None
        from .mcp_connections import McpConnections

        mcp = McpConnections(self.config, self.tools, self.emit, sandbox_mechanism=self.tool_runner.sandbox_mechanism,
                             hidden_paths=self.tool_runner.hidden_paths, accepts_images=self.config.model_accepts_images)
        mcp.start()
        return mcp

    # --- public API ----------------------------------------------------------------------

    def events(self) -> EventStream:
        """Subscribe: the stream replays `session_configured`, then follows live events."""
        return self.fanout.subscribe(self.configured)

    def submit(self, op: ops.Op) -> str:
        """Queue an operation; returns its submission id at once."""
        if self._closed:
            raise RuntimeError("the session is shut down")
        sub_id = str(next(self._ids))
        self._handle(sub_id, op)
        return sub_id

    @property
    def running(self) -> bool:
        return self._active is not None

    @property
    def turn_settings(self) -> TurnContext:
        """The running task's settings, else those the next turn starts from."""
        return self._active.ctx if self._active is not None else self._defaults

    @property
    def history(self) -> ConversationHistory:
        """What the model sees of the conversation (API items, in order)."""
        return self.conversation.history

    async def emit(self, turn_id: str, msg: ev.EventMsg) -> None:
        """Send an event to every subscriber (secrets redacted) and the rollout."""
        await self.fanout.emit(turn_id, msg)

    async def turn_diff(self, n: int = 1) -> str | None:
        """The n-th latest turn's diff of the workspace (1: the latest; "" when it changed
        no file; None when there is no such turn), with notes on skipped files."""
        return await self.undo_stack.diff(n)

    def finished_turn_diff(self, n: int = 1) -> tuple[bool, str | None]:
        """`turn_diff(n)` at once when that turn has ended and been snapshotted:
        (True, diff or None); (False, None) when it would have to wait."""
        return self.undo_stack.finished_diff(n)

    async def interrupt(self, reason: str = "interrupted") -> None:
        """Abort the running task (if any) and wait until it has stopped."""
        active = self._active
        if active is None:
            return
        self._active = None
        self._deferred.clear()
        await self._abort(active, reason)

    async def undo(self, sub_id: str = "undo") -> None:
        """Undo the latest turn that changed something (files, variables, cells); refused
        while a task runs (core/undo_stack.py)."""
        await self.emit(sub_id, ev.UndoStarted(message="Undoing the latest turn that changed something"))
        if self._active is not None:
            await self.emit(sub_id, ev.UndoCompleted(success=False, message="A turn is running; stop it first."))
            return
        success, message = await self.undo_stack.undo()
        await self.emit(sub_id, ev.UndoCompleted(success=success, message=message))

    async def shutdown(self) -> None:
        if self._closed:
            return
        await self.interrupt()
        if self.mcp is not None:
            await self.mcp.close()
        await self._close_client()
        self.rollout.flush()
        self.rollout.close()
        await self.emit("shutdown", ev.ShutdownComplete())
        self._closed = True
        self.fanout.close()

    # --- op handling ---------------------------------------------------------------------

    def _handle(self, sub_id: str, op: ops.Op) -> None:
        if isinstance(op, ops.TurnOverrides) and self._refused(sub_id, op):
            return
        if isinstance(op, (ops.UserInputOp, ops.UserTurn)):
            self._on_user_input(sub_id, op)
        elif isinstance(op, ops.OverrideTurnContext):
            self._defaults = apply_overrides(self._defaults, op)
        elif isinstance(op, ops.Interrupt):
            self._spawn(self.interrupt())
        elif isinstance(op, ops.Approval):
            self._on_decision(op.call_id, op.decision)
        elif isinstance(op, ops.Undo):
            self._spawn(self.undo(sub_id))
        elif isinstance(op, ops.Compact):
            self._on_compact(sub_id)
        elif isinstance(op, ops.Shutdown):
            self._spawn(self.shutdown())
        else:
            self._spawn(self.emit(sub_id, ev.Error(message=f"{op.type} is not supported yet", codex_error_info="other")))

    def _refused(self, sub_id: str, op: ops.TurnOverrides) -> bool:
        """Whether `op` asks for settings the session's held managed keys or requirements
        forbid (config/enforce.py); if so an Error event says why in one line, and a user
        turn ends at once (task_complete) without starting."""
        from .config.enforce import change_refusal

        refusal = change_refusal(self.config, model=op.model, approval_policy=op.approval_policy,
                                 sandbox_policy=op.sandbox_policy)
        if refusal is None:
            return False

        async def say() -> None:
            await self.emit(sub_id, ev.Error(message=refusal, codex_error_info="other"))
            if isinstance(op, ops.UserTurn):
                await self.emit(sub_id, ev.TaskComplete(last_agent_message=None))

        self._spawn(say())
        return True

    def _on_user_input(self, sub_id: str, op: ops.UserInputOp | ops.UserTurn) -> None:
        if self._active is not None and self._active.kind == "compact":
            self._deferred.append((sub_id, op))  # starts its own task after the compaction
            return
        if isinstance(op, ops.UserTurn):  # its settings hold for this and later turns (spec §1.1)
            self._defaults = apply_overrides(self._defaults, op)
        message = user_message(op.items, Path(self._defaults.cwd))
        if message is None:
            return
        if self._active is not None:
            self.conversation.queue(message)
            return
        schema = op.final_output_json_schema if isinstance(op, ops.UserTurn) else None
        ctx = replace(self._defaults, turn_id=sub_id, output_schema=schema)
        ctx.diff = TurnDiffTracker(ctx.cwd)
        ctx.journal = TurnJournal(sub_id)
        ctx.workspace = self.undo_stack.begin(sub_id, ctx.cwd, ctx.journal)
        self._start(ctx, "regular", lambda active: self._regular_task(active, [message]))

    async def _regular_task(self, active: ActiveTask, items: list[ResponseItem]) -> None:
        warnings, self._config_warnings = self._config_warnings, []
        for warning in warnings:  # the config's own (a managed value replaced the user's, ...): once, in the first turn
            await self.emit(active.sub_id, ev.Warning(message=warning))
        if self.mcp is not None:
            await self.mcp.ready()  # the first request offers the MCP tools (see core/mcp_connections.py)
        await run_task(self, active, items)

    def _on_compact(self, sub_id: str) -> None:
        previous = self._active
        ctx = replace(self._defaults, turn_id=sub_id, output_schema=None)

        async def work(active: ActiveTask) -> None:
            if previous is not None:
                await self._abort(previous, "replaced")
            await run_compact_task(self, active.ctx)

        self._start(ctx, "compact", work)

    def _on_decision(self, call_id: str, decision: ReviewDecision) -> None:
        self.tool_runner.approvals.resolve(call_id, decision)
        if decision == "abort":
            self._spawn(self.interrupt())

    # --- task lifecycle ------------------------------------------------------------------

    def _start(self, ctx: TurnContext, kind: TaskKind, work: Callable[[ActiveTask], Awaitable[None]]) -> None:
        self.conversation.use_model(ctx.model)
        active = ActiveTask(ctx, kind)
        active.task = asyncio.get_running_loop().create_task(self._run(active, work))
        self._active = active

    async def _run(self, active: ActiveTask, work: Callable[[ActiveTask], Awaitable[None]]) -> None:
        turn_id = active.sub_id
        try:
            await work(active)
        except asyncio.CancelledError:
            await self._record_interrupted(active)
            raise
        except Exception as err:  # a bug must not kill the kernel or hang the front end
            log.exception("task failed")
            await self.fanout.error(turn_id, f"internal error: {err!r}", "other", None)
            await self.emit(turn_id, ev.TaskComplete(last_agent_message=None))
        finally:
            if self._active is active:
                self._active = None
            if active.ctx.workspace is not None:
                active.ctx.workspace.finish()  # the after-snapshot, once the tools have stopped
        deferred, self._deferred = self._deferred, []
        for sub_id, op in deferred:
            self._handle(sub_id, op)

    async def _abort(self, active: ActiveTask, reason: str) -> None:
        self.tool_runner.approvals.cancel_all()
        self.conversation.drop_pending()
        active.task.cancel()
        await asyncio.wait({active.task}, timeout=ABORT_GRACE_S)
        await self.emit(active.sub_id, ev.TurnAborted(reason=reason))  # type: ignore[arg-type]

    async def _record_interrupted(self, active: ActiveTask) -> None:
        """The request in flight when the task was cancelled: answer each of its calls."""
        state, active.sample = active.sample, None
        if state is not None:
            await state.cancel_calls()
        self.conversation.record_now(interrupted_items(state, self.tool_runner.is_shell_like))

    def _spawn(self, coro: Any) -> None:
        asyncio.get_running_loop().create_task(coro)

    # --- helpers -------------------------------------------------------------------------

    def _configured_msg(self, warning: str | None) -> ev.SessionConfigured:
        from agent.exec.sandbox import describe_sandbox

        config, runner = self.config, self.tool_runner
        report = describe_sandbox(runner.sandbox_mechanism, config.sandbox_policy, Path(config.cwd), os.environ,
                                  runner.hidden_paths, runner.exec_settings.limits)
        warning = "; ".join([w for w in (warning, *report.warnings) if w]) or None
        return ev.SessionConfigured(
            session_id=self.conversation_id,
            model=config.model,
            model_provider_id=config.model_provider_id,
            approval_policy=config.approval_policy,
            sandbox_policy=config.sandbox_policy,
            cwd=str(config.cwd),
            reasoning_effort=config.model_reasoning_effort,
            sandbox_mechanism=runner.sandbox_mechanism,
            sandbox_warning=warning if not isinstance(config.sandbox_policy, DangerFullAccess) else None,
            sandbox_hidden=list(report.hidden),
            sandbox_notes=list(report.notes),
        )

    async def _close_client(self) -> None:
        try:
            await self.client.aclose()
        except Exception:  # closing must never fail a shutdown
            log.debug("closing the model client failed", exc_info=True)


def turn_defaults(config: Config) -> TurnContext:
    """The session's turn settings before any override."""
    return TurnContext(turn_id="", cwd=Path(config.cwd), approval_policy=config.approval_policy,
                       sandbox_policy=config.sandbox_policy, model=config.model, effort=config.model_reasoning_effort,
                       summary=config.model_reasoning_summary)


def apply_overrides(ctx: TurnContext, op: ops.TurnOverrides) -> TurnContext:
    """`ctx` with the fields a user_turn / override_turn_context sets."""
    changes = {k: v for k, v in op.model_dump(exclude={"type", "items", "final_output_json_schema"}).items() if v is not None}
    if "cwd" in changes:
        changes["cwd"] = Path(changes["cwd"])
    if op.sandbox_policy is not None:
        changes["sandbox_policy"] = op.sandbox_policy
    return replace(ctx, **changes)
