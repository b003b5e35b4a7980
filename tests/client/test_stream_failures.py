"""Broken streams over real sockets: cuts, stalls, garbage, empty bodies, response.failed."""

from __future__ import annotations

import json
import time

import pytest

from agent.client.errors import ContextWindowExceeded, QuotaExceeded, StreamError
from agent.client.stream import Completed, OutputItemDone, OutputTextDelta
from tests.scripted_server import Fault, Reply

pytestmark = pytest.mark.timeout(20)
WIRES = ["responses", "chat"]


@pytest.mark.parametrize("wire", WIRES)
async def test_cut_mid_stream_is_a_stream_error(srv, make_client, prompt, collect, wire):
    srv.enqueue(Reply(text="partial answer here", cut_after=3))
    client = make_client(srv.url, wire)
    seen = []
    with pytest.raises(StreamError) as info:
        async for event in client.stream(prompt()):
            seen.append(event)
    assert info.value.message.startswith("stream disconnected before completion")
    assert info.value.retryable
    assert not any(isinstance(e, Completed) for e in seen)


@pytest.mark.parametrize("wire", WIRES)
async def test_stalled_stream_hits_the_idle_timeout(srv, make_client, prompt, collect, wire):
    srv.enqueue(Reply(text="never finishes", stall_after=2, stall_seconds=10))
    client = make_client(srv.url, wire, stream_idle_timeout_ms=300)
    started = time.monotonic()
    with pytest.raises(StreamError, match="^idle timeout waiting for SSE$"):
        await collect(client, prompt())
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("wire", WIRES)
async def test_malformed_lines_are_skipped(srv, make_client, prompt, collect, wire):
    srv.enqueue(Reply(text="robust text", reasoning="r", malformed=True))
    events = await collect(make_client(srv.url, wire), prompt())
    assert "".join(e.delta for e in events if isinstance(e, OutputTextDelta)) == "robust text"
    assert isinstance(events[-1], Completed)


@pytest.mark.parametrize("wire", WIRES)
async def test_empty_200_body_is_a_stream_error(srv, make_client, prompt, collect, wire):
    srv.enqueue(Fault(status=200, body=""))
    with pytest.raises(StreamError) as info:
        await collect(make_client(srv.url, wire), prompt())
    assert info.value.message.startswith("stream disconnected before completion")
    assert len(srv.requests) == 1


async def test_response_failed_context_window(srv, make_client, prompt, collect):
    srv.enqueue(Reply(text="x", failed={"code": "context_length_exceeded", "message": "too long"}))
    with pytest.raises(ContextWindowExceeded) as info:
        await collect(make_client(srv.url, "responses"), prompt())
    assert not info.value.retryable and info.value.info == "context_window_exceeded"


async def test_response_failed_quota(srv, make_client, prompt, collect):
    srv.enqueue(Reply(failed={"code": "insufficient_quota", "message": "pay up"}))
    with pytest.raises(QuotaExceeded):
        await collect(make_client(srv.url, "responses"), prompt())


async def test_response_failed_rate_limit_carries_try_again(srv, make_client, prompt, collect):
    message = "Rate limit reached for gpt-5. Please try again in 1.5s. Visit the docs."
    srv.enqueue(Reply(failed={"code": "rate_limit_exceeded", "message": message}))
    with pytest.raises(StreamError) as info:
        await collect(make_client(srv.url, "responses"), prompt())
    assert info.value.message == message and info.value.retry_after == 1.5


async def test_response_incomplete(srv, make_client, prompt, collect):
    events = [
        {"type": "response.created", "response": {"id": "r"}},
        {"type": "response.incomplete", "response": {"id": "r", "incomplete_details": {"reason": "max_output_tokens"}}},
    ]
    srv.enqueue(Reply(events=events))
    with pytest.raises(StreamError, match="^Incomplete response returned, reason: max_output_tokens$"):
        await collect(make_client(srv.url, "responses"), prompt())


async def test_chat_eof_after_finish_reason_without_done_completes(srv, make_client, prompt, collect):
    chunks = [
        {"choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    srv.enqueue(Reply(events=chunks))
    events = await collect(make_client(srv.url, "chat"), prompt())
    assert isinstance(events[-1], Completed)
    assert [e.item.text() for e in events if isinstance(e, OutputItemDone)] == ["hi"]


async def test_chat_eof_without_finish_or_done_is_a_stream_error(srv, make_client, prompt, collect):
    srv.enqueue(Reply(events=[{"choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}]}]))
    with pytest.raises(StreamError, match="stream disconnected before completion"):
        await collect(make_client(srv.url, "chat"), prompt())


async def test_chat_error_object_in_stream(srv, make_client, prompt, collect):
    srv.enqueue(Reply(text="abc", failed={"message": "model crashed", "type": "server_error"}))
    with pytest.raises(StreamError, match="^model crashed$"):
        await collect(make_client(srv.url, "chat"), prompt())


async def test_chat_json_answer_to_stream_request(srv, make_client, prompt, collect):
    completion = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_x", "type": "function", "function": {"name": "shell", "arguments": '{"command":["ls"]}'}}]},
            "finish_reason": "tool_calls",
        }],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
    }
    srv.enqueue(Reply(raw_body=json.dumps(completion).encode(), content_type="application/json"))
    events = await collect(make_client(srv.url, "chat"), prompt())
    (item,) = [e.item for e in events if isinstance(e, OutputItemDone)]
    assert (item.type, item.name, item.call_id) == ("function_call", "shell", "call_x")
    assert events[-1].usage.total_tokens == 8


async def test_responses_non_sse_body_is_a_stream_error(srv, make_client, prompt, collect):
    srv.enqueue(Reply(raw_body=b"<html>proxy page</html>", content_type="text/html"))
    with pytest.raises(StreamError, match="unexpected content-type 'text/html'"):
        await collect(make_client(srv.url, "responses"), prompt())
