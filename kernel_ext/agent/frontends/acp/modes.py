"""ACP session modes: the approval policy and sandbox a session's turns run with.

As in Codex's ACP adapter: `read-only` (read-only sandbox, ask on request), `auto`
(workspace-write sandbox, ask on request) and `full-access` (no sandbox, never ask). A
session starts in the mode its config.toml settings match; when they match none (say
`approval_policy = "untrusted"`), a fourth mode `config` stands for exactly those
settings, so starting a session never loosens what the user configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agent.protocol import ops
from agent.protocol.policy import AskForApproval, SandboxPolicy, WorkspaceWrite, sandbox_policy_for_mode

if TYPE_CHECKING:
    from agent.core.api import Config

CONFIG_MODE = "config"


@dataclass(frozen=True)
class Mode:
    id: str
    name: str
    description: str
    approval: AskForApproval
    sandbox: SandboxPolicy


def preset_modes(config: Config) -> list[Mode]:
    """The three presets; `auto` keeps the config's workspace-write settings (extra
    writable roots, network) when it has them."""
    workspace = config.sandbox_policy if isinstance(config.sandbox_policy, WorkspaceWrite) else WorkspaceWrite()
    return [
        Mode("read-only", "Read Only", "Reads files; any change or network use asks first.", "on-request",
             sandbox_policy_for_mode("read-only")),
        Mode("auto", "Auto", "Edits files and runs commands in the workspace sandbox; asks to go beyond it.",
             "on-request", workspace),
        Mode("full-access", "Full Access", "No sandbox and no questions: commands run with your full rights.",
             "never", sandbox_policy_for_mode("danger-full-access")),
    ]


def session_modes(config: Config) -> tuple[list[Mode], str]:
    """The modes a session offers and the id of the one its config selects."""
    modes = preset_modes(config)
    for mode in modes:
        if mode.approval == config.approval_policy and mode.sandbox == config.sandbox_policy:
            return modes, mode.id
    own = Mode(CONFIG_MODE, "As configured",
               f"config.toml: approval {config.approval_policy}, sandbox {config.sandbox_policy.type}",
               config.approval_policy, config.sandbox_policy)
    return [own, *modes], own.id


def mode_override(mode: Mode) -> ops.OverrideTurnContext:
    """The op that makes later turns run in `mode`."""
    return ops.OverrideTurnContext(approval_policy=mode.approval, sandbox_policy=mode.sandbox)
