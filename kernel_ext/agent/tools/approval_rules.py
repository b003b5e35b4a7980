"""Whether a command or patch runs, asks first, or is refused (spec §7.2-7.4). Pure.

    exec_requirement(...)  -> Skip | NeedsApproval(reason) | Forbidden(reason)
    patch_requirement(...) -> the same for apply_patch
    session keys           -> what `approved_for_session` remembers

Known-safe commands never ask, unless PATH resolves one of the programs they start to a
file under a writable root (`planted`, see `planted_programs`): the model could have put
a `cat` there. With no sandbox available every command asks (and is refused under
`never`), since nothing else would confine it.

Exec-policy rules (agent.tools.exec_rules) come first, under every policy and sandbox:
`forbidden` is refused (even a known-safe command, even with full access); `prompt`
asks (even under `never`, even a known-safe command: a front end that cannot ask denies,
and the model is told the rule's reason); `allow` needs no approval, but the command
still runs sandboxed, asks when no sandbox is available, and escalation still asks.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Union

from agent.exec.roots import WritableRoot, is_path_writable

from agent.protocol.policy import AskForApproval, DangerFullAccess, SandboxPolicy

from .command_safety import command_might_be_dangerous, invoked_programs, is_known_safe_command
from .exec_rules import RuleDecision

NO_SANDBOX_UNDER_NEVER = (
    "no sandbox is available on this machine, so commands need approval; "
    "the approval policy 'never' does not allow asking"
)
OUTSIDE_PROJECT = "writing outside of the project; rejected by user approval settings"


@dataclass(frozen=True)
class Skip:
    pass


@dataclass(frozen=True)
class NeedsApproval:
    reason: str | None = None
    by_rule: bool = False
    """An exec-policy `prompt` rule asks: a denial tells the model the reason."""


@dataclass(frozen=True)
class Forbidden:
    reason: str


Requirement = Union[Skip, NeedsApproval, Forbidden]


def exec_requirement(
    argv: list[str], approval: AskForApproval, sandbox: SandboxPolicy, *,
    escalated: bool, justification: str | None, sandbox_available: bool,
    planted: Callable[[str], bool] = lambda program: False, rule: RuleDecision | None = None,
) -> Requirement:
    full_access = isinstance(sandbox, DangerFullAccess)
    if rule is not None and rule.decision == "forbidden":
        return Forbidden(rule.message())
    if rule is not None and rule.decision == "prompt":
        return NeedsApproval(rule.message(), by_rule=True)
    if rule is not None and not escalated and (full_access or sandbox_available):
        return Skip()  # allow: no approval, still sandboxed
    if is_known_safe_command(argv) and not any(planted(p) for p in invoked_programs(argv)):
        return Skip()
    if not full_access and not sandbox_available and not escalated:
        return Forbidden(NO_SANDBOX_UNDER_NEVER) if approval == "never" else NeedsApproval("no sandbox is available")
    if approval in ("never", "on-failure"):
        return Skip()
    if approval == "untrusted":
        return NeedsApproval(justification)
    dangerous = command_might_be_dangerous(argv)
    if full_access:
        return NeedsApproval(justification) if dangerous else Skip()
    return NeedsApproval(justification) if escalated or dangerous else Skip()


def planted_programs(search_path: str, roots: Iterable[WritableRoot]) -> Callable[[str], bool]:
    """The `planted` check of `exec_requirement` for a command's PATH and writable roots:
    True when PATH has a relative entry (`.`, an empty one) or resolves the program to a
    file the sandbox lets the model write (say a venv inside the workspace)."""
    roots = list(roots)
    relative = any(not entry or not os.path.isabs(entry) for entry in search_path.split(os.pathsep))

    def planted(program: str) -> bool:
        if relative:
            return True
        found = shutil.which(program, path=search_path)
        return found is not None and is_path_writable(os.path.realpath(found), roots)

    return planted


def patch_requirement(approval: AskForApproval, sandbox: SandboxPolicy, *, empty: bool, all_writable: bool) -> Requirement:
    """Patches are applied in-process after every path (realpath-resolved) was checked
    against the writable roots, so inside the roots they need no sandbox. Outside the
    roots they always ask (or are refused under `never`), whatever the policy."""
    if empty:
        return Forbidden("empty patch")
    if approval == "untrusted":
        return NeedsApproval(None)
    if all_writable or isinstance(sandbox, DangerFullAccess):
        return Skip()
    return Forbidden(OUTSIDE_PROJECT) if approval == "never" else NeedsApproval(None)


def exec_session_key(argv: list[str], cwd: Path, escalated: bool) -> str:
    return json.dumps({"kind": "exec", "argv": argv, "cwd": str(cwd), "escalated": escalated})


def patch_session_key(patch: str, cwd: Path) -> str:
    return json.dumps({"kind": "patch", "patch": patch, "cwd": str(cwd)})
