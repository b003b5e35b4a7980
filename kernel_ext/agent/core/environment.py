"""The environment context message (spec §8.6): where the agent works and under which rules.

    ctx = EnvironmentContext.from_turn(turn_context)   # cwd, approval, sandbox, shell
    ctx.message()                                      # user message, XML text, sent at start
    diff(previous, current)                            # None, or only the changed fields + shell

Sent as the last item of the initial context, then again (as a diff) at the start of a
task whose cwd, approval policy or sandbox policy differs from the previous task's.
The shell never triggers a diff by itself. Pure: the environment is passed in.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import PurePath
from typing import Any, Mapping

from agent.protocol.items import Message, user_text
from agent.protocol.policy import DangerFullAccess, ReadOnly, WorkspaceWrite

OPEN_TAG = "<environment_context>"
CLOSE_TAG = "</environment_context>"


@dataclass(frozen=True)
class EnvironmentContext:
    """Each field is rendered only when it is not None."""

    cwd: str | None = None
    approval_policy: str | None = None
    sandbox_mode: str | None = None
    network_access: str | None = None
    writable_roots: tuple[str, ...] | None = None
    shell: str | None = None

    @classmethod
    def from_turn(cls, ctx: Any, env: Mapping[str, str] | None = None) -> EnvironmentContext:
        """From anything with `cwd`, `approval_policy` and `sandbox_policy` (a TurnContext);
        the shell is the basename of `$SHELL` in `env` (default: the process environment)."""
        return cls(
            cwd=str(ctx.cwd),
            approval_policy=str(ctx.approval_policy),
            **sandbox_fields(ctx.sandbox_policy),
            shell=shell_name(os.environ if env is None else env),
        )

    def render(self) -> str:
        lines = [OPEN_TAG]
        for name in ("cwd", "approval_policy", "sandbox_mode", "network_access"):
            value = getattr(self, name)
            if value is not None:
                lines.append(f"  <{name}>{value}</{name}>")
        if self.writable_roots:
            lines.append("  <writable_roots>")
            lines.extend(f"    <root>{root}</root>" for root in self.writable_roots)
            lines.append("  </writable_roots>")
        if self.shell is not None:
            lines.append(f"  <shell>{self.shell}</shell>")
        lines.append(CLOSE_TAG)
        return "\n".join(lines)

    def message(self) -> Message:
        return user_text(self.render())

    def equals_except_shell(self, other: EnvironmentContext) -> bool:
        return replace(self, shell=None) == replace(other, shell=None)


def sandbox_fields(policy: Any) -> dict[str, Any]:
    """`sandbox_mode`, `network_access` (derived) and the configured extra writable roots."""
    if isinstance(policy, DangerFullAccess):
        return {"sandbox_mode": policy.type, "network_access": "enabled", "writable_roots": None}
    if isinstance(policy, ReadOnly):
        return {"sandbox_mode": policy.type, "network_access": "restricted", "writable_roots": None}
    if isinstance(policy, WorkspaceWrite):
        network = "enabled" if policy.network_access else "restricted"
        return {"sandbox_mode": policy.type, "network_access": network, "writable_roots": tuple(policy.writable_roots) or None}
    return {}


def shell_name(env: Mapping[str, str]) -> str | None:
    """The basename of `$SHELL` ("zsh"), None when unset."""
    name = PurePath(env.get("SHELL", "").strip()).name
    return name or None


def diff(previous: EnvironmentContext, current: EnvironmentContext) -> EnvironmentContext | None:
    """None when only the shell differs (or nothing); else the changed fields plus the shell.
    A sandbox change carries all of its fields (mode, network access, writable roots)."""
    if previous.equals_except_shell(current):
        return None
    sandbox_changed = (previous.sandbox_mode, previous.network_access, previous.writable_roots) != (
        current.sandbox_mode, current.network_access, current.writable_roots
    )
    return EnvironmentContext(
        cwd=current.cwd if current.cwd != previous.cwd else None,
        approval_policy=current.approval_policy if current.approval_policy != previous.approval_policy else None,
        sandbox_mode=current.sandbox_mode if sandbox_changed else None,
        network_access=current.network_access if sandbox_changed else None,
        writable_roots=current.writable_roots if sandbox_changed else None,
        shell=current.shell,
    )


def is_environment_context(text: str) -> bool:
    return text.lstrip().startswith(OPEN_TAG)
