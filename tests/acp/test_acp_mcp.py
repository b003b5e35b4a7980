"""`kernel-agent acp` with MCP servers passed by the client (session/new `mcpServers`)
and the slash commands it announces; the real CLI, the scripted model, real MCP servers
(the stdio fault server, mcp-server-time, the `mcp` SDK's HTTP server on 127.0.0.1)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from acp import PROTOCOL_VERSION, RequestError, text_block
from acp.schema import EnvVariable, HttpHeader, HttpMcpServer, McpServerStdio, SseMcpServer

from tests.acp.client import RecordingClient, acp_agent
from tests.acp.test_acp_protocol import home_for, shell
from tests.cli.test_exec import KEY
from tests.scripted_server import Reply, ToolCall
from tests.tools.mcp.test_mcp_http import TOKEN, Recorder, sdk_app, serve

pytestmark = pytest.mark.timeout(90)
FAULT_SERVER = str(Path(__file__).parents[1] / "mcp_fault_server.py")
TIME_SERVER = str(Path(sys.executable).parent / "mcp-server-time")


def faults(name: str = "faults", **env: str) -> McpServerStdio:
    return McpServerStdio(name=name, command=sys.executable, args=[FAULT_SERVER, "ok"],
                          env=[EnvVariable(name=k, value=v) for k, v in env.items()])


async def test_a_client_server_is_started_and_its_tools_answer(tmp_path, server, work):
    server.enqueue(Reply(tool_calls=[ToolCall("mcp__faults__echo", {"text": "hi from mcp"}, "call_echo"),
                                     ToolCall("mcp__faults__env", {}, "call_env")]), Reply(text="Echoed."))
    client, log = RecordingClient(), tmp_path / "stderr.log"
    web = SseMcpServer(name="web", url="http://127.0.0.1:9/sse", headers=[], type="sse")
    async with acp_agent(home_for(tmp_path, server.url), client, log) as conn:
        init = await conn.initialize(protocol_version=PROTOCOL_VERSION)
        assert init.agent_capabilities.mcp_capabilities.http and not init.agent_capabilities.mcp_capabilities.sse
        new = await conn.new_session(cwd=str(work), mcp_servers=[faults(GREETING="hello"), web])
        answer = await conn.prompt(session_id=new.session_id, prompt=[text_block("echo it")])
    assert answer.stop_reason == "end_turn"
    first, second = (r.json for r in server.requests)
    tools = {t["name"] for t in first["tools"]}
    assert {"mcp__faults__echo", "mcp__faults__env"} <= tools
    assert not [t for t in tools if t.startswith("mcp__web")]
    outputs = {i["call_id"]: i["output"] for i in second["input"] if i.get("type") == "function_call_output"}
    assert "hi from mcp" in outputs["call_echo"]
    env = json.loads(json.loads(outputs["call_env"])[0]["text"])  # content blocks; the text is the JSON env
    assert env["GREETING"] == "hello"
    assert "KERNEL_AGENT_HOME" not in env and "SCRIPTED_API_KEY" not in env  # only the given table
    asked = {t.tool_call_id: t for t, _ in client.permissions}
    assert (asked["call_echo"].kind, asked["call_echo"].title) == ("other", "faults: echo")
    assert asked["call_echo"].raw_input == {"server": "faults", "tool": "echo", "arguments": {"text": "hi from mcp"}}
    starts = {u.tool_call_id: u for u in client.of("tool_call")}
    assert (starts["call_echo"].kind, starts["call_echo"].title) == ("other", "faults: echo")
    done = [u for u in client.of("tool_call_update") if u.tool_call_id == "call_echo"]
    assert done[-1].status == "completed" and "hi from mcp" in done[-1].content[0].content.text
    text = log.read_text()
    assert "MCP server 'web' from the client is not used: SSE servers are not supported" in text
    assert KEY not in text


async def test_a_client_http_server_with_its_headers(tmp_path, server, work):
    recorder = Recorder(sdk_app())
    server.enqueue(Reply(tool_calls=[ToolCall("mcp__web__echo", {"text": "over http"}, "call_web")]), Reply(text="ok"))
    client = RecordingClient()
    for url in serve(recorder):
        web = HttpMcpServer(name="web", url=url, type="http", headers=[HttpHeader(name="Authorization", value=f"Bearer {TOKEN}")])
        async with acp_agent(home_for(tmp_path, server.url), client, tmp_path / "e.log") as conn:
            await conn.initialize(protocol_version=PROTOCOL_VERSION)
            new = await conn.new_session(cwd=str(work), mcp_servers=[web])
            await conn.prompt(session_id=new.session_id, prompt=[text_block("echo over http")])
    outputs = [i["output"] for i in server.requests[1].json["input"] if i.get("type") == "function_call_output"]
    assert outputs and "echo: over http" in outputs[0]
    assert recorder.seen and all(h.get("authorization") == f"Bearer {TOKEN}" for _, h in recorder.seen)
    assert TOKEN not in json.dumps([r.json for r in server.requests])  # the header never reaches the model


async def test_config_toml_wins_a_name_clash(tmp_path, server, work):
    server.enqueue(Reply(text="ok"))
    config = f'[mcp_servers.time]\ncommand = "{TIME_SERVER}"\nargs = ["--local-timezone", "UTC"]\n'
    client, log = RecordingClient(), tmp_path / "stderr.log"
    home = home_for(tmp_path, server.url)
    with (home / "config.toml").open("a") as f:
        f.write("\n" + config)
    async with acp_agent(home, client, log) as conn:
        await conn.initialize(protocol_version=PROTOCOL_VERSION)
        new = await conn.new_session(cwd=str(work), mcp_servers=[faults("time")])
        await conn.prompt(session_id=new.session_id, prompt=[text_block("what time is it?")])
    tools = {t["name"] for t in server.requests[0].json["tools"]}
    assert "mcp__time__get_current_time" in tools and "mcp__time__echo" not in tools
    assert "MCP server 'time' from the client is not used: config.toml has a server of that name" in log.read_text()


async def test_bad_server_names_are_json_rpc_errors(tmp_path, server, work):
    server.enqueue(Reply(text="still serving"))
    client = RecordingClient()
    async with acp_agent(home_for(tmp_path, server.url), client, tmp_path / "e.log") as conn:
        await conn.initialize(protocol_version=PROTOCOL_VERSION)
        for bad in ([faults(" ")], [faults("x"), faults("x")]):
            with pytest.raises(RequestError) as err:
                await conn.new_session(cwd=str(work), mcp_servers=bad)
            assert "MCP server name" in str(err.value.data)
        with pytest.raises(RequestError) as err:
            await conn.new_session(cwd=str(work), mcp_servers=[
                HttpMcpServer(name="web", url="file:///etc/passwd", headers=[], type="http")])
        assert "invalid url" in str(err.value.data)
        new = await conn.new_session(cwd=str(work), mcp_servers=[])
        answer = await conn.prompt(session_id=new.session_id, prompt=[text_block("hi")])
    assert answer.stop_reason == "end_turn" and client.text("agent_message_chunk") == "still serving"


async def test_names_real_clients_use_are_made_tool_safe(tmp_path, server, work):
    """Jupyter AI passes its own server as "Jupyter MCP Server": the session starts, and
    the tools are named from "Jupyter_MCP_Server" (a clash gets a suffix)."""
    server.enqueue(Reply(text="ok"))
    client = RecordingClient()
    log = tmp_path / "e.log"
    async with acp_agent(home_for(tmp_path, server.url), client, log) as conn:
        await conn.initialize(protocol_version=PROTOCOL_VERSION)
        new = await conn.new_session(cwd=str(work), mcp_servers=[faults("Jupyter MCP Server"), faults("Jupyter.MCP.Server")])
        await conn.prompt(session_id=new.session_id, prompt=[text_block("hi")])
    tools = {t["name"] for t in server.requests[0].json["tools"]}
    assert {"mcp__Jupyter_MCP_Server__echo", "mcp__Jupyter_MCP_Server_2__echo"} <= tools
    assert "MCP server 'Jupyter MCP Server' from the client is called 'Jupyter_MCP_Server' here" in log.read_text()


async def test_commands_are_announced_and_undo_rolls_back_a_turn(tmp_path, server, work):
    server.enqueue(Reply(tool_calls=[shell("echo made > made.txt", "call_make")]), Reply(text="Made it."))
    client = RecordingClient()
    async with acp_agent(home_for(tmp_path, server.url), client, tmp_path / "e.log") as conn:
        await conn.initialize(protocol_version=PROTOCOL_VERSION)
        new = await conn.new_session(cwd=str(work), mcp_servers=[])
        announced = await client.wait_for("available_commands_update")
        assert [c.name for c in announced.available_commands] == ["undo", "compact"]
        await conn.prompt(session_id=new.session_id, prompt=[text_block("make the file")])
        assert (work / "made.txt").exists()
        answer = await conn.prompt(session_id=new.session_id, prompt=[text_block("/undo")])
    assert answer.stop_reason == "end_turn"
    assert not (work / "made.txt").exists()
    assert len(server.requests) == 2  # /undo never reached the model
    assert client.text("agent_message_chunk") != "Made it."  # the undo's message followed
