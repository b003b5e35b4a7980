"""What goes on the wire: headers, the Responses body (§3.1), the Chat body (§3.4)."""

from __future__ import annotations

import pytest

import agent
from agent.client.chat import build_chat_body
from agent.client.errors import UnsupportedRequest
from agent.client.prompt import Prompt
from agent.client.responses import build_request_body
from agent.protocol.items import FunctionCall, FunctionCallOutput, Message, OutputText, Reasoning, user_text
from tests.scripted_server import Reply

pytestmark = pytest.mark.timeout(20)

SHELL_TOOL = {
    "type": "function",
    "name": "shell",
    "description": "Runs a command",
    "strict": False,
    "parameters": {"type": "object", "properties": {"command": {"type": "array", "items": {"type": "string"}}}},
}
FREEFORM_TOOL = {"type": "custom", "name": "apply_patch", "description": "patch", "format": {"type": "grammar"}}


def history() -> list:
    return [
        user_text("list files"),
        Reasoning(id="rs_1", summary=[], content=None, encrypted_content="opaque"),
        FunctionCall(id="fc_1", name="shell", arguments='{"command":["ls"]}', call_id="c1"),
        FunctionCallOutput(call_id="c1", output="a.txt\nb.txt"),
        Message(id="msg_1", role="assistant", content=[OutputText(text="two files")]),
    ]


async def test_headers_and_query_params(srv, make_client, prompt, collect, monkeypatch):
    monkeypatch.setenv("KA_TEST_ORG", "org-7")
    srv.enqueue(Reply(text="ok"))
    client = make_client(
        srv.url,
        "responses",
        query_params={"api-version": "2025-04-01-preview"},
        http_headers={"X-Static": "yes"},
        env_http_headers={"OpenAI-Organization": "KA_TEST_ORG", "OpenAI-Project": "KA_TEST_UNSET"},
    )
    await collect(client, prompt(conversation_id="conv-xyz"))
    (request,) = srv.requests
    headers = request.headers
    assert headers["authorization"] == "Bearer test-key"
    assert headers["accept"] == "text/event-stream"
    assert headers["conversation_id"] == headers["session_id"] == "conv-xyz"
    assert headers["originator"] == "kernel_agent"
    assert headers["user-agent"] == f"kernel-agent/{agent.__version__}"
    assert headers["x-static"] == "yes" and headers["openai-organization"] == "org-7"
    assert "openai-project" not in headers


async def test_no_authorization_without_key(srv, make_client, prompt, collect):
    srv.enqueue(Reply(text="ok"))
    await collect(make_client(srv.url, "chat", api_key=None), prompt())
    assert "authorization" not in srv.requests[0].headers


async def test_responses_body_on_the_wire(srv, make_client, collect):
    srv.enqueue(Reply(text="ok"))
    p = Prompt(
        model="gpt-5",
        instructions="You are a coding agent.",
        input=history(),
        tools=[SHELL_TOOL, FREEFORM_TOOL],
        parallel_tool_calls=True,
        effort="high",
        summary="auto",
        reasoning=True,
        verbosity="low",
        output_schema={"type": "object"},
        conversation_id="conv-9",
    )
    await collect(make_client(srv.url, "responses"), p)
    body = srv.requests[0].json
    assert body == {
        "model": "gpt-5",
        "instructions": "You are a coding agent.",
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "list files"}]},
            {"type": "reasoning", "summary": [], "encrypted_content": "opaque"},
            {"type": "function_call", "name": "shell", "arguments": '{"command":["ls"]}', "call_id": "c1"},
            {"type": "function_call_output", "call_id": "c1", "output": "a.txt\nb.txt"},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "two files"}]},
        ],
        "tools": [SHELL_TOOL, FREEFORM_TOOL],
        "tool_choice": "auto",
        "parallel_tool_calls": True,
        "reasoning": {"effort": "high", "summary": "auto"},
        "store": False,
        "stream": True,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "conv-9",
        "text": {
            "verbosity": "low",
            "format": {"type": "json_schema", "strict": True, "schema": {"type": "object"}, "name": "codex_output_schema"},
        },
    }


def test_responses_body_minimal_and_azure():
    p = Prompt(model="m", instructions="i", input=history())
    body = build_request_body(p)
    assert "reasoning" not in body and "text" not in body and "prompt_cache_key" not in body
    assert body["include"] == [] and body["store"] is False
    assert list(body)[:6] == ["model", "instructions", "input", "tools", "tool_choice", "parallel_tool_calls"]
    azure = build_request_body(p, azure=True)
    assert azure["store"] is True
    assert [item.get("id") for item in azure["input"]] == [None, "rs_1", "fc_1", None, "msg_1"]


async def test_chat_body_on_the_wire(srv, make_client, collect):
    srv.enqueue(Reply(text="ok"))
    p = Prompt(model="llama", instructions="sys prompt", input=history(), tools=[SHELL_TOOL, FREEFORM_TOOL])
    await collect(make_client(srv.url, "chat"), p)
    body = srv.requests[0].json
    assert srv.requests[0].path == "/v1/chat/completions"
    assert body["model"] == "llama" and body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["tools"] == [{
        "type": "function",
        "function": {"name": "shell", "description": "Runs a command", "strict": False, "parameters": SHELL_TOOL["parameters"]},
    }]
    assert body["messages"] == [
        {"role": "system", "content": "sys prompt"},
        {"role": "user", "content": "list files"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "shell", "arguments": '{"command":["ls"]}'}},
        ]},
        {"role": "tool", "tool_call_id": "c1", "content": "a.txt\nb.txt"},
        {"role": "assistant", "content": "two files"},
    ]
    assert not {"reasoning", "store", "include"} & set(body)


def test_chat_body_rejects_output_schema():
    p = Prompt(model="m", instructions="i", input=[user_text("x")], output_schema={"type": "object"})
    with pytest.raises(UnsupportedRequest, match="output_schema is not supported for Chat Completions API"):
        build_chat_body(p)


def test_chat_body_without_tools_has_no_tools_key():
    assert "tools" not in build_chat_body(Prompt(model="m", instructions="i", input=[user_text("x")]))


async def test_chat_client_raises_unsupported_without_a_request(srv, make_client, collect):
    p = Prompt(model="m", instructions="i", input=[user_text("x")], output_schema={"type": "object"})
    with pytest.raises(UnsupportedRequest):
        await collect(make_client(srv.url, "chat"), p)
    assert srv.requests == []
