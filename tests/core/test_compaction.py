"""Compaction (spec §8.5): the new history, the compact op, automatic compaction, trimming."""

from __future__ import annotations

import asyncio

from agent.client.errors import ContextWindowExceeded, StreamError
from agent.client.scripted import Pause, text_reply, tool_reply
from agent.client.stream import Completed
from agent.core.compact import (
    COMPLETED_MESSAGE,
    NO_SUMMARY,
    WARNING_MESSAGE,
    build_compacted_history,
    collect_user_messages,
    is_summary_message,
    select_recent,
    summary_text,
    trimmed_message,
)
from agent.core.instructions import compact_prompt, summary_prefix
from agent.core.rollout.sink import NullSink
from agent.core.tokens import estimate_tokens
from agent.protocol import ops
from agent.protocol.events import TokenUsage, percent_of_context_left
from agent.protocol.items import (
    FunctionCall,
    FunctionCallOutput,
    InputText,
    Message,
    user_text,
)

from .conftest import collect_until, make_session, types

PLAN = {"plan": [{"step": "look", "status": "in_progress"}]}


class RecordingSink(NullSink):
    def __init__(self) -> None:
        self.compactions: list[tuple[str, object]] = []

    def compacted(self, message, replacement_history=None) -> None:
        self.compactions.append((message, replacement_history))


def reply(text: str, total: int):
    return text_reply(text, usage=TokenUsage(total_tokens=total))


def tool_call_reply(call_id: str, total: int):
    events = tool_reply(("update_plan", PLAN, call_id))
    events[-1] = Completed("resp", TokenUsage(total_tokens=total))
    return events


def texts(items) -> list[str]:
    return [i.text() for i in items if isinstance(i, Message)]


# --- the new history -------------------------------------------------------------------------


def test_recent_messages_newest_first_within_budget_back_in_order():
    messages = ["a" * 40, "b" * 40, "c" * 40]  # 10 tokens each
    assert select_recent(messages, 20) == ["b" * 40, "c" * 40]
    assert select_recent(messages, 30) == messages
    cut = select_recent(messages, 25)  # c (10), b (10), then a is cut to 5 tokens
    assert cut[1:] == ["b" * 40, "c" * 40]
    assert cut[0] == "a" * 10 + "…5 tokens truncated…" + "a" * 10
    assert select_recent(messages, 0) == []


def test_the_20000_token_default_budget():
    big = "x" * 50_000  # 12,500 tokens
    kept = select_recent([big, big, "last"])
    assert kept[-1] == "last" and kept[-2] == big
    head, marker, tail = kept[0].split("…")
    assert len(head) + len(tail) == 4 * (20_000 - 1 - 12_500) and marker.endswith("tokens truncated")


def test_only_real_user_messages_are_carried_over():
    items = [
        Message(role="developer", content=[InputText(text="dev")]),
        user_text("# AGENTS.md instructions for /w\n\n<INSTRUCTIONS>\nx\n</INSTRUCTIONS>"),
        user_text("<user_instructions>\nold style\n</user_instructions>"),
        user_text("<environment_context>\n  <cwd>/w</cwd>\n</environment_context>"),
        user_text("first question"),
        Message(role="assistant", content=[InputText(text="an answer")]),
        user_text("<user_shell_command>\nls\n</user_shell_command>"),
        user_text(summary_text("an earlier summary")),
        FunctionCall(name="x", arguments="{}", call_id="c"),
        FunctionCallOutput(call_id="c", output="out"),
        user_text("second question"),
    ]
    assert collect_user_messages(items) == ["first question", "second question"]


def test_compacted_history_layout():
    initial = [user_text("<environment_context>\n</environment_context>")]
    history = [*initial, user_text("q1"), user_text("q2")]
    built = build_compacted_history(initial, history, summary_text("the summary"))
    assert texts(built) == [initial[0].text(), "q1", "q2", f"{summary_prefix()}\nthe summary"]
    assert is_summary_message(texts(built)[-1])
    assert texts(build_compacted_history(initial, history, ""))[-1] == NO_SUMMARY
    assert summary_text("   ") == ""


# --- the compact op --------------------------------------------------------------------------


async def test_compact_op_replaces_history_and_the_next_turn_uses_it(config, client):
    client.add(reply("first answer", 50), reply("SUMMARY", 40), reply("after", 30))
    sink = RecordingSink()
    session = make_session(config, client, rollout=sink)
    stream = session.events()
    session.submit(ops.text_turn("question one"))
    await collect_until(stream, {"task_complete"})
    session.submit(ops.Compact())
    events = await collect_until(stream, {"task_complete"})
    assert types(events)[0] == "task_started"
    assert [(e.msg.type, e.msg.message) for e in events if e.msg.type in ("agent_message", "warning")] == [
        ("agent_message", COMPLETED_MESSAGE), ("warning", WARNING_MESSAGE)
    ]
    request = client.prompts[1]
    assert request.tools == [] and not request.parallel_tool_calls
    assert request.input[-1].text() == compact_prompt(config)
    assert texts(request.input)[-3:-1] == ["question one", "first answer"]
    summary = f"{summary_prefix()}\nSUMMARY"
    assert sink.compactions == [(summary, None)]
    history = session.history.items
    assert texts(history)[0].startswith("<environment_context>")
    assert texts(history)[1:] == ["question one", summary]
    counts = [e.msg.info for e in events if e.msg.type == "token_count"]
    assert counts[-1].last_token_usage.total_tokens == estimate_tokens(request.instructions, history)
    assert counts[-1].total_token_usage.total_tokens == 90  # real usage keeps adding up
    assert counts[-1].model_context_window == 272_000
    assert percent_of_context_left(counts[-1].last_token_usage.total_tokens, 272_000) == 100

    session.submit(ops.text_turn("question two"))
    await collect_until(stream, {"task_complete"})
    assert client.prompts[2].input == [*history, user_text("question two")]


async def test_configured_compact_prompt_and_an_empty_reply(config, client):
    config = config.with_overrides(compact_prompt="Summarise, please.")
    client.add(reply("a", 5), [Completed("resp", TokenUsage(total_tokens=5))])
    session = make_session(config, client)
    stream = session.events()
    session.submit(ops.text_turn("q"))
    await collect_until(stream, {"task_complete"})
    session.submit(ops.Compact())
    await collect_until(stream, {"task_complete"})
    assert client.prompts[1].input[-1].text() == "Summarise, please."
    assert texts(session.history.items)[-1] == NO_SUMMARY


async def test_context_window_exceeded_trims_the_oldest_items(config, client):
    client.add(tool_call_reply("c1", 20), reply("done", 20), ContextWindowExceeded(), ContextWindowExceeded(), reply("S", 5))
    session = make_session(config, client)
    stream = session.events()
    session.submit(ops.text_turn("q"))
    await collect_until(stream, {"task_complete"})
    session.submit(ops.Compact())
    events = await collect_until(stream, {"task_complete"})
    attempts = [p.input for p in client.prompts[2:]]
    full = attempts[0]
    assert [type(i).__name__ for i in full] == ["Message", "Message", "FunctionCall", "FunctionCallOutput", "Message", "Message"]
    assert attempts[1] == full[1:]  # the environment context went first, then the user message
    assert attempts[2] == full[2:]
    backgrounds = [e.msg.message for e in events if e.msg.type == "background_event"]
    assert backgrounds == [trimmed_message(2)]
    assert "error" not in types(events)


async def test_remove_oldest_takes_the_pair_and_a_single_item_gives_up(config, client):
    client.add(tool_call_reply("c1", 20), reply("done", 20), *[ContextWindowExceeded()] * 6)
    session = make_session(config, client)
    stream = session.events()
    session.submit(ops.text_turn("q"))
    await collect_until(stream, {"task_complete"})
    before = session.history.items
    session.submit(ops.Compact())
    events = await collect_until(stream, {"task_complete"})
    sizes = [len(p.input) for p in client.prompts[2:]]
    assert sizes == [6, 5, 4, 2, 1]  # env, user, call+output (together), assistant, prompt alone
    assert [e.msg.codex_error_info for e in events if e.msg.type == "error"] == ["context_window_exceeded"]
    assert session.history.items == before  # nothing replaced
    counts = [e.msg.info for e in events if e.msg.type == "token_count"]
    assert counts[-1].last_token_usage.total_tokens == 272_000  # shown as full


async def test_stream_errors_during_compaction_are_retried(config, client):
    client.add(reply("a", 5), StreamError("cut"), reply("S", 5))
    session = make_session(config, client)
    stream = session.events()
    session.submit(ops.text_turn("q"))
    await collect_until(stream, {"task_complete"})
    session.submit(ops.Compact())
    events = await collect_until(stream, {"task_complete"})
    assert [e.msg.message for e in events if e.msg.type == "stream_error"] == ["Reconnecting... 1/5"]
    assert texts(session.history.items)[-1].endswith("\nS")


async def test_interrupt_aborts_compaction_and_keeps_the_history(config, client):
    client.add(reply("a", 5), [Pause(30)])
    session = make_session(config, client)
    stream = session.events()
    session.submit(ops.text_turn("q"))
    await collect_until(stream, {"task_complete"})
    before = session.history.items
    session.submit(ops.Compact())
    await collect_until(stream, {"task_started"})
    await asyncio.sleep(0.05)
    session.submit(ops.Interrupt())
    events = await collect_until(stream, {"turn_aborted"})
    assert events[-1].msg.reason == "interrupted" and "task_complete" not in types(events)
    assert session.history.items == before and not session.running


async def test_compact_replaces_a_running_task_and_input_waits_for_it(config, client):
    client.add([Pause(30)], [Pause(0.1), *reply("S", 5)], reply("answer", 5))
    session = make_session(config, client)
    stream = session.events()
    first = session.submit(ops.text_turn("slow"))
    await collect_until(stream, {"task_started"})
    compact_id = session.submit(ops.Compact())
    later = session.submit(ops.text_turn("after compaction"))
    events = await collect_until(stream, {"turn_aborted"})
    assert events[-1].id == first and events[-1].msg.reason == "replaced"
    events = await collect_until(stream, {"task_complete"})
    assert events[-1].id == compact_id
    events = await collect_until(stream, {"task_complete"})
    assert events[-1].id == later and events[-1].msg.last_agent_message == "answer"
    assert texts(client.prompts[2].input)[-2:] == [f"{summary_prefix()}\nS", "after compaction"]


# --- automatic compaction --------------------------------------------------------------------


async def test_auto_compaction_past_the_limit_then_the_task_continues(config, client):
    config = config.with_overrides(model_auto_compact_token_limit=1_000)
    client.add(tool_call_reply("c1", 1_500), reply("THE SUMMARY", 300), reply("final answer", 400))
    sink = RecordingSink()
    session = make_session(config, client, rollout=sink)
    stream = session.events()
    session.submit(ops.text_turn("long job"))
    events = await collect_until(stream, {"task_complete"})
    kinds = types(events)
    assert kinds.count("task_started") == 1 and "error" not in kinds
    assert events[-1].msg.last_agent_message == "final answer"
    assert [e.msg.message for e in events if e.msg.type == "agent_message"] == [COMPLETED_MESSAGE, "final answer"]
    assert "warning" in kinds
    compaction, continuation = client.prompts[1], client.prompts[2]
    assert compaction.tools == [] and compaction.input[-1].text() == compact_prompt(config)
    assert any(isinstance(i, FunctionCallOutput) for i in compaction.input)
    assert continuation.tools and texts(continuation.input)[0].startswith("<environment_context>")
    assert texts(continuation.input)[1:] == ["long job", f"{summary_prefix()}\nTHE SUMMARY"]
    assert len(sink.compactions) == 1


async def test_default_limit_is_90_percent_of_the_configured_window(config, client):
    config = config.with_overrides(model_context_window=10_000)
    client.add(reply("at 8999", 8_999), reply("at 9000", 9_000), reply("S", 10), reply("again", 10))
    session = make_session(config, client)
    stream = session.events()
    session.submit(ops.text_turn("one"))
    events = await collect_until(stream, {"task_complete"})
    assert COMPLETED_MESSAGE not in [getattr(e.msg, "message", None) for e in events]
    assert events[1].msg.model_context_window == 10_000
    session.submit(ops.text_turn("two"))
    events = await collect_until(stream, {"task_complete"})
    assert COMPLETED_MESSAGE in [getattr(e.msg, "message", None) for e in events]
    assert events[-1].msg.last_agent_message == "again" and len(client.prompts) == 4


async def test_still_over_the_limit_after_compacting_ends_the_task(config, client):
    config = config.with_overrides(model_auto_compact_token_limit=100)
    client.add(reply("big", 500), reply("S", 10), reply("still big", 500))
    session = make_session(config, client)
    stream = session.events()
    session.submit(ops.text_turn("go"))
    events = await collect_until(stream, {"task_complete"})
    errors = [e.msg.message for e in events if e.msg.type == "error"]
    assert len(errors) == 1 and "still above the token limit" in errors[0]
    assert len(client.prompts) == 3  # no second compaction
