"""MCP servers in a real Session: start-up events, tool registration before the first request,
a call through the real `mcp-server-time`, the transcript's MCP block, shutdown; and no MCP
import for a session without servers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from agent.client.scripted import ScriptedModelClient, text_reply, tool_reply
from agent.core.config import CliOverrides, load_config
from agent.core.session import Session
from agent.exec.sandbox import probe_mechanism
from agent.frontends.transcript.reducer import Transcript
from agent.protocol import ops
from agent.protocol.items import FunctionCallOutput

from .conftest import collect_until

TIME_SERVER = str(Path(sys.executable).parent / "mcp-server-time")


def make(tmp_path: Path, servers: str, script=()) -> tuple[Session, ScriptedModelClient]:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    (home / "config.toml").write_text(servers)
    config = load_config(CliOverrides(cwd=str(work), model="gpt-5.1-codex", approval_policy="on-request"), home=home, env={})
    client = ScriptedModelClient(script)
    return Session(config, client, sandbox_mechanism=probe_mechanism().mechanism, retry_base_s=0.001), client


TIME = f'[mcp_servers.time]\ncommand = "{TIME_SERVER}"\nargs = ["--local-timezone", "UTC"]\ndisabled_tools = ["convert_time"]\n'


async def test_servers_start_their_tools_are_offered_and_called(tmp_path):
    script = [tool_reply(("mcp__time__get_current_time", {"timezone": "Asia/Tokyo"}, "c1")), text_reply("ok")]
    session, client = make(tmp_path, TIME + '[mcp_servers.off]\ncommand = "x"\nenabled = false\n', script)
    stream = session.events()
    transcript = Transcript()
    session.submit(ops.text_turn("time?"))
    events = await collect_until(stream, {"task_complete"}, timeout=60)
    for event in events:
        transcript.apply(event)
    kinds = [e.msg.type for e in events]

    updates = [(e.msg.server, e.msg.status.state) for e in events if e.msg.type == "mcp_startup_update"]
    assert updates == [("time", "starting"), ("time", "ready")]
    complete = next(e.msg for e in events if e.msg.type == "mcp_startup_complete")
    assert complete.ready == ["time"] and complete.failed == [] and kinds.index("mcp_startup_complete") < kinds.index("task_started")

    names = [t["name"] for t in client.prompts[0].tools]
    assert names[-1] == "mcp__time__get_current_time" and "mcp__time__convert_time" not in names  # disabled_tools
    assert "exec_approval_request" not in kinds  # readOnlyHint: never asks
    output = next(i for i in client.prompts[1].input if isinstance(i, FunctionCallOutput))
    assert json.loads(output.output)["timezone"] == "Asia/Tokyo"

    block = next(b for b in transcript.state()["blocks"] if b["kind"] == "tool")
    assert (block["server"], block["tool"], block["status"]) == ("time", "get_current_time", "ok")
    assert json.loads(block["arguments"]) == {"timezone": "Asia/Tokyo"} and "Asia/Tokyo" in block["output"]

    views = {v.name: v for v in session.mcp.views()}
    assert views["time"].state == "ready" and views["time"].tools == ["get_current_time"]
    assert views["time"].sandboxed == probe_mechanism().mechanism and views["off"].state == "disabled"
    pids = _server_pids(tmp_path)
    assert pids, "the server runs"
    await session.shutdown()
    assert _server_pids(tmp_path) == []


def _server_pids(tmp_path: Path) -> list[str]:
    out = subprocess.run(["pgrep", "-f", TIME_SERVER], capture_output=True, text=True).stdout.split()
    return [pid for pid in out if Path(f"/proc/{pid}/cwd").exists() and str(tmp_path) in _cwd(pid)]


def _cwd(pid: str) -> str:
    try:
        return str(Path(f"/proc/{pid}/cwd").resolve())
    except OSError:
        return ""


async def test_a_server_that_fails_is_reported_once_and_the_turn_goes_on(tmp_path):
    session, client = make(tmp_path, f'[mcp_servers.bad]\ncommand = "{tmp_path}/missing"\n', [text_reply("fine")])
    stream = session.events()
    session.submit(ops.text_turn("hi"))
    events = await collect_until(stream, {"task_complete"}, timeout=60)
    failed = [e.msg for e in events if e.msg.type == "mcp_startup_update" and e.msg.status.state == "failed"]
    assert len(failed) == 1 and failed[0].status.error
    warnings = [e.msg.message for e in events if e.msg.type == "warning"]
    assert len(warnings) == 1 and "'bad'" in warnings[0]
    assert events[-1].msg.last_agent_message == "fine"
    assert not [t for t in client.prompts[0].tools if t["name"].startswith("mcp__")]
    await session.shutdown()


def test_a_session_without_servers_imports_nothing_of_mcp(tmp_path):
    code = (
        "import asyncio, sys\n"
        "from agent.client.scripted import ScriptedModelClient\n"
        "from agent.core.config import CliOverrides, load_config\n"
        "from agent.core.session import Session\n"
        f"c = load_config(CliOverrides(cwd={str(tmp_path)!r}), home={str(tmp_path / 'h')!r}, env={{}})\n"
        "async def main():\n"
        "    s = Session(c, ScriptedModelClient([]))\n"
        "    await s.shutdown()\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m.startswith(('mcp', 'agent.tools.mcp', 'agent.core.mcp_connections'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


async def test_secret_values_of_a_servers_env_are_redacted_from_events(tmp_path):
    from agent.core.factory import open_session
    from agent.protocol import events as ev

    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    token = "tok-0123456789abcdefXYZ"
    (home / "config.toml").write_text(f'[mcp_servers.gh]\ncommand = "x"\nenabled = false\nenv = {{ GITHUB_TOKEN = "{token}", MODE = "plain-value-1" }}\n')
    config = load_config(CliOverrides(cwd=str(work)), home=home, env={})
    session = open_session(config, env={"OPENAI_API_KEY": "sk-test-0123456789abcdefghij"})
    stream = session.events()
    await session.emit("1", ev.Warning(message=f"server said {token} in plain-value-1"))
    events = await collect_until(stream, {"warning"})
    assert token not in events[-1].msg.message
    assert "plain-value-1" in events[-1].msg.message  # not secret-named: kept
    await session.shutdown()
