"""The Responses API client (spec §3.1, §3.3, §3.6).

* `build_request_body(prompt, azure=...)`: the request body of spec §3.1 (pure).
  `ResponsesClient.request_content(prompt)` is the same body as the bytes sent
  (`json.dumps(body).encode()`), assembled from the JSON text of each history item,
  encoded once per item (`wire_json`), so a request costs little more than joining text.
* `ResponsesDecoder`: pure, no I/O. `feed(event)` takes one parsed SSE `data` object and
  returns the `ResponseEvent`s it produces; `finish()` is called at the end of the stream
  and returns the `Completed` event (stored from `response.completed`), or raises the
  recorded `response.failed` error, or `StreamError("stream disconnected before
  completion: stream closed before response.completed")`. `response.incomplete` raises at
  once. A tool call item without a `call_id` is passed on with `call_id=""` (the turn
  loop refuses to run it and tells the model), never silently dropped.
* `ResponsesClient.stream(prompt)`: POST `{base}/responses`, yield a `RequestRetry` per
  request retry, `RateLimits` when the rate-limit headers are present, then the decoded
  events, `Completed` last.
"""

from __future__ import annotations

from contextlib import aclosing
from typing import Any, AsyncIterator, Callable

import httpx

from pydantic import ValidationError

from agent.protocol.events import TokenUsage
from agent.protocol.items import response_item_adapter, wire_item

from .errors import ContextWindowExceeded, ModelError, QuotaExceeded, StreamError, UsageLimitReached
from .http import DISCONNECTED, HttpTransport, iter_sse_data, parse_json_object, parse_try_again
from .memo import ListMemo
from .prompt import Prompt
from .providers import is_azure
from .stream import (
    Completed,
    Created,
    OutputItemAdded,
    OutputItemDone,
    OutputTextDelta,
    ReasoningContentDelta,
    ReasoningSummaryDelta,
    ReasoningSummaryPartAdded,
    ResponseEvent,
)
from .wire_json import JsonArray, LastJson, dumps, encode_object

CLOSED_EARLY = DISCONNECTED + "stream closed before response.completed"


def build_request_body(prompt: Prompt, *, azure: bool = False) -> dict[str, Any]:
    """The Responses request body, fields in Codex's order (spec §3.1)."""
    return _body(prompt, azure, prompt.instructions, [input_item(item, azure) for item in prompt.input], list(prompt.tools))


def _body(prompt: Prompt, azure: bool, instructions: Any, input: Any, tools: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": prompt.model,
        "instructions": instructions,
        "input": input,
        "tools": tools,
        "tool_choice": "auto",
        "parallel_tool_calls": prompt.parallel_tool_calls,
    }
    if prompt.reasoning:
        reasoning = {"effort": prompt.effort, "summary": prompt.summary}
        body["reasoning"] = {k: v for k, v in reasoning.items() if v is not None}
    body["store"] = azure
    body["stream"] = True
    body["include"] = ["reasoning.encrypted_content"] if prompt.reasoning else []
    if prompt.conversation_id:
        body["prompt_cache_key"] = prompt.conversation_id
    text = _text_controls(prompt)
    if text:
        body["text"] = text
    return body


def input_item(item: Any, azure: bool) -> dict[str, Any]:
    """One history item as sent (Azure keeps item ids: it stores responses)."""
    if azure:
        return item.model_dump(mode="json", exclude_none=True)
    return wire_item(item)


class RequestEncoder:
    """`encode(prompt)`: the request body's bytes; each history item's JSON is encoded once."""

    def __init__(self, azure: bool):
        self._azure = azure
        self._items: ListMemo[Any, bytes] = ListMemo(lambda item: dumps(input_item(item, azure)))
        self._instructions = LastJson()
        self._tools = LastJson()

    def encode(self, prompt: Prompt) -> bytes:
        fields = _body(prompt, self._azure, self._instructions.encode(prompt.instructions),
                       JsonArray(self._items.map(prompt.input)), self._tools.encode(prompt.tools))
        return encode_object(fields)


def _text_controls(prompt: Prompt) -> dict[str, Any]:
    text: dict[str, Any] = {}
    if prompt.verbosity:
        text["verbosity"] = prompt.verbosity
    if prompt.output_schema is not None:
        text["format"] = {
            "type": "json_schema",
            "strict": True,
            "schema": prompt.output_schema,
            "name": "codex_output_schema",
        }
    return text


def usage_from_wire(usage: Any) -> TokenUsage | None:
    """Responses `usage` -> TokenUsage (cached and reasoning tokens from the details)."""
    if not isinstance(usage, dict):
        return None
    input_details = usage.get("input_tokens_details") or {}
    output_details = usage.get("output_tokens_details") or {}
    return TokenUsage(
        input_tokens=usage.get("input_tokens") or 0,
        cached_input_tokens=input_details.get("cached_tokens") or 0,
        output_tokens=usage.get("output_tokens") or 0,
        reasoning_output_tokens=output_details.get("reasoning_tokens") or 0,
        total_tokens=usage.get("total_tokens") or 0,
    )


def failure_error(error: Any) -> ModelError:
    """The error a `response.failed` event's `response.error` maps to (spec §3.6)."""
    if not isinstance(error, dict):
        return StreamError("response.failed event received")
    code = error.get("code") or error.get("type")
    message = error.get("message") or ""
    if code == "context_length_exceeded":
        return ContextWindowExceeded()
    if code == "insufficient_quota":
        return QuotaExceeded()
    if code == "usage_limit_reached":
        return UsageLimitReached(message or "You've hit your usage limit. Try again later.")
    return StreamError(message or "response.failed event received", retry_after=parse_try_again(message))


class ResponsesDecoder:
    """Turns parsed Responses SSE events into `ResponseEvent`s (see the module doc)."""

    def __init__(self) -> None:
        self._completed: Completed | None = None
        self._error: ModelError | None = None
        self._handlers: dict[str, Callable[[dict[str, Any]], list[ResponseEvent]]] = {
            "response.created": self._created,
            "response.output_item.added": self._item_added,
            "response.output_item.done": self._item_done,
            "response.output_text.delta": self._text_delta,
            "response.reasoning_summary_text.delta": self._summary_delta,
            "response.reasoning_text.delta": self._reasoning_delta,
            "response.reasoning_summary_part.added": self._summary_part,
            "response.completed": self._completed_event,
            "response.failed": self._failed,
            "response.incomplete": self._incomplete,
        }

    def feed(self, event: dict[str, Any]) -> list[ResponseEvent]:
        handler = self._handlers.get(str(event.get("type")))
        return handler(event) if handler else []

    def finish(self) -> Completed:
        if self._completed is not None:
            return self._completed
        if self._error is not None:
            raise self._error
        raise StreamError(CLOSED_EARLY)

    def _created(self, event: dict[str, Any]) -> list[ResponseEvent]:
        response = event.get("response")
        if not isinstance(response, dict):
            return []
        return [Created(response_id=str(response.get("id") or ""))]

    def _item_added(self, event: dict[str, Any]) -> list[ResponseEvent]:
        item = _parse_item(event.get("item"))
        return [OutputItemAdded(item)] if item is not None else []

    def _item_done(self, event: dict[str, Any]) -> list[ResponseEvent]:
        item = _parse_item(event.get("item"))
        return [OutputItemDone(item)] if item is not None else []

    def _text_delta(self, event: dict[str, Any]) -> list[ResponseEvent]:
        delta = event.get("delta")
        return [OutputTextDelta(delta)] if isinstance(delta, str) else []

    def _summary_delta(self, event: dict[str, Any]) -> list[ResponseEvent]:
        delta, index = event.get("delta"), event.get("summary_index")
        if not isinstance(delta, str) or not isinstance(index, int):
            return []
        return [ReasoningSummaryDelta(delta, summary_index=index)]

    def _reasoning_delta(self, event: dict[str, Any]) -> list[ResponseEvent]:
        delta, index = event.get("delta"), event.get("content_index")
        if not isinstance(delta, str) or not isinstance(index, int):
            return []
        return [ReasoningContentDelta(delta, content_index=index)]

    def _summary_part(self, event: dict[str, Any]) -> list[ResponseEvent]:
        index = event.get("summary_index")
        return [ReasoningSummaryPartAdded(summary_index=index)] if isinstance(index, int) else []

    def _completed_event(self, event: dict[str, Any]) -> list[ResponseEvent]:
        response = event.get("response")
        if isinstance(response, dict):
            self._completed = Completed(
                response_id=str(response.get("id") or ""), usage=usage_from_wire(response.get("usage"))
            )
        return []

    def _failed(self, event: dict[str, Any]) -> list[ResponseEvent]:
        response = event.get("response")
        if isinstance(response, dict):
            self._error = failure_error(response.get("error"))
        return []

    def _incomplete(self, event: dict[str, Any]) -> list[ResponseEvent]:
        response = event.get("response")
        details = response.get("incomplete_details") if isinstance(response, dict) else None
        reason = details.get("reason") if isinstance(details, dict) else None
        raise StreamError(f"Incomplete response returned, reason: {reason or 'unknown'}")


_TOOL_CALL_TYPES = frozenset({"function_call", "custom_tool_call", "local_shell_call"})


def _parse_item(raw: Any) -> Any:
    """A ResponseItem, or None for a missing or unknown item (Codex's `Other`, dropped).

    A tool call without a usable `call_id` is kept with `call_id=""` rather than dropped:
    the turn loop answers it with an error (without running it) and warns the user.
    """
    if not isinstance(raw, dict):
        return None
    if raw.get("type") in _TOOL_CALL_TYPES and not isinstance(raw.get("call_id"), str):
        raw = {**raw, "call_id": ""}
    try:
        return response_item_adapter.validate_python(raw)
    except ValidationError:
        return None


class ResponsesClient:
    """`wire_api = "responses"`: one streamed POST per `stream(prompt)`."""

    def __init__(self, transport: HttpTransport):
        self.provider_id = transport.provider_id
        self._transport = transport
        self._encoder = RequestEncoder(is_azure(transport.provider_id, transport.info))

    def request_content(self, prompt: Prompt) -> bytes:
        """The request body as sent: `json.dumps(build_request_body(prompt)).encode()`."""
        return self._encoder.encode(prompt)

    async def stream(self, prompt: Prompt) -> AsyncIterator[ResponseEvent]:
        content = self.request_content(prompt)
        exchange = self._transport.exchange("responses", content, prompt.conversation_id, self._decode)
        async with aclosing(exchange) as events:
            async for event in events:
                yield event

    async def _decode(self, response: httpx.Response) -> AsyncIterator[ResponseEvent]:
        decoder = ResponsesDecoder()
        async with aclosing(iter_sse_data(response, self._transport.idle_timeout_s, pacing=self._transport.pacing)) as stream:
            async for data in stream:
                event = parse_json_object(data)
                for out in decoder.feed(event) if event is not None else []:
                    yield out
        yield decoder.finish()

    async def aclose(self) -> None:
        await self._transport.aclose()
