"""Pure decoders and parsers, no sockets: ResponsesDecoder, ChatDecoder, header parsing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from agent.client.chat import ChatDecoder
from agent.client.errors import ContextWindowExceeded, StreamError, UsageLimitReached
from agent.client.http import (
    error_message,
    parse_try_again,
    rate_limits_from_headers,
    retry_after_seconds,
    usage_limit_message,
)
from agent.client.responses import ResponsesDecoder
from agent.client.stream import (
    Completed,
    Created,
    OutputItemAdded,
    OutputItemDone,
    OutputTextDelta,
    ReasoningContentDelta,
    ReasoningSummaryDelta,
    ReasoningSummaryPartAdded,
)
from agent.protocol.items import FunctionCall, Message, Reasoning


def feed_all(decoder, events):
    out = []
    for event in events:
        out += decoder.feed(event)
    return out


# --- Responses ----------------------------------------------------------------------------


def test_responses_decoder_maps_the_table():
    d = ResponsesDecoder()
    out = feed_all(d, [
        {"type": "response.created", "response": {"id": "resp-1"}},
        {"type": "response.created"},
        {"type": "response.in_progress", "response": {}},
        {"type": "response.output_item.added", "item": {"type": "message", "role": "assistant", "id": "m1", "content": [{"type": "output_text", "text": ""}]}},
        {"type": "response.output_text.delta", "delta": "Hel"},
        {"type": "response.reasoning_summary_part.added", "summary_index": 1},
        {"type": "response.reasoning_summary_text.delta", "delta": "s", "summary_index": 1},
        {"type": "response.reasoning_summary_text.delta", "delta": "no index"},
        {"type": "response.reasoning_text.delta", "delta": "raw", "content_index": 0},
        {"type": "response.output_item.done", "item": {"type": "reasoning", "id": "r1", "summary": [{"type": "summary_text", "text": "s"}], "content": [{"type": "reasoning_text", "text": "raw"}]}},
        {"type": "response.output_item.done", "item": {"type": "function_call", "call_id": "c1", "name": "shell", "arguments": "{}"}},
        {"type": "response.output_item.done", "item": {"type": "image_generation_call", "id": "x"}},
        {"type": "response.function_call_arguments.delta", "delta": "{"},
        {"type": "response.completed", "response": {"id": "resp-1", "output": [{"type": "message"}], "usage": {
            "input_tokens": 10, "input_tokens_details": {"cached_tokens": 4}, "output_tokens": 5,
            "output_tokens_details": {"reasoning_tokens": 2}, "total_tokens": 15}}},
    ])
    assert out[0] == Created("resp-1")
    assert isinstance(out[1], OutputItemAdded) and isinstance(out[1].item, Message)
    assert out[2:6] == [OutputTextDelta("Hel"), ReasoningSummaryPartAdded(1), ReasoningSummaryDelta("s", 1), ReasoningContentDelta("raw", 0)]
    assert isinstance(out[6].item, Reasoning) and isinstance(out[7].item, FunctionCall)
    assert len(out) == 8
    completed = d.finish()
    assert completed.response_id == "resp-1"
    assert completed.usage.model_dump() == {"input_tokens": 10, "cached_input_tokens": 4, "output_tokens": 5, "reasoning_output_tokens": 2, "total_tokens": 15}


def test_responses_decoder_without_completed():
    d = ResponsesDecoder()
    feed_all(d, [{"type": "response.created", "response": {"id": "r"}}])
    with pytest.raises(StreamError, match="stream closed before response.completed"):
        d.finish()


def test_responses_decoder_failed_is_surfaced_at_the_end():
    d = ResponsesDecoder()
    assert d.feed({"type": "response.failed", "response": {"error": {"code": "context_length_exceeded", "message": "x"}}}) == []
    with pytest.raises(ContextWindowExceeded):
        d.finish()
    d = ResponsesDecoder()
    d.feed({"type": "response.failed", "response": {"error": {"code": "usage_limit_reached", "message": "limit"}}})
    with pytest.raises(UsageLimitReached):
        d.finish()
    d = ResponsesDecoder()
    d.feed({"type": "response.failed", "response": {"error": {"code": "server_error", "message": "Try again in 35 seconds"}}})
    with pytest.raises(StreamError) as info:
        d.finish()
    assert info.value.retry_after == 35.0


def test_responses_decoder_null_usage_details():
    d = ResponsesDecoder()
    d.feed({"type": "response.completed", "response": {"id": "x", "usage": {"input_tokens": 0, "input_tokens_details": None, "output_tokens": 0, "output_tokens_details": None, "total_tokens": 123}}})
    assert d.finish().usage.total_tokens == 123


# --- Chat ---------------------------------------------------------------------------------


def chunk(delta=None, finish=None, usage=None, choices=True):
    out = {"object": "chat.completion.chunk"}
    out["choices"] = [{"index": 0, "delta": delta or {}, "finish_reason": finish}] if choices else []
    if usage is not None:
        out["usage"] = usage
    return out


def test_chat_decoder_llama_cpp_repeats_id_and_name():
    d = ChatDecoder()
    repeated = {"id": "call_1", "type": "function", "function": {"name": "shell", "arguments": ""}}
    out = feed_all(d, [
        chunk({"role": "assistant", "content": None}),
        chunk({"tool_calls": [{"index": 0, **repeated, "function": {"name": "shell", "arguments": '{ "command"'}}], "function_call": {"name": "shell"}}),
        chunk({"tool_calls": [{"index": 0, **repeated, "function": {"name": "shell", "arguments": ': ["ls"] }'}}]}),
        chunk(finish="tool_calls"),
    ])
    out += d.done()
    (call,) = [e.item for e in out if isinstance(e, OutputItemDone)]
    assert call == FunctionCall(name="shell", arguments='{ "command": ["ls"] }', call_id="call_1")
    assert isinstance(out[-1], Completed)


def test_chat_decoder_parallel_calls_by_index():
    d = ChatDecoder()
    out = feed_all(d, [
        chunk({"tool_calls": [{"index": 1, "id": "b", "function": {"name": "g", "arguments": '{"y"'}}]}),
        chunk({"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f", "arguments": "{}"}}]}),
        chunk({"tool_calls": [{"index": 1, "function": {"arguments": ": 2}"}}]}),
        chunk({"tool_calls": [{"index": 2, "function": {"name": "h"}}]}),
        chunk(finish="tool_calls"),
        chunk(usage={"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10,
                     "prompt_tokens_details": {"cached_tokens": 2}, "completion_tokens_details": {"reasoning_tokens": 1}}, choices=False),
    ])
    calls = [e.item for e in out if isinstance(e, OutputItemDone)]
    assert [(c.call_id, c.name, c.arguments) for c in calls[:2]] == [("a", "f", "{}"), ("b", "g", '{"y": 2}')]
    assert calls[2].name == "h" and calls[2].arguments == "{}" and calls[2].call_id.startswith("call_")
    (completed,) = d.finish()
    assert completed.usage.model_dump() == {"input_tokens": 7, "cached_input_tokens": 2, "output_tokens": 3, "reasoning_output_tokens": 1, "total_tokens": 10}


def test_chat_decoder_text_and_reasoning_variants():
    d = ChatDecoder()
    out = feed_all(d, [
        chunk({"role": "assistant", "content": ""}),
        chunk({"reasoning": "a"}),
        chunk({"reasoning": {"text": "b"}}),
        chunk({"reasoning": {"content": "c"}}),
        chunk({"reasoning_content": "d"}),
        chunk({"content": "Hel"}),
        chunk({"content": "lo"}),
        chunk(finish=""),
        chunk({"content": "!"}),
        chunk(finish="stop"),
        chunk({"content": "ignored after finish"}),
    ])
    kinds = [type(e) for e in out]
    assert kinds[:5] == [OutputItemAdded, ReasoningContentDelta, ReasoningContentDelta, ReasoningContentDelta, ReasoningContentDelta]
    assert [e.delta for e in out if isinstance(e, OutputTextDelta)] == ["Hel", "lo", "!"]
    items = [e.item for e in out if isinstance(e, OutputItemDone)]
    assert items[0].content[0].text == "abcd" and items[1].text() == "Hello!"
    assert [type(e.item) for e in out if isinstance(e, OutputItemAdded)] == [Reasoning, Message]


def test_chat_decoder_final_message_reasoning():
    d = ChatDecoder()
    out = d.feed({"choices": [{"delta": {}, "message": {"reasoning": "late"}, "finish_reason": "stop"}]})
    assert [e.item.content[0].text for e in out if isinstance(e, OutputItemDone)] == ["late"]


def test_chat_decoder_done_without_finish_flushes():
    d = ChatDecoder()
    feed_all(d, [chunk({"content": "x"})])
    out = d.done()
    assert isinstance(out[0], OutputItemDone) and isinstance(out[-1], Completed)


def test_chat_decoder_eof_without_finish():
    d = ChatDecoder()
    feed_all(d, [chunk({"content": "x"})])
    with pytest.raises(StreamError, match="stream disconnected before completion"):
        d.finish()
    with pytest.raises(StreamError):
        ChatDecoder().finish()


def test_chat_decoder_completion_json():
    d = ChatDecoder()
    out = d.feed_completion({"choices": [{"message": {"role": "assistant", "content": "hi", "reasoning_content": "r"}, "finish_reason": "stop"}]})
    assert [type(e) for e in out] == [OutputItemAdded, ReasoningContentDelta, OutputItemAdded, OutputTextDelta, OutputItemDone, OutputItemDone, Completed]
    with pytest.raises(StreamError, match="without choices"):
        ChatDecoder().feed_completion({"choices": []})
    with pytest.raises(StreamError, match="boom"):
        ChatDecoder().feed_completion({"error": {"message": "boom"}})


# --- parsers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "seconds"),
    [
        ("Please try again in 1.898s.", 1.898),
        ("Try again in 35 seconds.", 35.0),
        ("try again in 1 second", 1.0),
        ("Please try again in 250ms", 0.25),
        ("TRY AGAIN IN 2S", 2.0),
        ("no hint here", None),
        (None, None),
    ],
)
def test_parse_try_again(message, seconds):
    assert parse_try_again(message) == seconds


def test_retry_after_forms():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert retry_after_seconds({"retry-after": "3"}) == 3.0
    assert retry_after_seconds({"retry-after": "1.5"}) == 1.5
    assert retry_after_seconds({"retry-after": "-4"}) == 0.0
    assert retry_after_seconds({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after_seconds({"retry-after": format_datetime(now + timedelta(seconds=30), usegmt=True)}, now=now) == 30.0
    assert retry_after_seconds({"retry-after": format_datetime(now - timedelta(seconds=30), usegmt=True)}, now=now) == 0.0
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({"retry-after": "nan"}) is None
    assert retry_after_seconds({}) is None


def test_rate_limit_headers():
    assert rate_limits_from_headers({"content-type": "text/event-stream"}) is None
    snap = rate_limits_from_headers({
        "x-codex-secondary-used-percent": "80",
        "x-codex-secondary-window-minutes": "10080",
        "x-codex-credits-has-credits": "false",
        "x-codex-credits-unlimited": "true",
    })
    assert snap.primary is None
    assert snap.secondary.used_percent == 80.0 and snap.secondary.window_minutes == 10080 and snap.secondary.resets_at is None
    assert snap.credits.has_credits is False and snap.credits.unlimited is True and snap.credits.balance is None


def test_error_message_extraction():
    assert error_message('{"error": {"message": "bad key", "code": "x"}}') == "bad key"
    assert error_message('{"error": {"code": "x"}}') == '{"error": {"code": "x"}}'
    assert error_message("  plain text \n") == "plain text"
    cut = error_message("a" * 3000 + "END")
    assert len(cut) == 2048 and cut.endswith("END") and "…" in cut


def test_usage_limit_message():
    now = datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc)
    today = int(datetime(2026, 1, 1, 15, 4, tzinfo=timezone.utc).timestamp())
    other = int(datetime(2026, 1, 2, 15, 4, tzinfo=timezone.utc).timestamp())
    assert usage_limit_message(today, now=now) == "You've hit your usage limit. Try again at 3:04 PM."
    assert usage_limit_message(other, now=now) == "You've hit your usage limit. Try again at Jan 2nd, 2026 3:04 PM."
    assert usage_limit_message(None) == "You've hit your usage limit. Try again later."
