"""The conversation history: only API items, normalised before every request (spec §8.1-8.2).

Invariants restored by `for_prompt()`: every tool call has exactly one output (a
synthetic "aborted" output is inserted right after a call that has none) and outputs
without a matching call are dropped. Recording is append-only.
"""

from __future__ import annotations

from typing import Iterable

from agent.protocol.items import (
    CustomToolCall,
    CustomToolCallOutput,
    FunctionCall,
    FunctionCallOutput,
    LocalShellCall,
    Message,
    ResponseItem,
)

ABORTED = "aborted"


def is_api_item(item: ResponseItem) -> bool:
    return not (isinstance(item, Message) and item.role == "system")


class ConversationHistory:
    def __init__(self, items: Iterable[ResponseItem] = ()):
        self._items: list[ResponseItem] = []
        self.record(items)

    def record(self, items: Iterable[ResponseItem]) -> None:
        self._items.extend(i for i in items if is_api_item(i))

    @property
    def items(self) -> list[ResponseItem]:
        return list(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def for_prompt(self) -> list[ResponseItem]:
        return normalize(self._items)

    def last_assistant_text(self) -> str | None:
        for item in reversed(self._items):
            if isinstance(item, Message) and item.role == "assistant":
                return item.text()
        return None


def _call_id(item: ResponseItem) -> str | None:
    if isinstance(item, (FunctionCall, CustomToolCall, LocalShellCall)):
        return item.call_id
    return None


def normalize(items: list[ResponseItem]) -> list[ResponseItem]:
    """Pair every call with an output and drop orphan outputs."""
    function_ids = {i.call_id for i in items if isinstance(i, (FunctionCall, LocalShellCall)) and i.call_id}
    custom_ids = {i.call_id for i in items if isinstance(i, CustomToolCall)}
    answered = {i.call_id for i in items if isinstance(i, (FunctionCallOutput, CustomToolCallOutput))}
    out: list[ResponseItem] = []
    for item in items:
        if isinstance(item, FunctionCallOutput) and item.call_id not in function_ids:
            continue
        if isinstance(item, CustomToolCallOutput) and item.call_id not in custom_ids:
            continue
        out.append(item)
        call_id = _call_id(item)
        if call_id and call_id not in answered:
            out.append(synthetic_output(item, ABORTED))
    return out


def synthetic_output(call: ResponseItem, text: str) -> ResponseItem:
    call_id = _call_id(call) or ""
    if isinstance(call, CustomToolCall):
        return CustomToolCallOutput(call_id=call_id, output=text)
    return FunctionCallOutput(call_id=call_id, output=text)
