"""Both wire APIs against the scripted server: text, reasoning, one and several tool calls."""

from __future__ import annotations

import json

import pytest

from agent.client.chat import ChatClient
from agent.client.responses import ResponsesClient
from agent.client.stream import (
    Completed,
    Created,
    OutputItemAdded,
    OutputItemDone,
    OutputTextDelta,
    RateLimits,
    ReasoningContentDelta,
    ReasoningSummaryDelta,
    ReasoningSummaryPartAdded,
)
from agent.protocol.items import FunctionCall, Message, Reasoning
from tests.scripted_server import Reply, ToolCall

pytestmark = pytest.mark.timeout(20)
WIRES = ["responses", "chat"]


def done_items(events):
    return [e.item for e in events if isinstance(e, OutputItemDone)]


@pytest.mark.parametrize("wire", WIRES)
async def test_text_reply(srv, make_client, prompt, collect, wire):
    srv.enqueue(Reply(text="hello there, world", chunk_size=5))
    client = make_client(srv.url, wire)
    assert isinstance(client, ResponsesClient if wire == "responses" else ChatClient)
    events = await collect(client, prompt())
    deltas = [e.delta for e in events if isinstance(e, OutputTextDelta)]
    assert deltas == ["hello", " ther", "e, wo", "rld"]
    (message,) = done_items(events)
    assert isinstance(message, Message) and message.role == "assistant"
    assert message.text() == "hello there, world"
    added = [e for e in events if isinstance(e, OutputItemAdded)]
    assert isinstance(added[0].item, Message)
    assert events.index(added[0]) < events.index(next(e for e in events if isinstance(e, OutputTextDelta)))
    assert isinstance(events[-1], Completed)
    assert events[-1].usage is not None and events[-1].usage.output_tokens > 0
    path = "/v1/responses" if wire == "responses" else "/v1/chat/completions"
    assert [r.path for r in srv.requests] == [path]


@pytest.mark.parametrize("wire", WIRES)
async def test_reasoning_then_text(srv, make_client, prompt, collect, wire):
    srv.enqueue(Reply(reasoning="let me think", text="42"))
    events = await collect(make_client(srv.url, wire), prompt())
    items = done_items(events)
    assert isinstance(items[0], Reasoning) and isinstance(items[1], Message)
    if wire == "responses":
        assert "".join(e.delta for e in events if isinstance(e, ReasoningSummaryDelta)) == "let me think"
        assert any(isinstance(e, ReasoningSummaryPartAdded) for e in events)
        assert items[0].summary[0].text == "let me think"
        assert isinstance(events[0], Created)
    else:
        assert "".join(e.delta for e in events if isinstance(e, ReasoningContentDelta)) == "let me think"
        assert items[0].content is not None and items[0].content[0].text == "let me think"
    assert items[1].text() == "42"


@pytest.mark.parametrize("wire", WIRES)
async def test_single_tool_call(srv, make_client, prompt, collect, wire):
    srv.enqueue(Reply(reasoning="plan first", tool_calls=[ToolCall(name="update_plan", arguments={"plan": []}, call_id="c1")]))
    events = await collect(make_client(srv.url, wire), prompt())
    calls = [i for i in done_items(events) if isinstance(i, FunctionCall)]
    assert [(c.name, c.call_id, json.loads(c.arguments)) for c in calls] == [("update_plan", "c1", {"plan": []})]
    assert isinstance(events[-1], Completed)


@pytest.mark.parametrize("wire", WIRES)
async def test_parallel_tool_calls(srv, make_client, prompt, collect, wire):
    calls = [
        ToolCall(name="shell", arguments={"command": ["ls", "-la"]}, call_id="a"),
        ToolCall(name="read_file", arguments={"path": "/etc/hostname"}, call_id="b"),
        ToolCall(name="shell", arguments={"command": ["pwd"]}, call_id="c"),
    ]
    srv.enqueue(Reply(text="running three things", tool_calls=calls, chunk_size=3))
    events = await collect(make_client(srv.url, wire), prompt(parallel_tool_calls=True))
    got = [i for i in done_items(events) if isinstance(i, FunctionCall)]
    assert [(c.call_id, c.name, json.loads(c.arguments)) for c in got] == [
        ("a", "shell", {"command": ["ls", "-la"]}),
        ("b", "read_file", {"path": "/etc/hostname"}),
        ("c", "shell", {"command": ["pwd"]}),
    ]
    assert isinstance(done_items(events)[0], Message)


@pytest.mark.parametrize("wire", WIRES)
async def test_usage_is_mapped(srv, make_client, prompt, collect, wire):
    usage = {"input_tokens": 100, "cached_input_tokens": 40, "output_tokens": 20, "reasoning_output_tokens": 7, "total_tokens": 120}
    srv.enqueue(Reply(text="ok", usage=usage))
    events = await collect(make_client(srv.url, wire), prompt())
    assert events[-1].usage.model_dump() == usage


async def test_responses_rate_limit_headers_come_first(srv, make_client, prompt, collect):
    headers = {
        "x-codex-primary-used-percent": "12.5",
        "x-codex-primary-window-minutes": "300",
        "x-codex-primary-reset-at": "1700000000",
        "x-codex-credits-has-credits": "true",
        "x-codex-credits-balance": "9.99",
    }
    srv.enqueue(Reply(text="ok", headers=headers))
    events = await collect(make_client(srv.url, "responses"), prompt())
    assert isinstance(events[0], RateLimits)
    snapshot = events[0].snapshot
    assert snapshot.primary.used_percent == 12.5 and snapshot.primary.window_minutes == 300
    assert snapshot.primary.resets_at == 1700000000 and snapshot.secondary is None
    assert snapshot.credits.has_credits and not snapshot.credits.unlimited and snapshot.credits.balance == "9.99"


async def test_responses_custom_tool_call(srv, make_client, prompt, collect):
    patch = "*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch"
    srv.enqueue(Reply(tool_calls=[ToolCall(name="apply_patch", input=patch, call_id="p1")]))
    events = await collect(make_client(srv.url, "responses"), prompt())
    (item,) = done_items(events)
    assert item.type == "custom_tool_call" and item.input == patch and item.call_id == "p1"


async def test_two_requests_on_one_client_reuse_the_server(srv, make_client, prompt, collect):
    srv.enqueue(Reply(text="one"), Reply(text="two"))
    client = make_client(srv.url, "chat")
    first = await collect(client, prompt())
    second = await collect(client, prompt())
    assert done_items(first)[0].text() == "one" and done_items(second)[0].text() == "two"
    assert len(srv.wait_for_requests(2)) == 2


@pytest.mark.parametrize("wire", WIRES)
async def test_consumer_stopping_early_closes_the_stream(srv, make_client, prompt, collect, wire):
    srv.enqueue(Reply(text="a long answer that nobody reads", stall_after=6, stall_seconds=10), Reply(text="next"))
    client = make_client(srv.url, wire)
    stream = client.stream(prompt())
    async for event in stream:
        if isinstance(event, OutputTextDelta):
            break
    await stream.aclose()
    events = await collect(client, prompt())
    assert [i.text() for i in done_items(events)] == ["next"]
