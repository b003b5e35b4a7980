"""`kernel-agent exec --json` lines: Codex's thread/turn/item events (spec §1.3).

One JSON object per line, tagged by `type`. Item ids count up from `item_0`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, Field, TypeAdapter


class AgentMessageItem(BaseModel):
    id: str
    type: Literal["agent_message"] = "agent_message"
    text: str


class ReasoningItem(BaseModel):
    id: str
    type: Literal["reasoning"] = "reasoning"
    text: str


class CommandExecutionItem(BaseModel):
    id: str
    type: Literal["command_execution"] = "command_execution"
    command: str
    aggregated_output: str = ""
    exit_code: int | None = None
    status: Literal["in_progress", "completed", "failed", "declined"]


class FileUpdateChange(BaseModel):
    path: str
    kind: Literal["add", "delete", "update"]


class FileChangeItem(BaseModel):
    id: str
    type: Literal["file_change"] = "file_change"
    changes: list[FileUpdateChange]
    status: Literal["in_progress", "completed", "failed"]


class TodoEntry(BaseModel):
    text: str
    completed: bool


class TodoListItem(BaseModel):
    id: str
    type: Literal["todo_list"] = "todo_list"
    items: list[TodoEntry]


class McpToolCallItem(BaseModel):
    """A call of an MCP server's tool. kernel-agent's own tools (read_file, ...) have no
    item, as in Codex."""

    id: str
    type: Literal["mcp_tool_call"] = "mcp_tool_call"
    server: str
    tool: str
    arguments: Any = None
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    status: Literal["in_progress", "completed", "failed"]


class ErrorItem(BaseModel):
    id: str
    type: Literal["error"] = "error"
    message: str


ThreadItem = Annotated[
    Union[
        AgentMessageItem,
        ReasoningItem,
        CommandExecutionItem,
        FileChangeItem,
        TodoListItem,
        McpToolCallItem,
        ErrorItem,
    ],
    Field(discriminator="type"),
]


class Usage(BaseModel):
    input_tokens: int
    cached_input_tokens: int
    output_tokens: int
    reasoning_output_tokens: int = 0


class ThreadStarted(BaseModel):
    type: Literal["thread.started"] = "thread.started"
    thread_id: str


class TurnStartedLine(BaseModel):
    type: Literal["turn.started"] = "turn.started"


class TurnCompletedLine(BaseModel):
    type: Literal["turn.completed"] = "turn.completed"
    usage: Usage


class ThreadError(BaseModel):
    message: str


class TurnFailedLine(BaseModel):
    type: Literal["turn.failed"] = "turn.failed"
    error: ThreadError


class ItemStarted(BaseModel):
    type: Literal["item.started"] = "item.started"
    item: ThreadItem


class ItemUpdated(BaseModel):
    type: Literal["item.updated"] = "item.updated"
    item: ThreadItem


class ItemCompleted(BaseModel):
    type: Literal["item.completed"] = "item.completed"
    item: ThreadItem


class ErrorLine(BaseModel):
    type: Literal["error"] = "error"
    message: str


ThreadEvent = Annotated[
    Union[
        ThreadStarted,
        TurnStartedLine,
        TurnCompletedLine,
        TurnFailedLine,
        ItemStarted,
        ItemUpdated,
        ItemCompleted,
        ErrorLine,
    ],
    Field(discriminator="type"),
]

thread_event_adapter: TypeAdapter[ThreadEvent] = TypeAdapter(ThreadEvent)
