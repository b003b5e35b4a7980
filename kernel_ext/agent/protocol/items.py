"""History items: the Responses API `ResponseItem` wire shapes (spec §3.2).

Every model serialises (`model_dump(mode="json", exclude_none=True)`) to exactly what
goes into a request's `input` array. `id` fields are kept for bookkeeping but never sent
(`wire_item` drops them). Unknown item types from a stream fail validation and are dropped
by the client, as Codex's `Other` variant is.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Item(BaseModel):
    model_config = ConfigDict(extra="ignore")


class InputText(_Item):
    type: Literal["input_text"] = "input_text"
    text: str


class InputImage(_Item):
    type: Literal["input_image"] = "input_image"
    image_url: str
    """A data: URL (base64) or an http(s) URL."""


class OutputText(_Item):
    type: Literal["output_text"] = "output_text"
    text: str


ContentItem = Annotated[Union[InputText, InputImage, OutputText], Field(discriminator="type")]


class Message(_Item):
    type: Literal["message"] = "message"
    role: Literal["user", "assistant", "developer", "system"]
    content: list[ContentItem]
    id: str | None = None

    def text(self) -> str:
        """The message's text parts joined with no separator."""
        return "".join(c.text for c in self.content if not isinstance(c, InputImage))


class SummaryText(_Item):
    type: Literal["summary_text"] = "summary_text"
    text: str


class ReasoningText(_Item):
    type: Literal["reasoning_text", "text"] = "reasoning_text"
    text: str


class Reasoning(_Item):
    type: Literal["reasoning"] = "reasoning"
    summary: list[SummaryText] = []
    content: list[ReasoningText] | None = None
    encrypted_content: str | None = None
    id: str | None = None


class FunctionCall(_Item):
    type: Literal["function_call"] = "function_call"
    name: str
    arguments: str
    """The arguments as a JSON string, exactly as the model produced them."""
    call_id: str
    id: str | None = None


class FunctionCallOutput(_Item):
    type: Literal["function_call_output"] = "function_call_output"
    call_id: str
    output: str | list[ContentItem]


class CustomToolCall(_Item):
    type: Literal["custom_tool_call"] = "custom_tool_call"
    call_id: str
    name: str
    input: str
    status: str | None = None
    id: str | None = None


class CustomToolCallOutput(_Item):
    type: Literal["custom_tool_call_output"] = "custom_tool_call_output"
    call_id: str
    output: str


class LocalShellExecAction(_Item):
    type: Literal["exec"] = "exec"
    command: list[str]
    timeout_ms: int | None = None
    working_directory: str | None = None
    env: dict[str, str] | None = None
    user: str | None = None


class LocalShellCall(_Item):
    type: Literal["local_shell_call"] = "local_shell_call"
    call_id: str | None = None
    status: Literal["completed", "in_progress", "incomplete"] = "completed"
    action: LocalShellExecAction
    id: str | None = None


class WebSearchCall(_Item):
    type: Literal["web_search_call"] = "web_search_call"
    status: str | None = None
    action: dict[str, Any] | None = None
    id: str | None = None


class CompactionSummary(_Item):
    type: Literal["compaction_summary"] = "compaction_summary"
    encrypted_content: str


ResponseItem = Annotated[
    Union[
        Message,
        Reasoning,
        FunctionCall,
        FunctionCallOutput,
        CustomToolCall,
        CustomToolCallOutput,
        LocalShellCall,
        WebSearchCall,
        CompactionSummary,
    ],
    Field(discriminator="type"),
]

response_item_adapter: TypeAdapter[ResponseItem] = TypeAdapter(ResponseItem)

TOOL_CALL_TYPES = (FunctionCall, CustomToolCall, LocalShellCall)
TOOL_OUTPUT_TYPES = (FunctionCallOutput, CustomToolCallOutput)


def user_text(text: str) -> Message:
    """A user message holding one text part."""
    return Message(role="user", content=[InputText(text=text)])


def assistant_text(text: str) -> Message:
    """An assistant message holding one output_text part."""
    return Message(role="assistant", content=[OutputText(text=text)])


def wire_item(item: _Item) -> dict[str, Any]:
    """The JSON object sent in a request's `input` (ids are never serialised)."""
    data = item.model_dump(mode="json", exclude_none=True)
    data.pop("id", None)
    return data
