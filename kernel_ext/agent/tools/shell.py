"""The `shell` tool (and its `local_shell` alias): run an argv under the sandbox (spec §6, §7.3).

    begin event -> apply_patch interception -> approval requirement (ask / refuse / skip)
    -> run sandboxed (escalated + approved: unsandboxed) with live output deltas
    -> sandbox denial (evidence-based, exec/denial.py)? under untrusted / on-failure ask
       again, explicitly, to rerun WITHOUT the sandbox
    -> end event -> exec-style output for the model

Invariants: the writable roots are the session's (its cwd, /tmp, $TMPDIR, configured
roots), whatever `workdir` the model names — a workdir outside them is just read-only;
nothing runs outside the sandbox without an approval whose text says so, and the
approval of a sandboxed run (even for the session) never covers an unsandboxed rerun.
Exec-policy rules (ExecSettings.exec_rules) decide first (see approval_rules); a session
approval covers only the exact argv, cwd and sandboxing it was given for.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.exec.denial import sandbox_denial
from agent.exec.env import command_env
from agent.exec.roots import effective_writable_roots, is_path_writable
from agent.exec.runner import CommandStartError, ExecResult, run_command
from agent.exec.sandbox import network_disabled, probe_mechanism, sandboxed_argv
from agent.protocol.events import Duration, ExecApprovalRequest, ExecCommandBegin, ExecCommandEnd, ExecCommandOutputDelta
from agent.protocol.policy import DangerFullAccess, WorkspaceWrite

from .apply_patch_tool import apply_patch_flow
from .approval_rules import Forbidden, NeedsApproval, exec_requirement, exec_session_key, planted_programs
from .base import ToolCall, ToolContext, ToolResult, function_spec
from .command_safety import parse_command_summary
from .errors import RespondToModel
from .exec_output import OutputStyle, formatted_output, model_output
from .patch import ApplyPatchInvocation, ApplyPatchParseError, maybe_parse_apply_patch
from .truncate import TruncationPolicy

REJECTED = "exec command rejected by user"
RETRY_REASON = "command failed inside the sandbox; retry without sandbox?"
UNSANDBOXED_PREFIX = "Runs WITHOUT the sandbox (full access to your files and the network)"
_POLICY_NAMES = {"untrusted": "UnlessTrusted", "on-failure": "OnFailure", "on-request": "OnRequest", "never": "Never"}

DESCRIPTION = (
    "Runs a command (an argv list) in the working directory and returns its output.\n"
    "- Most commands should be prefixed with [\"bash\", \"-lc\"].\n"
    "- Always set `workdir` instead of using `cd`.\n"
    "- Commands run in a sandbox: writes outside the workspace and network access fail. If a command "
    "needs more, set `with_escalated_permissions` and give a one-sentence `justification`; the user is asked."
)


@dataclass(frozen=True)
class ShellRequest:
    argv: list[str]
    cwd: Path
    timeout_ms: int
    escalated: bool
    justification: str | None


class ShellTool:
    supports_parallel = False
    shell_like = True

    def __init__(self, name: str = "shell", *, output_style: OutputStyle = "structured", advertised: bool = True):
        self.name = name
        self.output_style = output_style
        self.advertised = advertised

    def spec(self) -> dict[str, Any]:
        props = {
            "command": {"type": "array", "items": {"type": "string"}, "description": "The command to execute"},
            "workdir": {"type": "string", "description": "The working directory to execute the command in"},
            "timeout_ms": {"type": "number", "description": "The timeout for the command in milliseconds"},
            "with_escalated_permissions": {"type": "boolean", "description": "Run without the sandbox (the user is asked)"},
            "justification": {"type": "string", "description": "Only with with_escalated_permissions: why, in one sentence"},
        }
        return function_spec(self.name, DESCRIPTION, props, ["command"])

    async def handle(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        request = parse_request(call, ctx)
        invocation = maybe_parse_apply_patch(request.argv, request.cwd)
        if isinstance(invocation, ApplyPatchParseError):
            raise RespondToModel(invocation.message)
        if isinstance(invocation, ApplyPatchInvocation):
            return await apply_patch_flow(ctx, call.call_id, invocation.patch, invocation.cwd, self.output_style)
        if request.escalated and ctx.approval_policy != "on-request":
            name = _POLICY_NAMES[ctx.approval_policy]
            raise RespondToModel(
                f"approval policy is {name}; reject command — you should not ask for escalated permissions "
                f"if the approval policy is {name}"
            )
        return await ShellRun(ctx, call.call_id, request, self.output_style).run()


def _command_path(ctx: ToolContext) -> str:
    """The PATH the command will run with (the config's `set` wins over ours)."""
    return dict(ctx.exec_settings.env_set).get("PATH") or os.environ.get("PATH", os.defpath)


def _unsandboxed_reason(reason: str | None) -> str:
    return f"{UNSANDBOXED_PREFIX}: {reason}" if reason else f"{UNSANDBOXED_PREFIX}."


def parse_request(call: ToolCall, ctx: ToolContext) -> ShellRequest:
    args = call.json_arguments()
    if call.kind == "local_shell":  # {"command", "timeout_ms", "working_directory", ...}
        args = {**args, "workdir": args.get("working_directory")}
    argv = args.get("command")
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        raise RespondToModel("failed to parse function arguments: `command` must be a non-empty array of strings")
    timeout = args.get("timeout_ms", args.get("timeout"))
    if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
        raise RespondToModel("failed to parse function arguments: `timeout_ms` must be a positive number")
    workdir = args.get("workdir")
    cwd = ctx.cwd if not workdir else (ctx.cwd / workdir if not os.path.isabs(workdir) else Path(workdir))
    if not cwd.is_dir():
        raise RespondToModel(f"workdir does not exist or is not a directory: {cwd}")
    return ShellRequest(
        argv=argv, cwd=cwd.resolve(), timeout_ms=int(timeout or ctx.exec_settings.default_timeout_ms),
        escalated=bool(args.get("with_escalated_permissions")), justification=args.get("justification"),
    )


class ShellRun:
    """One shell call: approvals, sandboxed run, denial handling, events."""

    def __init__(self, ctx: ToolContext, call_id: str, request: ShellRequest, style: OutputStyle):
        self.ctx, self.call_id, self.req, self.style = ctx, call_id, request, style
        self.parsed = parse_command_summary(request.argv)
        self.policy = TruncationPolicy("bytes", ctx.exec_settings.output_byte_budget)

    async def run(self) -> ToolResult:
        ctx, req = self.ctx, self.req
        await ctx.emit(ExecCommandBegin(call_id=self.call_id, turn_id=ctx.turn_id, command=req.argv, cwd=str(req.cwd), parsed_cmd=self.parsed))
        requirement = exec_requirement(
            req.argv, ctx.approval_policy, ctx.sandbox_policy, escalated=req.escalated,
            justification=req.justification, sandbox_available=ctx.sandbox_mechanism != "none",
            planted=planted_programs(_command_path(ctx), effective_writable_roots(ctx.sandbox_policy, ctx.cwd, os.environ)),
            rule=ctx.exec_settings.exec_rules.evaluate(req.argv),
        )
        if isinstance(requirement, Forbidden):  # a rule, no sandbox under `never`: never ran
            return await self._not_run(requirement.reason, refused=True)
        unsandboxed = isinstance(ctx.sandbox_policy, DangerFullAccess) or ctx.sandbox_mechanism == "none"
        if isinstance(requirement, NeedsApproval):
            escalating = req.escalated and not unsandboxed
            reason = _unsandboxed_reason(requirement.reason) if escalating else requirement.reason
            if not await self._ask(reason, unsandboxed=escalating):
                # Declined (its denied approval request says so), not refused by a policy.
                return await self._not_run(f"{REJECTED}: {requirement.reason}" if requirement.by_rule else REJECTED)
            unsandboxed = unsandboxed or escalating
        try:
            result = await self._execute(sandboxed=not unsandboxed)
            evidence = None if unsandboxed else self._denial(result)
            if evidence and ctx.approval_policy in ("untrusted", "on-failure"):
                # A rerun outside the sandbox is a new, bigger permission: never covered by the
                # approval (or session approval) of the sandboxed run; the prompt says so.
                if await self._ask(_unsandboxed_reason(f"{RETRY_REASON} ({evidence})"), unsandboxed=True):
                    result = await self._execute(sandboxed=False)
        except CommandStartError as err:  # NUL byte, argument list too long, not found, ...
            return await self._not_run(str(err))
        return await self._finish(result)

    async def _ask(self, reason: str | None, *, unsandboxed: bool) -> bool:
        key = exec_session_key(self.req.argv, self.req.cwd, unsandboxed)
        if key in self.ctx.session_approvals:
            return True
        request = ExecApprovalRequest(
            call_id=self.call_id, turn_id=self.ctx.turn_id, command=self.req.argv, cwd=str(self.req.cwd),
            reason=reason, parsed_cmd=self.parsed,
        )
        decision = await self.ctx.request_approval(request)
        if decision == "approved_for_session":
            self.ctx.session_approvals.add(key)
        return decision in ("approved", "approved_for_session")

    async def _execute(self, sandboxed: bool) -> ExecResult:
        # Hidden paths, the network refusal, the scrubbed Jupyter keys and the resource
        # limits: agent.exec.sandbox / hidden / limits (the cgroup lives as long as the command).
        from agent.exec.hidden import jupyter_secrets
        from agent.exec.limits import CommandCgroup
        from agent.exec.sandbox import network_refusal

        ctx, req = self.ctx, self.req
        info = probe_mechanism(force=ctx.sandbox_mechanism) if sandboxed else None
        network = (isinstance(ctx.sandbox_policy, WorkspaceWrite) and ctx.sandbox_policy.network_access
                   and (info is None or network_refusal(info.mechanism) is None))
        settings = ctx.exec_settings
        env = command_env(
            os.environ, inherit=settings.env_inherit, ignore_default_excludes=settings.env_ignore_default_excludes,
            exclude=list(settings.env_exclude), set=dict(settings.env_set), include_only=list(settings.env_include_only),
            network_disabled=sandboxed and not network, secret_values=jupyter_secrets(),
        )
        if info is None:
            return await run_command(req.argv, cwd=req.cwd, env=env, timeout_ms=req.timeout_ms, on_output=self._on_output)
        cgroup = CommandCgroup.create(settings.limits) if info.mechanism != "none" else None
        try:
            argv = sandboxed_argv(req.argv, ctx.sandbox_policy, req.cwd, env, info, workspace=ctx.cwd,
                                  hidden=ctx.hidden_paths, limits=settings.limits, cgroup=cgroup)
            return await run_command(argv, cwd=req.cwd, env=env, timeout_ms=req.timeout_ms, on_output=self._on_output)
        finally:
            if cgroup is not None:
                cgroup.remove()

    async def _on_output(self, stream: str, chunk: bytes) -> None:
        await self.ctx.emit(ExecCommandOutputDelta(call_id=self.call_id, stream=stream, chunk=base64.b64encode(chunk).decode()))  # type: ignore[arg-type]

    def _denial(self, result: ExecResult) -> str | None:
        ctx = self.ctx
        roots = effective_writable_roots(ctx.sandbox_policy, ctx.cwd, os.environ)
        return sandbox_denial(
            result.exit_code, result.stderr, ctx.sandbox_mechanism, cwd=str(self.req.cwd), timed_out=result.timed_out,
            may_write=lambda path: is_path_writable(path, roots), network_disabled=network_disabled(ctx.sandbox_policy),
        )

    async def _not_run(self, message: str, *, refused: bool = False) -> ToolResult:
        """End a command that never ran (exit code -1, the message as its output);
        `refused`: a policy refused it (see ExecCommandEnd.refused), not the user or the OS."""
        await self.ctx.emit(self._end_event(-1, "", message, message, 0.0, message, refused=refused))
        return ToolResult(message, success=False)

    async def _finish(self, result: ExecResult) -> ToolResult:
        shown = formatted_output(result.aggregated_output, timed_out=result.timed_out, timeout_ms=self.req.timeout_ms, policy=self.policy)
        await self.ctx.emit(self._end_event(result.exit_code, result.stdout, result.stderr, result.aggregated_output, result.duration_s, shown))
        text = model_output(
            result.aggregated_output, exit_code=result.exit_code, duration_s=result.duration_s,
            timed_out=result.timed_out, timeout_ms=self.req.timeout_ms, policy=self.policy, style=self.style,
        )
        return ToolResult(text, success=result.exit_code == 0)

    def _end_event(self, code: int, out: str, err: str, aggregated: str, seconds: float, formatted: str,
                   *, refused: bool = False) -> ExecCommandEnd:
        return ExecCommandEnd(
            call_id=self.call_id, turn_id=self.ctx.turn_id, command=self.req.argv, cwd=str(self.req.cwd),
            parsed_cmd=self.parsed, stdout=out, stderr=err, aggregated_output=aggregated, exit_code=code,
            duration=Duration.from_seconds(seconds), formatted_output=formatted, refused=refused,
        )
