"""The bytes a client sends are `json.dumps` of the request body, whatever the history did.

The clients encode each history item's JSON once and join the texts on later requests
(agent.client.wire_json, memo). These tests hold the bytes to the plain rule,
`json.dumps(build_request_body(prompt)).encode()` (Responses, also Azure) or
`json.dumps(build_chat_body(prompt)).encode()` (Chat), across a sequence of requests in
which the history grows, an item is replaced by a changed one (a truncated output, a
redacted message), normalisation adds synthetic outputs, and compaction replaces it all.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.client.chat_request import ChatRequestEncoder, build_chat_body
from agent.client.memo import ListMemo
from agent.client.prompt import Prompt
from agent.client.responses import RequestEncoder, build_request_body
from agent.protocol.items import (
    CustomToolCall,
    CustomToolCallOutput,
    FunctionCall,
    FunctionCallOutput,
    InputImage,
    InputText,
    LocalShellCall,
    LocalShellExecAction,
    Message,
    OutputText,
    Reasoning,
    ReasoningText,
    SummaryText,
    WebSearchCall,
    user_text,
)
from tests.scripted_server import Reply

TOOLS = [
    {"type": "function", "name": "shell", "description": "Runs a command", "strict": False,
     "parameters": {"type": "object", "properties": {"command": {"type": "array", "items": {"type": "string"}}}}},
    {"type": "custom", "name": "apply_patch", "description": "patch", "format": {"type": "grammar"}},
]
WIRES = {
    "responses": (lambda: RequestEncoder(azure=False), lambda p: build_request_body(p)),
    "azure": (lambda: RequestEncoder(azure=True), lambda p: build_request_body(p, azure=True)),
    "chat": (ChatRequestEncoder, build_chat_body),
}

texts = st.sampled_from(["a", "same", "", "é ü \u2603", 'q"uote\\', "line\nbreak"])
call_ids = st.sampled_from(["c1", "c2", "c3"])
parts = st.one_of(texts.map(lambda t: InputText(text=t)), st.just(InputImage(image_url="data:image/png;base64,AA")))
items = st.one_of(
    st.builds(lambda ps: Message(role="user", content=ps), st.lists(parts, min_size=1, max_size=3)),
    st.builds(lambda ps: Message(role="developer", content=ps), st.lists(parts, min_size=1, max_size=2)),
    st.builds(lambda t: Message(role="assistant", content=[OutputText(text=t)], id="msg_1"), texts),
    st.builds(lambda i, a: FunctionCall(name="shell", arguments=a, call_id=i, id="fc_1"), call_ids, texts),
    st.builds(lambda i: LocalShellCall(call_id=i, action=LocalShellExecAction(command=["ls"], timeout_ms=5)), call_ids),
    st.builds(lambda i, t: CustomToolCall(call_id=i, name="apply_patch", input=t), call_ids, texts),
    st.builds(lambda i, t: FunctionCallOutput(call_id=i, output=t), call_ids, texts),
    st.builds(lambda i: FunctionCallOutput(call_id=i, output=[InputText(text="x"), InputImage(image_url="http://i")]), call_ids),
    st.builds(lambda i, t: CustomToolCallOutput(call_id=i, output=t), call_ids, texts),
    st.builds(lambda t: Reasoning(summary=[SummaryText(text="s")], content=[ReasoningText(text=t)] if t else None,
                                  encrypted_content="opaque"), texts),
    st.just(WebSearchCall(status="completed")),
)
# One step of a history between two requests: grow, change one item, insert one, drop one, or replace all.
edits = st.one_of(
    st.tuples(st.just("append"), st.lists(items, min_size=1, max_size=4)),
    st.tuples(st.just("change"), items),
    st.tuples(st.just("insert"), items),
    st.tuples(st.just("drop"), st.none()),
    st.tuples(st.just("replace_all"), st.lists(items, max_size=5)),
)


def prompt(history: list, **fields) -> Prompt:
    fields.setdefault("tools", TOOLS)
    return Prompt(model="m", instructions="be brief", input=history, conversation_id="conv-1", **fields)


def apply(history: list, edit: tuple) -> list:
    kind, value = edit
    if kind == "append":
        return [*history, *value]
    if kind == "replace_all":
        return list(value)
    if not history:
        return [value] if kind in ("change", "insert") else []
    middle = len(history) // 2
    if kind == "change":
        return [*history[:middle], value, *history[middle + 1:]]
    if kind == "insert":
        return [*history[:middle], value, *history[middle:]]
    return history[:middle] + history[middle + 1:]


def expected(wire: str, p: Prompt) -> bytes:
    return json.dumps(WIRES[wire][1](p)).encode()


@pytest.mark.parametrize("wire", sorted(WIRES))
@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(first=st.lists(items, max_size=8), steps=st.lists(edits, min_size=1, max_size=6))
def test_every_request_is_the_json_of_its_body(wire, first, steps):
    encoder = WIRES[wire][0]()
    history = first
    assert encoder.encode(prompt(history)) == expected(wire, prompt(history))
    for step in steps:
        history = apply(history, step)
        assert encoder.encode(prompt(history)) == expected(wire, prompt(history))


@pytest.mark.parametrize("wire", sorted(WIRES))
def test_a_changed_item_is_sent_in_its_new_form(wire):
    """Truncation, redaction and normalisation make new item objects: the new text is sent,
    the old one is not, even though the rest of the history is reused."""
    encoder = WIRES[wire][0]()
    call = FunctionCall(name="shell", arguments='{"command":["ls"]}', call_id="c1")
    full = FunctionCallOutput(call_id="c1", output="FULL OUTPUT " * 20)
    history = [user_text("list files"), call, full, Message(role="assistant", content=[OutputText(text="done")])]
    assert b"FULL OUTPUT" in encoder.encode(prompt(history))
    history[2] = FunctionCallOutput(call_id="c1", output="FULL…[truncated]")
    sent = encoder.encode(prompt(history))
    assert sent == expected(wire, prompt(history)) and b"FULL OUTPUT" not in sent
    history[0] = user_text("list files [REDACTED]")
    sent = encoder.encode(prompt(history))
    assert sent == expected(wire, prompt(history)) and b"[REDACTED]" in sent
    normalised = [*history[:2], FunctionCallOutput(call_id="c1", output="aborted"), *history[3:]]
    sent = encoder.encode(prompt(normalised))
    assert sent == expected(wire, prompt(normalised)) and b"aborted" in sent and b"truncated" not in sent
    compacted = [user_text("SUMMARY of it all")]
    sent = encoder.encode(prompt(compacted, tools=[]))
    assert sent == expected(wire, prompt(compacted, tools=[])) and b"list files" not in sent


def test_the_rest_of_the_body_follows_the_prompt():
    encoder = RequestEncoder(azure=False)
    history = [user_text("hi")]
    variants = [
        prompt(history), prompt(history, tools=TOOLS[:1]), prompt(history, tools=[]),
        prompt(history, reasoning=True, effort="high", summary="auto", verbosity="low"),
        prompt(history, output_schema={"type": "object"}, parallel_tool_calls=True),
        Prompt(model="other", instructions="new instructions", input=history),
    ]
    for p in variants:
        assert encoder.encode(p) == expected("responses", p)


def test_list_memo_computes_each_object_once_and_follows_changes():
    seen: list[str] = []
    memo: ListMemo[str, str] = ListMemo(lambda value: seen.append(value) or value.upper())
    a, b, c, d = "a" * 10, "b" * 10, "c" * 10, "d" * 10
    assert memo.map([a, b]) == [a.upper(), b.upper()]
    assert memo.map([a, b, c]) == [a.upper(), b.upper(), c.upper()]  # grown: only c is new
    assert memo.map([a, d, c]) == [a.upper(), d.upper(), c.upper()]  # changed in the middle
    assert memo.map([c]) == [c.upper()]
    assert seen == [a, b, c, d]


@pytest.mark.parametrize("wire", ["responses", "chat"])
async def test_the_server_receives_exactly_those_bytes(srv, make_client, collect, wire):
    history = [user_text("one"), FunctionCall(name="shell", arguments="{}", call_id="c1"),
               FunctionCallOutput(call_id="c1", output="out")]
    client = make_client(srv.url, wire)
    for turn in range(2):
        srv.enqueue(Reply(text="ok"))
        p = prompt([*history, user_text(f"turn {turn}")])
        await collect(client, p)
        assert srv.requests[-1].body == expected(wire, p)
