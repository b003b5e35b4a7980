"""Session events -> `exec --json` thread events (spec §1.3). Pure: no I/O.

`ThreadEventMapper.feed(event)` returns the lines to print for one event. It remembers
the cumulative usage (from token_count) and whether an error was seen in the turn, which
decides between `turn.completed` and `turn.failed`.
"""

from __future__ import annotations

import json
import shlex

from agent.protocol import events as ev
from agent.protocol import thread as th


class ThreadEventMapper:
    def __init__(self) -> None:
        self._next_id = 0
        self._usage = ev.TokenUsage()
        self._turn_error: str | None = None
        self.any_error = False
        self._open: dict[str, th.CommandExecutionItem | th.McpToolCallItem] = {}
        self._todo: th.TodoListItem | None = None

    def _id(self) -> str:
        item_id = f"item_{self._next_id}"
        self._next_id += 1
        return item_id

    def feed(self, event: ev.Event) -> list[th.ThreadEvent]:
        handler = getattr(self, f"_on_{event.msg.type}", None)
        return handler(event.msg) if handler else []

    def _on_session_configured(self, msg: ev.SessionConfigured) -> list[th.ThreadEvent]:
        return [th.ThreadStarted(thread_id=msg.session_id)]

    def _on_task_started(self, msg: ev.TaskStarted) -> list[th.ThreadEvent]:
        self._turn_error = None
        self._todo = None
        return [th.TurnStartedLine()]

    def _on_error(self, msg: ev.Error) -> list[th.ThreadEvent]:
        self._turn_error = msg.message
        self.any_error = True
        return [th.ErrorLine(message=msg.message)]

    def _on_stream_error(self, msg: ev.StreamError) -> list[th.ThreadEvent]:
        return [th.ErrorLine(message=msg.message)]

    def _on_token_count(self, msg: ev.TokenCount) -> list[th.ThreadEvent]:
        if msg.info is not None:
            self._usage = msg.info.total_token_usage
        return []

    def _on_agent_message(self, msg: ev.AgentMessage) -> list[th.ThreadEvent]:
        return [th.ItemCompleted(item=th.AgentMessageItem(id=self._id(), text=msg.message))]

    def _on_agent_reasoning(self, msg: ev.AgentReasoning) -> list[th.ThreadEvent]:
        return [th.ItemCompleted(item=th.ReasoningItem(id=self._id(), text=msg.text))]

    def _on_warning(self, msg: ev.Warning) -> list[th.ThreadEvent]:
        return [th.ItemCompleted(item=th.ErrorItem(id=self._id(), message=msg.message))]

    def _on_exec_command_begin(self, msg: ev.ExecCommandBegin) -> list[th.ThreadEvent]:
        item = th.CommandExecutionItem(id=self._id(), command=shlex.join(msg.command), status="in_progress")
        self._open[msg.call_id] = item
        return [th.ItemStarted(item=item)]

    def _on_exec_command_end(self, msg: ev.ExecCommandEnd) -> list[th.ThreadEvent]:
        started = self._open.pop(msg.call_id, None)
        item_id = started.id if started else self._id()
        status = "declined" if msg.refused else ("completed" if msg.exit_code == 0 else "failed")
        item = th.CommandExecutionItem(  # a refused command never ran: no exit code, the reason as output
            id=item_id, command=shlex.join(msg.command), aggregated_output=msg.aggregated_output,
            exit_code=None if msg.refused else msg.exit_code, status=status,
        )
        return [th.ItemCompleted(item=item)]

    def _on_patch_apply_end(self, msg: ev.PatchApplyEnd) -> list[th.ThreadEvent]:
        changes = [th.FileUpdateChange(path=path, kind=change.type) for path, change in msg.changes.items()]
        status = "completed" if msg.success else "failed"
        return [th.ItemCompleted(item=th.FileChangeItem(id=self._id(), changes=changes, status=status))]

    def _on_mcp_tool_call_begin(self, msg: ev.McpToolCallBegin) -> list[th.ThreadEvent]:
        call = msg.invocation
        item = th.McpToolCallItem(id=self._id(), server=call.server, tool=call.tool, arguments=call.arguments,
                                  status="in_progress")
        self._open[msg.call_id] = item
        return [th.ItemStarted(item=item)]

    def _on_mcp_tool_call_end(self, msg: ev.McpToolCallEnd) -> list[th.ThreadEvent]:
        started = self._open.pop(msg.call_id, None)
        call, ok = msg.invocation, msg.result.get("Ok")
        error = msg.result.get("Err")
        if isinstance(ok, dict) and ok.get("isError"):
            error = json.dumps(ok.get("content", []), ensure_ascii=False)
        result = {"content": ok.get("content", []), "structured_content": ok.get("structuredContent")} if isinstance(ok, dict) else None
        item = th.McpToolCallItem(
            id=started.id if started else self._id(), server=call.server, tool=call.tool, arguments=call.arguments,
            result=result, error=None if error is None else {"message": str(error)},
            status="failed" if error is not None else "completed",
        )
        return [th.ItemCompleted(item=item)]

    def _on_plan_update(self, msg: ev.PlanUpdate) -> list[th.ThreadEvent]:
        entries = [th.TodoEntry(text=p.step, completed=p.status == "completed") for p in msg.plan]
        if self._todo is None:
            self._todo = th.TodoListItem(id=self._id(), items=entries)
            return [th.ItemStarted(item=self._todo)]
        self._todo = th.TodoListItem(id=self._todo.id, items=entries)
        return [th.ItemUpdated(item=self._todo)]

    def _on_task_complete(self, msg: ev.TaskComplete) -> list[th.ThreadEvent]:
        lines: list[th.ThreadEvent] = []
        if self._todo is not None:
            lines.append(th.ItemCompleted(item=self._todo))
            self._todo = None
        if self._turn_error is not None:
            lines.append(th.TurnFailedLine(error=th.ThreadError(message=self._turn_error)))
        else:
            usage = th.Usage(
                input_tokens=self._usage.input_tokens, cached_input_tokens=self._usage.cached_input_tokens,
                output_tokens=self._usage.output_tokens, reasoning_output_tokens=self._usage.reasoning_output_tokens,
            )
            lines.append(th.TurnCompletedLine(usage=usage))
        return lines

    def _on_turn_aborted(self, msg: ev.TurnAborted) -> list[th.ThreadEvent]:
        self.any_error = True
        return [th.TurnFailedLine(error=th.ThreadError(message=f"turn aborted: {msg.reason}"))]
