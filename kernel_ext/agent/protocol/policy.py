"""Policies and small enums shared by every layer (spec §7.1, §7.2, §10.2).

`SandboxPolicy` is a tagged union (`type`, kebab-case) exactly as Codex serialises it;
`AskForApproval`, `ReviewDecision` and the reasoning knobs are plain string literals;
`APPROVAL_POLICIES` and `SANDBOX_MODES` list the values of the first and of `SandboxMode`.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union, get_args

from pydantic import BaseModel, ConfigDict, Field

AskForApproval = Literal["untrusted", "on-failure", "on-request", "never"]
"""When the user is asked before a command or patch runs (spec §7.2)."""

ReviewDecision = Literal["approved", "approved_for_session", "denied", "abort"]
"""The user's answer to an approval request (spec §1.1)."""

SandboxMode = Literal["read-only", "workspace-write", "danger-full-access"]
"""The config-file spelling of a sandbox policy."""

APPROVAL_POLICIES: tuple[AskForApproval, ...] = get_args(AskForApproval)
"""Every approval policy, in the order front ends list them (derived from `AskForApproval`)."""
SANDBOX_MODES: tuple[SandboxMode, ...] = get_args(SandboxMode)
"""Every sandbox mode, from the most to the least restricted (derived from `SandboxMode`)."""

ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh"]
ReasoningSummary = Literal["auto", "concise", "detailed", "none"]
Verbosity = Literal["low", "medium", "high"]


class _Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DangerFullAccess(_Policy):
    """No restrictions: full disk write and network."""

    type: Literal["danger-full-access"] = "danger-full-access"


class ReadOnly(_Policy):
    """Read anywhere, write nowhere except /dev/null, no network."""

    type: Literal["read-only"] = "read-only"


class WorkspaceWrite(_Policy):
    """Write inside the cwd, /tmp, $TMPDIR and `writable_roots`; `.git` stays read-only.

    `include_cwd=False` (a permission profile granting only listed paths) leaves the cwd
    out of the writable roots unless it is listed in `writable_roots`."""

    type: Literal["workspace-write"] = "workspace-write"
    writable_roots: tuple[str, ...] = ()
    network_access: bool = False
    exclude_tmpdir_env_var: bool = False
    exclude_slash_tmp: bool = False
    include_cwd: bool = True


SandboxPolicy = Annotated[
    Union[DangerFullAccess, ReadOnly, WorkspaceWrite], Field(discriminator="type")
]


def sandbox_policy_for_mode(mode: SandboxMode, **workspace: object) -> SandboxPolicy:
    """Build the policy object for a config-file `sandbox_mode` value."""
    if mode == "danger-full-access":
        return DangerFullAccess()
    if mode == "read-only":
        return ReadOnly()
    return WorkspaceWrite.model_validate(workspace)
