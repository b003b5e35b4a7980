"""Running one tool call for the session: the `agent.tools.ToolContext` it sees, the
begin/end events around it, and the exec settings derived from the config."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from agent.exec.limits import ResourceLimits
from agent.protocol import events as ev
from agent.protocol.items import ResponseItem
from agent.protocol.policy import ReviewDecision
from agent.tools import ToolCall, ToolFatal, ToolResult
from agent.tools.base import ExecSettings
from agent.tools.turn_diff import TurnDiffTracker

from .turn import describe_arguments

if TYPE_CHECKING:
    from .config import Config
    from .session import Session
    from .task_context import TurnContext

log = logging.getLogger(__name__)


async def run_tool_reported(session: Session, ctx: TurnContext, call: ToolCall) -> ToolResult:
    """Dispatch `call`; `tool_call_begin`/`end` around it unless the tool reports itself.
    A tool's unexpected exception becomes a failed result; ToolFatal and cancellation pass."""
    tool = session.tools.get(call.name)
    quiet = bool(getattr(tool, "quiet", False) or getattr(tool, "shell_like", False))
    if not quiet:
        await session.emit(ctx.turn_id, ev.ToolCallBegin(call_id=call.call_id, name=call.name, arguments=describe_arguments(call)))
    started = time.monotonic()
    try:
        result = await session.tools.dispatch(call, SessionToolContext(session, ctx))
    except (ToolFatal, asyncio.CancelledError):
        raise
    except Exception as err:
        log.exception("tool %s failed", call.name)
        result = ToolResult(f"tool {call.name} failed: {err}", success=False)
    if not quiet:
        duration = ev.Duration.from_seconds(time.monotonic() - started)
        end = ev.ToolCallEnd(call_id=call.call_id, name=call.name, output=result.output, success=result.success, duration=duration)
        await session.emit(ctx.turn_id, end)
    return result


class SessionToolContext:
    """What a tool sees for one turn: the turn's settings and a few session services."""

    def __init__(self, session: Session, ctx: TurnContext):
        self._session = session
        self.turn_id = ctx.turn_id
        self.cwd = ctx.cwd
        self.approval_policy = ctx.approval_policy
        self.sandbox_policy = ctx.sandbox_policy
        self.exec_settings = session.exec_settings
        self.session_approvals = session.session_approvals
        self.sandbox_mechanism = session.sandbox_mechanism
        self.hidden_paths = session.hidden_paths
        self.diff_tracker = ctx.diff or TurnDiffTracker(ctx.cwd)

    async def emit(self, msg: ev.EventMsg) -> None:
        await self._session.emit(self.turn_id, msg)

    def add_pending_input(self, item: ResponseItem) -> None:
        self._session.queue_input(item)

    async def request_approval(self, request: ev.EventMsg) -> ReviewDecision:
        call_id = request.call_id
        future = self._session.approvals.open(call_id)
        await self.emit(request)
        return await self._session.approvals.wait(call_id, future)


def exec_settings_from(config: Config) -> ExecSettings:
    policy = getattr(config, "shell_environment_policy", None)
    limit = getattr(config, "tool_output_token_limit", None)
    kw: dict[str, Any] = {"output_byte_budget": limit * 4} if limit else {}
    kw["default_timeout_ms"] = getattr(config, "shell_timeout_ms", 120_000)
    table = getattr(config, "sandbox_limits", None)
    if table is not None:
        kw["limits"] = ResourceLimits(*(getattr(table, name) or None for name in ResourceLimits._fields))
    if policy is not None:
        kw.update(
            env_inherit=policy.inherit, env_ignore_default_excludes=policy.ignore_default_excludes,
            env_exclude=tuple(policy.exclude), env_set=tuple(sorted(policy.set.items())),
            env_include_only=tuple(policy.include_only),
        )
    return ExecSettings(**kw)
