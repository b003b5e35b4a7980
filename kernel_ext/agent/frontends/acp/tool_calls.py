"""Our tool events -> ACP `tool_call` (start) and `tool_call_update` (progress) updates.

    calls = ToolCalls(cwd)
    calls.exec_begin(msg) ... calls.exec_end(msg)        # one list of updates per event

Commands are `execute`, or `read` / `search` when every part of them only reads or
lists (our parsed_cmd); patches are `edit` with one diff per file (the hunks' old and new
lines, since our events carry unified diffs) and the files as locations; the other tools
get a kind by name; MCP tools (and their approval requests) are `other`, titled
"server: tool". A call that was first announced by its approval request (status
`pending`) is continued with updates rather than started twice. Outputs are cut to
OUTPUT_LIMIT characters (the start and end kept).
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import Any

from acp import start_tool_call, text_block, tool_content, tool_diff_content, update_tool_call
from acp.schema import ToolCallLocation

from agent.protocol import events as ev

OUTPUT_LIMIT = 8000
TOOL_KINDS = {"read_file": "read", "view_image": "read", "kernel_variables": "read", "last_error": "read",
              "notebook_history": "read", "list_dir": "search", "grep_files": "search", "notebook_edit": "edit",
              "run_python": "execute", "apply_patch": "edit"}
PARSED_KINDS = {"read": "read", "list_files": "search", "search": "search"}


class ToolCalls:
    def __init__(self, cwd: str):
        self.cwd = Path(cwd)
        self.started: set[str] = set()

    # --- commands ------------------------------------------------------------------------

    def exec_request(self, msg: ev.ExecApprovalRequest) -> list[Any]:
        return self._start(msg.call_id, "pending", **self.request_fields(msg))

    def exec_begin(self, msg: ev.ExecCommandBegin) -> list[Any]:
        return self._start(msg.call_id, "in_progress", **self._exec_fields(msg.command, msg.cwd, msg.parsed_cmd))

    def exec_end(self, msg: ev.ExecCommandEnd) -> list[Any]:
        """Completed on exit 0, else failed; a command a policy refused fails with the reason
        as its content and `{"refused": true}` (no placeholder exit code) as raw output."""
        status = "completed" if msg.exit_code == 0 and not msg.refused else "failed"
        output = msg.aggregated_output or msg.formatted_output
        raw = {"refused": True} if msg.refused else {"exit_code": msg.exit_code}
        return [update_tool_call(msg.call_id, status=status, content=[tool_content(text_block(clip(output)))] if output else None,
                                 raw_output=raw)]

    def _exec_fields(self, command: list[str], cwd: str, parsed: list[ev.ParsedCommand]) -> dict[str, Any]:
        kinds = {PARSED_KINDS.get(p.type, "execute") for p in parsed} or {"execute"}
        paths = [p.path for p in parsed if p.path]
        return {"title": command_title(command), "kind": kinds.pop() if len(kinds) == 1 else "execute",
                "locations": [ToolCallLocation(path=self._absolute(p, cwd)) for p in paths] or None,
                "raw_input": {"command": command, "cwd": cwd}}

    # --- patches -------------------------------------------------------------------------

    def patch_request(self, msg: ev.ApplyPatchApprovalRequest) -> list[Any]:
        return self._start(msg.call_id, "pending", **self._patch_fields(msg.changes))

    def patch_begin(self, msg: ev.PatchApplyBegin) -> list[Any]:
        return self._start(msg.call_id, "in_progress", **self._patch_fields(msg.changes))

    def patch_end(self, msg: ev.PatchApplyEnd) -> list[Any]:
        text = msg.stdout if msg.success else (msg.stderr or msg.stdout)
        return [update_tool_call(msg.call_id, status="completed" if msg.success else "failed",
                                 content=[tool_content(text_block(clip(text)))] if text else None)]

    def _patch_fields(self, changes: dict[str, ev.FileChange]) -> dict[str, Any]:
        content, locations = [], []
        for path, change in changes.items():
            full = self._absolute(path)
            locations.append(ToolCallLocation(path=full))
            old, new = change_texts(change)
            target = self._absolute(change.move_path) if isinstance(change, ev.FileUpdate) and change.move_path else full
            content.append(tool_diff_content(target, new, old))
        names = ", ".join(sorted(Path(p).name for p in changes)) or "no files"
        return {"title": f"Edit {names}", "kind": "edit", "content": content, "locations": locations,
                "raw_input": {"files": sorted(changes)}}

    # --- other tools ---------------------------------------------------------------------

    def tool_begin(self, msg: ev.ToolCallBegin) -> list[Any]:
        if msg.call_id in self.started:
            return []
        return self._start(msg.call_id, "in_progress", title=f"{msg.name} {msg.arguments}".strip(),
                           kind=TOOL_KINDS.get(msg.name, "other"), raw_input={"tool": msg.name, "arguments": msg.arguments})

    def tool_end(self, msg: ev.ToolCallEnd) -> list[Any]:
        return [update_tool_call(msg.call_id, status="completed" if msg.success else "failed",
                                 content=[tool_content(text_block(clip(msg.output)))] if msg.output else None)]

    def mcp_begin(self, msg: ev.McpToolCallBegin) -> list[Any]:
        call = msg.invocation
        return self._start(msg.call_id, "in_progress", **self._mcp_fields(call.server, call.tool, call.arguments))

    def _mcp_fields(self, server: str, tool: str, arguments: Any) -> dict[str, Any]:
        return {"title": f"{server}: {tool}", "kind": "other",
                "raw_input": {"server": server, "tool": tool, "arguments": arguments}}

    def mcp_end(self, msg: ev.McpToolCallEnd) -> list[Any]:
        result = msg.result.get("Ok", msg.result.get("Err"))
        text = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)
        return [update_tool_call(msg.call_id, status="completed" if msg.is_success() else "failed",
                                 content=[tool_content(text_block(clip(text)))])]

    def request_fields(self, msg: ev.ExecApprovalRequest | ev.ApplyPatchApprovalRequest) -> dict[str, Any]:
        """What a permission request shows of the call it asks about."""
        if isinstance(msg, ev.ExecApprovalRequest):
            mcp = mcp_request(msg)
            return self._mcp_fields(*mcp) if mcp else self._exec_fields(msg.command, msg.cwd, msg.parsed_cmd)
        return self._patch_fields(msg.changes)

    def decided(self, msg: ev.ExecApprovalRequest | ev.ApplyPatchApprovalRequest, decision: str) -> list[Any]:
        """The answer to a permission request: the call runs on, or failed without running.
        (A rejected command is reported by its own exec_command_end; a patch has none.)"""
        if decision in ("approved", "approved_for_session"):
            return [update_tool_call(msg.call_id, status="in_progress")]
        if decision == "denied" and isinstance(msg, ev.ExecApprovalRequest):
            return []
        why = "Rejected by the user." if decision == "denied" else "Cancelled."
        return [update_tool_call(msg.call_id, status="failed", content=[tool_content(text_block(why))])]

    # --- helpers -------------------------------------------------------------------------

    def _start(self, call_id: str, status: str, **fields: Any) -> list[Any]:
        if call_id in self.started:
            return [update_tool_call(call_id, status=status, **fields)]
        self.started.add(call_id)
        return [start_tool_call(call_id, status=status, **fields)]

    def _absolute(self, path: str, cwd: str | None = None) -> str:
        return os.path.normpath(Path(cwd or self.cwd) / path)


def mcp_request(msg: ev.ExecApprovalRequest) -> tuple[str, str, Any] | None:
    """(server, tool, arguments) of an MCP tool's approval request (tools/mcp/tool.py:
    command `["mcp", server, tool, arguments JSON]`, its fixed reason, no parsed_cmd), else
    None. A shell command always has a parsed_cmd, so one shaped alike is not taken for it."""
    command = msg.command
    if len(command) != 4 or command[0] != "mcp" or msg.parsed_cmd:
        return None
    if msg.reason != f"MCP server '{command[1]}' wants to run its tool '{command[2]}'":
        return None
    try:
        arguments = json.loads(command[3])
    except ValueError:
        arguments = command[3]
    return command[1], command[2], arguments


def command_title(command: list[str]) -> str:
    """What a person would have typed: the script of `bash -lc SCRIPT`, else the argv."""
    if len(command) == 3 and Path(command[0]).name in ("bash", "sh", "zsh") and command[1] in ("-c", "-lc"):
        return command[2]
    return shlex.join(command)


def change_texts(change: ev.FileChange) -> tuple[str | None, str]:
    """(old text, new text) of one file's change; an update's come from its hunks."""
    if isinstance(change, ev.FileAdd):
        return None, change.content
    if isinstance(change, ev.FileDelete):
        return change.content, ""
    old: list[str] = []
    new: list[str] = []
    for line in change.unified_diff.splitlines(keepends=True):
        if line.startswith(("---", "+++", "@@", "\\")):
            continue
        if line[:1] in (" ", "-"):
            old.append(line[1:])
        if line[:1] in (" ", "+"):
            new.append(line[1:])
    return "".join(old), "".join(new)


def clip(text: str, limit: int = OUTPUT_LIMIT) -> str:
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[... {len(text) - limit} characters left out ...]\n{text[-half:]}"
