"""Exec-policy rules in the approval decision and in real sandboxed `shell` runs.

Invariants: `forbidden` is refused under every approval policy and sandbox (even a
known-safe command, even danger-full-access), nothing runs, and the model and the user
get `execpolicy forbids this command: ... (rule FILE:LINE)`; `prompt` asks under every
policy (even `never`, even a known-safe command) with the rule as the reason, and a
denial tells the model that reason; `allow` skips approval but still runs sandboxed,
and still asks when no sandbox is available or the model escalates; approving a
`prompt` command for the session never covers a different command.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from agent.exec.sandbox import probe_mechanism
from agent.protocol.events import ExecApprovalRequest, ExecCommandEnd
from agent.protocol.policy import DangerFullAccess, ReadOnly, WorkspaceWrite
from agent.tools.approval_rules import Forbidden, NeedsApproval, Skip, exec_requirement
from agent.tools.base import ExecSettings, ToolCall
from agent.tools.exec_rules import RuleSet, parse_rules
from agent.tools.shell import REJECTED, UNSANDBOXED_PREFIX, ShellTool

from .fakes import FakeCtx

SOURCE = "/etc/kernel-agent/rules/team.rules"
RULES = RuleSet(parse_rules('''prefix_rule(pattern=["ls"], decision="forbidden", justification="no listing here")
prefix_rule(pattern=["touch"], decision="prompt", justification="touching needs a look")
prefix_rule(pattern=["mkdir"], decision="allow")
''', SOURCE))
FORBIDS = f"execpolicy forbids this command: no listing here (rule {SOURCE}:1)"
ASKS = f"execpolicy requires approval for this command: touching needs a look (rule {SOURCE}:2)"
POLICIES = ["untrusted", "on-failure", "on-request", "never"]
SANDBOXES = [ReadOnly(), WorkspaceWrite(), DangerFullAccess()]


def requirement(argv, approval, sandbox, *, escalated=False, available=True):
    return exec_requirement(argv, approval, sandbox, escalated=escalated, justification="why",
                            sandbox_available=available, rule=RULES.evaluate(argv))


@pytest.mark.parametrize("approval", POLICIES)
@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_forbidden_and_prompt_hold_under_every_policy(approval, sandbox):
    """Attack: a known-safe command (`ls`) forbidden by a rule, under each policy and
    sandbox. Control: without rules the same `ls` needs no approval at all."""
    assert requirement(["ls", "-la"], approval, sandbox) == Forbidden(FORBIDS)
    assert requirement(["bash", "-lc", "cat x && ls"], approval, sandbox) == Forbidden(FORBIDS)
    assert requirement(["touch", "x"], approval, sandbox) == NeedsApproval(ASKS, by_rule=True)
    assert requirement(["ls"], approval, sandbox, available=False) == Forbidden(FORBIDS)
    assert exec_requirement(["ls"], approval, sandbox, escalated=False, justification=None, sandbox_available=True) == Skip()


def test_allow_skips_approval_only_where_the_sandbox_confines():
    """Invariant: an allowed command needs no approval even under `untrusted`; with no
    sandbox available it asks (or is refused under `never`) as before; escalation asks.
    Control: without the rule `untrusted` asks for it."""
    assert requirement(["mkdir", "d"], "untrusted", WorkspaceWrite()) == Skip()
    assert exec_requirement(["mkdir", "d"], "untrusted", WorkspaceWrite(), escalated=False, justification=None,
                            sandbox_available=True) == NeedsApproval(None)
    assert requirement(["mkdir", "d"], "on-request", WorkspaceWrite(), available=False) == NeedsApproval("no sandbox is available")
    assert isinstance(requirement(["mkdir", "d"], "never", WorkspaceWrite(), available=False), Forbidden)
    assert requirement(["mkdir", "d"], "on-request", WorkspaceWrite(), escalated=True) == NeedsApproval("why")


# ---------------------------------------------------------------- real sandboxed runs


@pytest.fixture
def mechanism() -> str:
    info = probe_mechanism()
    if info.mechanism == "none":  # CI machines have one (.ci/sysdeps): there a missing sandbox fails
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"no sandbox on this machine: {info.detail}")
    return info.mechanism


def ctx_for(tmp_path: Path, mechanism: str, approval: str, sandbox=None, decision="denied") -> FakeCtx:
    return FakeCtx(cwd=tmp_path, approval_policy=approval, sandbox_policy=sandbox or WorkspaceWrite(),
                   sandbox_mechanism=mechanism, exec_settings=ExecSettings(exec_rules=RULES), decision=decision)


async def run(ctx: FakeCtx, argv: list[str], call_id: str = "c1"):
    call = ToolCall(call_id=call_id, name="shell", kind="function", payload=json.dumps({"command": argv}))
    return await ShellTool().handle(call, ctx)


def requests(ctx: FakeCtx) -> list[ExecApprovalRequest]:
    return [e for e in ctx.events if isinstance(e, ExecApprovalRequest)]


@pytest.mark.parametrize("approval", ["never", "on-request"])
async def test_forbidden_command_never_runs(tmp_path, mechanism, approval):
    """Attack: a forbidden `ls` hidden after a harmless command in `bash -lc`, with full
    access. Nothing runs (the file the first half would write is absent), nobody is asked,
    the end event carries the message. Control: the harmless half alone runs."""
    ctx = ctx_for(tmp_path, mechanism, approval, DangerFullAccess(), decision="approved")
    result = await run(ctx, ["bash", "-lc", "echo hi > made.txt && ls"])
    assert not result.success and result.output == FORBIDS
    assert not (tmp_path / "made.txt").exists() and not requests(ctx)
    assert [e.formatted_output for e in ctx.events if isinstance(e, ExecCommandEnd)] == [FORBIDS]
    control = await run(ctx, ["bash", "-lc", "echo hi > made.txt"], "c2")
    assert control.success and (tmp_path / "made.txt").read_text() == "hi\n"


async def test_only_a_policy_refusal_is_marked_refused_on_the_end_event(tmp_path, mechanism):
    """A forbidden command's end event says `refused` (it never ran; front ends show
    "refused", not "failed · exit -1"). Controls: a command that runs and exits 1 and a
    `prompt` command the user denies (shown as declined) are not `refused`."""
    ctx = ctx_for(tmp_path, mechanism, "on-request")
    await run(ctx, ["ls", "-la"], "forbidden")
    await run(ctx, ["bash", "-lc", "echo no >&2; exit 1"], "fails")
    await run(ctx, ["touch", "a.txt"], "denied")
    ends = {e.call_id: e for e in ctx.events if isinstance(e, ExecCommandEnd)}
    assert (ends["forbidden"].refused, ends["forbidden"].aggregated_output) == (True, FORBIDS)
    assert (ends["fails"].refused, ends["fails"].exit_code) == (False, 1) and ends["fails"].aggregated_output.endswith("no\n")
    assert (ends["denied"].refused, ends["denied"].exit_code) == (False, -1)


async def test_no_sandbox_under_never_is_a_refusal(tmp_path):
    """With no sandbox and `never`, a command that would need approval is refused (never
    runs, end event `refused`). Control: a known-safe command still runs, not refused."""
    ctx = FakeCtx(cwd=tmp_path, approval_policy="never", sandbox_policy=WorkspaceWrite(), sandbox_mechanism="none")
    result = await run(ctx, ["bash", "-lc", "echo hi > made.txt"])
    control = await run(ctx, ["pwd"], "c2")
    ends = [e for e in ctx.events if isinstance(e, ExecCommandEnd)]
    assert not result.success and not (tmp_path / "made.txt").exists() and ends[0].refused
    assert control.success and not ends[1].refused and ends[1].exit_code == 0


async def test_prompt_asks_under_never_and_a_denial_carries_the_reason(tmp_path, mechanism):
    """Invariant: under `never` a `prompt` rule still asks, with the rule as the reason;
    denied, nothing runs and the model is told why. Control: approved, it runs."""
    ctx = ctx_for(tmp_path, mechanism, "never")
    result = await run(ctx, ["/usr/bin/touch", "a.txt"])
    assert [r.reason for r in requests(ctx)] == [ASKS]
    assert not result.success and result.output == f"{REJECTED}: {ASKS}" and not (tmp_path / "a.txt").exists()
    ctx.decision = "approved"
    assert (await run(ctx, ["touch", "a.txt"], "c2")).success and (tmp_path / "a.txt").exists()


async def test_session_approval_covers_only_the_same_command(tmp_path, mechanism):
    """Attack: after `touch a.txt` was approved for the session, `touch b.txt` (same rule)
    must ask again. Control: `touch a.txt` again does not ask."""
    ctx = ctx_for(tmp_path, mechanism, "on-request", decision="approved_for_session")
    await run(ctx, ["touch", "a.txt"])
    await run(ctx, ["touch", "a.txt"], "c2")
    assert len(requests(ctx)) == 1
    ctx.decision = "denied"
    result = await run(ctx, ["touch", "b.txt"], "c3")
    assert len(requests(ctx)) == 2 and not result.success and not (tmp_path / "b.txt").exists()


async def test_allowed_command_runs_without_asking_but_sandboxed(tmp_path, mechanism):
    """Invariant: `allow` skips approval under `untrusted`, yet the command stays in the
    sandbox: a directory outside the writable roots cannot be made, and running it outside
    the sandbox is asked for explicitly (denied here). Control: inside the workspace it
    is made without any question."""
    base = Path("/var/tmp") if os.access("/var/tmp", os.W_OK) else Path.home()
    outside = Path(tempfile.mkdtemp(prefix="ka-rules-", dir=base))
    try:
        ctx = ctx_for(tmp_path, mechanism, "untrusted")
        inside = await run(ctx, ["mkdir", "made"])
        escaped = await run(ctx, ["mkdir", str(outside / "escaped")], "c2")
        assert inside.success and (tmp_path / "made").is_dir()
        assert not escaped.success and not (outside / "escaped").exists()
        assert [(r.call_id, r.reason.startswith(UNSANDBOXED_PREFIX)) for r in requests(ctx)] == [("c2", True)]
    finally:
        shutil.rmtree(outside, ignore_errors=True)
