"""Bad input on the wire ends in a clear error or reaches the turn loop, never a silent
drop: the SSE event size limit (memory stays bounded), the bounded SSE parser itself,
and tool calls without a call_id on both wires."""

from __future__ import annotations

import json
import tracemalloc

import httpx
import pytest

from agent.client.connect import connect
from agent.client.errors import StreamError, StreamEventTooLarge
from agent.client.providers import ModelProviderInfo
from agent.client.sse import MAX_SSE_EVENT_BYTES, SseParser
from agent.client.stream import Completed, OutputItemDone, OutputTextDelta
from agent.protocol.items import CustomToolCall, FunctionCall, LocalShellCall
from tests.scripted_server import Reply

pytestmark = pytest.mark.timeout(60)
WIRES = ["responses", "chat"]
MiB = 1 << 20


def delta_event(size: int, wire: str, after: bytes = b"") -> bytearray:
    """One SSE event carrying a `size`-byte text delta, framed for `wire`, then `after`;
    built in one allocation (the test process must stay small too)."""
    if wire == "responses":
        head = b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","item_id":"m1","delta":"'
    else:
        head = b'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"'
    tail = (b'"}\n\n' if wire == "responses" else b'"}}]}\n\n') + after
    body = bytearray(b"x") * (len(head) + size + len(tail))
    body[: len(head)] = head
    body[len(body) - len(tail):] = tail
    return body


def completion(wire: str) -> bytes:
    if wire == "responses":
        done = {"type": "response.completed", "response": {"id": "r1", "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}}}
        return f"event: response.completed\ndata: {json.dumps(done)}\n\n".encode()
    finish = {"id": "c1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    return f"data: {json.dumps(finish)}\n\ndata: [DONE]\n\n".encode()


# --- the 64 MiB event, over real sockets ---------------------------------------------------


@pytest.mark.parametrize("wire", WIRES)
async def test_a_64_mib_event_fails_the_stream_clearly_and_is_not_retried(srv, make_client, prompt, collect, wire):
    """Invariant: one SSE event over the 16 MiB limit ends the stream with "stream event
    larger than 16 MiB" (fatal: the request is not replayed), never an empty answer."""
    srv.enqueue(Reply(raw_body=delta_event(64 * MiB, wire, completion(wire))), Reply(text="replayed"))
    client = make_client(srv.url, wire, stream_max_retries=3, request_max_retries=3)
    with pytest.raises(StreamEventTooLarge) as info:
        await collect(client, prompt())
    assert info.value.message == "stream event larger than 16 MiB: the response was dropped"
    assert not info.value.retryable
    assert len(srv.requests) == 1


@pytest.mark.parametrize("wire", WIRES)
async def test_a_line_without_newline_is_bounded_too(srv, make_client, prompt, collect, wire):
    """Invariant: bytes that never reach a newline can't grow the buffer past the limit."""
    srv.enqueue(Reply(raw_body=delta_event(20 * MiB, wire)[:-8]))
    with pytest.raises(StreamEventTooLarge, match="^stream event larger than 16 MiB"):
        await collect(make_client(srv.url, wire), prompt())


@pytest.mark.parametrize("wire", WIRES)
async def test_control_a_1_mib_delta_streams_fine(srv, make_client, prompt, collect, wire):
    """Control: a large but legitimate event (1 MiB) is delivered whole."""
    srv.enqueue(Reply(raw_body=delta_event(MiB, wire, completion(wire))))
    events = await collect(make_client(srv.url, wire), prompt())
    text = "".join(e.delta for e in events if isinstance(e, OutputTextDelta))
    assert text == "x" * MiB
    assert isinstance(events[-1], Completed)


async def test_a_huge_json_body_is_bounded(srv, make_client, prompt, collect):
    """Invariant: a non-SSE answer (a whole chat.completion) is read up to the limit only."""
    srv.enqueue(Reply(raw_body=b'{"choices":[{"message":{"content":"' + b"z" * (17 * MiB) + b'"}}]}',
                      content_type="application/json"))
    with pytest.raises(StreamEventTooLarge, match="^response body larger than 16 MiB"):
        await collect(make_client(srv.url, "chat"), prompt())


async def test_memory_stays_bounded_while_a_64_mib_event_arrives(prompt):
    """Invariant: reading a 64 MiB event costs about the limit, not the event: the body is
    generated lazily (no server copy), and the client's allocations are traced."""

    async def body():
        yield b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"'
        for _ in range(64):
            yield b"x" * MiB

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    info = ModelProviderInfo(name="t", base_url="http://model.test/v1", wire_api="responses")
    client = connect("t", info, "key", http=httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    tracemalloc.start()
    try:
        with pytest.raises(StreamEventTooLarge):
            async for _ in client.stream(prompt()):
                pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await client.aclose()
    assert peak < MAX_SSE_EVENT_BYTES * 3, f"peak {peak >> 20} MiB"


# --- the parser -------------------------------------------------------------------------


def feed_all(parser: SseParser, *chunks: bytes) -> list[str]:
    return [data for chunk in chunks for data in parser.feed(chunk)]


def test_parser_line_endings_fields_and_comments():
    """Invariant: the bounded parser reads SSE as the spec says (LF, CRLF, CR; data lines
    joined; one space dropped; comments, event, id, retry ignored; BOM skipped)."""
    stream = b"\xef\xbb\xbf: hello\nevent: a\ndata: one\ndata:two\r\n\r\nid: 7\rretry: 5\rdata:  three\r\r"
    assert feed_all(SseParser(), stream) == ["one\ntwo", " three"]
    # the same bytes one at a time (a CRLF split between chunks counts once)
    assert feed_all(SseParser(), *[stream[i:i + 1] for i in range(len(stream))]) == ["one\ntwo", " three"]


def test_parser_drops_an_unfinished_event_and_events_without_data():
    parser = SseParser()
    assert feed_all(parser, b"event: ping\n\n", b"data: x\n\n", b"data: tail-without-blank-line\n") == ["x"]


def test_parser_limit_counts_the_whole_event():
    """Invariant: many small data lines can't add up past the limit either."""
    parser = SseParser(max_event_bytes=100)
    with pytest.raises(StreamEventTooLarge, match="larger than 100 bytes"):
        feed_all(parser, *[b"data: 0123456789\n" for _ in range(20)])
    ok = SseParser(max_event_bytes=100)
    assert feed_all(ok, b"data: 0123456789\n" * 5 + b"\n") == ["\n".join(["0123456789"] * 5)]


# --- tool calls without a call_id --------------------------------------------------------


def _item_done(item: dict) -> dict:
    return {"type": "response.output_item.done", "item": item}


async def test_responses_call_without_call_id_reaches_the_turn_loop(srv, make_client, prompt, collect):
    """Invariant: a function, custom or local shell call without a call_id is passed on
    (call_id "") for the turn loop to refuse, never silently dropped."""
    done = {"type": "response.completed", "response": {"id": "r", "usage": {"total_tokens": 1}}}
    srv.enqueue(Reply(events=[
        _item_done({"type": "function_call", "name": "shell", "arguments": "{}"}),
        _item_done({"type": "custom_tool_call", "name": "apply_patch", "input": "x", "call_id": None}),
        _item_done({"type": "local_shell_call", "status": "completed", "action": {"type": "exec", "command": ["ls"]}}),
        _item_done({"type": "function_call", "name": "shell", "arguments": "{}", "call_id": "c9"}),
        done,
    ]))
    events = await collect(make_client(srv.url, "responses"), prompt())
    items = [e.item for e in events if isinstance(e, OutputItemDone)]
    assert [type(i) for i in items] == [FunctionCall, CustomToolCall, LocalShellCall, FunctionCall]
    assert [i.call_id for i in items] == ["", "", "", "c9"]


async def test_chat_call_without_id_gets_a_local_id_and_a_nameless_call_is_kept(srv, make_client, prompt, collect):
    """Decision: on the Chat wire the id only pairs our own `tool` message with its call,
    so a call without one (some local servers) gets a unique local id and runs; a call
    without a name is passed on (the registry answers "unsupported call")."""

    def chunk(delta: dict, finish: str | None = None) -> dict:
        return {"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    srv.enqueue(Reply(events=[
        chunk({"tool_calls": [{"index": 0, "type": "function", "function": {"name": "shell", "arguments": "{}"}}]}),
        chunk({"tool_calls": [{"index": 1, "id": "c2", "function": {"arguments": "{}"}}]}),
        chunk({}, "tool_calls"), "[DONE]",
    ]))
    events = await collect(make_client(srv.url, "chat"), prompt())
    calls = [e.item for e in events if isinstance(e, OutputItemDone)]
    assert len(calls) == 2
    assert calls[0].name == "shell" and calls[0].call_id.startswith("call_") and len(calls[0].call_id) > 10
    assert calls[1].name == "" and calls[1].call_id == "c2"


async def test_control_cut_stream_is_still_retryable(srv, make_client, prompt, collect):
    """Control: an ordinary cut stays a retryable StreamError (only oversize is fatal)."""
    srv.enqueue(Reply(text="partial", cut_after=3))
    with pytest.raises(StreamError) as info:
        await collect(make_client(srv.url, "responses"), prompt())
    assert info.value.retryable and not isinstance(info.value, StreamEventTooLarge)
