"""Events: what a session sends to its front ends (spec §1.2).

`Event{id, msg}`: `id` is the submission (turn) the event belongs to; `msg` is a union
tagged by `type`. `session_configured` is always the first event of a session.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from .policy import AskForApproval, ReasoningEffort, SandboxPolicy


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Duration(BaseModel):
    """Serialised like Rust's Duration: `{secs, nanos}`."""

    secs: int
    nanos: int

    @classmethod
    def from_seconds(cls, seconds: float) -> Duration:
        whole = int(max(seconds, 0.0))
        return cls(secs=whole, nanos=int(round((max(seconds, 0.0) - whole) * 1e9)))

    def seconds(self) -> float:
        return self.secs + self.nanos / 1e9


ErrorInfo = Literal[
    "context_window_exceeded",
    "usage_limit_exceeded",
    "http_connection_failed",
    "response_stream_connection_failed",
    "internal_server_error",
    "unauthorized",
    "bad_request",
    "sandbox_error",
    "response_stream_disconnected",
    "response_too_many_failed_attempts",
    "other",
]


class TokenUsage(BaseModel):
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_output_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(**{k: getattr(self, k) + getattr(other, k) for k in TokenUsage.model_fields})


class TokenUsageInfo(BaseModel):
    total_token_usage: TokenUsage
    last_token_usage: TokenUsage
    model_context_window: int | None = None


class RateLimitWindow(BaseModel):
    used_percent: float
    window_minutes: int | None = None
    resets_at: int | None = None


class Credits(BaseModel):
    has_credits: bool
    unlimited: bool
    balance: str | None = None


class RateLimitSnapshot(BaseModel):
    primary: RateLimitWindow | None = None
    secondary: RateLimitWindow | None = None
    credits: Credits | None = None


class ParsedCommand(BaseModel):
    """A summary of what a command does, for display (`read`, `list_files`, `search`, `unknown`)."""

    type: Literal["read", "list_files", "search", "unknown"]
    cmd: str
    name: str | None = None
    path: str | None = None
    query: str | None = None


class FileAdd(BaseModel):
    type: Literal["add"] = "add"
    content: str


class FileDelete(BaseModel):
    type: Literal["delete"] = "delete"
    content: str


class FileUpdate(BaseModel):
    type: Literal["update"] = "update"
    unified_diff: str
    move_path: str | None = None


FileChange = Annotated[Union[FileAdd, FileDelete, FileUpdate], Field(discriminator="type")]


class PlanItem(BaseModel):
    step: str
    status: Literal["pending", "in_progress", "completed"]


# --- lifecycle -------------------------------------------------------------------------


class SessionConfigured(_Msg):
    type: Literal["session_configured"] = "session_configured"
    session_id: str
    model: str
    model_provider_id: str
    approval_policy: AskForApproval
    sandbox_policy: SandboxPolicy
    cwd: str
    reasoning_effort: ReasoningEffort | None = None
    history_log_id: int = 0
    history_entry_count: int = 0
    initial_messages: list[dict[str, Any]] | None = None
    rollout_path: str | None = None
    sandbox_mechanism: str | None = None
    """Which sandbox confines commands (e.g. `bubblewrap`, `landlock`, `none`)."""
    sandbox_warning: str | None = None
    """Set when commands cannot be confined (then every command needs approval), or when
    the sandbox is weaker than configured (e.g. network refused, the agent's install
    writable under Landlock)."""
    sandbox_hidden: list[str] | None = None
    """Paths hidden from sandboxed commands on the active mechanism (empty: nothing)."""
    sandbox_notes: list[str] | None = None
    """What else holds or doesn't on the active mechanism (resource limits, `.git`)."""


class TaskStarted(_Msg):
    type: Literal["task_started"] = "task_started"
    model_context_window: int | None = None


class TaskComplete(_Msg):
    type: Literal["task_complete"] = "task_complete"
    last_agent_message: str | None = None


class TurnAborted(_Msg):
    type: Literal["turn_aborted"] = "turn_aborted"
    reason: Literal["interrupted", "replaced", "review_ended"]


class ShutdownComplete(_Msg):
    type: Literal["shutdown_complete"] = "shutdown_complete"


class Error(_Msg):
    type: Literal["error"] = "error"
    message: str
    codex_error_info: ErrorInfo | None = None
    http_status_code: int | None = None


class Warning(_Msg):  # noqa: A001 - the protocol's name
    type: Literal["warning"] = "warning"
    message: str


class StreamError(_Msg):
    type: Literal["stream_error"] = "stream_error"
    message: str
    codex_error_info: ErrorInfo | None = "response_stream_disconnected"
    retry_in_ms: int | None = None
    """How long the client waits before the next attempt (for countdowns)."""


class BackgroundEvent(_Msg):
    type: Literal["background_event"] = "background_event"
    message: str


# --- model output ----------------------------------------------------------------------


class AgentMessageDelta(_Msg):
    type: Literal["agent_message_delta"] = "agent_message_delta"
    delta: str


class AgentMessage(_Msg):
    type: Literal["agent_message"] = "agent_message"
    message: str


class AgentReasoningDelta(_Msg):
    type: Literal["agent_reasoning_delta"] = "agent_reasoning_delta"
    delta: str


class AgentReasoning(_Msg):
    type: Literal["agent_reasoning"] = "agent_reasoning"
    text: str


class AgentReasoningRawContentDelta(_Msg):
    type: Literal["agent_reasoning_raw_content_delta"] = "agent_reasoning_raw_content_delta"
    delta: str


class AgentReasoningRawContent(_Msg):
    type: Literal["agent_reasoning_raw_content"] = "agent_reasoning_raw_content"
    text: str


class AgentReasoningSectionBreak(_Msg):
    type: Literal["agent_reasoning_section_break"] = "agent_reasoning_section_break"
    item_id: str = ""
    summary_index: int = 0


class UserMessage(_Msg):
    type: Literal["user_message"] = "user_message"
    message: str
    images: list[str] | None = None


class TokenCount(_Msg):
    type: Literal["token_count"] = "token_count"
    info: TokenUsageInfo | None = None
    rate_limits: RateLimitSnapshot | None = None


# --- tools -----------------------------------------------------------------------------


class ExecCommandBegin(_Msg):
    type: Literal["exec_command_begin"] = "exec_command_begin"
    call_id: str
    turn_id: str
    command: list[str]
    cwd: str
    parsed_cmd: list[ParsedCommand] = []
    source: Literal["agent", "user_shell", "unified_exec_startup", "unified_exec_interaction"] = "agent"


class ExecCommandOutputDelta(_Msg):
    type: Literal["exec_command_output_delta"] = "exec_command_output_delta"
    call_id: str
    stream: Literal["stdout", "stderr"]
    chunk: str
    """Raw bytes, base64-encoded."""


class ExecCommandEnd(_Msg):
    type: Literal["exec_command_end"] = "exec_command_end"
    call_id: str
    turn_id: str
    command: list[str]
    cwd: str
    parsed_cmd: list[ParsedCommand] = []
    source: Literal["agent", "user_shell", "unified_exec_startup", "unified_exec_interaction"] = "agent"
    stdout: str
    stderr: str
    aggregated_output: str
    exit_code: int
    duration: Duration
    formatted_output: str
    refused: bool = False
    """The command never ran: a policy (an exec-policy `forbidden` rule, no sandbox under
    `never`, an admin requirement) refused it. `exit_code` (-1) and `duration` (0) are then
    placeholders, and the output is the reason. A command the user declined is not `refused`
    (its denied approval request says what happened)."""


class ExecApprovalRequest(_Msg):
    type: Literal["exec_approval_request"] = "exec_approval_request"
    call_id: str
    turn_id: str
    command: list[str]
    cwd: str
    reason: str | None = None
    parsed_cmd: list[ParsedCommand] = []


class ApplyPatchApprovalRequest(_Msg):
    type: Literal["apply_patch_approval_request"] = "apply_patch_approval_request"
    call_id: str
    turn_id: str
    changes: dict[str, FileChange]
    reason: str | None = None
    grant_root: str | None = None


class PatchApplyBegin(_Msg):
    type: Literal["patch_apply_begin"] = "patch_apply_begin"
    call_id: str
    turn_id: str
    auto_approved: bool
    changes: dict[str, FileChange]


class PatchApplyEnd(_Msg):
    type: Literal["patch_apply_end"] = "patch_apply_end"
    call_id: str
    turn_id: str
    stdout: str
    stderr: str
    success: bool
    changes: dict[str, FileChange] = {}


class TurnDiff(_Msg):
    type: Literal["turn_diff"] = "turn_diff"
    unified_diff: str


class PlanUpdate(_Msg):
    type: Literal["plan_update"] = "plan_update"
    explanation: str | None = None
    plan: list[PlanItem]


class UndoStarted(_Msg):
    type: Literal["undo_started"] = "undo_started"
    message: str | None = None


class UndoCompleted(_Msg):
    type: Literal["undo_completed"] = "undo_completed"
    success: bool
    message: str | None = None


class ToolCallBegin(_Msg):
    """A tool other than shell/apply_patch started (for display)."""

    type: Literal["tool_call_begin"] = "tool_call_begin"
    call_id: str
    name: str
    arguments: str


class ToolCallEnd(_Msg):
    type: Literal["tool_call_end"] = "tool_call_end"
    call_id: str
    name: str
    output: str
    success: bool
    duration: Duration


# --- MCP (spec §1.2, §11) ----------------------------------------------------------------


class McpStartupStatus(BaseModel):
    state: Literal["starting", "ready", "failed", "cancelled"]
    error: str | None = None
    """Set when `state` is `failed`."""


class McpStartupUpdate(_Msg):
    type: Literal["mcp_startup_update"] = "mcp_startup_update"
    server: str
    status: McpStartupStatus


class McpStartupFailure(BaseModel):
    server: str
    error: str


class McpStartupComplete(_Msg):
    type: Literal["mcp_startup_complete"] = "mcp_startup_complete"
    ready: list[str] = []
    failed: list[McpStartupFailure] = []
    cancelled: list[str] = []


class McpInvocation(BaseModel):
    server: str
    tool: str
    arguments: Any = None
    """The parsed JSON arguments (None: none given)."""


class McpToolCallBegin(_Msg):
    type: Literal["mcp_tool_call_begin"] = "mcp_tool_call_begin"
    call_id: str
    invocation: McpInvocation


class McpToolCallEnd(_Msg):
    type: Literal["mcp_tool_call_end"] = "mcp_tool_call_end"
    call_id: str
    invocation: McpInvocation
    duration: Duration
    result: dict[str, Any]
    """`{"Ok": CallToolResult JSON}` or `{"Err": "message"}`, as Codex serialises it."""

    def is_success(self) -> bool:
        ok = self.result.get("Ok")
        return isinstance(ok, dict) and not ok.get("isError", False)


EventMsg = Annotated[
    Union[
        SessionConfigured,
        TaskStarted,
        TaskComplete,
        TurnAborted,
        ShutdownComplete,
        Error,
        Warning,
        StreamError,
        BackgroundEvent,
        AgentMessageDelta,
        AgentMessage,
        AgentReasoningDelta,
        AgentReasoning,
        AgentReasoningRawContentDelta,
        AgentReasoningRawContent,
        AgentReasoningSectionBreak,
        UserMessage,
        TokenCount,
        ExecCommandBegin,
        ExecCommandOutputDelta,
        ExecCommandEnd,
        ExecApprovalRequest,
        ApplyPatchApprovalRequest,
        PatchApplyBegin,
        PatchApplyEnd,
        TurnDiff,
        PlanUpdate,
        UndoStarted,
        UndoCompleted,
        ToolCallBegin,
        ToolCallEnd,
        McpStartupUpdate,
        McpStartupComplete,
        McpToolCallBegin,
        McpToolCallEnd,
    ],
    Field(discriminator="type"),
]


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    msg: EventMsg


event_adapter: TypeAdapter[Event] = TypeAdapter(Event)


def percent_of_context_left(total_tokens: int, window: int) -> int:
    """The UI's "context left" figure, with Codex's fixed 12,000-token baseline."""
    baseline = 12_000
    if window <= baseline:
        return 0
    effective = window - baseline
    used = max(0, total_tokens - baseline)
    return int(max(0.0, min(100.0, (effective - used) / effective * 100.0)))
