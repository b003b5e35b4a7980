"""Our events -> the `session/update` notifications an ACP client shows.

    updates = Updates(cwd)
    for update in updates.feed(event.msg): await client.session_update(session_id, update)

Answers stream as `agent_message_chunk`, reasoning as `agent_thought_chunk` (a final
message or reasoning is sent whole only when no delta of it was: a replayed recording has
no deltas), an undo's outcome as an answer, the plan as `plan` entries, tools through tool_calls.py. The user's own
message is sent only when replaying (`replay=True`): a live client already shows what it
sent. Events no ACP update carries (token counts, diffs, startup) give nothing.
"""

from __future__ import annotations

from typing import Any

from acp import plan_entry, update_agent_message_text, update_agent_thought_text, update_plan, update_user_message_text

from agent.protocol import events as ev

from .tool_calls import ToolCalls


class Updates:
    def __init__(self, cwd: str, *, replay: bool = False):
        self.calls = ToolCalls(cwd)
        self.replay = replay
        self._streamed_answer = False
        self._streamed_thought = False

    def feed(self, msg: Any) -> list[Any]:
        handler = getattr(self, f"_on_{msg.type}", None)
        return handler(msg) if handler is not None else []

    # --- text ----------------------------------------------------------------------------

    def _on_task_started(self, msg: ev.TaskStarted) -> list[Any]:
        self._streamed_answer = self._streamed_thought = False
        return []

    def _on_user_message(self, msg: ev.UserMessage) -> list[Any]:
        return [update_user_message_text(msg.message)] if self.replay and msg.message else []

    def _on_agent_message_delta(self, msg: ev.AgentMessageDelta) -> list[Any]:
        self._streamed_answer = True
        return [update_agent_message_text(msg.delta)] if msg.delta else []

    def _on_agent_message(self, msg: ev.AgentMessage) -> list[Any]:
        streamed, self._streamed_answer = self._streamed_answer, False
        return [] if streamed or not msg.message else [update_agent_message_text(msg.message)]

    def _on_agent_reasoning_delta(self, msg: ev.AgentReasoningDelta) -> list[Any]:
        self._streamed_thought = True
        return [update_agent_thought_text(msg.delta)] if msg.delta else []

    def _on_agent_reasoning(self, msg: ev.AgentReasoning) -> list[Any]:
        streamed, self._streamed_thought = self._streamed_thought, False
        return [] if streamed or not msg.text else [update_agent_thought_text(msg.text)]

    def _on_agent_reasoning_section_break(self, msg: ev.AgentReasoningSectionBreak) -> list[Any]:
        return [update_agent_thought_text("\n\n")] if self._streamed_thought else []

    def _on_undo_completed(self, msg: ev.UndoCompleted) -> list[Any]:
        return [update_agent_message_text(msg.message)] if msg.message else []

    def _on_plan_update(self, msg: ev.PlanUpdate) -> list[Any]:
        return [update_plan([plan_entry(item.step, status=item.status) for item in msg.plan])]

    # --- tools ---------------------------------------------------------------------------

    def _on_exec_approval_request(self, msg: ev.ExecApprovalRequest) -> list[Any]:
        return self.calls.exec_request(msg)

    def _on_apply_patch_approval_request(self, msg: ev.ApplyPatchApprovalRequest) -> list[Any]:
        return self.calls.patch_request(msg)

    def _on_exec_command_begin(self, msg: ev.ExecCommandBegin) -> list[Any]:
        return self.calls.exec_begin(msg)

    def _on_exec_command_end(self, msg: ev.ExecCommandEnd) -> list[Any]:
        return self.calls.exec_end(msg)

    def _on_patch_apply_begin(self, msg: ev.PatchApplyBegin) -> list[Any]:
        return self.calls.patch_begin(msg)

    def _on_patch_apply_end(self, msg: ev.PatchApplyEnd) -> list[Any]:
        return self.calls.patch_end(msg)

    def _on_tool_call_begin(self, msg: ev.ToolCallBegin) -> list[Any]:
        return self.calls.tool_begin(msg)

    def _on_tool_call_end(self, msg: ev.ToolCallEnd) -> list[Any]:
        return self.calls.tool_end(msg)

    def _on_mcp_tool_call_begin(self, msg: ev.McpToolCallBegin) -> list[Any]:
        return self.calls.mcp_begin(msg)

    def _on_mcp_tool_call_end(self, msg: ev.McpToolCallEnd) -> list[Any]:
        return self.calls.mcp_end(msg)
