"""The Chat Completions client (`wire_api = "chat"`, spec §3.4), improved for local servers.

* The request (`build_chat_body`, `history_to_messages`, `chat_tools` and the encoder of
  the bytes sent) lives in `chat_request`; the names are re-exported here.
* `ChatDecoder`: pure, no I/O. `feed(chunk)` takes one parsed `chat.completion.chunk`;
  `done()` handles `data: [DONE]`; `finish()` handles EOF; `feed_completion(obj)` handles
  a whole `chat.completion` (servers that answer a stream request with JSON). Tool-call
  deltas are aggregated by `index` (`id` and `function.name` set once, `arguments`
  concatenated); at the first non-empty `finish_reason` the reasoning item, the assistant
  message and one `FunctionCall` per call (index order) are emitted; a call that came
  without an `id` (some local servers omit it) gets a fresh local `call_...` id: on this
  wire the id only pairs our own `tool` message with its call, so any unique id is exact
  (duplicate ids are the turn loop's to refuse); `Completed` (with the
  usage of a later usage-only chunk) comes at `[DONE]`, or at EOF after a finish_reason.
  EOF with neither -> `StreamError` (retryable), as is an `error` object in the stream.
* `ChatClient.stream(prompt)`: POST `{base}/chat/completions` and yield the events
  (a `RequestRetry` per request retry first). An output schema -> `UnsupportedRequest`.
"""

from __future__ import annotations

import json
import uuid
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, AsyncIterator

from agent.protocol.events import TokenUsage
from agent.protocol.items import FunctionCall, Message, OutputText, Reasoning, ReasoningText

from .chat_request import ChatRequestEncoder, build_chat_body, chat_tools, history_to_messages
from .errors import StreamError
from .http import DISCONNECTED, HttpTransport, error_message, iter_sse_data, parse_json_object, read_body
from .prompt import Prompt
from .stream import (
    Completed,
    OutputItemAdded,
    OutputItemDone,
    OutputTextDelta,
    ReasoningContentDelta,
    ResponseEvent,
)

__all__ = ["ChatClient", "ChatDecoder", "build_chat_body", "chat_tools", "chat_usage", "history_to_messages"]

NO_FINISH = DISCONNECTED + "stream closed before finish_reason or [DONE]"

# --- response -----------------------------------------------------------------------------


def chat_usage(usage: Any) -> TokenUsage | None:
    if not isinstance(usage, dict):
        return None
    prompt_details = usage.get("prompt_tokens_details") or {}
    completion_details = usage.get("completion_tokens_details") or {}
    input_tokens = usage.get("prompt_tokens") or 0
    output_tokens = usage.get("completion_tokens") or 0
    return TokenUsage(
        input_tokens=input_tokens,
        cached_input_tokens=prompt_details.get("cached_tokens") or 0,
        output_tokens=output_tokens,
        reasoning_output_tokens=completion_details.get("reasoning_tokens") or 0,
        total_tokens=usage.get("total_tokens") or input_tokens + output_tokens,
    )


@dataclass
class _CallAcc:
    call_id: str | None = None
    name: str | None = None
    arguments: list[str] = field(default_factory=list)


def _reasoning_text(source: dict[str, Any]) -> str:
    value = source.get("reasoning")
    if isinstance(value, dict):
        value = value.get("text") or value.get("content")
    if not isinstance(value, str) or not value:
        value = source.get("reasoning_content")
    return value if isinstance(value, str) else ""


class ChatDecoder:
    """Turns Chat Completions chunks into `ResponseEvent`s (see the module doc)."""

    def __init__(self) -> None:
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._calls: dict[int, _CallAcc] = {}
        self._finished = False
        self._usage: TokenUsage | None = None

    def feed(self, chunk: dict[str, Any]) -> list[ResponseEvent]:
        if chunk.get("error"):
            raise _stream_error(chunk)
        usage = chat_usage(chunk.get("usage"))
        if usage is not None:
            self._usage = usage
        choices = chunk.get("choices")
        if self._finished or not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            return []
        choice = choices[0]
        delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
        message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
        out = self._reasoning_delta(_reasoning_text(delta) or _reasoning_text(message))
        out += self._content_delta(delta.get("content"))
        self._tool_deltas(delta.get("tool_calls"))
        reason = choice.get("finish_reason")
        if isinstance(reason, str) and reason:
            out += self._flush()
        return out

    def done(self) -> list[ResponseEvent]:
        out = [] if self._finished else self._flush()
        return out + [Completed(usage=self._usage)]

    def finish(self) -> list[ResponseEvent]:
        if not self._finished:
            raise StreamError(NO_FINISH)
        return [Completed(usage=self._usage)]

    def feed_completion(self, obj: dict[str, Any]) -> list[ResponseEvent]:
        """A whole `chat.completion` (non-streamed answer) as if it had been streamed."""
        if obj.get("error"):
            raise _stream_error(obj)
        choices = obj.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise StreamError("chat completion without choices")
        message = choices[0].get("message") or {}
        delta = {k: v for k, v in message.items() if k != "tool_calls"}
        calls = message.get("tool_calls") or []
        delta["tool_calls"] = [dict(call, index=i) for i, call in enumerate(calls) if isinstance(call, dict)]
        reason = choices[0].get("finish_reason") or "stop"
        chunk = {"choices": [{"delta": delta, "finish_reason": reason}], "usage": obj.get("usage")}
        return self.feed(chunk) + self.done()

    def _reasoning_delta(self, text: str) -> list[ResponseEvent]:
        if not text:
            return []
        out: list[ResponseEvent] = []
        if not self._reasoning:
            out.append(OutputItemAdded(Reasoning(summary=[], content=[])))
        self._reasoning.append(text)
        return out + [ReasoningContentDelta(text)]

    def _content_delta(self, content: Any) -> list[ResponseEvent]:
        if not isinstance(content, str) or not content:
            return []
        out: list[ResponseEvent] = []
        if not self._text:
            out.append(OutputItemAdded(Message(role="assistant", content=[])))
        self._text.append(content)
        return out + [OutputTextDelta(content)]

    def _tool_deltas(self, calls: Any) -> None:
        if not isinstance(calls, list):
            return
        for position, call in enumerate(calls):
            if not isinstance(call, dict):
                continue
            index = call.get("index") if isinstance(call.get("index"), int) else position
            acc = self._calls.setdefault(index, _CallAcc())
            if call.get("id") and acc.call_id is None:
                acc.call_id = str(call["id"])
            function = call.get("function") if isinstance(call.get("function"), dict) else {}
            if function.get("name") and acc.name is None:
                acc.name = str(function["name"])
            if isinstance(function.get("arguments"), str):
                acc.arguments.append(function["arguments"])

    def _flush(self) -> list[ResponseEvent]:
        """The finished items: reasoning, then the message, then the calls in index order."""
        self._finished = True
        out: list[ResponseEvent] = []
        if self._reasoning:
            text = "".join(self._reasoning)
            out.append(OutputItemDone(Reasoning(summary=[], content=[ReasoningText(text=text)])))
        if self._text:
            out.append(OutputItemDone(Message(role="assistant", content=[OutputText(text="".join(self._text))])))
        for index in sorted(self._calls):
            acc = self._calls[index]
            if not (acc.name or acc.call_id or acc.arguments):
                continue  # an empty delta entry, not a call
            call_id = acc.call_id or f"call_{uuid.uuid4().hex[:24]}"
            arguments = "".join(acc.arguments) or "{}"
            # A call without a name still reaches the turn loop, which answers "unsupported call".
            out.append(OutputItemDone(FunctionCall(name=acc.name or "", arguments=arguments, call_id=call_id)))
        return out


def _stream_error(obj: dict[str, Any]) -> StreamError:
    """An `error` object sent in place of a completion (llama.cpp, vLLM do this mid-stream)."""
    return StreamError(error_message(json.dumps(obj)) or "error in chat completion stream")


class ChatClient:
    """`wire_api = "chat"`: one streamed POST per `stream(prompt)`."""

    def __init__(self, transport: HttpTransport):
        self.provider_id = transport.provider_id
        self._transport = transport
        self._encoder = ChatRequestEncoder()

    def request_content(self, prompt: Prompt) -> bytes:
        """The request body as sent: `json.dumps(build_chat_body(prompt)).encode()`."""
        return self._encoder.encode(prompt)

    async def stream(self, prompt: Prompt) -> AsyncIterator[ResponseEvent]:
        content = self.request_content(prompt)
        exchange = self._transport.exchange("chat/completions", content, prompt.conversation_id, self._decode)
        async with aclosing(exchange) as events:
            async for event in events:
                yield event

    async def _decode(self, response: Any) -> AsyncIterator[ResponseEvent]:
        decoder = ChatDecoder()
        idle = self._transport.idle_timeout_s
        if "application/json" in response.headers.get("content-type", ""):
            obj = parse_json_object(await read_body(response, idle))
            if obj is None:
                raise StreamError(NO_FINISH)
            for event in decoder.feed_completion(obj):
                yield event
            return
        async with aclosing(iter_sse_data(response, idle, pacing=self._transport.pacing)) as stream:
            async for data in stream:
                if data.strip() == "[DONE]":
                    for event in decoder.done():
                        yield event
                    return
                chunk = parse_json_object(data)
                for event in decoder.feed(chunk) if chunk is not None else []:
                    yield event
        for event in decoder.finish():
            yield event

    async def aclose(self) -> None:
        await self._transport.aclose()
