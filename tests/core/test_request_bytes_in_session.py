"""What a session's requests look like on the wire while its history changes under them.

The model client keeps each history item's JSON from one request to the next. Here a
session runs turns through a client that encodes every prompt as the real clients do
(one encoder for the whole session) and the bytes are held to `json.dumps` of the body:
after a tool output cut to the history budget, after a secret appears in the environment
(old items are sent redacted from then on), after normalisation answers a call that had
no output, and after compaction replaced the history.
"""

from __future__ import annotations

import json

import pytest

from agent.client.chat_request import ChatRequestEncoder, build_chat_body
from agent.client.responses import RequestEncoder, build_request_body
from agent.client.scripted import ScriptedModelClient, text_reply, tool_reply
from agent.protocol import ops
from agent.protocol.items import FunctionCall
from agent.tools import ToolRegistry, ToolResult
from agent.tools.base import function_spec

from .conftest import collect_until, make_session

SECRET = "late-secret-value-0123456789"


class NumbersTool:
    name = "numbers"
    supports_parallel = False

    def spec(self):
        return function_spec(self.name, "prints numbers", {}, [])

    async def handle(self, call, ctx):
        return ToolResult(" ".join(str(n) for n in range(1, 5001)))


class WireRecordingClient(ScriptedModelClient):
    """A scripted client that also encodes each prompt, as a real client would send it."""

    def __init__(self, encoder, build) -> None:
        super().__init__()
        self.encoder, self.build = encoder, build
        self.sent: list[bytes] = []
        self.expected: list[bytes] = []

    async def stream(self, prompt):
        self.sent.append(self.encoder.encode(prompt))
        self.expected.append(json.dumps(self.build(prompt)).encode())
        async for event in super().stream(prompt):
            yield event


@pytest.fixture(params=["responses", "chat"])
def wire_client(request) -> WireRecordingClient:
    if request.param == "chat":
        return WireRecordingClient(ChatRequestEncoder(), build_chat_body)
    return WireRecordingClient(RequestEncoder(azure=False), build_request_body)


async def turn(session, text: str) -> None:
    stream = session.events()
    session.submit(ops.text_turn(text))
    await collect_until(stream, {"task_complete"})


async def test_requests_follow_truncation_redaction_normalisation_and_compaction(config, wire_client, monkeypatch):
    monkeypatch.delenv("LATE_API_KEY", raising=False)
    config = config.with_overrides(tool_output_token_limit=50)
    client = wire_client
    session = make_session(config, client, ToolRegistry([NumbersTool()]))
    client.add(tool_reply(("numbers", {})), text_reply("counted"))
    await turn(session, f"count, and remember {SECRET}")
    assert SECRET.encode() in client.sent[-1]
    assert b"4999 5000" in client.sent[-1] and b" 2500 " not in client.sent[-1]  # cut to the history budget

    monkeypatch.setenv("LATE_API_KEY", SECRET)
    client.add(text_reply("noted"))
    await turn(session, "and now?")
    assert SECRET.encode() not in client.sent[-1] and b"[REDACTED]" in client.sent[-1]

    session.history.record([FunctionCall(name="numbers", arguments="{}", call_id="unanswered")])
    client.add(text_reply("fine"))
    await turn(session, "go on")
    assert b'"unanswered"' in client.sent[-1] and b"aborted" in client.sent[-1]

    client.add(text_reply("THE SUMMARY"), text_reply("after"))
    stream = session.events()
    session.submit(ops.Compact())
    await collect_until(stream, {"task_complete"})
    await turn(session, "after compaction")
    assert b"THE SUMMARY" in client.sent[-1] and b"count, and remember" in client.sent[-1]
    assert b"4999 5000" not in client.sent[-1] and b'"unanswered"' not in client.sent[-1]

    assert len(client.sent) == 6
    assert client.sent == client.expected
    await session.shutdown()
