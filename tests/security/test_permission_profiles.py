"""Codex permission profiles (`default_permissions`, `[permissions.<name>]`) enforced for real.

End to end through `kernel-agent exec --json` (the scripted model plays a prompt-injected
model) on the real sandbox. Invariants:
* a "none" path is unreadable and unwritable by commands (bubblewrap) and by the
  in-process tools (read_file, grep_files, apply_patch), wherever it is (inside the
  workspace or outside); a control file next to it stays readable;
* a "write" root outside the cwd is writable, a sibling of it is not, and on a
  `:read-only` base the cwd itself stays read-only;
* on Landlock, which cannot hide a path, a profile with "none" entries refuses to start
  (one line naming the path and the mechanism); the same profile without them starts;
* `[network] enabled = false` blocks a loopback connect; `true` allows it (bubblewrap).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from agent.core.config.permissions import resolve_permissions
from agent.exec.env import command_env
from agent.exec.runner import run_command
from agent.exec.sandbox import network_disabled, sandboxed_argv
from tests.exec.conftest import python_argv, sandbox_info
from tests.scripted_server import ToolCall

from .conftest import bash

SECRET = "DENIED-PROFILE-CONTENT-7f3a"
PATCH_ADD = "*** Begin Patch\n*** Add File: {name}\n+pwned\n*** End Patch\n"


def profile(body: str, name: str = "data") -> str:
    return f'default_permissions = "{name}"\n[permissions.{name}]\n{body}'


def _plant(agent) -> Path:
    """The workspace's `secrets/token.txt` and a control file; an outside denied file."""
    agent.work.mkdir(parents=True, exist_ok=True)
    (agent.work / "secrets").mkdir()
    (agent.work / "secrets" / "token.txt").write_text(f"{SECRET}\n")
    (agent.work / "control.txt").write_text("control text\n")
    (agent.outside / "denied.txt").write_text(f"{SECRET}-outside\n")
    return agent.outside / "denied.txt"


DENYING = ('extends = ":workspace"\n[permissions.data.filesystem]\n'
           '"${cwd}/secrets" = "none"\n')


def test_denied_paths_are_refused_to_commands_and_file_tools(agent):
    """bubblewrap: `cat` of the denied workspace folder and of a denied file outside gets
    nothing, writing into the denied folder fails; read_file and grep_files refuse them,
    apply_patch is rejected outright. Controls: the file next to them is read by `cat`
    and read_file, grep finds it, and a patch to an ordinary file applies."""
    agent.mechanism = "bubblewrap"
    sandbox_info("bubblewrap")
    outside_file = _plant(agent)
    agent.config_extra = profile(DENYING + f'"{outside_file}" = "none"\n')
    script = (f"cat secrets/token.txt; cat {outside_file}; echo x > secrets/new.txt; ls secrets; "
              "cat control.txt && echo CONTROL-OK")
    result = agent.run(tool_calls=[
        bash(script),
        ToolCall("read_file", {"file_path": str(agent.work / "secrets" / "token.txt")}),
        ToolCall("read_file", {"file_path": str(outside_file)}),
        ToolCall("grep_files", {"pattern": "DENIED-PROFILE|control text", "path": str(agent.work)}),
        ToolCall("apply_patch", {"input": PATCH_ADD.format(name="secrets/planted.txt")}),
        ToolCall("read_file", {"file_path": str(agent.work / "control.txt")}),
        ToolCall("apply_patch", {"input": PATCH_ADD.format(name="notes.txt")}),
    ])
    assert result.proc.returncode == 0, result.proc.stderr
    outputs = agent.tool_outputs()
    assert "CONTROL-OK" in outputs["call_0"] and "control text" in outputs["call_0"], outputs["call_0"]
    assert SECRET not in agent.model_input_text(), outputs
    assert "protected path" in outputs["call_1"] and "protected path" in outputs["call_2"]
    assert "control.txt" in outputs["call_3"] and "token.txt" not in outputs["call_3"], outputs["call_3"]
    assert "patch rejected" in agent.output_of("call_4") and not (agent.work / "secrets" / "planted.txt").exists()
    assert "control text" in outputs["call_5"]
    assert (agent.work / "notes.txt").read_text() == "pwned\n"
    assert sorted(p.name for p in (agent.work / "secrets").iterdir()) == ["token.txt"]


def test_a_symlink_into_a_denied_path_reads_nothing(agent):
    """Attack: the model plants `link -> secrets/token.txt` (and a link to the denied file
    outside) with a command, then reads through the links with `cat` and read_file.
    Control: a link to the ordinary file next to them reads normally both ways."""
    agent.mechanism = "bubblewrap"
    sandbox_info("bubblewrap")
    outside_file = _plant(agent)
    agent.config_extra = profile(DENYING + f'"{outside_file}" = "none"\n')
    script = (f"ln -s secrets/token.txt link; ln -s {outside_file} outlink; ln -s control.txt ok_link; "
              "cat link; cat outlink; cat ok_link && echo CONTROL-OK")
    result = agent.run(tool_calls=[
        bash(script),
        ToolCall("read_file", {"file_path": str(agent.work / "link")}),
        ToolCall("read_file", {"file_path": str(agent.work / "outlink")}),
        ToolCall("read_file", {"file_path": str(agent.work / "ok_link")}),
    ])
    assert result.proc.returncode == 0, result.proc.stderr
    outputs = agent.tool_outputs()
    assert "CONTROL-OK" in outputs["call_0"] and "control text" in outputs["call_0"], outputs["call_0"]
    assert SECRET not in agent.model_input_text(), outputs
    assert "protected path" in outputs["call_1"] and "protected path" in outputs["call_2"], outputs
    assert "control text" in outputs["call_3"]


def test_landlock_refuses_a_profile_it_cannot_enforce(agent):
    """Landlock can only grant: a "none" entry can't be hidden, so the session does not
    start, and says why in one line. Control: the profile without it starts and runs."""
    sandbox_info("landlock")
    agent.mechanism = "landlock"
    _plant(agent)
    agent.config_extra = profile(DENYING)
    refused = agent.run(tool_calls=[bash("cat secrets/token.txt")])
    assert refused.proc.returncode != 0
    error = refused.proc.stderr.strip().splitlines()[-1]
    assert "permission profile 'data' denies" in error and str(agent.work / "secrets") in error, refused.proc.stderr
    assert "Landlock" in error and "Traceback" not in refused.proc.stderr
    assert SECRET not in refused.proc.stdout
    assert not [p for p in (agent.home / "sessions").rglob("*") if p.is_file()], "a refused session was recorded"
    agent.server.clear()  # the refused session asked for nothing: drop its scripted replies
    agent.config_extra = profile('extends = ":workspace"\n')
    started = agent.run(tool_calls=[bash("cat control.txt && echo CONTROL-OK")])
    assert started.proc.returncode == 0, started.proc.stderr
    assert "CONTROL-OK" in agent.tool_outputs()["call_0"]


@pytest.mark.parametrize("mechanism", ["bubblewrap", "landlock"])
def test_write_root_outside_the_cwd_on_a_read_only_base(agent, mechanism):
    """`:read-only` + one "write" path: that path is writable, its sibling and the cwd are
    not (Codex grants only the listed paths). Control: reading the cwd works."""
    sandbox_info(mechanism)
    agent.mechanism = mechanism
    agent.work.mkdir(parents=True, exist_ok=True)
    (agent.work / "control.txt").write_text("control text\n")
    granted, sibling = agent.outside / "granted", agent.outside / "sibling"
    granted.mkdir()
    sibling.mkdir()
    agent.config_extra = profile(f'[permissions.data.filesystem]\n"{granted}" = "write"\n')
    script = (f"echo ok > {granted}/made.txt; echo x > {sibling}/made.txt; echo x > cwd-made.txt; "
              "cat control.txt")
    result = agent.run(tool_calls=[bash(script)])
    assert result.proc.returncode == 0, result.proc.stderr
    assert (granted / "made.txt").read_text() == "ok\n"
    assert not (sibling / "made.txt").exists()
    assert not (agent.work / "cwd-made.txt").exists()
    assert "control text" in agent.tool_outputs()["call_0"]


@pytest.mark.parametrize("mechanism", ["bubblewrap", "landlock"])
def test_builtin_read_only_cannot_write_the_cwd(agent, mechanism):
    sandbox_info(mechanism)
    agent.mechanism = mechanism
    agent.work.mkdir(parents=True, exist_ok=True)
    (agent.work / "control.txt").write_text("control text\n")
    agent.config_extra = 'default_permissions = ":read-only"'
    result = agent.run(tool_calls=[bash("echo x > made.txt; cat control.txt")])
    assert result.proc.returncode == 0, result.proc.stderr
    assert not (agent.work / "made.txt").exists()
    assert "control text" in agent.tool_outputs()["call_0"]


@pytest.fixture
def tcp_listener():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


CONNECT = ("import socket,sys\n"
           "try:\n    socket.create_connection(('127.0.0.1', {port}), timeout=3).close()\n"
           "except OSError as e:\n    print('connect failed:', e); sys.exit(3)\n"
           "print('connected')\n")


class _Table:
    """A `[permissions.<name>]` table as pydantic gives it (just the fields used)."""

    def __init__(self, enabled: bool):
        from agent.core.config.file_schema import PermissionNetworkToml, PermissionProfileToml

        self.table = PermissionProfileToml(extends=":workspace", network=PermissionNetworkToml(enabled=enabled))


@pytest.mark.parametrize("enabled", [False, True])
async def test_profile_network_switch(tmp_path, tcp_listener, enabled):
    """bubblewrap: `enabled = false` blocks a loopback connect to the host; `true` (the
    control) lets it through."""
    info = sandbox_info("bubblewrap")
    policy = resolve_permissions("net", None, {"net": _Table(enabled).table}, tmp_path, os.environ).policy
    env = command_env(os.environ, network_disabled=network_disabled(policy))
    argv = sandboxed_argv(python_argv(CONNECT.format(port=tcp_listener)), policy, tmp_path, env, info)
    result = await run_command(argv, cwd=tmp_path, env=env, timeout_ms=20_000)
    if enabled:
        assert result.exit_code == 0 and result.stdout.strip() == "connected", result.aggregated_output
    else:
        assert result.exit_code == 3 and "connect failed" in result.stdout, result.aggregated_output
