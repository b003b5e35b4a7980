"""History rules (spec §8.1-8.3): normalisation, incremental tracking, record-time truncation."""

from __future__ import annotations

import random

import pytest
from agent.client.scripted import text_reply, tool_reply
from agent.core.history import (
    ConversationHistory,
    normalize,
    remove_first_item,
    truncate_output,
)
from agent.core.model_family import history_policy, truncation_policy
from agent.protocol import ops
from agent.protocol.items import (
    CustomToolCall,
    CustomToolCallOutput,
    FunctionCall,
    FunctionCallOutput,
    InputImage,
    InputText,
    LocalShellCall,
    LocalShellExecAction,
    user_text,
)
from agent.tools import ToolRegistry, ToolResult
from agent.tools.base import function_spec
from agent.tools.truncate import TruncationPolicy

from .conftest import collect_until, make_session


def call(call_id: str) -> FunctionCall:
    return FunctionCall(name="x", arguments="{}", call_id=call_id)


def out(call_id: str, text: str = "ok") -> FunctionCallOutput:
    return FunctionCallOutput(call_id=call_id, output=text)


def shape(items) -> list[tuple[str, str | None]]:
    return [(type(i).__name__, getattr(i, "call_id", None)) for i in items]


# --- normalisation ---------------------------------------------------------------------------


def test_every_kind_of_call_without_output_gets_aborted_right_after_it():
    shell = LocalShellCall(call_id="s", action=LocalShellExecAction(command=["ls"]))
    items = [call("f"), CustomToolCall(call_id="c", name="apply_patch", input="..."), shell, user_text("next")]
    result = normalize(items)
    assert shape(result) == [
        ("FunctionCall", "f"), ("FunctionCallOutput", "f"),
        ("CustomToolCall", "c"), ("CustomToolCallOutput", "c"),
        ("LocalShellCall", "s"), ("FunctionCallOutput", "s"),
        ("Message", None),
    ]
    assert [i.output for i in result if hasattr(i, "output")] == ["aborted", "aborted", "aborted"]


def test_local_shell_call_without_call_id_needs_no_output():
    shell = LocalShellCall(action=LocalShellExecAction(command=["ls"]))
    assert normalize([shell]) == [shell]
    assert ConversationHistory([shell]).is_normal


def test_orphans_are_dropped_including_outputs_of_the_wrong_kind():
    items = [
        out("ghost"), CustomToolCallOutput(call_id="ghost2", output="?"),
        call("f"), CustomToolCallOutput(call_id="f", output="wrong kind"), out("f"),
        CustomToolCall(call_id="c", name="p", input=""), out("c"),  # function output for a custom call
        CustomToolCallOutput(call_id="c", output="right"),
    ]
    assert shape(normalize(items)) == [
        ("FunctionCall", "f"), ("FunctionCallOutput", "f"), ("CustomToolCall", "c"), ("CustomToolCallOutput", "c"),
    ]


def test_normal_history_is_sent_as_a_copy():
    history = ConversationHistory([user_text("hi"), call("a"), out("a")])
    assert history.is_normal
    sent = history.for_prompt()
    sent.append(user_text("not recorded"))
    assert len(history) == 3


def test_tracking_follows_calls_and_outputs_as_they_are_recorded():
    history = ConversationHistory([user_text("hi")])
    history.record([call("a")])
    assert not history.is_normal
    assert shape(history.for_prompt())[-1] == ("FunctionCallOutput", "a")
    history.record([out("a")])
    assert history.is_normal
    history.record([out("orphan")])
    assert not history.is_normal
    assert shape(history.for_prompt()) == [("Message", None), ("FunctionCall", "a"), ("FunctionCallOutput", "a")]
    history.replace([user_text("fresh")])
    assert history.is_normal and len(history) == 1


def test_incremental_prompt_equals_full_normalisation_on_random_histories():
    rng = random.Random(7)
    makers = [
        lambda n: call(f"f{n}"), lambda n: out(f"f{n}"),
        lambda n: CustomToolCall(call_id=f"c{n}", name="p", input=""), lambda n: CustomToolCallOutput(call_id=f"c{n}", output="o"),
        lambda n: user_text("u"),
    ]
    for _ in range(300):
        items = [rng.choice(makers)(rng.randrange(4)) for _ in range(rng.randrange(12))]
        history = ConversationHistory()
        for item in items:
            history.record([item])
        assert history.for_prompt() == normalize(items), items


def test_remove_first_item_takes_its_partner_along():
    items = [call("a"), user_text("u"), out("a"), out("b"), call("b")]
    assert shape(remove_first_item(items)) == [("Message", None), ("FunctionCallOutput", "b"), ("FunctionCall", "b")]
    assert shape(remove_first_item(items[3:])) == []  # an output takes its call
    assert remove_first_item([user_text("only")]) == [] and remove_first_item([]) == []


# --- truncation when recording ---------------------------------------------------------------


def test_policies_by_family_and_override(config):
    assert truncation_policy("gpt-5.1-codex", config) == TruncationPolicy("tokens", 10_000)
    assert truncation_policy("gpt-5-codex", config) == TruncationPolicy("tokens", 10_000)
    assert truncation_policy("gpt-5.1", config) == TruncationPolicy("bytes", 10_000)
    assert truncation_policy("my-local-model", config) == TruncationPolicy("bytes", 10_000)
    limited = config.with_overrides(tool_output_token_limit=500)
    assert truncation_policy("gpt-5.1-codex", limited) == TruncationPolicy("tokens", 500)
    assert truncation_policy("gpt-4.1", limited) == TruncationPolicy("bytes", 2_000)
    assert history_policy(TruncationPolicy("bytes", 10_000)) == TruncationPolicy("bytes", 12_000)
    assert history_policy(TruncationPolicy("tokens", 3)) == TruncationPolicy("tokens", 4)  # rounded up


@pytest.mark.parametrize("mode, limit, budget", [("bytes", 10_000, 12_000), ("tokens", 10_000, 48_000)])
def test_exact_budget_is_kept_and_one_more_byte_is_cut(mode, limit, budget):
    history = ConversationHistory(output_policy=history_policy(TruncationPolicy(mode, limit)))
    history.record([call("a"), out("a", "x" * budget), call("b"), out("b", "x" * (budget + 1))])
    kept, cut = history.items[1].output, history.items[3].output
    assert kept == "x" * budget
    marker = "…1 chars truncated…" if mode == "bytes" else "…1 tokens truncated…"
    assert cut == "x" * (budget // 2) + marker + "x" * (budget - budget // 2)


def test_unicode_is_never_split():
    history = ConversationHistory(output_policy=TruncationPolicy("bytes", 11))
    history.record([call("a"), out("a", "é" * 20), call("b"), out("b", "日本語テキスト")])
    assert history.items[1].output == "éé…15 chars truncated…ééé"
    text = history.items[3].output  # 21 bytes, 3 per char: 5 bytes left -> 1 char, 6 right -> 2
    assert text == "日…4 chars truncated…スト"


def test_tiny_budgets():
    assert truncate_output(out("a", "abcdefgh"), TruncationPolicy("bytes", 5)).output == "ab…3 chars truncated…fgh"
    assert truncate_output(out("a", "abcdefgh"), TruncationPolicy("bytes", 0)).output == "…8 chars truncated…"
    assert truncate_output(out("a", "example output"), TruncationPolicy("tokens", 1)).output == "ex…3 tokens truncated…ut"
    assert truncate_output(out("a", ""), TruncationPolicy("bytes", 0)).output == ""


def test_custom_outputs_and_content_items_are_cut_and_other_items_are_not():
    policy = TruncationPolicy("bytes", 10)
    custom = truncate_output(CustomToolCallOutput(call_id="c", output="0123456789abc"), policy)
    assert custom.output == "01234…3 chars truncated…89abc"
    message = user_text("a long user message that is not a tool output")
    long_call = FunctionCall(name="x", arguments='{"a": "' + "y" * 50 + '"}', call_id="a")
    assert truncate_output(message, policy) is message and truncate_output(long_call, policy) is long_call
    parts = [InputText(text="12345678"), InputImage(image_url="data:image/png;base64,AA"), InputText(text="abcdefgh"),
             InputText(text="dropped"), InputText(text="dropped too")]
    result = truncate_output(FunctionCallOutput(call_id="a", output=parts), policy).output
    assert [getattr(p, "text", "IMG") for p in result] == ["12345678", "IMG", "a…6 chars truncated…h", "[omitted 2 text items ...]"]


class BigOutputTool:
    name = "big"
    supports_parallel = False

    def spec(self):
        return function_spec(self.name, "prints a lot", {}, [])

    async def handle(self, call, ctx):
        return ToolResult("ü" * 20_000)  # 40,000 bytes


async def test_session_records_tool_outputs_at_1_2x_of_the_models_policy(config, client):
    config = config.with_overrides(model="gpt-4.1")
    client.add(tool_reply(("big", {}, "c1")), text_reply("done"))
    session = make_session(config, client, ToolRegistry([BigOutputTool()]))
    stream = session.events()
    session.submit(ops.text_turn("go"))
    await collect_until(stream, {"task_complete"})
    output = next(i for i in session.history.items if isinstance(i, FunctionCallOutput)).output
    assert output == "ü" * 3_000 + "…14000 chars truncated…" + "ü" * 3_000  # Bytes(12,000)
    assert client.prompts[1].input[-1].output == output
