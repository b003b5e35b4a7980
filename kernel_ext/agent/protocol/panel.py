"""The side panel's wire: JupyterLab panel <-> kernel, over two comms (pure models).

The panel opens two comms on the kernel (see frontends/notebook/panel_bridge.py for why two):

* `agent.panel.commands` carries `PanelCommand`s from the panel. The kernel never sends on
  it, so ipykernel keeps routing it to the panel's subshell (panel traffic does not wait
  behind a busy cell).
* `agent.panel.events` carries `PanelMessage`s from the kernel: status, the transcript (the
  very state `frontends/transcript/` builds for the cell widget, sent as patches), the
  recorded sessions, notices, and `notebook_edit` requests the front end must carry out.

`TranscriptState` and its blocks describe what `Transcript.state()` returns; a test
validates real reducer output against this schema, and the TypeScript types are generated
from it (labextension/src/protocol.ts).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from typing_extensions import TypedDict

from .policy import AskForApproval, ReviewDecision

PANEL_PROTOCOL_VERSION = 1
from .comm import COMMANDS_TARGET, EVENTS_TARGET  # noqa: F401 - re-exported


# --- the transcript state (what the cell widget and the panel both render) ----------------


class FileEntry(TypedDict):
    path: str
    change: Literal["add", "delete", "update"]
    move_path: str | None
    diff: str
    omitted_lines: int


class PlanEntry(TypedDict):
    step: str
    status: Literal["pending", "in_progress", "completed"]


class UserBlock(TypedDict):
    id: str
    kind: Literal["user"]
    rev: int
    text: str
    images: int


class AgentBlock(TypedDict):
    id: str
    kind: Literal["agent"]
    rev: int
    text: str
    streaming: bool


class ReasoningBlock(TypedDict):
    id: str
    kind: Literal["reasoning"]
    rev: int
    text: str
    streaming: bool
    raw: bool


class CommandBlock(TypedDict):
    id: str
    kind: Literal["command"]
    rev: int
    call_id: str
    argv: list[str]
    cwd: str
    source: str | None
    parsed_cmd: list[dict[str, Any]]
    output: str
    truncated_bytes: int
    exit_code: int | None
    duration_ms: int | None
    status: Literal["waiting", "running", "ok", "failed", "declined", "aborted", "refused"]


class ToolBlock(TypedDict):
    id: str
    kind: Literal["tool"]
    rev: int
    call_id: str
    name: str
    arguments: str
    output: str
    omitted_chars: int
    success: bool | None
    duration_ms: int | None
    status: Literal["running", "ok", "failed", "aborted"]


class PatchBlock(TypedDict):
    id: str
    kind: Literal["patch"]
    rev: int
    call_id: str
    files: list[FileEntry]
    auto_approved: bool
    stdout: str
    stderr: str
    status: Literal["applying", "applied", "failed", "aborted"]


class PlanBlock(TypedDict):
    id: str
    kind: Literal["plan"]
    rev: int
    explanation: str | None
    items: list[PlanEntry]


class ApprovalBlock(TypedDict):
    id: str
    kind: Literal["approval"]
    rev: int
    call_id: str
    request: Literal["exec", "patch"]
    argv: list[str]
    cwd: str | None
    parsed_cmd: list[dict[str, Any]]
    files: list[FileEntry]
    reason: str | None
    grant_root: str | None
    options: list[ReviewDecision]
    decision: ReviewDecision | None
    status: Literal["pending", "decided", "aborted"]


class ErrorBlock(TypedDict):
    id: str
    kind: Literal["error"]
    rev: int
    message: str
    info: Any
    http_status: int | None


class StreamErrorBlock(TypedDict):
    id: str
    kind: Literal["stream_error"]
    rev: int
    message: str
    retry_in_ms: int | None
    at: float
    count: int


class NoticeBlock(TypedDict):
    id: str
    kind: Literal["notice"]
    rev: int
    level: Literal["info", "warning"]
    message: str


TranscriptBlock = Annotated[
    Union[UserBlock, AgentBlock, ReasoningBlock, CommandBlock, ToolBlock, PatchBlock, PlanBlock, ApprovalBlock,
          ErrorBlock, StreamErrorBlock, NoticeBlock],
    Field(discriminator="kind"),
]


class TranscriptStatus(TypedDict):
    state: Literal["idle", "queued", "running", "waiting_for_approval", "done", "aborted", "error"]
    reason: str | None
    stopping: bool
    started_at: float
    ended_at: float | None
    now: float
    elapsed_s: float
    tokens_used: int
    context_window: int | None
    context_left_percent: int | None
    model: str | None
    provider: str | None
    approval_policy: str | None
    sandbox: str | None
    sandbox_mechanism: str | None
    cwd: str | None
    session_id: str | None


class TranscriptState(TypedDict):
    version: int
    seq: int
    blocks: list[TranscriptBlock]
    turn_diff: str | None
    status: TranscriptStatus


# --- panel -> kernel ------------------------------------------------------------------------


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PanelHello(_Msg):
    """First message: the kernel answers with `status` and a full `transcript`."""

    type: Literal["hello"] = "hello"
    protocol_version: int = PANEL_PROTOCOL_VERSION


class PanelUserInput(_Msg):
    """What the user typed: starts a turn (or joins the running one)."""

    type: Literal["user_input"] = "user_input"
    text: str


class PanelDecision(_Msg):
    """An approval decision; shared with every cell widget showing the same request."""

    type: Literal["decision"] = "decision"
    call_id: str
    decision: ReviewDecision


class PanelInterrupt(_Msg):
    type: Literal["interrupt"] = "interrupt"


class PanelNewSession(_Msg):
    type: Literal["new_session"] = "new_session"


class PanelListSessions(_Msg):
    type: Literal["list_sessions"] = "list_sessions"


class PanelResumeSession(_Msg):
    """Resume a recorded session by id (None: the last one for this notebook or folder)."""

    type: Literal["resume_session"] = "resume_session"
    session_id: str | None = None


class PanelSetOptions(_Msg):
    """Change the model and/or approval policy for this and later turns."""

    type: Literal["set_options"] = "set_options"
    model: str | None = None
    approval_policy: AskForApproval | None = None


class NotebookCell(_Msg):
    """A cell as it was before an edit (what undoing the edit puts back)."""

    cell_type: Literal["code", "markdown", "raw"] = "code"
    source: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)
    id: str | None = None


class NotebookEditResult(_Msg):
    """The front end's answer to a `notebook_edit_request`: first `received` (the panel
    shows it; sent at once, so a request nobody sees fails fast), then the outcome."""

    type: Literal["notebook_edit_result"] = "notebook_edit_result"
    request_id: str
    status: Literal["received", "applied", "rejected", "failed"]
    message: str = ""
    """What happened, for the model (e.g. the cell's outputs after a run)."""
    cell_id: str | None = None
    """The cell the applied edit inserted, replaced, deleted or read."""
    index: int | None = None
    """That cell's 0-based position (for a delete: where it was)."""
    previous: NotebookCell | None = None
    """replace / delete: the cell as it was before, so the edit can be undone."""
    source: str | None = None
    """read: the cell's current source."""


PanelCommand = Annotated[
    Union[PanelHello, PanelUserInput, PanelDecision, PanelInterrupt, PanelNewSession, PanelListSessions,
          PanelResumeSession, PanelSetOptions, NotebookEditResult],
    Field(discriminator="type"),
]
panel_command_adapter: TypeAdapter[PanelCommand] = TypeAdapter(PanelCommand)


# --- kernel -> panel ------------------------------------------------------------------------


class TurnSettings(_Msg):
    """The running turn's settings that differ from the defaults (a `%%agent --approval`
    flag applies to its cell's turn only); a field is None where the turn uses the default."""

    model: str | None = None
    approval_policy: AskForApproval | None = None
    sandbox: str | None = None


class PanelStatus(_Msg):
    """The kernel's agent: which session, model, policies and sandbox."""

    type: Literal["status"] = "status"
    protocol_version: int = PANEL_PROTOCOL_VERSION
    version: str
    session_id: str | None
    running: bool
    model: str
    provider: str
    approval_policy: AskForApproval
    approval_policies: list[AskForApproval]
    sandbox: str
    sandbox_mechanism: str | None
    cwd: str
    notebook: str | None
    notebook_edit: bool
    """The session offers the `notebook_edit` tool (carried out by this panel)."""
    this_turn: TurnSettings | None = None
    """Where the running turn differs from the defaults above (which apply to later turns)."""
    queued: int = 0
    """Prompts waiting for the running turn to end (each runs as its own turn, in order)."""


class TextAppend(TypedDict):
    """`block.text += text` on the block `id` (an agent or reasoning block), whose `rev`
    becomes `rev` and `streaming` becomes `streaming` (the end of a stream is an append too)."""

    id: str
    rev: int
    text: str
    streaming: bool


class TranscriptPatch(_Msg):
    """The transcript since the last patch, sent to the side panel and to the cell widget.

    Applying one, in this order: `reset` means forget every block you have; each block in
    `blocks` (new, or changed other than by growing its text) replaces the one with its
    id; each entry of `appends` extends the `text` of a block already held (streamed
    answers and reasoning grow this way, so the bytes sent stay linear in the text);
    `order` then lists every block id, in display order. `turn_diff` is `None` when it is
    unchanged since the last patch (after a reset: when there is none), `""` when it went
    away. `status` is `None` when it is unchanged since the last patch except for the clock
    (`now`, `elapsed_s`: a front end ticks the elapsed time itself); a reset always has it.
    `order` is `None` when unchanged; `session_id` is only read from a reset (a new session
    always starts with one). A patch other than a reset leaves out the fields that say
    "unchanged" (their defaults below), so a patch costs the new text plus a constant per
    changed block, not a status, an order and a session id each."""

    type: Literal["transcript"] = "transcript"
    session_id: str | None = None
    reset: bool = False
    seq: int
    order: list[str] | None = None
    blocks: list[TranscriptBlock] = []
    appends: list[TextAppend] = []
    turn_diff: str | None = None
    status: TranscriptStatus | None = None


class SessionSummary(_Msg):
    id: str
    started: str
    first_user_message: str


class SessionList(_Msg):
    type: Literal["sessions"] = "sessions"
    sessions: list[SessionSummary]


class PanelNotice(_Msg):
    type: Literal["notice"] = "notice"
    level: Literal["info", "warning", "error"]
    message: str


NotebookEditAction = Literal["insert", "replace", "delete", "run", "read"]


class NotebookEditProvenance(_Msg):
    """Where an edit came from (no secrets, no model output)."""

    session_id: str
    turn_id: str
    model: str
    provider: str


class NotebookEditRequest(_Msg):
    """Ask the front end to edit the live notebook model. It shows a per-cell diff with
    Accept / Reject first, then answers with `notebook_edit_result`."""

    type: Literal["notebook_edit_request"] = "notebook_edit_request"
    request_id: str
    action: NotebookEditAction
    index: int | None = None
    """The cell's 0-based position (for insert: the position the new cell takes)."""
    cell_id: str | None = None
    source: str | None = None
    cell_type: Literal["code", "markdown", "raw"] = "code"
    run: bool = False
    """After an insert or replace, run the cell and report its outputs."""
    provenance: NotebookEditProvenance | None = None
    """Who made the edit: the front end stores it, with the action and the time, as the
    inserted or replaced cell's `metadata["kernel-agent"]`."""
    undo: bool = False
    """A reverse edit (or a `read`) of `%agent undo`: applied without Accept / Reject. Set
    only by the kernel's undo (tools/notebook_undo.py), never from the model's arguments."""
    expected_source: str | None = None
    """undo: the source the cell must still have; the front end refuses the edit otherwise."""
    metadata: dict[str, Any] | None = None
    """undo: the cell metadata to put back (replace, and the re-insert of a deleted cell)."""


class NotebookEditCancel(_Msg):
    """The request is void (the turn was stopped or it timed out): drop its Accept / Reject."""

    type: Literal["notebook_edit_cancel"] = "notebook_edit_cancel"
    request_id: str


PanelMessage = Annotated[
    Union[PanelStatus, TranscriptPatch, SessionList, PanelNotice, NotebookEditRequest, NotebookEditCancel],
    Field(discriminator="type"),
]
panel_message_adapter: TypeAdapter[PanelMessage] = TypeAdapter(PanelMessage)
transcript_state_adapter: TypeAdapter[TranscriptState] = TypeAdapter(TranscriptState)
