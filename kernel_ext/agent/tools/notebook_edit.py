"""`notebook_edit`: insert, replace, delete or run a cell of the live notebook.

The edit is carried out by the JupyterLab side panel through the notebook's live model
(never by rewriting the `.ipynb` on disk): the tool sends a request to the front end and
waits for its answer. The panel shows the change as a per-cell diff with Accept / Reject
first, so the user's Accept is the approval; a Reject goes back to the model as
"rejected by user". A run reports the cell's outputs.

The front end is the `NotebookFrontend` the tool is built with (the notebook front end's
relay, which the side panel's bridge attaches to while a panel is there: `connected`
says whether one is). No panel, a panel that does not answer in time, or a stopped turn
each give the model a clear message. Key-shaped
strings and secret-named values in a run's outputs are masked (secret_mask.py), with a
`[masked: …]` note.

Every request carries `provenance` (session, turn, model, provider from the ToolContext):
the front end stores it in the inserted or replaced cell's `metadata["kernel-agent"]`.
The answer to an applied insert / replace / delete names the cell and what it was, and
the edit is recorded in the turn's journal (notebook_undo.py) for `%agent undo`.
"""

from __future__ import annotations

from typing import Any, Protocol

from .base import ToolCall, ToolContext, ToolResult, function_spec
from .errors import RespondToModel
from .notebook_undo import undo_entry
from .secret_mask import SecretMasker

ACTIONS = ("insert", "replace", "delete", "run")
CELL_TYPES = ("code", "markdown", "raw")
DEFAULT_TIMEOUT_S = 600.0
"""How long the user has to Accept / Reject (and a run to finish) before the call fails."""

NO_FRONTEND = (
    "notebook_edit is unavailable: no JupyterLab side panel is attached to this kernel. "
    "Ask the user to open the kernel-agent panel (command palette: 'Open the agent panel'), "
    "or describe the change so they can make it."
)
REJECTED = "notebook_edit rejected by user"

DESCRIPTION = (
    "Edits the user's open notebook through JupyterLab (the live document, never the file on disk). "
    "Actions: insert (a new cell at `index`), replace (the source of the cell at `index` or with `cell_id`), "
    "delete (that cell), run (execute that code cell). With run=true an insert or replace also runs the cell. "
    "The user sees a diff and accepts or rejects each change. Returns what happened and, for runs, the "
    "cell's outputs. Cell positions are 0-based; use notebook_history to see executed cells."
)


class NotebookFrontend(Protocol):
    """The front end that performs edits (frontends/notebook/edit_relay.py, forwarding to
    the side panel's bridge)."""

    @property
    def connected(self) -> bool:
        """True while at least one panel is attached."""

    async def request_edit(self, request: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        """Send a `notebook_edit_request` (fields of protocol.panel.NotebookEditRequest without
        `type`/`request_id`); return the answer (fields of NotebookEditResult without them:
        `status`, `message`, `cell_id`, `index`, `previous`, `source`). Raises TimeoutError."""


class NotebookEditTool:
    name = "notebook_edit"
    supports_parallel = False

    def __init__(self, frontend: NotebookFrontend, timeout_s: float = DEFAULT_TIMEOUT_S):
        self.frontend = frontend
        self.timeout_s = timeout_s

    def spec(self) -> dict[str, Any]:
        props = {
            "action": {"type": "string", "enum": list(ACTIONS), "description": "What to do."},
            "index": {"type": "integer", "description": "0-based cell position (insert: where the new cell goes; default: the end)."},
            "cell_id": {"type": "string", "description": "The target cell's id (instead of index)."},
            "source": {"type": "string", "description": "The new cell source (insert, replace)."},
            "cell_type": {"type": "string", "enum": list(CELL_TYPES), "description": "For insert: the cell type (default code)."},
            "run": {"type": "boolean", "description": "insert/replace: also run the cell and return its outputs."},
        }
        return function_spec(self.name, DESCRIPTION, props, ["action"])

    async def handle(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        request = {**parse_request(call), "provenance": provenance(ctx)}
        frontend = self.frontend
        if not frontend.connected:
            raise RespondToModel(NO_FRONTEND)
        try:
            answer = await frontend.request_edit(request, self.timeout_s)
        except TimeoutError:
            raise RespondToModel(
                f"notebook_edit timed out after {self.timeout_s:.0f} s: the user did not accept or reject the change "
                "(or the cell did not finish running)."
            ) from None
        status, message = answer.get("status"), str(answer.get("message") or "")
        if status == "applied":
            entry = undo_entry(frontend, request, answer)
            if entry is not None:
                ctx.journal.add(entry)
            if request["run"]:
                scope = SecretMasker().scope("the cell's output")
                message = scope.finish(scope.mask(message))
            return ToolResult(message or "done")
        if status == "rejected":
            return ToolResult(REJECTED + (f": {message}" if message else ""), success=False)
        return ToolResult(f"notebook_edit failed: {message or 'unknown error'}", success=False)


def provenance(ctx: ToolContext) -> dict[str, str]:
    """Who makes the edit, for the cell's `metadata["kernel-agent"]` (no secrets)."""
    return {"session_id": ctx.session_id, "turn_id": ctx.turn_id, "model": ctx.model, "provider": ctx.provider}


def parse_request(call: ToolCall) -> dict[str, Any]:
    """The validated request fields, and only those (an `undo` or `provenance` among the
    model's arguments is ignored); bad arguments go back to the model."""
    args = call.json_arguments()
    action = args.get("action")
    if action not in ACTIONS:
        raise RespondToModel(f"failed to parse function arguments: `action` must be one of {', '.join(ACTIONS)}")
    index, cell_id, source = args.get("index"), args.get("cell_id"), args.get("source")
    if index is not None and (isinstance(index, bool) or not isinstance(index, int) or index < 0):
        raise RespondToModel("failed to parse function arguments: `index` must be a non-negative integer")
    if cell_id is not None and not isinstance(cell_id, str):
        raise RespondToModel("failed to parse function arguments: `cell_id` must be a string")
    if action in ("insert", "replace") and not isinstance(source, str):
        raise RespondToModel(f"failed to parse function arguments: {action} needs `source` (a string)")
    if action != "insert" and index is None and not cell_id:
        raise RespondToModel(f"failed to parse function arguments: {action} needs `index` or `cell_id`")
    cell_type = args.get("cell_type", "code")
    if cell_type not in CELL_TYPES:
        raise RespondToModel("failed to parse function arguments: `cell_type` must be code, markdown or raw")
    run = args.get("run", action == "run")
    return {
        "action": action, "index": index, "cell_id": cell_id or None,
        "source": source if action in ("insert", "replace") else None,
        "cell_type": cell_type, "run": bool(run) or action == "run",
    }
