"""Approval policy tables (spec §7.2-7.4): for each policy, auto / ask / reject."""

from __future__ import annotations

import pytest

from agent.protocol.policy import DangerFullAccess, ReadOnly, WorkspaceWrite
from agent.tools.approval_rules import Forbidden, NeedsApproval, Skip, exec_requirement, patch_requirement

WS, FULL, RO = WorkspaceWrite(), DangerFullAccess(), ReadOnly()
AUTO, ASK, REJECT = "auto", "ask", "reject"
POLICIES = ["untrusted", "on-failure", "on-request", "never"]


def verdict(req) -> str:
    return {Skip: AUTO, NeedsApproval: ASK, Forbidden: REJECT}[type(req)]


# (argv, sandbox, escalated, sandbox available) -> expected for untrusted, on-failure, on-request, never
EXEC_TABLE = [
    (["ls", "-la"], WS, False, True, [AUTO, AUTO, AUTO, AUTO]),
    (["bash", "-lc", "ls && cat notes.txt | wc -l"], WS, False, True, [AUTO, AUTO, AUTO, AUTO]),
    (["git", "status"], WS, False, True, [AUTO, AUTO, AUTO, AUTO]),
    (["python", "train.py"], WS, False, True, [ASK, AUTO, AUTO, AUTO]),
    (["bash", "-lc", "ls > out.txt"], WS, False, True, [ASK, AUTO, AUTO, AUTO]),
    (["rm", "-rf", "build"], WS, False, True, [ASK, AUTO, ASK, AUTO]),
    (["git", "reset", "--hard"], WS, False, True, [ASK, AUTO, ASK, AUTO]),
    (["bash", "-lc", "git rm data.csv"], WS, False, True, [ASK, AUTO, ASK, AUTO]),
    (["pip", "install", "pandas"], WS, True, True, [ASK, AUTO, ASK, AUTO]),
    (["python", "train.py"], FULL, False, True, [ASK, AUTO, AUTO, AUTO]),
    (["rm", "-rf", "build"], FULL, False, True, [ASK, AUTO, ASK, AUTO]),
    (["python", "train.py"], RO, False, True, [ASK, AUTO, AUTO, AUTO]),
    # No sandbox on the machine: every command that is not known safe needs a person.
    (["python", "train.py"], WS, False, False, [ASK, ASK, ASK, REJECT]),
    (["cat", "notes.txt"], WS, False, False, [AUTO, AUTO, AUTO, AUTO]),
    (["python", "train.py"], FULL, False, False, [ASK, AUTO, AUTO, AUTO]),
]


@pytest.mark.parametrize("argv,sandbox,escalated,available,expected", EXEC_TABLE)
def test_exec_table(argv, sandbox, escalated, available, expected):
    got = [
        verdict(exec_requirement(argv, p, sandbox, escalated=escalated, justification="why", sandbox_available=available))
        for p in POLICIES
    ]
    assert got == expected


def test_escalation_carries_the_justification():
    req = exec_requirement(["curl", "example.org"], "on-request", WS, escalated=True, justification="fetch data", sandbox_available=True)
    assert req == NeedsApproval("fetch data")


# (inside writable roots?, sandbox) -> expected for untrusted, on-failure, on-request, never
PATCH_TABLE = [
    (True, WS, [ASK, AUTO, AUTO, AUTO]),
    (False, WS, [ASK, ASK, ASK, REJECT]),
    (False, RO, [ASK, ASK, ASK, REJECT]),
    (False, FULL, [ASK, AUTO, AUTO, AUTO]),
]


@pytest.mark.parametrize("inside,sandbox,expected", PATCH_TABLE)
def test_patch_table(inside, sandbox, expected):
    got = [verdict(patch_requirement(p, sandbox, empty=False, all_writable=inside)) for p in POLICIES]
    assert got == expected


def test_patch_refusal_texts():
    assert patch_requirement("on-request", WS, empty=True, all_writable=True) == Forbidden("empty patch")
    assert patch_requirement("never", WS, empty=False, all_writable=False) == Forbidden(
        "writing outside of the project; rejected by user approval settings"
    )


def test_known_safe_program_planted_under_a_writable_root_asks(tmp_path):
    """Invariant: a known-safe name that PATH resolves to a file the model can write (a
    `cat` in a venv inside the workspace) or a relative PATH entry is not known safe.
    Control: the system's `cat` still is."""
    from agent.exec.roots import WritableRoot
    from agent.tools.approval_rules import planted_programs

    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "cat").write_text("#!/bin/sh\ntouch /tmp/pwned\n")
    (bin_dir / "cat").chmod(0o755)
    roots = [WritableRoot(root=tmp_path)]
    system = "/usr/bin:/bin"

    def verdict_for(argv, search_path):
        req = exec_requirement(argv, "untrusted", WS, escalated=False, justification=None, sandbox_available=True,
                               planted=planted_programs(search_path, roots))
        return verdict(req)

    assert verdict_for(["cat", "x"], f"{bin_dir}:{system}") == ASK
    assert verdict_for(["bash", "-lc", "ls && cat x"], f"{bin_dir}:{system}") == ASK
    assert verdict_for(["ls"], f".:{system}") == ASK
    assert verdict_for(["cat", "x"], system) == AUTO
    assert verdict_for(["cat", "x"], f"{system}:{bin_dir}") == AUTO
