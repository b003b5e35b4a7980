"""The project's scripted model server: real HTTP/1.1 on 127.0.0.1, exact faults.

Written on asyncio streams (stdlib only) and run in a background thread with its own event
loop, so sync tests, async tests and CLI-in-a-subprocess tests can all use it:

    with ScriptedServer() as srv:                 # 127.0.0.1:<free port>
        srv.enqueue(Reply(text="hello"))          # consumed FIFO, one per POST, any path
        ... point a client at srv.url ("http://127.0.0.1:PORT/v1") ...
        srv.requests[0].json                      # what the client sent

A `Reply` is wire-neutral and is rendered for the request's path: `.../responses` ->
Responses SSE (with `event:` lines, as OpenAI sends), anything else -> Chat Completions
SSE chunks ending in `data: [DONE]`. Knobs: `cut_after` (close after N events, no
completion), `stall_after`/`stall_seconds` (stop sending, keep the socket open),
`malformed` (garbage lines a client must skip), `delay_per_event`, `failed`
(`response.failed`), `events` (literal events), `raw_body` (bytes served verbatim).
A `Fault` answers an error status (optional `Retry-After`), an empty 200 (`body=""`), or
drops the connection without answering (`drop=True`). With nothing queued the server
answers 500 "scripted server: no reply queued" (and says so on stderr).
`ScriptedServer(ssl_context=...)` serves HTTPS.

Command line, for manual demos (the script is a JSON list of Reply/Fault objects; an
object with a "status" key is a Fault):

    python -m tests.scripted_server --port 8765 --script script.json
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import ssl
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Union
from urllib.parse import urlsplit

# --- the script ---------------------------------------------------------------------------


@dataclass
class ToolCall:
    """A function call (or, with `input`, a freeform custom tool call on Responses)."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    call_id: str | None = None
    input: str | None = None


@dataclass
class Reply:
    text: str | None = None
    reasoning: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: dict[str, int] | None = None
    """TokenUsage-style keys: input_tokens, output_tokens, cached_input_tokens,
    reasoning_output_tokens, total_tokens. Default: computed from the sizes."""
    chunk_size: int = 4
    delay_per_event: float = 0.0
    cut_after: int | None = None
    stall_after: int | None = None
    stall_seconds: float = 30.0
    malformed: bool = False
    failed: dict[str, Any] | None = None
    events: list[dict[str, Any] | str] | None = None
    """Literal events: dicts are sent as `event: <type>` + `data: <json>`; strings as `data: <s>`."""
    raw_body: bytes | None = None
    content_type: str = "text/event-stream"
    headers: dict[str, str] = field(default_factory=dict)
    response_id: str | None = None


@dataclass
class Fault:
    status: int = 500
    retry_after: float | str | None = None
    body: str | dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


Scripted = Union[Reply, Fault]


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any


# --- rendering ----------------------------------------------------------------------------

_ids = itertools.count(1)


def _pieces(text: str, size: int) -> list[str]:
    size = max(1, size)
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _arguments(call: ToolCall) -> str:
    if call.input is not None:
        return json.dumps({"input": call.input})
    return call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments)


def _usage(reply: Reply, request_body: bytes) -> dict[str, int]:
    produced = (reply.text or "") + (reply.reasoning or "") + "".join(_arguments(c) for c in reply.tool_calls)
    usage = {"input_tokens": max(1, len(request_body) // 4), "output_tokens": max(1, len(produced) // 4)}
    usage.update(reply.usage or {})
    usage.setdefault("total_tokens", usage["input_tokens"] + usage["output_tokens"])
    return usage


def responses_events(reply: Reply, request: RecordedRequest) -> list[dict[str, Any] | str]:
    """The Responses API events for a reply (spec §3.3, §3.7)."""
    if reply.events is not None:
        return list(reply.events)
    rid = reply.response_id or f"resp_{next(_ids)}"
    model = (request.json or {}).get("model", "scripted") if isinstance(request.json, dict) else "scripted"
    head = {"id": rid, "object": "response", "model": model}
    events: list[dict[str, Any] | str] = [
        {"type": "response.created", "response": {**head, "status": "in_progress", "output": []}},
        {"type": "response.in_progress", "response": {**head, "status": "in_progress", "output": []}},
    ]
    if reply.reasoning is not None:
        events += _responses_reasoning(reply)
    if reply.text is not None:
        events += _responses_message(reply)
    for index, call in enumerate(reply.tool_calls):
        events += _responses_call(reply, call, index)
    if reply.failed is not None:
        events.append({"type": "response.failed", "response": {**head, "status": "failed", "error": reply.failed}})
        return events
    usage = _usage(reply, request.body)
    wire_usage = {
        "input_tokens": usage["input_tokens"],
        "input_tokens_details": {"cached_tokens": usage.get("cached_input_tokens", 0)},
        "output_tokens": usage["output_tokens"],
        "output_tokens_details": {"reasoning_tokens": usage.get("reasoning_output_tokens", 0)},
        "total_tokens": usage["total_tokens"],
    }
    events.append({"type": "response.completed", "response": {**head, "status": "completed", "usage": wire_usage}})
    return events


def _responses_reasoning(reply: Reply) -> list[dict[str, Any]]:
    text = reply.reasoning or ""
    item_id = f"rs_{next(_ids)}"
    done = {"type": "reasoning", "id": item_id, "summary": [{"type": "summary_text", "text": text}]}
    events: list[dict[str, Any]] = [
        {"type": "response.output_item.added", "item": {"type": "reasoning", "id": item_id, "summary": []}},
        {"type": "response.reasoning_summary_part.added", "item_id": item_id, "summary_index": 0},
    ]
    for piece in _pieces(text, reply.chunk_size):
        events.append({"type": "response.reasoning_summary_text.delta", "item_id": item_id, "delta": piece, "summary_index": 0})
    events.append({"type": "response.reasoning_summary_text.done", "item_id": item_id, "text": text, "summary_index": 0})
    events.append({"type": "response.output_item.done", "item": done})
    return events


def _responses_message(reply: Reply) -> list[dict[str, Any]]:
    text = reply.text or ""
    item_id = f"msg_{next(_ids)}"
    item = {"type": "message", "role": "assistant", "id": item_id}
    events: list[dict[str, Any]] = [
        {"type": "response.output_item.added", "item": {**item, "content": []}},
        {"type": "response.content_part.added", "item_id": item_id, "part": {"type": "output_text", "text": ""}},
    ]
    for piece in _pieces(text, reply.chunk_size):
        events.append({"type": "response.output_text.delta", "item_id": item_id, "delta": piece})
    events.append({"type": "response.output_text.done", "item_id": item_id, "text": text})
    events.append({"type": "response.output_item.done", "item": {**item, "content": [{"type": "output_text", "text": text}]}})
    return events


def _responses_call(reply: Reply, call: ToolCall, index: int) -> list[dict[str, Any]]:
    call_id = call.call_id or f"call_{next(_ids)}"
    item_id = f"fc_{next(_ids)}"
    if call.input is not None:
        item = {"type": "custom_tool_call", "id": item_id, "call_id": call_id, "name": call.name}
        deltas = [{"type": "response.custom_tool_call_input.delta", "item_id": item_id, "delta": p} for p in _pieces(call.input, reply.chunk_size)]
        return [{"type": "response.output_item.added", "item": {**item, "input": ""}}, *deltas,
                {"type": "response.output_item.done", "item": {**item, "input": call.input}}]
    arguments = _arguments(call)
    item = {"type": "function_call", "id": item_id, "call_id": call_id, "name": call.name}
    deltas = [{"type": "response.function_call_arguments.delta", "item_id": item_id, "delta": p} for p in _pieces(arguments, reply.chunk_size)]
    return [{"type": "response.output_item.added", "item": {**item, "arguments": ""}}, *deltas,
            {"type": "response.function_call_arguments.done", "item_id": item_id, "arguments": arguments},
            {"type": "response.output_item.done", "item": {**item, "arguments": arguments}}]


def chat_events(reply: Reply, request: RecordedRequest) -> list[dict[str, Any] | str]:
    """Chat Completions chunks for a reply, ending with the usage chunk and "[DONE]"."""
    if reply.events is not None:
        return list(reply.events)
    cid = reply.response_id or f"chatcmpl-{next(_ids)}"
    model = request.json.get("model", "scripted") if isinstance(request.json, dict) else "scripted"

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return {"id": cid, "object": "chat.completion.chunk", "model": model, "choices": [choice]}

    events: list[dict[str, Any] | str] = [chunk({"role": "assistant", "content": ""})]
    for piece in _pieces(reply.reasoning, reply.chunk_size) if reply.reasoning else []:
        events.append(chunk({"reasoning_content": piece}))
    for piece in _pieces(reply.text, reply.chunk_size) if reply.text else []:
        events.append(chunk({"content": piece}))
    for index, call in enumerate(reply.tool_calls):
        call_id = call.call_id or f"call_{next(_ids)}"
        first = {"index": index, "id": call_id, "type": "function", "function": {"name": call.name, "arguments": ""}}
        events.append(chunk({"tool_calls": [first]}))
        for piece in _pieces(_arguments(call), reply.chunk_size):
            events.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}))
    if reply.failed is not None:
        return events + [{"error": reply.failed}]
    events.append(chunk({}, "tool_calls" if reply.tool_calls else "stop"))
    usage = _usage(reply, request.body)
    wire_usage = {
        "prompt_tokens": usage["input_tokens"],
        "completion_tokens": usage["output_tokens"],
        "total_tokens": usage["total_tokens"],
        "prompt_tokens_details": {"cached_tokens": usage.get("cached_input_tokens", 0)},
        "completion_tokens_details": {"reasoning_tokens": usage.get("reasoning_output_tokens", 0)},
    }
    events.append({"id": cid, "object": "chat.completion.chunk", "model": model, "choices": [], "usage": wire_usage})
    return events + ["[DONE]"]


def sse_frame(event: dict[str, Any] | str) -> bytes:
    if isinstance(event, str):
        return f"data: {event}\n\n".encode()
    data = json.dumps(event)
    if "type" in event and isinstance(event["type"], str):
        return f"event: {event['type']}\ndata: {data}\n\n".encode()
    return f"data: {data}\n\n".encode()


GARBAGE = [
    b"data: {not json at all\n\n",
    b": keep-alive comment\n\n",
    b'data: "a bare JSON string"\n\n',
    b"event: response.bogus\ndata: [1, 2\n\n",
    b"this line has no colon\n\n",
    b"data: \n\n",
]


# --- the server ---------------------------------------------------------------------------


class ScriptedServer:
    """See the module docstring. Usable as a context manager or with start()/stop()."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.port = port
        self._ssl = ssl_context
        self._queue: deque[Scripted] = deque()
        self._lock = threading.Lock()
        self._seen = threading.Condition(self._lock)
        self.requests: list[RecordedRequest] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stop_event: asyncio.Event | None = None

    # lifecycle

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> ScriptedServer:
        self._thread = threading.Thread(target=self._run, name="scripted-server", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise RuntimeError("scripted server failed to start") from self._error
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop_event is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._stop_event.set)
            self._thread.join(10)
        self._loop = None

    @property
    def url(self) -> str:
        scheme = "https" if self._ssl is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}/v1"

    # the script

    def enqueue(self, *items: Scripted) -> None:
        with self._lock:
            self._queue.extend(items)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def clear(self) -> int:
        """Drop every reply still queued (a shared server between tests); returns how many."""
        with self._lock:
            dropped = len(self._queue)
            self._queue.clear()
            return dropped

    def wait_for_requests(self, n: int, timeout: float = 5.0) -> list[RecordedRequest]:
        with self._seen:
            if not self._seen.wait_for(lambda: len(self.requests) >= n, timeout):
                raise TimeoutError(f"scripted server saw {len(self.requests)} requests, wanted {n}")
            return list(self.requests)

    # the event loop thread

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(lambda _loop, _ctx: None)  # TLS handshake noise, resets
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stop_event = asyncio.Event()
        server = await asyncio.start_server(self._connection, self.host, self.port, ssl=self._ssl)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stop_event.wait()
        server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ssl.SSLError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _one_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; False when the connection must be closed."""
        request = await _read_request(reader)
        if request is None:
            return False
        with self._seen:
            self.requests.append(request)
            self._seen.notify_all()
        if request.method != "POST":
            await _send_simple(writer, 404, "application/json", b'{"error":{"message":"not found"}}')
            return True
        with self._lock:
            item = self._queue.popleft() if self._queue else None
        if item is None:
            print(f"scripted server: no reply queued for {request.method} {request.path}", file=sys.stderr)
            await _send_simple(writer, 500, "text/plain", b"scripted server: no reply queued")
            return True
        if isinstance(item, Fault):
            return await _send_fault(writer, item)
        return await _send_reply(writer, item, request)


async def _read_request(reader: asyncio.StreamReader) -> RecordedRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
    path = urlsplit(target).path if "://" in target else target.split("?", 1)[0]
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    return RecordedRequest(method=method, path=path, headers=headers, body=body, json=parsed)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = b""
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return body
        body += await reader.readexactly(size)
        await reader.readexactly(2)


def _status_line(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Status"
    return f"HTTP/1.1 {status} {phrase}\r\n"


async def _send_simple(writer: asyncio.StreamWriter, status: int, content_type: str, body: bytes,
                       extra: dict[str, str] | None = None) -> None:
    head = _status_line(status) + f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in (extra or {}).items())
    writer.write(head.encode("latin-1") + b"\r\n" + body)
    await writer.drain()


async def _send_fault(writer: asyncio.StreamWriter, fault: Fault) -> bool:
    if fault.drop:
        return False
    extra = dict(fault.headers)
    if fault.retry_after is not None:
        extra["Retry-After"] = str(fault.retry_after)
    body = fault.body
    if body is None:
        kind = "server_error" if fault.status >= 500 else "invalid_request_error"
        body = {"error": {"message": f"scripted fault {fault.status}", "type": kind, "code": None}}
    if isinstance(body, dict):
        await _send_simple(writer, fault.status, "application/json", json.dumps(body).encode(), extra)
        return True
    looks_json = body.lstrip().startswith("{")
    content_type = "application/json" if looks_json else "text/event-stream" if fault.status == 200 else "text/plain"
    await _send_simple(writer, fault.status, content_type, body.encode(), extra)
    return True


async def _send_reply(writer: asyncio.StreamWriter, reply: Reply, request: RecordedRequest) -> bool:
    if reply.raw_body is not None:
        await _send_simple(writer, 200, reply.content_type, reply.raw_body, reply.headers)
        return True
    is_responses = request.path.rstrip("/").endswith("/responses")
    events = responses_events(reply, request) if is_responses else chat_events(reply, request)
    head = _status_line(200) + f"Content-Type: {reply.content_type}\r\nCache-Control: no-cache\r\n"
    head += "Transfer-Encoding: chunked\r\n" + "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items())
    writer.write(head.encode("latin-1") + b"\r\n")
    await writer.drain()
    garbage = itertools.cycle(GARBAGE)
    for sent, event in enumerate(events):
        if reply.cut_after is not None and sent >= reply.cut_after:
            return False
        if reply.stall_after is not None and sent >= reply.stall_after:
            await asyncio.sleep(reply.stall_seconds)
            return False
        await _write_chunk(writer, sse_frame(event))
        if reply.malformed:
            await _write_chunk(writer, next(garbage))
        if reply.delay_per_event:
            await asyncio.sleep(reply.delay_per_event)
    writer.write(b"0\r\n\r\n")
    await writer.drain()
    return True


async def _write_chunk(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    await writer.drain()


# --- command line -------------------------------------------------------------------------


def _from_json(entry: dict[str, Any]) -> Scripted:
    if "status" in entry or entry.get("drop"):
        return Fault(**entry)
    calls = [ToolCall(**call) for call in entry.pop("tool_calls", [])]
    raw = entry.pop("raw_body", None)
    return Reply(tool_calls=calls, raw_body=raw.encode() if isinstance(raw, str) else None, **entry)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.scripted_server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--script", help="JSON file: a list of Reply/Fault objects")
    args = parser.parse_args(argv)
    server = ScriptedServer(host=args.host, port=args.port)
    if args.script:
        with open(args.script, encoding="utf-8") as f:
            server.enqueue(*(_from_json(entry) for entry in json.load(f)))
    with server:
        print(f"scripted server listening on {server.url} ({server.pending} replies queued)", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
