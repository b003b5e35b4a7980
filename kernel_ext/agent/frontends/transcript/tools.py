"""Tool blocks of the transcript: commands, other tool calls, patches, the plan, approvals.

A mixin of `Transcript` (see reducer.py for the state shape); it reads and writes the
reducer's bookkeeping (`_blocks`, `_by_id`, `_base`, `_by_call`, `_tails`, `_dirty`, `_pending`,
`_plan`, `_turn_diff`, set up by `Transcript.__init__`) and owns the block helpers `_add`/`_touch`.
"""

from __future__ import annotations

import json
from typing import Any

from agent.protocol import events as ev

from .parts import OutputTail, clip_tail, file_entries

EXEC_OPTIONS = ("approved", "approved_for_session", "denied", "abort")
PATCH_OPTIONS = EXEC_OPTIONS
"""A patch approved for the session is not asked again when the very same patch comes back in
the same directory (apply_patch's session key: the patch text and the cwd)."""
_DECLINED = ("denied", "abort")
_TOOL_TEXT_CHARS = 16 * 1024


class ToolBlocks:
    _blocks: list[dict[str, Any]]
    _by_id: dict[str, dict[str, Any]]
    _base: dict[str, int]
    _by_call: dict[tuple[str, str], dict[str, Any]]
    _pending: dict[str, dict[str, Any]]
    _tails: dict[str, OutputTail]
    _dirty: set[str]
    _plan: dict[str, Any] | None
    _turn_diff: str | None
    _tail_bytes: int
    _next_id: int

    def _add(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Append a new block (rev 0) with the next stable id."""
        block = {"id": f"b{self._next_id}", "kind": kind, "rev": 0, **fields}
        self._next_id += 1
        self._blocks.append(block)
        self._by_id[block["id"]] = block
        self._base[block["id"]] = 0
        return block

    def _touch(self, block: dict[str, Any], **fields: Any) -> None:
        """Change a block's fields (replacing, never mutating, nested values) and bump its rev."""
        block.update(fields)
        block["rev"] += 1
        self._base[block["id"]] = block["rev"]

    # --- tools --------------------------------------------------------------------------

    def _on_exec_command_begin(self, m: ev.ExecCommandBegin) -> None:
        block = self._add(
            "command", call_id=m.call_id, argv=list(m.command), cwd=m.cwd, source=m.source,
            parsed_cmd=[p.model_dump(mode="json") for p in m.parsed_cmd], output="", truncated_bytes=0,
            exit_code=None, duration_ms=None, status="running",
        )
        self._by_call[("command", m.call_id)] = block
        self._tails[block["id"]] = OutputTail(self._tail_bytes)

    def _on_exec_command_output_delta(self, m: ev.ExecCommandOutputDelta) -> None:
        block = self._by_call.get(("command", m.call_id))
        if block is not None:
            self._tails[block["id"]].append_base64(m.chunk)
            self._dirty.add(block["id"])
            self._touch(block)

    def _on_exec_command_end(self, m: ev.ExecCommandEnd) -> None:
        block = self._by_call.get(("command", m.call_id))
        if block is None:
            self._on_exec_command_begin(ev.ExecCommandBegin(call_id=m.call_id, turn_id=m.turn_id, command=m.command, cwd=m.cwd, parsed_cmd=m.parsed_cmd, source=m.source))
            block = self._by_call[("command", m.call_id)]
        tail = self._tails[block["id"]]
        if tail.total == 0 and m.aggregated_output:
            tail.append(m.aggregated_output.encode("utf-8", "replace"))
            self._dirty.add(block["id"])
        if m.refused:  # a policy refused it: it never ran; its output is the reason
            self._touch(block, exit_code=None, duration_ms=None, status="refused")
            return
        status = block["status"] if block["status"] in ("declined", "aborted") else ("ok" if m.exit_code == 0 else "failed")
        # A declined command never ran: its end event carries a placeholder exit code (-1), not a result.
        exit_code = None if status == "declined" else m.exit_code
        self._touch(block, exit_code=exit_code, duration_ms=int(m.duration.seconds() * 1000), status=status)

    def _on_tool_call_begin(self, m: ev.ToolCallBegin) -> None:
        if m.name == "apply_patch":
            # Its change is shown by the patch block (and its approval); a tool block is added at
            # the end only when no patch block came (a failed, unparseable or refused patch).
            return
        arguments, _ = clip_tail(m.arguments, _TOOL_TEXT_CHARS)
        self._by_call[("tool", m.call_id)] = self._add(
            "tool", call_id=m.call_id, name=m.name, arguments=arguments, output="", omitted_chars=0,
            success=None, duration_ms=None, status="running",
        )

    def _on_tool_call_end(self, m: ev.ToolCallEnd) -> None:
        if m.name == "apply_patch":
            approval = self._by_call.get(("approval", m.call_id))
            if ("patch", m.call_id) in self._by_call or (approval is not None and approval["decision"] in _DECLINED):
                return  # the patch block, or the declined approval, already says what happened
            # No patch block: show the error text alone, not the call's JSON arguments.
            self._by_call[("tool", m.call_id)] = self._add(
                "tool", call_id=m.call_id, name=m.name, arguments="", output="", omitted_chars=0,
                success=None, duration_ms=None, status="running",
            )
        block = self._by_call.get(("tool", m.call_id))
        if block is None:
            self._on_tool_call_begin(ev.ToolCallBegin(call_id=m.call_id, name=m.name, arguments=""))
            block = self._by_call[("tool", m.call_id)]
        output, omitted = clip_tail(m.output, _TOOL_TEXT_CHARS)
        status = "aborted" if block["status"] == "aborted" else ("ok" if m.success else "failed")
        self._touch(block, output=output, omitted_chars=omitted, success=m.success,
                    duration_ms=int(m.duration.seconds() * 1000), status=status)

    def _on_mcp_tool_call_begin(self, m: ev.McpToolCallBegin) -> None:
        call = m.invocation
        arguments = "" if call.arguments is None else json.dumps(call.arguments, ensure_ascii=False)
        self._by_call[("tool", m.call_id)] = self._add(
            "tool", call_id=m.call_id, name=f"{call.server}/{call.tool}", server=call.server, tool=call.tool,
            arguments=clip_tail(arguments, _TOOL_TEXT_CHARS)[0], output="", omitted_chars=0, success=None,
            duration_ms=None, status="running",
        )

    def _on_mcp_tool_call_end(self, m: ev.McpToolCallEnd) -> None:
        block = self._by_call.get(("tool", m.call_id))
        if block is None:
            self._on_mcp_tool_call_begin(ev.McpToolCallBegin(call_id=m.call_id, invocation=m.invocation))
            block = self._by_call[("tool", m.call_id)]
        output, omitted = clip_tail(mcp_result_text(m.result), _TOOL_TEXT_CHARS)
        success = m.is_success()
        status = "aborted" if block["status"] == "aborted" else ("ok" if success else "failed")
        self._touch(block, output=output, omitted_chars=omitted, success=success,
                    duration_ms=int(m.duration.seconds() * 1000), status=status)

    def _on_patch_apply_begin(self, m: ev.PatchApplyBegin) -> None:
        self._by_call[("patch", m.call_id)] = self._add(
            "patch", call_id=m.call_id, files=file_entries(m.changes), auto_approved=m.auto_approved,
            stdout="", stderr="", status="applying",
        )

    def _on_patch_apply_end(self, m: ev.PatchApplyEnd) -> None:
        block = self._by_call.get(("patch", m.call_id))
        if block is None:
            self._on_patch_apply_begin(ev.PatchApplyBegin(call_id=m.call_id, turn_id=m.turn_id, auto_approved=False, changes=m.changes))
            block = self._by_call[("patch", m.call_id)]
        files = file_entries(m.changes) if m.changes else block["files"]
        self._touch(block, files=files, stdout=clip_tail(m.stdout, _TOOL_TEXT_CHARS)[0],
                    stderr=clip_tail(m.stderr, _TOOL_TEXT_CHARS)[0], status="applied" if m.success else "failed")

    def _on_turn_diff(self, m: ev.TurnDiff) -> None:
        self._turn_diff = m.unified_diff or None

    def _on_plan_update(self, m: ev.PlanUpdate) -> None:
        items = [{"step": p.step, "status": p.status} for p in m.plan]
        if self._plan is None:
            self._plan = self._add("plan", explanation=m.explanation, items=items)
        else:
            self._touch(self._plan, explanation=m.explanation, items=items)

    # --- approvals ----------------------------------------------------------------------

    def _on_exec_approval_request(self, m: ev.ExecApprovalRequest) -> None:
        self._request(
            "exec", m.call_id, EXEC_OPTIONS, argv=list(m.command), cwd=m.cwd,
            parsed_cmd=[p.model_dump(mode="json") for p in m.parsed_cmd], files=[], reason=m.reason, grant_root=None,
        )
        command = self._by_call.get(("command", m.call_id))
        if command is not None and command["status"] == "running":
            self._touch(command, status="waiting")

    def _on_apply_patch_approval_request(self, m: ev.ApplyPatchApprovalRequest) -> None:
        self._request(
            "patch", m.call_id, PATCH_OPTIONS, argv=[], cwd=None, parsed_cmd=[], files=file_entries(m.changes),
            reason=m.reason, grant_root=m.grant_root,
        )

    def _request(self, request: str, call_id: str, options: tuple[str, ...], **fields: Any) -> None:
        previous = self._pending.pop(call_id, None)
        if previous is not None:
            self._touch(previous, status="aborted")
        self._pending[call_id] = self._by_call[("approval", call_id)] = self._add(
            "approval", call_id=call_id, request=request, options=list(options), decision=None, status="pending", **fields
        )


def mcp_result_text(result: dict[str, Any]) -> str:
    """An `mcp_tool_call_end` result for display: the error, the text blocks, or the JSON
    of structured content / other blocks (images by their type only)."""
    if "Err" in result:
        return str(result["Err"])
    ok = result.get("Ok") if isinstance(result.get("Ok"), dict) else {}
    parts = []
    for block in ok.get("content") or []:
        if isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
        elif isinstance(block, dict):
            parts.append(f"[{block.get('type', 'content')} {block.get('mimeType', '')}]".replace(" ]", "]"))
    if not parts and ok.get("structuredContent") is not None:
        parts.append(json.dumps(ok["structuredContent"], ensure_ascii=False))
    return "\n".join(parts)
