"""The stdio MCP client against the project's scripted fault server (tests/mcp_fault_server.py)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from agent.protocol.policy import WorkspaceWrite
from agent.tools.mcp.manager import MAX_RESTARTS, McpError, McpManager, ServerStatus
from agent.tools.mcp.server_config import McpServerConfig

from .conftest import fault


def text_of(result) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


async def test_start_lists_every_page_and_calls_a_tool(start):
    run = await start(fault())
    assert [(u.state, len(u.tools)) for u in run.updates] == [("starting", 0), ("ready", 12)]
    status = run.status("fault")
    assert status.error is None and status.sandboxed == "none (sandbox = false)"
    assert {t.name for t in status.tools} >= {"echo", "crash", "env"}
    result = await run.manager.call_tool("fault", "echo", {"text": "hello"})
    assert text_of(result) == "hello" and result.is_error is False


async def test_tool_filters_apply_to_the_list_and_to_calls(start):
    run = await start(fault(enabled_tools=("echo", "env", "crash"), disabled_tools=("crash",)))
    assert sorted(t.name for t in run.status("fault").tools) == ["echo", "env"]
    with pytest.raises(McpError, match="has no tool 'crash'"):
        await run.manager.call_tool("fault", "crash", {})
    with pytest.raises(McpError, match="unknown MCP server 'nope'"):
        await run.manager.call_tool("nope", "echo", {})


async def test_a_server_that_exits_at_start_is_reported_once_with_its_reason(start):
    run = await start(fault("crash-on-start"), fault(name="good"))
    assert [u.state for u in run.updates if u.name == "fault"] == ["starting", "failed"]
    error = run.status("fault").error
    assert error.startswith("MCP server fault failed to start: ") and "\n" not in error
    assert "exited (code 3)" in error and "cannot start, no config" in error
    assert run.status("fault").tools == [] and run.status("good").state == "ready"
    with pytest.raises(McpError, match="failed to start"):
        await run.manager.call_tool("fault", "echo", {})


async def test_a_server_that_never_answers_fails_at_its_startup_timeout(start):
    run = await start(fault("hang", startup_timeout_sec=0.5))
    assert run.status("fault").state == "failed"
    assert run.status("fault").error == "MCP server fault failed to start: no answer within 0.5 s"


async def test_an_unknown_protocol_version_or_command_fails_the_start(start):
    missing = McpServerConfig(name="missing", command="/nonexistent/mcp-server", sandbox=False)
    run = await start(fault("old-protocol"), missing)
    assert "speaks protocol version '1999-01-01'" in run.status("fault").error
    assert run.status("missing").error.startswith("MCP server missing failed to start: could not start")


async def test_cancelling_the_start_reports_cancelled(work):
    manager = McpManager([fault("hang")], cwd=work, sandbox_policy=WorkspaceWrite(), mechanism="none")
    updates: list[ServerStatus] = []
    task = asyncio.ensure_future(manager.start(updates.append))
    while not updates:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [u.state for u in updates] == ["starting", "cancelled"]
    await manager.close()


async def test_a_crash_mid_call_fails_the_call_and_the_server_restarts_at_most_three_times(start):
    run = await start(fault())
    for attempt in range(MAX_RESTARTS + 1):
        with pytest.raises(McpError) as info:
            await run.manager.call_tool("fault", "crash", {})
        assert "MCP server fault exited (code 7): fault server: crashing on purpose" in str(info.value)
        if attempt < MAX_RESTARTS:
            assert text_of(await run.manager.call_tool("fault", "echo", {"text": f"back {attempt}"})) == f"back {attempt}"
    with pytest.raises(McpError, match="already restarted 3 times"):
        await run.manager.call_tool("fault", "echo", {"text": "again"})


async def test_a_timeout_cancels_the_request_on_the_server(start):
    run = await start(fault())
    with pytest.raises(McpError, match=r"^MCP server fault: tools/call timed out after 0.3 s$"):
        await run.manager.call_tool("fault", "hang", {}, timeout_s=0.3)
    cancelled = json.loads(text_of(await run.manager.call_tool("fault", "cancelled", {})))
    assert len(cancelled) == 1 and isinstance(cancelled[0], int)


async def test_cancelling_the_caller_sends_notifications_cancelled(start):
    run = await start(fault())
    task = asyncio.ensure_future(run.manager.call_tool("fault", "hang", {}))
    conn = run.manager._servers["fault"].conn
    while not conn._pending:
        await asyncio.sleep(0.01)
    (rid,) = conn._pending
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    cancelled = json.loads(text_of(await run.manager.call_tool("fault", "cancelled", {})))
    assert cancelled == [rid]


async def test_malformed_json_drops_the_connection_and_the_next_use_restarts(start):
    run = await start(fault())
    first = run.manager._servers["fault"].conn.pid
    with pytest.raises(McpError, match=r"^MCP server fault: sent malformed JSON \(.*\); connection closed$"):
        await run.manager.call_tool("fault", "malformed", {})
    assert text_of(await run.manager.call_tool("fault", "echo", {"text": "ok"})) == "ok"
    assert run.manager._servers["fault"].conn.pid != first


async def test_a_line_over_16_mib_drops_the_connection(start):
    run = await start(fault())
    with pytest.raises(McpError, match="sent a message longer than 16 MiB; connection closed"):
        await run.manager.call_tool("fault", "huge", {"mib": 17})
    assert not run.manager._servers["fault"].conn.alive


async def test_an_unusable_response_id_is_ignored_and_deep_nesting_drops_the_connection(start):
    run = await start(fault())
    assert text_of(await run.manager.call_tool("fault", "bad_id", {})) == "fine"
    with pytest.raises(McpError, match=r"sent malformed JSON \(RecursionError"):
        await run.manager.call_tool("fault", "deep", {})


async def test_the_servers_env_values_are_redacted_from_errors(start):
    run = await start(fault(env=(("SERVER_TOKEN", "tok-1234567890"),)))
    with pytest.raises(McpError) as info:
        await run.manager.call_tool("fault", "leak", {})
    assert str(info.value) == "MCP server fault: tools/call failed: bad token [REDACTED] (code -32000)"


async def test_without_mcp_types_a_server_fails_with_how_to_install(start, monkeypatch):
    monkeypatch.setitem(sys.modules, "mcp_types", None)
    run = await start(fault())
    assert run.status("fault").error == ("MCP server fault failed to start: MCP servers need the mcp-types package: "
                                         "pip install 'kernel-agent[mcp]'")


async def test_requests_from_the_server_get_not_supported_except_ping(start):
    run = await start(fault())
    replies = json.loads(text_of(await run.manager.call_tool("fault", "ask_client", {})))
    assert replies["roots"]["error"]["code"] == -32601
    assert "roots/list is not supported" in replies["roots"]["error"]["message"]
    assert replies["ping"] == {"jsonrpc": "2.0", "id": "s2", "result": {}}


async def test_close_kills_the_servers_and_is_idempotent(start):
    run = await start(fault(), fault(name="second"))
    pids = [run.manager._servers[n].conn.pid for n in ("fault", "second")]
    await run.manager.close()
    await run.manager.close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    with pytest.raises(McpError, match="unknown MCP server"):
        await run.manager.call_tool("fault", "echo", {})


def test_importing_agent_does_not_import_mcp(tmp_path: Path):
    import subprocess

    code = "import agent, sys; print([m for m in sys.modules if 'mcp' in m])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
