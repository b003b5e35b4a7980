"""A stdio MCP server runs sandboxed by default and sees only the environment it is given."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from agent.exec.sandbox import probe_mechanism
from agent.protocol.policy import DangerFullAccess, ReadOnly

from .conftest import fault
from .test_mcp_faults import text_of

needs_sandbox = pytest.mark.skipif(probe_mechanism().mechanism == "none", reason="no sandbox mechanism here")


@needs_sandbox
async def test_a_sandboxed_server_writes_only_inside_the_workspace(start, work: Path, tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    run = await start(fault(sandbox=True))
    assert run.status("fault").sandboxed == probe_mechanism().mechanism
    call = run.manager.call_tool
    assert text_of(await call("fault", "write_file", {"path": str(work / "inside.txt")})) == "written"
    assert (work / "inside.txt").read_text() == "from the MCP server\n"
    refused = text_of(await call("fault", "write_file", {"path": str(outside / "escape.txt")}))
    assert refused in ("errno EROFS", "errno EACCES", "errno EPERM")
    assert not (outside / "escape.txt").exists()
    env = json.loads(text_of(await call("fault", "env", {})))
    assert text_of(await call("fault", "write_file", {"path": env["TMPDIR"] + "/scratch"})) == "written"
    assert env["KERNEL_AGENT_SANDBOX_NETWORK_DISABLED"] == "1"


@needs_sandbox
async def test_a_read_only_session_leaves_the_server_only_its_temporary_directory(start, work: Path):
    run = await start(fault(sandbox=True), policy=ReadOnly())
    assert run.status("fault").sandboxed.endswith("(read-only)")
    refused = text_of(await run.manager.call_tool("fault", "write_file", {"path": str(work / "x.txt")}))
    assert refused.startswith("errno") and not (work / "x.txt").exists()


async def test_sandbox_false_and_full_access_run_unsandboxed(start, tmp_path: Path):
    target = tmp_path / "outside.txt"
    run = await start(fault(sandbox=False))
    assert run.status("fault").sandboxed == "none (sandbox = false)"
    assert text_of(await run.manager.call_tool("fault", "write_file", {"path": str(target)})) == "written"
    full = await start(fault(sandbox=True), policy=DangerFullAccess())
    assert full.status("fault").sandboxed == "none (sandbox_mode = danger-full-access)"


@pytest.mark.parametrize("sandbox", [False, pytest.param(True, marks=needs_sandbox)])
async def test_kernel_secrets_reach_a_server_only_through_its_env_table(start, monkeypatch, sandbox: bool):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-kernel-secret")
    monkeypatch.setenv("KERNEL_AGENT_TEST_PASSED", "passed-through")
    monkeypatch.setenv("LANG", "C.UTF-8")
    config = fault(sandbox=sandbox, env=(("SERVER_TOKEN", "given"),), env_vars=("KERNEL_AGENT_TEST_PASSED",))
    run = await start(config)
    env = json.loads(text_of(await run.manager.call_tool("fault", "env", {})))
    assert "sk-kernel-secret" not in json.dumps(env)
    assert env["SERVER_TOKEN"] == "given" and env["KERNEL_AGENT_TEST_PASSED"] == "passed-through"
    assert env["LANG"] == "C.UTF-8"
    allowed = {"HOME", "LOGNAME", "PATH", "SHELL", "USER", "LANG", "LC_ALL", "TERM", "TMPDIR", "TZ", "SERVER_TOKEN",
               "KERNEL_AGENT_TEST_PASSED", "KERNEL_AGENT_SANDBOX_NETWORK_DISABLED", "CODEX_SANDBOX_NETWORK_DISABLED"}
    assert set(env) - allowed <= {"LC_CTYPE", "PWD"}  # what the interpreter / bwrap add themselves


@needs_sandbox
async def test_the_real_time_server_starts_sandboxed_lists_and_answers(start):
    from agent.tools.mcp.server_config import McpServerConfig

    config = McpServerConfig(name="time", command=sys.executable, args=("-m", "mcp_server_time", "--local-timezone", "UTC"))
    run = await start(config)
    status = run.status("time")
    assert status.state == "ready", status.error
    assert status.sandboxed == probe_mechanism().mechanism
    assert "get_current_time" in {t.name for t in status.tools}
    result = await run.manager.call_tool("time", "get_current_time", {"timezone": "Europe/Paris"})
    assert result.is_error is False
    data = json.loads(text_of(result))
    assert data["timezone"] == "Europe/Paris" and "datetime" in data
    bad = await run.manager.call_tool("time", "get_current_time", {"timezone": "Not/AZone"})
    assert bad.is_error is True


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("sandbox", [False, pytest.param(True, marks=needs_sandbox)])
async def test_close_leaves_no_server_process_behind(start, sandbox: bool, tmp_path: Path):
    import asyncio
    import uuid

    marker = f"mcp-close-{uuid.uuid4().hex}"
    config = fault(sandbox=sandbox)
    run = await start(type(config)(**{**config.__dict__, "args": (*config.args, marker)}))
    assert run.status("fault").state == "ready" and _processes_with(marker)
    await run.manager.close()
    for _ in range(500):  # the sandbox's processes die with bwrap, asynchronously
        if not _processes_with(marker):
            break
        await asyncio.sleep(0.01)
    assert _processes_with(marker) == []
