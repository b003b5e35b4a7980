"""MCP end to end: `kernel-agent exec --json` with the real `mcp-server-time` (PyPI) as a
sandboxed stdio server and the scripted model server calling its tool (spec §11, §1.3)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.scripted_server import Reply, ScriptedServer, ToolCall

from .test_exec import json_lines, make_home, run_exec

TIME_SERVER = str(Path(sys.executable).parent / "mcp-server-time")
TOOL = "mcp__time__get_current_time"


def with_time_server(home: Path, extra: str = "") -> None:
    with (home / "config.toml").open("a") as config:
        config.write(f'\n[mcp_servers.time]\ncommand = "{TIME_SERVER}"\nargs = ["--local-timezone", "UTC"]\n{extra}')


def test_the_model_calls_a_real_mcp_server_tool(tmp_path):
    with ScriptedServer() as server:
        server.enqueue(Reply(tool_calls=[ToolCall(TOOL, {"timezone": "Europe/Paris"}, "call_1")]), Reply(text="It is late."))
        home = make_home(tmp_path, server.url)
        with_time_server(home)
        result = run_exec(tmp_path, home, "--json", "what time is it in Paris?")
        first, second = [r.json for r in server.requests]

    assert result.returncode == 0, result.stderr
    tools = {t["name"]: t for t in first["tools"]}
    assert tools[TOOL]["parameters"]["type"] == "object" and "timezone" in tools[TOOL]["parameters"]["properties"]
    assert "mcp__time__convert_time" in tools
    output = next(i for i in second["input"] if i.get("type") == "function_call_output")
    assert output["call_id"] == "call_1"
    assert json.loads(output["output"])["timezone"] == "Europe/Paris"  # structuredContent

    items = [line["item"] for line in json_lines(result.stdout) if line["type"].startswith("item.")]
    mcp = [i for i in items if i["type"] == "mcp_tool_call"]
    assert [i["status"] for i in mcp] == ["in_progress", "completed"]
    assert mcp[1]["server"] == "time" and mcp[1]["tool"] == "get_current_time"
    assert mcp[1]["arguments"] == {"timezone": "Europe/Paris"} and mcp[1]["error"] is None
    assert mcp[1]["result"]["structured_content"]["timezone"] == "Europe/Paris"


def test_built_in_tools_are_not_mcp_items_and_a_failing_server_is_reported_once(tmp_path):
    plan = {"plan": [{"step": "answer", "status": "in_progress"}]}
    with ScriptedServer() as server:
        server.enqueue(Reply(tool_calls=[ToolCall("update_plan", plan, "call_1"), ToolCall("list_dir", {"dir_path": "."}, "call_2")]),
                       Reply(text="done"))
        home = make_home(tmp_path, server.url)
        with (home / "config.toml").open("a") as config:
            config.write(f'\n[mcp_servers.broken]\ncommand = "{tmp_path}/no-such-program"\n')
        result = run_exec(tmp_path, home, "--json", "go")
        first = server.requests[0].json

    assert result.returncode == 0, result.stderr
    assert not [t for t in first["tools"] if t["name"].startswith("mcp__")]
    items = [line["item"] for line in json_lines(result.stdout) if line["type"].startswith("item.")]
    assert not [i for i in items if i["type"] == "mcp_tool_call"]
    reported = [i["message"] for i in items if i["type"] == "error" and "broken" in i["message"]]
    assert len(reported) == 1 and "no-such-program" in reported[0]
    assert "Traceback" not in result.stderr
