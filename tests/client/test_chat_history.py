"""`history_to_messages` and `chat_tools`: pure conversion to Chat Completions (§3.4)."""

from __future__ import annotations

from agent.client.chat import chat_tools, history_to_messages
from agent.protocol.items import (
    CustomToolCall,
    CustomToolCallOutput,
    FunctionCall,
    FunctionCallOutput,
    InputImage,
    InputText,
    LocalShellCall,
    LocalShellExecAction,
    Message,
    Reasoning,
    ReasoningText,
    SummaryText,
    WebSearchCall,
    assistant_text,
    user_text,
)


def call(call_id: str, name: str = "shell", args: str = "{}") -> FunctionCall:
    return FunctionCall(name=name, arguments=args, call_id=call_id)


def raw_reasoning(text: str) -> Reasoning:
    return Reasoning(summary=[SummaryText(text="summary")], content=[ReasoningText(text=text)])


def test_system_first_and_plain_messages():
    items = [
        user_text("hi"),
        Message(role="assistant", content=[assistant_text("a").content[0], assistant_text("b").content[0]]),
        Message(role="developer", content=[InputText(text="dev note")]),
    ]
    assert history_to_messages("INSTR", items) == [
        {"role": "system", "content": "INSTR"},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "ab"},
        {"role": "system", "content": "dev note"},
    ]


def test_duplicate_assistant_text_is_skipped():
    items = [user_text("q"), assistant_text("same"), assistant_text("same"), assistant_text("other")]
    roles = [(m["role"], m["content"]) for m in history_to_messages("", items)[1:]]
    assert roles == [("user", "q"), ("assistant", "same"), ("assistant", "other")]


def test_images_become_image_url_parts():
    items = [
        Message(role="user", content=[InputText(text="look:"), InputImage(image_url="data:image/png;base64,AAAA")]),
        call("c1", "view_image"),
        FunctionCallOutput(call_id="c1", output=[InputText(text="img"), InputImage(image_url="data:image/png;base64,BBBB")]),
    ]
    messages = history_to_messages("", items)
    assert messages[1]["content"] == [
        {"type": "text", "text": "look:"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
    ]
    assert messages[3] == {
        "role": "tool",
        "tool_call_id": "c1",
        "content": [{"type": "text", "text": "img"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,BBBB"}}],
    }


def test_tool_calls_and_outputs():
    items = [user_text("go"), call("c1", args='{"command":["ls"]}'), FunctionCallOutput(call_id="c1", output="ok")]
    assert history_to_messages("", items)[2:] == [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "shell", "arguments": '{"command":["ls"]}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
    ]


def test_consecutive_calls_share_one_assistant_message():
    items = [user_text("go"), call("a"), call("b"), FunctionCallOutput(call_id="a", output="1"),
             FunctionCallOutput(call_id="b", output="2"), call("c")]
    messages = history_to_messages("", items)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "tool", "tool", "assistant"]
    assert [tc["id"] for tc in messages[2]["tool_calls"]] == ["a", "b"]
    assert [tc["id"] for tc in messages[5]["tool_calls"]] == ["c"]


def test_local_shell_and_custom_tool_calls():
    items = [
        user_text("go"),
        LocalShellCall(call_id="ls1", status="completed", action=LocalShellExecAction(command=["ls"])),
        FunctionCallOutput(call_id="ls1", output="x"),
        CustomToolCall(call_id="p1", name="apply_patch", input="*** Begin Patch\n*** End Patch"),
        CustomToolCallOutput(call_id="p1", output="Done!"),
        WebSearchCall(status="completed", action={"type": "search", "query": "q"}),
    ]
    messages = history_to_messages("", items)
    assert messages[2]["tool_calls"] == [
        {"id": "ls1", "type": "local_shell_call", "status": "completed", "action": {"type": "exec", "command": ["ls"]}}]
    assert messages[4]["tool_calls"] == [
        {"id": "p1", "type": "custom", "custom": {"name": "apply_patch", "input": "*** Begin Patch\n*** End Patch"}}]
    assert messages[5] == {"role": "tool", "tool_call_id": "p1", "content": "Done!"}
    assert len(messages) == 6


def test_reasoning_attaches_to_previous_assistant_message():
    items = [user_text("q"), assistant_text("answer"), raw_reasoning("because")]
    messages = history_to_messages("", items)
    assert messages[-1] == {"role": "assistant", "content": "answer", "reasoning": "because"}


def test_reasoning_attaches_to_next_tool_call_anchor():
    items = [user_text("q"), raw_reasoning("think "), call("c1"), FunctionCallOutput(call_id="c1", output="r")]
    messages = history_to_messages("", items)
    assert messages[2]["reasoning"] == "think "
    assert all("reasoning" not in m for m in messages if m is not messages[2])


def test_no_reasoning_when_conversation_ends_with_user():
    items = [user_text("q"), raw_reasoning("hidden"), assistant_text("a"), user_text("next")]
    assert all("reasoning" not in m for m in history_to_messages("", items))


def test_reasoning_before_last_user_and_summary_only_reasoning_are_dropped():
    items = [
        user_text("q1"), raw_reasoning("old"), assistant_text("a1"),
        user_text("q2"), Reasoning(summary=[SummaryText(text="s")]), assistant_text("a2"),
        raw_reasoning("   "),
    ]
    assert all("reasoning" not in m for m in history_to_messages("", items))


def test_chat_tools_keeps_only_function_tools():
    tools = [
        {"type": "function", "name": "f", "description": "d", "parameters": {"type": "object", "properties": {}}},
        {"type": "custom", "name": "apply_patch"},
        {"type": "local_shell"},
        {"type": "web_search"},
        {"type": "function", "name": "g", "description": "", "strict": True, "parameters": {"type": "object"}},
    ]
    assert chat_tools(tools) == [
        {"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object", "properties": {}}}},
        {"type": "function", "function": {"name": "g", "description": "", "strict": True, "parameters": {"type": "object"}}},
    ]
