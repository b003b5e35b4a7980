"""McpTool: approvals per annotation and policy, events, results to the model (spec §11)."""

from __future__ import annotations

import asyncio
import base64
import json

import mcp_types as mt
import pytest

from agent.protocol import events as ev
from agent.protocol.items import InputImage, InputText, Message
from agent.tools.base import ExecSettings, ToolCall
from agent.tools.mcp.errors import McpError
from agent.tools.mcp.naming import QualifiedTool
from agent.tools.mcp.result import model_output
from agent.tools.mcp.tool import McpTool, approval_requirement

from .fakes import FakeCtx

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
POLICIES = ("untrusted", "on-request", "on-failure", "never")


class FakeManager:
    def __init__(self, result=None, error: str | None = None):
        self.result, self.error, self.calls = result, error, []

    async def call_tool(self, server, tool, arguments, *, timeout_s=None):
        self.calls.append((server, tool, arguments, timeout_s))
        if self.error is not None:
            raise McpError(self.error)
        return self.result


def make_tool(manager, annotations=None, accepts_images=True) -> McpTool:
    spec = mt.Tool(name="get.time", description="Now", inputSchema={"type": "object"},
                   annotations=mt.ToolAnnotations(**annotations) if annotations else None)
    return McpTool(QualifiedTool("mcp__clock__get_time", "clock", spec), manager, timeout_s=7.5, accepts_images=accepts_images)


def text_result(text: str, **kw) -> mt.CallToolResult:
    return mt.CallToolResult(content=[mt.TextContent(type="text", text=text)], **kw)


def run(tool, ctx, payload='{"tz": "UTC"}'):
    return asyncio.run(tool.handle(ToolCall("c1", tool.name, "function", payload), ctx))


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("hints,expected", [
    ({"readOnlyHint": True}, dict.fromkeys(POLICIES, "skip")),
    ({"readOnlyHint": True, "destructiveHint": True}, dict.fromkeys(POLICIES, "skip")),
    ({"destructiveHint": True}, {"untrusted": "ask", "on-request": "ask", "on-failure": "ask", "never": "skip"}),
    ({}, {"untrusted": "ask", "on-request": "ask", "on-failure": "skip", "never": "skip"}),
    ({"readOnlyHint": False, "destructiveHint": False}, {"untrusted": "ask", "on-request": "ask", "on-failure": "skip", "never": "skip"}),
])
def test_approval_requirement_per_annotation_and_policy(hints, expected, policy):
    annotations = mt.ToolAnnotations(**hints) if hints else None
    assert approval_requirement(annotations, policy) == expected[policy]


def test_spec_is_a_sanitised_function(tmp_path):
    spec = make_tool(FakeManager()).spec()
    assert spec == {"type": "function", "name": "mcp__clock__get_time", "description": "Now", "strict": False,
                    "parameters": {"type": "object", "properties": {}}}


def test_a_read_only_tool_runs_without_asking_and_reports_its_call(tmp_path):
    manager = FakeManager(text_result("12:00"))
    ctx = FakeCtx(tmp_path, approval_policy="untrusted")
    result = run(make_tool(manager, {"readOnlyHint": True}), ctx)
    assert result.success and json.loads(result.output) == [{"type": "text", "text": "12:00"}]
    assert manager.calls == [("clock", "get.time", {"tz": "UTC"}, 7.5)]
    begin, end = ctx.events
    assert isinstance(begin, ev.McpToolCallBegin) and begin.invocation.arguments == {"tz": "UTC"}
    assert isinstance(end, ev.McpToolCallEnd) and end.result["Ok"]["content"][0]["text"] == "12:00" and end.is_success()


def test_the_approval_request_shows_server_tool_and_arguments_and_a_denial_does_not_call(tmp_path):
    manager = FakeManager(text_result("x"))
    ctx = FakeCtx(tmp_path, approval_policy="on-request", decision="denied")
    result = run(make_tool(manager), ctx)
    assert not result.success and "denied" in result.output
    assert manager.calls == []
    (request,) = ctx.events
    assert isinstance(request, ev.ExecApprovalRequest)
    assert request.command == ["mcp", "clock", "get.time", '{"tz": "UTC"}']
    assert "clock" in request.reason and "get.time" in request.reason


def test_approved_for_session_remembers_server_and_tool(tmp_path):
    manager = FakeManager(text_result("x"))
    ctx = FakeCtx(tmp_path, approval_policy="untrusted", decision="approved_for_session")
    tool = make_tool(manager)
    run(tool, ctx)
    ctx.decision = "denied"
    assert run(tool, ctx, '{"tz": "CET"}').success  # not asked again
    assert [type(e).__name__ for e in ctx.events].count("ExecApprovalRequest") == 1
    assert len(manager.calls) == 2


def test_approved_once_asks_again(tmp_path):
    manager = FakeManager(text_result("x"))
    ctx = FakeCtx(tmp_path, approval_policy="on-request", decision="approved")
    tool = make_tool(manager)
    run(tool, ctx)
    run(tool, ctx)
    assert [type(e).__name__ for e in ctx.events].count("ExecApprovalRequest") == 2


@pytest.mark.parametrize("payload,message", [("{not json", "err: "), ("[1, 2]", "expected a JSON object")])
def test_invalid_arguments_fail_without_calling_the_server(tmp_path, payload, message):
    manager = FakeManager(text_result("x"))
    ctx = FakeCtx(tmp_path)
    result = run(make_tool(manager), ctx, payload)
    assert not result.success and message in result.output
    assert manager.calls == [] and ctx.events == []


def test_empty_arguments_mean_none(tmp_path):
    manager = FakeManager(text_result("x"))
    run(make_tool(manager), FakeCtx(tmp_path), "")
    assert manager.calls[0][2] is None


def test_a_call_failure_becomes_an_error_result_and_an_err_event(tmp_path):
    ctx = FakeCtx(tmp_path)
    result = run(make_tool(FakeManager(error="server 'clock' crashed")), ctx)
    assert not result.success and result.output == "err: server 'clock' crashed"
    assert ctx.events[-1].result == {"Err": "server 'clock' crashed"} and not ctx.events[-1].is_success()


def test_is_error_fails_the_call(tmp_path):
    ctx = FakeCtx(tmp_path)
    result = run(make_tool(FakeManager(text_result("bad tz", isError=True))), ctx)
    assert not result.success and "bad tz" in result.output
    assert not ctx.events[-1].is_success()


def test_structured_content_wins_over_content():
    out = model_output({"content": [{"type": "text", "text": "{}"}], "structuredContent": {"tz": "UTC", "n": 1}},
                       byte_budget=1000, accepts_images=True)
    assert json.loads(out.text) == {"tz": "UTC", "n": 1} and out.success


def test_output_is_truncated_to_the_budget():
    out = model_output({"content": [{"type": "text", "text": "a" * 5000}]}, byte_budget=200, accepts_images=True)
    assert out.text.startswith("Total output lines: 1") and "chars truncated" in out.text
    assert len(out.text.encode()) < 300


def test_images_go_to_the_model_as_input_images_when_it_accepts_them(tmp_path):
    data = base64.b64encode(PNG).decode()
    result = mt.CallToolResult(content=[mt.TextContent(type="text", text="chart"),
                                        mt.ImageContent(type="image", data=data, mimeType="image/jpeg")])
    ctx = FakeCtx(tmp_path)
    out = run(make_tool(FakeManager(result)), ctx)
    assert data not in out.output
    assert json.loads(out.output)[1] == {"type": "image", "mimeType": "image/png", "attached": True}  # sniffed, not claimed
    (message,) = ctx.pending
    assert isinstance(message, Message) and isinstance(message.content[0], InputText)
    assert message.content[1] == InputImage(image_url=f"data:image/png;base64,{data}")


def test_images_are_omitted_when_the_model_does_not_accept_them_or_they_are_not_images(tmp_path):
    good = base64.b64encode(PNG).decode()
    bad = base64.b64encode(b"<svg/>").decode()
    out = model_output({"content": [{"type": "image", "data": good, "mimeType": "image/png"}]}, byte_budget=1000, accepts_images=False)
    assert out.images == [] and good not in out.text and "does not accept images" in out.text
    out = model_output({"content": [{"type": "image", "data": bad, "mimeType": "image/png"}]}, byte_budget=1000, accepts_images=True)
    assert out.images == [] and "not a valid" in out.text


def test_cancelling_the_turn_cancels_the_call(tmp_path):
    started = asyncio.Event()

    class Hanging(FakeManager):
        async def call_tool(self, *a, **kw):
            started.set()
            await asyncio.sleep(3600)

    async def scenario():
        ctx = FakeCtx(tmp_path)
        task = asyncio.create_task(make_tool(Hanging()).handle(ToolCall("c1", "n", "function", "{}"), ctx))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return ctx.events

    events = asyncio.run(scenario())
    assert [type(e).__name__ for e in events] == ["McpToolCallBegin"]


def test_exec_settings_budget_is_used(tmp_path):
    ctx = FakeCtx(tmp_path, exec_settings=ExecSettings(output_byte_budget=100))
    out = run(make_tool(FakeManager(text_result("b" * 1000))), ctx)
    assert "truncated" in out.output
