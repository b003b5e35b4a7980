"""`%agent mcp`: each MCP server's state, error, sandbox and tools, in a notebook agent whose
session runs the real `mcp-server-time` (one sandboxed, one with `sandbox = false`)."""

from __future__ import annotations

import sys
from pathlib import Path

from agent.frontends.notebook.line_commands import run_line_command
from agent.frontends.notebook.notebook_agent import TurnOptions
from agent.frontends.notebook.usage import LINE_USAGE

from tests.scripted_server import Reply

from .test_notebook_controller import RecordingView, agent, kernel, until  # noqa: F401 (fixtures)

TIME_SERVER = str(Path(sys.executable).parent / "mcp-server-time")


def add_servers(home: Path, tmp_path: Path) -> None:
    with (home / "config.toml").open("a") as config:
        config.write(f'\n[mcp_servers.time]\ncommand = "{TIME_SERVER}"\n'
                     f'[mcp_servers.open_time]\ncommand = "{TIME_SERVER}"\nsandbox = false\nenabled_tools = ["convert_time"]\n'
                     f'[mcp_servers.gone]\ncommand = "{tmp_path}/missing"\n'
                     f'[mcp_servers.off]\ncommand = "x"\nenabled = false\n')


def test_usage_lists_the_command():
    assert "mcp " in LINE_USAGE


async def test_without_servers_it_says_how_to_add_one(agent, monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr("agent.frontends.notebook.line_commands.show", lambda _agent, text: shown.append(text))
    run_line_command(agent, "mcp")
    assert shown == ["No MCP servers are configured (`[mcp_servers.<name>]` in config.toml; see docs/mcp.md)."]


async def test_it_lists_each_server_with_state_sandbox_and_tools(agent, server, home, tmp_path, monkeypatch):
    add_servers(home, tmp_path)
    shown: list[str] = []
    monkeypatch.setattr("agent.frontends.notebook.line_commands.show", lambda _agent, text: shown.append(text))
    run_line_command(agent, "mcp")
    assert "start with the session" in shown[-1] and "`time`" in shown[-1]

    server.enqueue(Reply(text="hi"))
    view = RecordingView()
    agent.start_turn("hello", TurnOptions(), make_view=lambda **_: view)
    await until(lambda: "task_complete" in view.types(), "the turn")
    run_line_command(agent, "mcp")
    lines = shown[-1].split("\n")
    by_name = {line.split("**")[1]: line for line in lines if line.startswith("- **")}
    assert by_name["time"].startswith("- **time**: ready, sandbox: ")
    assert "not sandboxed" not in by_name["time"] and "none" not in by_name["time"]
    assert by_name["open_time"] == "- **open_time**: ready, not sandboxed (sandbox = false)"
    assert by_name["gone"].startswith("- **gone**: failed, ") and " — " in by_name["gone"]  # with its reason
    assert by_name["off"] == "- **off**: disabled"
    tools = [line for line in lines if line.startswith("  - tools:")]
    assert tools == ["  - tools: `convert_time`", "  - tools: `convert_time`, `get_current_time`"]
