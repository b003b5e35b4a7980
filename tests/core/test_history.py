from agent.core.history import ConversationHistory, normalize
from agent.protocol.items import (
    CustomToolCall,
    CustomToolCallOutput,
    FunctionCall,
    FunctionCallOutput,
    Message,
    InputText,
    user_text,
)


def test_missing_outputs_get_synthetic_aborted_right_after_the_call():
    items = [user_text("hi"), FunctionCall(name="x", arguments="{}", call_id="a"), CustomToolCall(call_id="b", name="p", input="..."), user_text("next")]
    out = normalize(items)
    assert [type(i).__name__ for i in out] == ["Message", "FunctionCall", "FunctionCallOutput", "CustomToolCall", "CustomToolCallOutput", "Message"]
    assert out[2].output == "aborted" and out[4].output == "aborted"


def test_orphan_outputs_are_dropped_and_complete_pairs_kept():
    items = [FunctionCallOutput(call_id="ghost", output="?"), CustomToolCallOutput(call_id="g2", output="?"),
             FunctionCall(name="x", arguments="{}", call_id="a"), FunctionCallOutput(call_id="a", output="ok")]
    out = normalize(items)
    assert [getattr(i, "call_id", None) for i in out] == ["a", "a"]


def test_system_messages_are_not_recorded():
    history = ConversationHistory([Message(role="system", content=[InputText(text="s")]), user_text("u")])
    assert len(history) == 1 and history.for_prompt()[0].role == "user"
