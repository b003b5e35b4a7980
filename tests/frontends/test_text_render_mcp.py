"""The plain-text renderer (`exec`) shows MCP tool calls: begin and end with a short result."""

from __future__ import annotations

import io

from agent.frontends.text.render import TextRenderer
from agent.protocol import events as ev

from .events import event

CALL = ev.McpInvocation(server="time", tool="get_current_time", arguments={"timezone": "Asia/Tokyo"})


def rendered(*msgs: ev.EventMsg) -> str:
    out = io.StringIO()
    renderer = TextRenderer(out)
    for msg in msgs:
        renderer.handle(event(msg))
    return out.getvalue()


def end(result: dict, invocation: ev.McpInvocation = CALL) -> ev.McpToolCallEnd:
    return ev.McpToolCallEnd(call_id="c1", invocation=invocation, duration=ev.Duration(secs=0, nanos=12_000_000), result=result)


def test_a_call_shows_server_tool_arguments_and_its_text():
    text = rendered(ev.McpToolCallBegin(call_id="c1", invocation=CALL),
                    end({"Ok": {"content": [{"type": "text", "text": "12:00 JST"}, {"type": "image", "data": "AAAA"}]}}))
    assert text == '\nmcp: time/get_current_time({"timezone": "Asia/Tokyo"})\nok in 12ms: 12:00 JST\n[image]\n'


def test_structured_content_errors_and_missing_arguments():
    bare = ev.McpInvocation(server="s", tool="t")
    assert rendered(ev.McpToolCallBegin(call_id="c1", invocation=bare)) == "\nmcp: s/t()\n"
    assert rendered(end({"Ok": {"content": [], "structuredContent": {"a": 1}}})) == 'ok in 12ms: {"a": 1}\n'
    assert rendered(end({"Ok": {"content": [{"type": "text", "text": "bad zone"}], "isError": True}})) == "error in 12ms: bad zone\n"
    assert rendered(end({"Err": "MCP server time: timed out after 60 s"})) == "error in 12ms: MCP server time: timed out after 60 s\n"
    assert rendered(end({"Ok": {"content": []}})) == "ok in 12ms: (no content)\n"


def test_long_results_are_cut_and_escape_sequences_are_not_printed():
    shown = rendered(end({"Ok": {"content": [{"type": "text", "text": "\x1b]0;pwned\x07" + "x" * 5000}]}}))
    assert "\x1b" not in shown and "\x07" not in shown and len(shown) < 500 and shown.rstrip().endswith("…")
    many = rendered(end({"Ok": {"content": [{"type": "text", "text": "\n".join(map(str, range(10)))}]}}))
    assert many == "ok in 12ms: 0\n1\n2\n… 7 more lines\n"
    evil = ev.McpInvocation(server="s\x1b[2J", tool="t", arguments={"k": "v" * 1000})
    begin = rendered(ev.McpToolCallBegin(call_id="c1", invocation=evil))
    assert "\x1b" not in begin and len(begin) < 260
