"""Running the model's tool calls for the session.

* `ToolRunner.run(ctx, call)`: one call under the session's read-write lock (tools that
  support parallel calls share it, the others run alone), with `tool_call_begin` / `end`
  around it unless the tool reports itself (`quiet`, shell-like tools). A tool's
  unexpected exception becomes a failed result; ToolFatal and cancellation pass.
* `SessionToolContext`: the `agent.tools.ToolContext` a tool sees for one turn: the turn's
  settings and a few session services (events, approvals, pending input).
* `exec_settings_from(config)`: the command settings derived from the config.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import Any, Callable

from agent.exec.limits import ResourceLimits
from agent.protocol import events as ev
from agent.protocol.items import ResponseItem
from agent.protocol.policy import ReviewDecision
from agent.tools import ToolCall, ToolFatal, ToolRegistry, ToolResult
from agent.tools.base import ExecSettings
from agent.tools.turn_diff import TurnDiffTracker
from agent.tools.undo_journal import TurnJournal

from .approvals import PendingApprovals
from .config import Config
from .event_fanout import EventFanout
from .rwlock import ReadWriteLock
from .task_context import TurnContext

log = logging.getLogger(__name__)


class ToolRunner:
    def __init__(self, tools: ToolRegistry, events: EventFanout, queue_input: Callable[[ResponseItem], None], *,
                 exec_settings: ExecSettings, sandbox_mechanism: str, hidden_paths: tuple[Path, ...],
                 session_id: str = "", provider: str = ""):
        self.tools = tools
        self.events = events
        self.queue_input = queue_input
        self.approvals = PendingApprovals()
        self.session_approvals: set[str] = set()
        self.exec_settings = exec_settings
        self.sandbox_mechanism = sandbox_mechanism
        self.hidden_paths = hidden_paths
        self.session_id, self.provider = session_id, provider
        self._lock = ReadWriteLock()

    def is_shell_like(self, name: str) -> bool:
        return bool(getattr(self.tools.get(name), "shell_like", False))

    async def run(self, ctx: TurnContext, call: ToolCall) -> ToolResult:
        if ctx.workspace is not None:
            await ctx.workspace.before_ready()  # no tool may change the files before the turn's snapshot
        lock = self._lock.read() if self.tools.supports_parallel(call.name) else self._lock.write()
        async with lock:
            return await self._reported(ctx, call)

    async def _reported(self, ctx: TurnContext, call: ToolCall) -> ToolResult:
        tool = self.tools.get(call.name)
        quiet = bool(getattr(tool, "quiet", False) or getattr(tool, "shell_like", False))
        if not quiet:
            begin = ev.ToolCallBegin(call_id=call.call_id, name=call.name, arguments=describe_arguments(call))
            await self.events.emit(ctx.turn_id, begin)
        started = time.monotonic()
        try:
            result = await self.tools.dispatch(call, SessionToolContext(self, ctx))
        except (ToolFatal, asyncio.CancelledError):
            raise
        except Exception as err:
            log.exception("tool %s failed", call.name)
            result = ToolResult(f"tool {call.name} failed: {err}", success=False)
        if not quiet:
            duration = ev.Duration.from_seconds(time.monotonic() - started)
            end = ev.ToolCallEnd(call_id=call.call_id, name=call.name, output=result.output, success=result.success, duration=duration)
            await self.events.emit(ctx.turn_id, end)
        return result


class SessionToolContext:
    """What a tool sees for one turn: the turn's settings and a few session services."""

    def __init__(self, runner: ToolRunner, ctx: TurnContext):
        self._runner = runner
        self.turn_id = ctx.turn_id
        self.session_id, self.model, self.provider = runner.session_id, ctx.model, runner.provider
        self.cwd = ctx.cwd
        self.approval_policy = ctx.approval_policy
        self.sandbox_policy = ctx.sandbox_policy
        self.exec_settings = runner.exec_settings
        self.session_approvals = runner.session_approvals
        self.sandbox_mechanism = runner.sandbox_mechanism
        self.hidden_paths = runner.hidden_paths
        self.diff_tracker = ctx.diff or TurnDiffTracker(ctx.cwd)
        self.journal = ctx.journal if ctx.journal is not None else TurnJournal(ctx.turn_id)

    async def emit(self, msg: ev.EventMsg) -> None:
        await self._runner.events.emit(self.turn_id, msg)

    def add_pending_input(self, item: ResponseItem) -> None:
        self._runner.queue_input(item)

    async def request_approval(self, request: ev.EventMsg) -> ReviewDecision:
        call_id = request.call_id  # type: ignore[union-attr]
        future = self._runner.approvals.open(call_id)
        await self.emit(request)
        return await self._runner.approvals.wait(call_id, future)


def describe_arguments(call: ToolCall) -> str:
    """A compact one-line rendering of a call's arguments for display events."""
    try:
        return json.dumps(json.loads(call.payload), ensure_ascii=False)
    except (json.JSONDecodeError, TypeError):
        return call.payload


def exec_settings_from(config: Config) -> ExecSettings:
    policy = config.shell_environment_policy
    limit = config.tool_output_token_limit
    kw: dict[str, Any] = {"output_byte_budget": limit * 4} if limit else {}
    kw["default_timeout_ms"] = config.shell_timeout_ms
    table = config.sandbox_limits  # 0 = no limit
    kw["limits"] = ResourceLimits(table.max_processes or None, table.max_memory_mb or None,
                                  table.max_file_size_mb or None, table.cpu_seconds or None)
    kw.update(
        env_inherit=policy.inherit, env_ignore_default_excludes=policy.ignore_default_excludes,
        env_exclude=tuple(policy.exclude), env_set=tuple(sorted(policy.set.items())),
        env_include_only=tuple(policy.include_only),
    )
    kw["exec_rules"] = config.exec_rules
    kw["run_python_requires_approval"] = config.requirements.run_python_requires_approval
    return ExecSettings(**kw)
