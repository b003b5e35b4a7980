"""Against a third-party scripted server (llm-mock-api, in-process on 127.0.0.1:0).

Its SSE has `data:` lines only (no `event:`), so these also prove the client dispatches on
the JSON `type`. Multi-turn tool loops: turn 1 -> function_call, turn 2 carries the
function_call_output and gets the final text.
"""

from __future__ import annotations

import json

import pytest
from llm_mock_api import MockServer, MockServerOptions, ReplyObject
from llm_mock_api import ToolCall as MockToolCall

from agent.client.prompt import Prompt
from agent.client.stream import Completed, OutputItemDone, ReasoningSummaryDelta
from agent.protocol.items import FunctionCall, FunctionCallOutput, Message, user_text

pytestmark = pytest.mark.timeout(30)

SHELL_TOOL = {
    "type": "function",
    "name": "shell",
    "description": "Runs a command",
    "parameters": {"type": "object", "properties": {"command": {"type": "array", "items": {"type": "string"}}}},
}


@pytest.fixture
async def mock():
    server = MockServer(MockServerOptions(host="127.0.0.1", port=0, default_latency=0))
    server.when_tool_result("call_1").reply(ReplyObject(text="There are two files: a.txt and b.txt."))
    server.when_tool("shell").reply(
        ReplyObject(reasoning="I should list the files.", tools=[MockToolCall(id="call_1", name="shell", args={"command": ["ls"]})])
    )
    server.fallback(ReplyObject(text="fallback text"))
    await server.start()
    assert server.url.startswith("http://127.0.0.1:")
    yield server
    await server.stop()


def items_of(events):
    return [e.item for e in events if isinstance(e, OutputItemDone)]


@pytest.mark.parametrize("wire", ["responses", "chat"])
async def test_tool_loop(mock, make_client, collect, wire):
    client = make_client(f"{mock.url}/v1", wire)
    history = [user_text("list the files")]
    turn1 = await collect(client, Prompt(model="mock-model", instructions="agent", input=history, tools=[SHELL_TOOL]))
    assert isinstance(turn1[-1], Completed)
    calls = [i for i in items_of(turn1) if isinstance(i, FunctionCall)]
    assert [(c.name, c.call_id, json.loads(c.arguments)) for c in calls] == [("shell", "call_1", {"command": ["ls"]})]
    if wire == "responses":
        assert "".join(e.delta for e in turn1 if isinstance(e, ReasoningSummaryDelta)) == "I should list the files."
        assert turn1[-1].usage.input_tokens == 10 and turn1[-1].usage.output_tokens == 5

    history += items_of(turn1) + [FunctionCallOutput(call_id="call_1", output="a.txt\nb.txt")]
    turn2 = await collect(client, Prompt(model="mock-model", instructions="agent", input=history, tools=[SHELL_TOOL]))
    (message,) = [i for i in items_of(turn2) if isinstance(i, Message)]
    assert message.text() == "There are two files: a.txt and b.txt."
    assert isinstance(turn2[-1], Completed)

    assert mock.history.count() == 2
    second = mock.history.last().request
    assert second.last_tool_call_id == "call_1"
    assert second.path == ("/v1/responses" if wire == "responses" else "/v1/chat/completions")
    assert second.headers.get("authorization") == "Bearer test-key"


@pytest.mark.parametrize("wire", ["responses", "chat"])
async def test_one_shot_429_is_retried(mock, make_client, prompt, collect, sleeps, wire):
    mock.next_error(429, "slow down", "rate_limit_exceeded")
    events = await collect(make_client(f"{mock.url}/v1", wire), prompt("hello"))
    assert [i.text() for i in items_of(events) if isinstance(i, Message)] == ["fallback text"]
    assert mock.history.count() == 2 and len(sleeps.delays) == 1
