"""The Chat Completions request (`wire_api = "chat"`, spec §3.4): history and tools in the
Chat shape, as a dict (`build_chat_body`) or as the bytes sent (`ChatRequestEncoder`).

`history_to_messages(instructions, items)` and `chat_tools(tools)` are pure converters
from the Responses-shaped history and tool specs. Rules: a developer message becomes a
`system` one; consecutive tool calls share one assistant message (parallel calls); an
assistant message repeating the previous assistant text is dropped; raw reasoning after
the last user message rides on the assistant message next to it (`reasoning`).

Each history item contributes a `_Piece` (its message, or its call entry) that depends on
the item alone; `_plan` groups the pieces into messages. The encoder keeps each item's
piece and its JSON text (`memo.ListMemo`), so a request encodes only the items added
since the previous one and joins text for the rest; its bytes equal
`json.dumps(build_chat_body(prompt)).encode()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from agent.protocol.items import (
    CustomToolCall,
    CustomToolCallOutput,
    FunctionCall,
    FunctionCallOutput,
    InputImage,
    LocalShellCall,
    Message,
    Reasoning,
    ResponseItem,
)

from .errors import UnsupportedRequest
from .memo import ListMemo
from .prompt import Prompt
from .wire_json import JsonArray, LastJson, dumps, encode_object

_CALLS = (FunctionCall, LocalShellCall, CustomToolCall)


def build_chat_body(prompt: Prompt) -> dict[str, Any]:
    return _body(prompt, history_to_messages(prompt.instructions, prompt.input), chat_tools(prompt.tools))


def _body(prompt: Prompt, messages: Any, tools: Any) -> dict[str, Any]:
    if prompt.output_schema is not None:
        raise UnsupportedRequest("output_schema is not supported for Chat Completions API")
    body: dict[str, Any] = {"model": prompt.model, "messages": messages, "stream": True,
                            "stream_options": {"include_usage": True}}
    if tools:
        body["tools"] = tools
    return body


def chat_tools(tools: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Only `function` tools, rewritten to the Chat shape; others are dropped."""
    out: list[dict[str, Any]] = []
    for spec in tools:
        if spec.get("type") != "function" or not spec.get("name"):
            continue
        function: dict[str, Any] = {"name": spec["name"], "description": spec.get("description", "")}
        if "strict" in spec:
            function["strict"] = spec["strict"]
        function["parameters"] = spec.get("parameters") or {"type": "object", "properties": {}}
        out.append({"type": "function", "function": function})
    return out


def history_to_messages(instructions: str, items: Sequence[ResponseItem]) -> list[dict[str, Any]]:
    """The Chat `messages` for a history (spec §3.4, items 1-7)."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": instructions}]
    for pieces, reasoning in _plan(items, [_piece(item) for item in items]):
        if pieces[0].kind == "call":
            msg = {"role": "assistant", "content": None, "tool_calls": [p.data for p in pieces]}
        else:
            msg = dict(pieces[0].data)
        if reasoning:
            msg["reasoning"] = reasoning
        messages.append(msg)
    return messages


class ChatRequestEncoder:
    """`encode(prompt)`: the request body's bytes; each history item's JSON is encoded once."""

    def __init__(self) -> None:
        self._pieces: ListMemo[ResponseItem, _Piece] = ListMemo(lambda item: _piece(item, encoded=True))
        self._system = LastJson()
        self._tools = LastJson()

    def encode(self, prompt: Prompt) -> bytes:
        messages = JsonArray([self._system.encode({"role": "system", "content": prompt.instructions})])
        messages += [_message_json(group, reasoning) for group, reasoning in _plan(prompt.input, self._pieces.map(prompt.input))]
        tools = chat_tools(prompt.tools)
        return encode_object(_body(prompt, messages, self._tools.encode(tools) if tools else None))


# --- pieces and the plan ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    """What one history item contributes: a whole message (`message`, `assistant`, `tool`),
    a call entry (`call`, grouped into an assistant message) or nothing (`skip`)."""

    kind: str
    data: dict[str, Any]
    message: bytes = b""
    """The JSON of the item's message (for a call: of an assistant message holding only
    it); only when built for the encoder."""
    entry: bytes = b""
    """A call's entry in `tool_calls`, as JSON (encoder only)."""


_SKIP = _Piece("skip", {})
_CALLS_HEAD = b'{"role": "assistant", "content": null, "tool_calls": ['


def _piece(item: ResponseItem, encoded: bool = False) -> _Piece:
    if isinstance(item, Message):
        data = _message(item)
        kind = "assistant" if data["role"] == "assistant" else "message"
    elif isinstance(item, _CALLS):
        entry = _call_entry(item)
        if not encoded:
            return _Piece("call", entry)
        return _Piece("call", entry, _CALLS_HEAD + dumps(entry) + b"]}", dumps(entry))
    elif isinstance(item, (FunctionCallOutput, CustomToolCallOutput)):
        kind, data = "tool", {"role": "tool", "tool_call_id": item.call_id, "content": _output_content(item.output)}
    else:
        return _SKIP
    return _Piece(kind, data, dumps(data) if encoded else b"")


def _plan(items: Sequence[ResponseItem], pieces: Sequence[_Piece]) -> list[tuple[list[_Piece], str]]:
    """The messages after the system one: the pieces of each (several only for consecutive
    calls) and the reasoning attached to it ("" for none)."""
    attached = _reasoning_by_anchor(items)
    plan: list[tuple[list[_Piece], str]] = []
    last_assistant: Any = None
    after_call = False
    for idx, piece in enumerate(pieces):
        kind = piece.kind
        if kind == "call" and after_call:
            group, reasoning = plan[-1]
            group.append(piece)
            plan[-1] = (group, reasoning + attached.get(idx, ""))
            continue
        after_call = kind == "call"
        if kind == "skip":
            continue
        if kind == "assistant":
            if piece.data["content"] == last_assistant:
                continue
            last_assistant = piece.data["content"]
        plan.append(([piece], attached.get(idx, "") if attached and kind in ("assistant", "call") else ""))
    return plan


def _message_json(group: list[_Piece], reasoning: str) -> bytes:
    """One planned message as JSON (what `json.dumps` gives the dict `history_to_messages` builds)."""
    if len(group) == 1 and not reasoning:
        return group[0].message
    if group[0].kind == "call":
        head = _CALLS_HEAD + b", ".join(p.entry for p in group) + b"]"
    else:
        head = group[0].message[:-1]
    return head + (b', "reasoning": ' + dumps(reasoning) + b"}" if reasoning else b"}")


def _reasoning_by_anchor(items: Sequence[ResponseItem]) -> dict[int, str]:
    """Raw reasoning after the last user message, keyed by the index of the item it
    attaches to; none when the conversation ends with a user message. Only the items after
    the last user message are looked at."""
    last_user, last_role = _last_user_and_role(items)
    anchors: dict[int, str] = {}
    if last_role == "user":
        return anchors
    for idx in range(last_user + 1, len(items)):
        item = items[idx]
        if not isinstance(item, Reasoning) or not item.content:
            continue
        text = "".join(part.text for part in item.content)
        if not text.strip():
            continue
        if idx > 0 and _is_assistant_message(items[idx - 1]):
            anchors[idx - 1] = anchors.get(idx - 1, "") + text
        elif idx + 1 < len(items) and (
            isinstance(items[idx + 1], (FunctionCall, LocalShellCall)) or _is_assistant_message(items[idx + 1])
        ):
            anchors[idx + 1] = anchors.get(idx + 1, "") + text
    return anchors


def _last_user_and_role(items: Sequence[ResponseItem]) -> tuple[int, str | None]:
    """The index of the last user message (-1: none) and the role of the last message,
    call (assistant) or output (tool), found from the end."""
    last_role: str | None = None
    for idx in range(len(items) - 1, -1, -1):
        item = items[idx]
        role = _role(item)
        if last_role is None:
            last_role = role
        if role == "user":
            return idx, last_role
    return -1, last_role


def _role(item: ResponseItem) -> str | None:
    if isinstance(item, Message):
        return item.role
    if isinstance(item, _CALLS):
        return "assistant"
    if isinstance(item, (FunctionCallOutput, CustomToolCallOutput)):
        return "tool"
    return None


def _is_assistant_message(item: Any) -> bool:
    return isinstance(item, Message) and item.role == "assistant"


def _message(item: Message) -> dict[str, Any]:
    role = "system" if item.role == "developer" else item.role
    text = "".join(c.text for c in item.content if not isinstance(c, InputImage))
    if role == "assistant" or not any(isinstance(c, InputImage) for c in item.content):
        return {"role": role, "content": text}
    return {"role": role, "content": _parts(item.content)}


def _parts(content: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {"type": "image_url", "image_url": {"url": c.image_url}}
        if isinstance(c, InputImage)
        else {"type": "text", "text": c.text}
        for c in content
    ]


def _output_content(output: str | list[Any]) -> str | list[dict[str, Any]]:
    return output if isinstance(output, str) else _parts(output)


def _call_entry(item: Any) -> dict[str, Any]:
    if isinstance(item, FunctionCall):
        return {"id": item.call_id, "type": "function", "function": {"name": item.name, "arguments": item.arguments}}
    if isinstance(item, LocalShellCall):
        action = item.action.model_dump(mode="json", exclude_none=True)
        return {"id": item.call_id, "type": "local_shell_call", "status": item.status, "action": action}
    return {"id": item.call_id, "type": "custom", "custom": {"name": item.name, "input": item.input}}
