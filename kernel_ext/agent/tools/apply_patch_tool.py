"""The `apply_patch` tool (function and freeform variants) and the verified flow (spec §5.5).

    parse -> compute every change without writing (any failure: nothing is written)
    -> safety (paths realpath-checked against the writable roots) -> ask / refuse / auto
    -> re-verify after approval (a file edited meanwhile fails the patch, it is not clobbered)
    -> patch_apply_begin -> baselines for turn_diff -> atomic writes -> patch_apply_end

Every path is checked against the *session's* writable roots (never the roots of a
directory the model named: an intercepted `cd /elsewhere && apply_patch` gets no more
than the tool), and checked again where it is written (`_write_guard`, confined_fs).
A patch touching a protected path (`read_denial`: credentials, Jupyter control files, a
permission profile's "none" paths) is refused outright under every policy, never asked.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any, Callable

from agent.exec.hidden import read_denial
from agent.exec.roots import WritableRoot, effective_writable_roots, is_path_writable
from agent.protocol.policy import DangerFullAccess
from agent.protocol.events import ApplyPatchApprovalRequest, PatchApplyBegin, PatchApplyEnd

from .approval_rules import Forbidden, NeedsApproval, Skip, patch_requirement, patch_session_key
from .base import ToolCall, ToolContext, ToolResult
from .errors import RespondToModel
from .exec_output import OutputStyle, model_output
from .patch import PatchApplyError, PatchParseError, apply_changes, compute_changes, parse_patch, summary_text, to_protocol_changes, touched_paths
from .truncate import TruncationPolicy

INSTRUCTIONS = """Use the `apply_patch` tool to edit files. The patch format is a stripped-down, file-oriented diff:

*** Begin Patch
[ one or more file sections ]
*** End Patch

Each file section starts with one of three headers:
*** Add File: <path> - create a new file; every following line is a + line (the initial contents).
*** Delete File: <path> - remove an existing file; nothing follows.
*** Update File: <path> - patch an existing file in place (optionally followed by *** Move to: <new path>).

An Update section has one or more hunks, each introduced by @@ (optionally followed by a line such
as a class or function definition that locates the hunk). Inside a hunk, each line starts with
' ' (context), '-' (removed) or '+' (added). Show 3 lines of context above and below each change;
if that is not unique, add `@@ <class or def line>` headers. Never use line numbers. Paths are
relative to the working directory. Example:

*** Begin Patch
*** Update File: src/app.py
@@ def greet():
-    print("Hi")
+    print("Hello, world!")
*** End Patch
"""

LARK_GRAMMAR = r"""start: begin_patch hunk+ end_patch
begin_patch: "*** Begin Patch" LF
end_patch: "*** End Patch" LF?

hunk: add_hunk | delete_hunk | update_hunk
add_hunk: "*** Add File: " filename LF add_line+
delete_hunk: "*** Delete File: " filename LF
update_hunk: "*** Update File: " filename LF change_move? change?

filename: /(.+)/
add_line: "+" /(.*)/ LF -> line

change_move: "*** Move to: " filename LF
change: (change_context | change_line)+ eof_line?
change_context: ("@@" | "@@ " /(.+)/) LF
change_line: ("+" | "-" | " ") /(.*)/ LF
eof_line: "*** End of File" LF

%import common.LF
"""


class ApplyPatchTool:
    name = "apply_patch"
    supports_parallel = False

    def __init__(self, variant: str = "function", output_style: OutputStyle = "structured"):
        self.variant = variant
        self.output_style = output_style

    def spec(self) -> dict[str, Any]:
        if self.variant == "freeform":
            return {
                "type": "custom",
                "name": self.name,
                "description": "Use the `apply_patch` tool to edit files. This is a FREEFORM tool, so do not wrap the patch in JSON.",
                "format": {"type": "grammar", "syntax": "lark", "definition": LARK_GRAMMAR},
            }
        return {
            "type": "function",
            "name": self.name,
            "description": INSTRUCTIONS,
            "strict": False,
            "parameters": {
                "type": "object",
                "properties": {"input": {"type": "string", "description": "The entire contents of the apply_patch command"}},
                "required": ["input"],
                "additionalProperties": False,
            },
        }

    async def handle(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        if call.kind == "custom":
            patch = call.payload
        else:
            patch = call.json_arguments().get("input")
            if not isinstance(patch, str):
                raise RespondToModel("failed to parse function arguments: missing field `input`")
        return await apply_patch_flow(ctx, call.call_id, patch, ctx.cwd, self.output_style)


def _verify(patch: str, cwd: os.PathLike[str]) -> tuple[list[Any], dict[Any, Any]]:
    hunks = parse_patch(patch)
    return hunks, compute_changes(hunks, cwd)  # type: ignore[arg-type]


async def apply_patch_flow(ctx: ToolContext, call_id: str, patch: str, cwd: Any, style: OutputStyle) -> ToolResult:
    started = time.monotonic()
    try:
        hunks, changes = await asyncio.to_thread(_verify, patch, cwd)
    except (PatchParseError, PatchApplyError) as err:
        raise RespondToModel(f"apply_patch verification failed: {err}") from None
    paths = touched_paths(hunks, cwd)
    denial = next((reason for p in paths if (reason := read_denial(p, ctx.hidden_paths)) is not None), None)
    if denial is not None:  # what the agent may not read it may not write either, whoever approves
        raise RespondToModel(f"patch rejected: {denial}")
    roots = effective_writable_roots(ctx.sandbox_policy, ctx.cwd, os.environ)  # the session's roots, never the patch's cwd
    all_writable = bool(paths) and all(_writable(p, roots, ctx.hidden_paths) for p in paths)
    permitted = _write_guard(ctx, roots, paths)
    requirement = patch_requirement(ctx.approval_policy, ctx.sandbox_policy, empty=not hunks, all_writable=all_writable)
    proto = to_protocol_changes(changes, cwd)
    if isinstance(requirement, Forbidden):
        raise RespondToModel(f"patch rejected: {requirement.reason}")
    if isinstance(requirement, NeedsApproval):
        if not await _ask(ctx, call_id, patch, cwd, proto, requirement.reason):
            return ToolResult("patch rejected by user", success=False)
        try:
            _, again = await asyncio.to_thread(_verify, patch, cwd)
        except (PatchParseError, PatchApplyError) as err:
            raise RespondToModel(f"apply_patch verification failed: {err}") from None
        if to_protocol_changes(again, cwd) != proto:
            raise RespondToModel("apply_patch verification failed: the files changed while waiting for approval")
    await ctx.emit(PatchApplyBegin(call_id=call_id, turn_id=ctx.turn_id, auto_approved=isinstance(requirement, Skip), changes=proto))
    ctx.diff_tracker.before_change([p for p in paths if permitted(Path(os.path.realpath(p)))])
    stdout, stderr, code = "", "", 0
    try:
        stdout = summary_text(await asyncio.to_thread(apply_changes, changes, permitted))
    except (PatchApplyError, OSError) as err:
        stderr, code = getattr(err, "message", None) or str(err), 1
    await ctx.emit(PatchApplyEnd(call_id=call_id, turn_id=ctx.turn_id, stdout=stdout, stderr=stderr, success=code == 0, changes=proto))
    text = model_output(
        stdout or stderr, exit_code=code, duration_s=time.monotonic() - started, timed_out=False, timeout_ms=0,
        policy=TruncationPolicy("bytes", ctx.exec_settings.output_byte_budget), style=style,
    )
    return ToolResult(text, success=code == 0)


def _write_guard(ctx: ToolContext, roots: list[WritableRoot], paths: list[Any]) -> Callable[[Path], bool]:
    """What a write may touch when it happens: inside the session's writable roots, or
    one of this patch's own paths as resolved now (the ones the user saw and approved
    when they lie outside the roots). `apply_changes` re-resolves each path at write
    time, so a symlink planted after this check fails the write instead of redirecting it."""
    if isinstance(ctx.sandbox_policy, DangerFullAccess):
        return lambda path: True
    shown = {Path(os.path.realpath(p)) for p in paths}
    return lambda path: _writable(path, roots, ctx.hidden_paths) or path in shown


def _writable(path: Any, roots: list[WritableRoot], hidden: tuple[Path, ...]) -> bool:
    """Inside the writable roots and not a protected path (credentials, Jupyter's control
    files): what the sandbox hides from commands, apply_patch treats as outside."""
    return is_path_writable(path, roots) and read_denial(path, hidden) is None


async def _ask(ctx: ToolContext, call_id: str, patch: str, cwd: Any, proto: dict[str, Any], reason: str | None) -> bool:
    key = patch_session_key(patch, cwd)
    if key in ctx.session_approvals:
        return True
    request = ApplyPatchApprovalRequest(call_id=call_id, turn_id=ctx.turn_id, changes=proto, reason=reason)
    decision = await ctx.request_approval(request)
    if decision == "approved_for_session":
        ctx.session_approvals.add(key)
    return decision in ("approved", "approved_for_session")
