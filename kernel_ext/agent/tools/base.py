"""The tool seam: what a tool declares, what it receives, what it may ask of the session.

A `Tool` has a `name`, a Responses-API `spec()`, a `supports_parallel` flag and an async
`handle(call, ctx)` returning a `ToolResult`. It raises `RespondToModel` or `ToolFatal`
(tools/errors.py). `ToolContext` is implemented by the core session; tools never see it
beyond this Protocol.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from agent.exec.limits import DEFAULT_LIMITS, ResourceLimits
from agent.protocol.events import EventMsg
from agent.protocol.items import ResponseItem
from agent.protocol.policy import AskForApproval, ReviewDecision, SandboxPolicy

from .errors import RespondToModel
from .exec_rules import RuleSet
from .turn_diff import TurnDiffTracker
from .undo_journal import TurnJournal


@dataclass(frozen=True)
class ToolCall:
    """One call the model made. `payload` is the JSON argument string (function tools),
    the raw input (custom tools) or the JSON of a local_shell action."""

    call_id: str
    name: str
    kind: Literal["function", "custom", "local_shell"]
    payload: str

    def json_arguments(self) -> dict[str, Any]:
        """The arguments as a dict; a parse failure goes back to the model."""
        try:
            value = json.loads(self.payload or "{}")
        except json.JSONDecodeError as err:
            raise RespondToModel(f"failed to parse function arguments: {err}") from None
        if not isinstance(value, dict):
            raise RespondToModel("failed to parse function arguments: expected a JSON object")
        return value


@dataclass(frozen=True)
class ToolResult:
    output: str
    success: bool = True


@dataclass(frozen=True)
class ExecSettings:
    """How commands run in this session (from the config)."""

    default_timeout_ms: int = 120_000
    env_inherit: Literal["all", "core", "none"] = "all"
    env_ignore_default_excludes: bool = False
    env_exclude: tuple[str, ...] = ()
    env_set: tuple[tuple[str, str], ...] = ()
    env_include_only: tuple[str, ...] = ()
    output_byte_budget: int = 10_000
    """Bytes of command output the model sees (middle-truncated beyond this)."""
    limits: ResourceLimits = DEFAULT_LIMITS
    """Resource limits of every sandboxed command (agent.exec.limits)."""
    exec_rules: RuleSet = field(default_factory=RuleSet)
    """The exec-policy rules (agent.tools.exec_rules): forbidden / prompt / allow per command prefix."""
    run_python_requires_approval: bool = False
    """The admin's requirements.toml says run_python always asks (no session-wide approval, and
    under `never`, where nobody can be asked, it is denied with that reason)."""


class ToolContext(Protocol):
    """What a running tool may use. Implemented by the session for each turn."""

    turn_id: str
    session_id: str
    """The session (conversation) id, for provenance."""
    model: str
    """The turn's model and its provider id, for provenance."""
    provider: str
    cwd: Path
    approval_policy: AskForApproval
    sandbox_policy: SandboxPolicy
    exec_settings: ExecSettings
    session_approvals: set[str]
    """Keys of requests the user approved for the rest of the session."""
    diff_tracker: TurnDiffTracker
    """Baselines of the files this task changed (call `before_change` before writing)."""
    journal: TurnJournal
    """Where a tool records what it changed outside the workspace files (kernel variables,
    notebook cells) so `%agent undo` can put it back (undo_journal.py)."""
    sandbox_mechanism: str
    """`bubblewrap`, `landlock` or `none` (nothing available: every command needs approval)."""
    hidden_paths: tuple[Path, ...]
    """Paths nothing the model drives may read (agent.exec.hidden.protected_read_paths):
    the sandbox hides them from commands, in-process tools refuse them (`read_denial`)."""

    async def emit(self, msg: EventMsg) -> None:
        """Send an event to the front ends."""

    async def request_approval(self, request: EventMsg) -> ReviewDecision:
        """Emit an approval request event and wait for the user's decision."""

    def add_pending_input(self, item: ResponseItem) -> None:
        """Queue an item (e.g. an image the model asked to see) for the next request."""


class Tool(Protocol):
    name: str
    supports_parallel: bool

    def spec(self) -> dict[str, Any]:
        """The tool's JSON for the request's `tools` array."""

    async def handle(self, call: ToolCall, ctx: ToolContext) -> ToolResult: ...


def function_spec(name: str, description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """A Responses-API function tool with a strict-shaped object schema."""
    return {
        "type": "function",
        "name": name,
        "description": description,
        "strict": False,
        "parameters": {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        },
    }
