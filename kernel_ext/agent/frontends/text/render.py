"""Session events -> human-readable text, for terminals and the `exec` command.

Progress goes to `out` (stderr for exec) as it happens; streamed text is written as it
arrives. The caller prints the final message wherever it wants.
"""

from __future__ import annotations

import base64
import json
import shlex
from typing import TextIO

from agent.protocol import events as ev

from ..transcript.parts import file_diff

_MARK = {"completed": "[x]", "in_progress": "[>]", "pending": "[ ]"}


class TextRenderer:
    def __init__(self, out: TextIO, *, show_reasoning: bool = True):
        self.out = out
        self.show_reasoning = show_reasoning
        self._streaming = False
        self.tokens_used = 0

    def handle(self, event: ev.Event) -> None:
        handler = getattr(self, f"_on_{event.msg.type}", None)
        if handler is not None:
            handler(event.msg)
            self.out.flush()

    def _line(self, text: str) -> None:
        if self._streaming:
            self.out.write("\n")
            self._streaming = False
        self.out.write(text + "\n")

    def _on_session_configured(self, m: ev.SessionConfigured) -> None:
        sandbox = m.sandbox_policy.type + (f" ({m.sandbox_mechanism})" if m.sandbox_mechanism else "")
        self._line(f"kernel-agent | model: {m.model} | provider: {m.model_provider_id} | approval: {m.approval_policy} | sandbox: {sandbox}")
        self._line(f"workdir: {m.cwd} | session: {m.session_id}")
        if m.sandbox_warning:
            self._line(f"warning: {m.sandbox_warning}")

    def _on_user_message(self, m: ev.UserMessage) -> None:
        self._line(f"\nuser\n{m.message}")

    def _on_agent_message_delta(self, m: ev.AgentMessageDelta) -> None:
        if not self._streaming:
            self.out.write("\nagent\n")
            self._streaming = True
        self.out.write(m.delta)

    def _on_agent_message(self, m: ev.AgentMessage) -> None:
        if not self._streaming:
            self._line(f"\nagent\n{m.message}")
        self._streaming = False
        self.out.write("\n")

    def _on_agent_reasoning(self, m: ev.AgentReasoning) -> None:
        if self.show_reasoning:
            self._line(f"\nthinking\n{m.text}")

    def _on_exec_command_begin(self, m: ev.ExecCommandBegin) -> None:
        self._line(f"\nexec {shlex.join(m.command)} in {m.cwd}")

    def _on_exec_command_output_delta(self, m: ev.ExecCommandOutputDelta) -> None:
        self.out.write(base64.b64decode(m.chunk).decode("utf-8", "replace"))

    def _on_exec_command_end(self, m: ev.ExecCommandEnd) -> None:
        if m.refused:  # never ran: no exit code or time, the policy's reason instead
            self._line(f"refused: {_first_lines(m.aggregated_output)}")
            return
        verdict = "succeeded" if m.exit_code == 0 else f"exited {m.exit_code}"
        self._line(f"{verdict} in {int(m.duration.seconds() * 1000)}ms")

    def _on_tool_call_begin(self, m: ev.ToolCallBegin) -> None:
        self._line(f"\ntool {m.name}({m.arguments})")

    def _on_tool_call_end(self, m: ev.ToolCallEnd) -> None:
        verdict = "ok" if m.success else "failed"
        self._line(f"{verdict} in {int(m.duration.seconds() * 1000)}ms: {_first_lines(m.output)}")

    def _on_mcp_tool_call_begin(self, m: ev.McpToolCallBegin) -> None:
        self._line(f"\nmcp: {_printable(m.invocation.server)}/{_printable(m.invocation.tool)}({_mcp_arguments(m.invocation.arguments)})")

    def _on_mcp_tool_call_end(self, m: ev.McpToolCallEnd) -> None:
        verdict = "ok" if m.is_success() else "error"
        self._line(f"{verdict} in {int(m.duration.seconds() * 1000)}ms: {_first_lines(_printable(_mcp_result_text(m.result), keep_newlines=True))}")

    def _on_plan_update(self, m: ev.PlanUpdate) -> None:
        lines = [f"  {_MARK[p.status]} {p.step}" for p in m.plan]
        self._line("\nplan" + (f": {m.explanation}" if m.explanation else "") + "\n" + "\n".join(lines))

    def _on_patch_apply_end(self, m: ev.PatchApplyEnd) -> None:
        verdict = "applied" if m.success else "failed"
        self._line(f"\npatch {verdict}: " + ", ".join(f"{c.type} {p}" for p, c in m.changes.items()))

    def _on_exec_approval_request(self, m: ev.ExecApprovalRequest) -> None:
        self._line(f"\napproval needed to run: {shlex.join(m.command)}\n  in: {m.cwd}")
        if m.reason:
            self._line(f"  reason: {m.reason}")

    def _on_apply_patch_approval_request(self, m: ev.ApplyPatchApprovalRequest) -> None:
        self._line(f"\napproval needed to apply a patch to {len(m.changes)} file(s):")
        for path, change in m.changes.items():
            self.out.write(file_diff(path, change))
        if m.grant_root:
            self._line(f"  also grants write access to: {m.grant_root}")
        if m.reason:
            self._line(f"  reason: {m.reason}")

    def _on_undo_started(self, m: ev.UndoStarted) -> None:
        self._line(m.message or "undoing the last turn...")

    def _on_undo_completed(self, m: ev.UndoCompleted) -> None:
        self._line(m.message or ("undo completed" if m.success else "undo failed"))

    def _on_stream_error(self, m: ev.StreamError) -> None:
        self._line(f"warning: {m.message}")

    def _on_warning(self, m: ev.Warning) -> None:
        self._line(f"warning: {m.message}")

    def _on_background_event(self, m: ev.BackgroundEvent) -> None:
        self._line(m.message)

    def _on_error(self, m: ev.Error) -> None:
        self._line(f"ERROR: {m.message}")

    def _on_turn_aborted(self, m: ev.TurnAborted) -> None:
        self._line(f"turn aborted ({m.reason})")

    def _on_token_count(self, m: ev.TokenCount) -> None:
        if m.info is not None:
            self.tokens_used = m.info.total_token_usage.total_tokens

    def _on_task_complete(self, m: ev.TaskComplete) -> None:
        self._line(f"\ntokens used: {self.tokens_used}")


def _first_lines(text: str, limit: int = 3) -> str:
    lines = text.splitlines()
    shown = "\n".join(lines[:limit])
    return shown + (f"\n… {len(lines) - limit} more lines" if len(lines) > limit else "")


MCP_SHOWN_CHARS = 400


def _mcp_arguments(arguments: object) -> str:
    text = "" if arguments is None else json.dumps(arguments, ensure_ascii=False)
    return _printable(_capped(text, 200))


def _mcp_result_text(result: dict) -> str:
    """The text an MCP result shows: the error, structured content, else the text blocks."""
    if "Err" in result:
        return str(result["Err"])
    ok = result.get("Ok") if isinstance(result.get("Ok"), dict) else {}
    if ok.get("structuredContent") is not None:
        return _capped(json.dumps(ok["structuredContent"], ensure_ascii=False), MCP_SHOWN_CHARS)
    blocks = ok.get("content") if isinstance(ok.get("content"), list) else []
    parts = [str(b.get("text", "")) if b.get("type") == "text" else f"[{b.get('type')}]"
             for b in blocks if isinstance(b, dict)]
    return _capped("\n".join(parts), MCP_SHOWN_CHARS) or "(no content)"


def _capped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _printable(text: str, *, keep_newlines: bool = False) -> str:
    """Server-chosen text without control characters (no terminal escape sequences)."""
    return "".join(c if c.isprintable() or (keep_newlines and c == "\n") else "?" for c in text)
