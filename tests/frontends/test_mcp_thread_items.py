"""`exec --json` items for MCP calls (spec §1.3): mcp_tool_call for MCP server tools only."""

from __future__ import annotations

from agent.frontends.text.thread_events import ThreadEventMapper
from agent.protocol import events as ev

CALL = ev.McpInvocation(server="s", tool="t", arguments={"a": 1})
SECOND = ev.Duration(secs=1, nanos=0)


def feed(mapper, msg):
    return [line.model_dump(mode="json") for line in mapper.feed(ev.Event(id="1", msg=msg))]


def test_built_in_tools_make_no_items():
    mapper = ThreadEventMapper()
    assert feed(mapper, ev.ToolCallBegin(call_id="c", name="read_file", arguments="{}")) == []
    assert feed(mapper, ev.ToolCallEnd(call_id="c", name="read_file", output="x", success=True, duration=SECOND)) == []


def test_a_call_is_started_then_completed_with_its_result():
    mapper = ThreadEventMapper()
    (started,) = feed(mapper, ev.McpToolCallBegin(call_id="c", invocation=CALL))
    assert started["type"] == "item.started"
    assert started["item"] == {"id": "item_0", "type": "mcp_tool_call", "server": "s", "tool": "t", "arguments": {"a": 1},
                               "result": None, "error": None, "status": "in_progress"}
    ok = {"Ok": {"content": [{"type": "text", "text": "hi"}], "structuredContent": {"v": 2}}}
    (done,) = feed(mapper, ev.McpToolCallEnd(call_id="c", invocation=CALL, duration=SECOND, result=ok))
    assert done["item"]["id"] == "item_0" and done["item"]["status"] == "completed"
    assert done["item"]["result"] == {"content": [{"type": "text", "text": "hi"}], "structured_content": {"v": 2}}


def test_errors_and_is_error_fail_the_item():
    mapper = ThreadEventMapper()
    (err,) = feed(mapper, ev.McpToolCallEnd(call_id="c", invocation=CALL, duration=SECOND, result={"Err": "timed out"}))
    assert err["item"]["status"] == "failed" and err["item"]["error"] == {"message": "timed out"} and err["item"]["result"] is None
    bad = {"Ok": {"content": [{"type": "text", "text": "no such tz"}], "isError": True}}
    (failed,) = feed(mapper, ev.McpToolCallEnd(call_id="d", invocation=CALL, duration=SECOND, result=bad))
    assert failed["item"]["status"] == "failed" and "no such tz" in failed["item"]["error"]["message"]
