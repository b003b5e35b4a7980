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
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import logging
import uuid
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from agent.client.prompt import Prompt
from agent.exec.hidden import protected_read_paths
from agent.protocol import events as ev
from agent.protocol import ops
from agent.protocol.items import Message, ResponseItem
from agent.protocol.policy import DangerFullAccess, ReviewDecision
from agent.tools import ToolCall, ToolRegistry, ToolResult, default_tools
from agent.tools.turn_diff import TurnDiffTracker

from . import model_family
from .approvals import PendingApprovals
from .compact import run_compact_task
from .context import ConversationContext
from .events_stream import EventStream
from .history import is_api_item
from .model_family import apply_patch_variant, find_family
from .model_input_redaction import ModelInputRedactor
from .redact import Redactor
from .rollout.sink import NullSink, RolloutSink
from .rwlock import ReadWriteLock
from .task_context import ActiveTask, TaskKind, TurnContext
from .tool_context import exec_settings_from, run_tool_reported
from .turn import interrupted_items, run_task
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
        self.tools = tools if tools is not None else ToolRegistry(default_tools(variant))
        self.conversation_id = conversation_id or str(uuid.uuid4())
        self.retry_base_s = retry_base_s
        self.rollout: RolloutSink = rollout or NullSink()
        self._defaults = TurnContext(
            turn_id="",
            cwd=Path(config.cwd),
            approval_policy=config.approval_policy,
            sandbox_policy=config.sandbox_policy,
            model=config.model,
            effort=config.model_reasoning_effort,
            summary=config.model_reasoning_summary,
        )
        self.resumed = resumed_history is not None
        self.context = ConversationContext(config, self._defaults, resumed_history)
        self.history = self.context.history
        self.tokens = self.context.tokens
        if not self.resumed:
            self.rollout.items(self.history.items)
        self.approvals = PendingApprovals()
        self._redactor = Redactor(secrets or [])
        self._model_input = ModelInputRedactor(secrets or [])
        self._tool_lock = ReadWriteLock()
        self.session_approvals: set[str] = set()
        self.sandbox_mechanism = sandbox_mechanism or "none"
        self.hidden_paths = protected_read_paths(config.home, extra=config.sandbox_hidden_paths)
        self._last_diff: TurnDiffTracker | None = None
        self.exec_settings = exec_settings_from(config)
        self._ids = itertools.count(1)
        self._subscribers: list[EventStream] = []
        self._pending_input: list[ResponseItem] = []
        self._deferred: list[tuple[str, ops.Op]] = []
        self._active: ActiveTask | None = None
        self._closed = False
        configured = self._configured_msg(self.sandbox_mechanism, sandbox_warning)
        configured.initial_messages = initial_messages
        configured.rollout_path = self.rollout.path
        self.configured = ev.Event(id="0", msg=configured)

    # --- public API ----------------------------------------------------------------------

    def events(self) -> EventStream:
        """Subscribe: the stream replays `session_configured`, then follows live events."""
        stream = EventStream(self._subscribers.remove)
        stream.put(self.configured)
        if self._closed:
            stream.close()
        self._subscribers.append(stream)
        return stream

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

    async def interrupt(self, reason: str = "interrupted") -> None:
        """Abort the running task (if any) and wait until it has stopped."""
        active = self._active
        if active is None:
            return
        self._active = None
        self._deferred.clear()
        await self._abort(active, reason)

    async def _abort(self, active: ActiveTask, reason: str) -> None:
        self.approvals.cancel_all()
        self._pending_input.clear()
        active.task.cancel()
        await asyncio.wait({active.task}, timeout=ABORT_GRACE_S)
        await self.emit(active.sub_id, ev.TurnAborted(reason=reason))  # type: ignore[arg-type]

    async def undo(self, sub_id: str = "undo") -> None:
        """Restore the files the last task changed (refused while a task runs)."""
        await self.emit(sub_id, ev.UndoStarted(message="Restoring the files the last turn changed"))
        if self._active is not None:
            await self.emit(sub_id, ev.UndoCompleted(success=False, message="A turn is running; stop it first."))
            return
        tracker, self._last_diff = self._last_diff, None
        if tracker is None or not tracker.paths:
            await self.emit(sub_id, ev.UndoCompleted(success=False, message="Nothing to undo."))
            return
        result = await asyncio.to_thread(tracker.restore)
        names = ", ".join(tracker._display(p) for p in result.restored) or "no file needed restoring"
        message = f"Restored: {names}"
        if result.refused:
            refused = "; ".join(f"{tracker._display(p)} ({why})" for p, why in result.refused)
            message += f". Not restored, unsafe to write: {refused}"
        await self.emit(sub_id, ev.UndoCompleted(success=not result.refused, message=message))

    async def emit_turn_diff(self, ctx: TurnContext) -> None:
        if ctx.diff is not None and ctx.diff.paths:
            diff = await asyncio.to_thread(ctx.diff.unified_diff)
            if diff:
                await self.emit(ctx.turn_id, ev.TurnDiff(unified_diff=diff))

    async def shutdown(self) -> None:
        if self._closed:
            return
        await self.interrupt()
        await self._close_client()
        self.rollout.flush()
        self.rollout.close()
        await self.emit("shutdown", ev.ShutdownComplete())
        self._closed = True
        for stream in list(self._subscribers):
            stream.close()

    # --- op handling ---------------------------------------------------------------------

    def _handle(self, sub_id: str, op: ops.Op) -> None:
        if isinstance(op, (ops.UserInputOp, ops.UserTurn)):
            self._on_user_input(sub_id, op)
        elif isinstance(op, ops.OverrideTurnContext):
            self._defaults = self._apply_overrides(self._defaults, op)
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

    def _on_user_input(self, sub_id: str, op: ops.UserInputOp | ops.UserTurn) -> None:
        if self._active is not None and self._active.kind == "compact":
            self._deferred.append((sub_id, op))  # starts its own task after the compaction
            return
        if isinstance(op, ops.UserTurn):
            self._defaults = self._apply_overrides(self._defaults, op)
        message = user_message(op.items, Path(self._defaults.cwd))
        if message is None:
            return
        if self._active is not None:
            self._pending_input.append(message)
            return
        schema = op.final_output_json_schema if isinstance(op, ops.UserTurn) else None
        ctx = replace(self._defaults, turn_id=sub_id, output_schema=schema, current=None)
        ctx.diff = self._last_diff = TurnDiffTracker(ctx.cwd)
        self._start(ctx, "regular", lambda: run_task(self, ctx, [message]))

    def _on_compact(self, sub_id: str) -> None:
        previous = self._active
        ctx = replace(self._defaults, turn_id=sub_id, output_schema=None, current=None)

        async def work() -> None:
            if previous is not None:
                await self._abort(previous, "replaced")
            await run_compact_task(self, ctx)

        self._start(ctx, "compact", work)

    def _start(self, ctx: TurnContext, kind: TaskKind, work: Callable[[], Awaitable[None]]) -> None:
        self.history.output_policy = self.context.output_policy(ctx.model)
        task = asyncio.get_running_loop().create_task(self._run(ctx, work))
        self._active = ActiveTask(ctx.turn_id, ctx, task, kind)

    async def _run(self, ctx: TurnContext, work: Callable[[], Awaitable[None]]) -> None:
        try:
            await work()
        except asyncio.CancelledError:
            await self._record_interrupted(ctx)
            raise
        except Exception as err:  # a bug must not kill the kernel or hang the front end
            log.exception("task failed")
            await self.emit_error(ctx.turn_id, f"internal error: {err!r}", "other", None)
            await self.emit(ctx.turn_id, ev.TaskComplete(last_agent_message=None))
        finally:
            if self._active is not None and self._active.sub_id == ctx.turn_id:
                self._active = None
        deferred, self._deferred = self._deferred, []
        for sub_id, op in deferred:
            self._handle(sub_id, op)

    async def _record_interrupted(self, ctx: TurnContext) -> None:
        state = ctx.current
        if state is not None:
            await state.cancel_calls()
        items = interrupted_items(self, state)
        self.history.record(items)
        self.rollout.items(items)
        self.rollout.flush()

    def _on_decision(self, call_id: str, decision: ReviewDecision) -> None:
        self.approvals.resolve(call_id, decision)
        if decision == "abort":
            self._spawn(self.interrupt())

    @staticmethod
    def _apply_overrides(ctx: TurnContext, op: ops.TurnOverrides) -> TurnContext:
        changes = {k: v for k, v in op.model_dump(exclude={"type", "items", "final_output_json_schema"}).items() if v is not None}
        if "cwd" in changes:
            changes["cwd"] = Path(changes["cwd"])
        if op.sandbox_policy is not None:
            changes["sandbox_policy"] = op.sandbox_policy
        return replace(ctx, **changes)

    def _spawn(self, coro: Any) -> None:
        asyncio.get_running_loop().create_task(coro)

    # --- services used by the turn loop --------------------------------------------------

    async def emit(self, turn_id: str, msg: ev.EventMsg) -> None:
        msg = self._redacted(msg)
        event = ev.Event.model_construct(id=turn_id, msg=msg)  # msg is already validated
        self.rollout.event(msg)
        for stream in list(self._subscribers):
            stream.put(event)

    def _redacted(self, msg: ev.EventMsg) -> ev.EventMsg:
        """The event with every secret replaced. Flat string fields are checked directly
        (the common, hot case: deltas); anything nested is checked through its JSON."""
        if isinstance(msg, ev.ExecCommandOutputDelta):
            return self._redacted_chunk(msg)
        fields = msg.__dict__.values()
        if all(isinstance(v, (str, int, float, bool, type(None))) for v in fields):
            if not any(isinstance(v, str) and self._redactor.has_secret(v) for v in fields):
                return msg
        elif not self._redactor.has_secret(msg.model_dump_json()):
            return msg
        return type(msg).model_validate(self._redactor.data(msg.model_dump()))

    def _redacted_chunk(self, msg: ev.ExecCommandOutputDelta) -> ev.ExecCommandOutputDelta:
        """Command output travels base64-encoded: look inside it."""
        text = base64.b64decode(msg.chunk).decode("utf-8", "replace")
        if not self._redactor.has_secret(text):
            return msg
        chunk = base64.b64encode(self._redactor.text(text).encode()).decode()
        return msg.model_copy(update={"chunk": chunk})

    async def emit_error(self, turn_id: str, message: str, info: Any, status: int | None) -> None:
        await self.emit(turn_id, ev.Error(message=message, codex_error_info=info, http_status_code=status))

    async def emit_reasoning(self, turn_id: str, msg: ev.EventMsg) -> None:
        if not getattr(self.config, "hide_agent_reasoning", False):
            await self.emit(turn_id, msg)

    async def emit_raw_reasoning(self, turn_id: str, msg: ev.EventMsg) -> None:
        if getattr(self.config, "show_raw_agent_reasoning", False):
            await self.emit(turn_id, msg)

    async def record(self, turn_id: str, items: list[ResponseItem], *, echo_user: bool = False) -> None:
        self.history.record(items)
        self.rollout.items([i for i in items if is_api_item(i)])
        if echo_user:
            for item in items:
                if isinstance(item, Message) and item.role == "user":
                    await self.emit(turn_id, ev.UserMessage(message=item.text()))

    def queue_input(self, item: ResponseItem) -> None:
        """Add an item to the next model request of the running task."""
        self._pending_input.append(item)

    def take_pending_input(self) -> list[ResponseItem]:
        items, self._pending_input = self._pending_input, []
        return items

    def has_pending_input(self) -> bool:
        return bool(self._pending_input)

    def context_window(self, ctx: TurnContext) -> int | None:
        return model_family.context_window(ctx.model, self.config)

    def auto_compact_limit(self, ctx: TurnContext) -> int | None:
        return model_family.auto_compact_limit(ctx.model, self.config)

    def over_compact_limit(self, ctx: TurnContext, usage: ev.TokenUsage | None) -> bool:
        """Whether a request's usage reached the auto-compaction limit."""
        limit = self.auto_compact_limit(ctx)
        return usage is not None and limit is not None and usage.total_tokens >= limit

    def stream_max_retries(self) -> int:
        return self.config.model_provider.stream_retries()

    def tool_is_shell_like(self, name: str) -> bool:
        tool = self.tools.get(name)
        return bool(getattr(tool, "shell_like", False))

    def record_turn_context(self, ctx: TurnContext) -> None:
        self.rollout.turn_context(
            {"cwd": str(ctx.cwd), "approval_policy": ctx.approval_policy, "sandbox_policy": ctx.sandbox_policy.model_dump(mode="json"),
             "model": ctx.model, "effort": ctx.effort, "summary": ctx.summary}
        )

    def build_prompt(self, ctx: TurnContext) -> Prompt:
        """The next request of a regular turn: the normalised history and every tool."""
        self.record_turn_context(ctx)
        family = find_family(ctx.model)
        parallel = bool(getattr(self.config, "parallel_tool_calls", False)) and family.supports_parallel_tool_calls
        return self._prompt(ctx, self.history.for_prompt(), self.tools.specs(), parallel, ctx.output_schema)

    def compaction_prompt(self, ctx: TurnContext, items: list[ResponseItem]) -> Prompt:
        """A compaction request: `items` as input, no tools."""
        return self._prompt(ctx, items, [], False, None)

    def _prompt(self, ctx: TurnContext, items: list[ResponseItem], tools: list[dict[str, Any]], parallel: bool,
                schema: dict[str, Any] | None) -> Prompt:
        family = find_family(ctx.model)
        return Prompt(  # the one place model input is assembled: secrets are replaced here
            model=ctx.model,
            instructions=self._model_input.text(self.context.instructions),
            input=self._model_input.items(items),
            tools=tools,
            parallel_tool_calls=parallel,
            effort=ctx.effort,  # type: ignore[arg-type]
            summary=ctx.summary,  # type: ignore[arg-type]
            reasoning=family.supports_reasoning or bool(getattr(self.config, "model_supports_reasoning_summaries", False)),
            verbosity=getattr(self.config, "model_verbosity", None) if family.supports_verbosity else None,
            output_schema=schema,
            conversation_id=self.conversation_id,
        )

    async def add_usage(self, turn_id: str, usage: ev.TokenUsage | None) -> None:
        if usage is not None:
            self.tokens.add(usage)
        await self.emit(turn_id, ev.TokenCount(info=self.token_info()))

    async def replace_history(self, ctx: TurnContext, items: list[ResponseItem], summary: str) -> None:
        """Compaction's new history: token_count with the estimate, rollout `compacted`."""
        self.context.replace(ctx, items)
        await self.emit(ctx.turn_id, ev.TokenCount(info=self.token_info()))
        self.rollout.compacted(summary, None)

    async def mark_context_full(self, ctx: TurnContext) -> None:
        """Even one item does not fit: report the context window as used up."""
        self.tokens.set_estimate(self.context_window(ctx) or 0)
        await self.emit(ctx.turn_id, ev.TokenCount(info=self.token_info()))

    async def notify_request_retry(self, attempt: int, max_attempts: int, delay_s: float, reason: str) -> None:
        """The client is about to retry a request (429 / 5xx / connection): tell the user."""
        turn_id = self._active.sub_id if self._active else "0"
        message = f"{reason}; retrying in {delay_s:.1f}s ({attempt}/{max_attempts})"
        await self.emit(turn_id, ev.StreamError(message=message, codex_error_info="http_connection_failed", retry_in_ms=int(delay_s * 1000)))

    async def update_rate_limits(self, turn_id: str, snapshot: ev.RateLimitSnapshot) -> None:
        await self.emit(turn_id, ev.TokenCount(info=self.token_info(), rate_limits=snapshot))

    def token_info(self) -> ev.TokenUsageInfo:
        return self.tokens.info(self.context_window(self._defaults))

    async def run_tool(self, ctx: TurnContext, call: ToolCall) -> ToolResult:
        lock = self._tool_lock.read() if self.tools.supports_parallel(call.name) else self._tool_lock.write()
        async with lock:
            return await run_tool_reported(self, ctx, call)

    # --- helpers -------------------------------------------------------------------------

    def _configured_msg(self, sandbox_mechanism: str, warning: str | None) -> ev.SessionConfigured:
        import os

        from agent.exec.sandbox import describe_sandbox

        report = describe_sandbox(sandbox_mechanism, self.config.sandbox_policy, Path(self.config.cwd), os.environ,
                                  self.hidden_paths, self.exec_settings.limits)
        warning = "; ".join([w for w in (warning, *report.warnings) if w]) or None
        return ev.SessionConfigured(
            session_id=self.conversation_id,
            model=self.config.model,
            model_provider_id=self.config.model_provider_id,
            approval_policy=self.config.approval_policy,
            sandbox_policy=self.config.sandbox_policy,
            cwd=str(self.config.cwd),
            reasoning_effort=self.config.model_reasoning_effort,
            sandbox_mechanism=sandbox_mechanism,
            sandbox_warning=warning if not isinstance(self.config.sandbox_policy, DangerFullAccess) else None,
            sandbox_hidden=list(report.hidden),
            sandbox_notes=list(report.notes),
        )

    async def _close_client(self) -> None:
        close = getattr(self.client, "aclose", None)
        if close is not None:
            try:
                await close()
            except Exception:  # closing must never fail a shutdown
                log.debug("closing the model client failed", exc_info=True)
