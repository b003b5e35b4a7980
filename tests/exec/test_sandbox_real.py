"""Real commands under the real sandbox, for every mechanism this machine has.

The strict policy (`STRICT`) excludes /tmp and $TMPDIR, so the only writable place is
the workspace; `outside` is a sibling directory under the same pytest tmp dir.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import stat
import time
from pathlib import Path

import pytest

from agent.exec.env import command_env
from agent.exec.runner import ExecResult, run_command
from agent.exec.sandbox import SandboxInfo, network_disabled, sandboxed_argv
from agent.protocol.policy import DangerFullAccess, ReadOnly, WorkspaceWrite

from .conftest import live_sleepers, marker_seconds, python_argv, sleepers_gone

STRICT = WorkspaceWrite(exclude_slash_tmp=True, exclude_tmpdir_env_var=True)
STRICT_NET = WorkspaceWrite(exclude_slash_tmp=True, exclude_tmpdir_env_var=True, network_access=True)


async def sandboxed(info: SandboxInfo, cmd: str | list[str], cwd: Path, policy=STRICT, timeout_ms: int = 20_000,
                    **kwargs) -> ExecResult:
    env = command_env(os.environ, network_disabled=network_disabled(policy))
    argv = ["sh", "-c", cmd] if isinstance(cmd, str) else cmd
    wrapped = sandboxed_argv(argv, policy, cwd, env, info)
    return await run_command(wrapped, cwd=cwd, env=env, timeout_ms=timeout_ms, **kwargs)


async def test_write_inside_workspace_succeeds(mechanism, workspace):
    result = await sandboxed(mechanism, "echo hi > made.txt && mkdir sub && mv made.txt sub/moved.txt", workspace)
    assert result.exit_code == 0, result.aggregated_output
    assert (workspace / "sub" / "moved.txt").read_text() == "hi\n"


async def test_writes_outside_workspace_fail(mechanism, workspace, outside):
    for cmd in [
        f"echo x > {outside}/new.txt",
        f"echo x >> {outside}/existing.txt",
        f"rm {outside}/existing.txt",
        f"mkdir {outside}/dir",
        f"touch {workspace}/f && mv {workspace}/f {outside}/f",
        f"truncate -s 0 {outside}/existing.txt",
    ]:
        result = await sandboxed(mechanism, cmd, workspace)
        assert result.exit_code != 0, (cmd, result.aggregated_output)
        lowered = result.aggregated_output.lower()
        assert "read-only file system" in lowered or "permission denied" in lowered, (cmd, result.aggregated_output)
    assert sorted(p.name for p in outside.iterdir()) == ["existing.txt"]
    assert (outside / "existing.txt").read_text() == "original\n"


async def test_reads_outside_workspace_work(mechanism, workspace, outside):
    result = await sandboxed(mechanism, f"cat {outside}/existing.txt && ls /usr/bin >/dev/null", workspace)
    assert result.exit_code == 0 and result.stdout == "original\n", result.aggregated_output


async def test_default_policy_allows_tmp(mechanism, workspace, outside):
    """workspace-write lets commands write /tmp (Codex's default), and the real /tmp is used."""
    result = await sandboxed(mechanism, f"echo t > {outside}/via-tmp.txt", workspace, policy=WorkspaceWrite())
    assert result.exit_code == 0, result.aggregated_output
    assert (outside / "via-tmp.txt").read_text() == "t\n"


async def test_extra_writable_root(mechanism, workspace, outside):
    policy = WorkspaceWrite(writable_roots=(str(outside),), exclude_slash_tmp=True, exclude_tmpdir_env_var=True)
    result = await sandboxed(mechanism, f"echo r > {outside}/root.txt", workspace, policy=policy)
    assert result.exit_code == 0, result.aggregated_output


async def test_read_only_policy(mechanism, workspace):
    result = await sandboxed(mechanism, "echo x > /dev/null && touch inside", workspace, policy=ReadOnly())
    assert result.exit_code != 0
    assert not (workspace / "inside").exists()
    ok = await sandboxed(mechanism, "echo x > /dev/null && cat /etc/hostname >/dev/null", workspace, policy=ReadOnly())
    assert ok.exit_code == 0, ok.aggregated_output


async def test_dot_git_is_read_only_under_bubblewrap_and_writable_under_landlock(mechanism, workspace):
    """bubblewrap re-binds `<root>/.git` read-only after the writable binds.

    Landlock can only add rights beneath a path, never take them away for a subpath, so
    under the Landlock fallback `.git` inside the workspace stays writable (Codex v0.63's
    Linux sandbox has the same limitation). This test pins both behaviours.
    """
    (workspace / ".git").mkdir()
    (workspace / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    result = await sandboxed(mechanism, "touch .git/new && echo y >> .git/HEAD", workspace)
    beside = await sandboxed(mechanism, "touch next-to-git", workspace)
    assert beside.exit_code == 0, beside.aggregated_output
    if mechanism.mechanism == "bubblewrap":
        assert result.exit_code != 0
        assert "read-only file system" in result.aggregated_output.lower()
        assert not (workspace / ".git" / "new").exists()
        assert (workspace / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
        renamed = await sandboxed(mechanism, "mv .git moved-git", workspace)
        assert renamed.exit_code != 0 and (workspace / ".git").is_dir()
    else:
        assert result.exit_code == 0, result.aggregated_output
        assert (workspace / ".git" / "new").exists()


async def test_chmod_outside_workspace(mechanism, workspace, outside):
    """bubblewrap's read-only bind mount also blocks metadata changes (EROFS).

    Landlock (ABI <= 7) does not cover chmod/chown/utime/xattr (notes gotcha 3): the file
    here is owned by the user running the tests, so chmod succeeds under Landlock even
    though writing the file's content is denied. This test pins what really happens.
    """
    target = outside / "existing.txt"
    target.chmod(0o644)
    result = await sandboxed(mechanism, f"chmod 600 {target}", workspace)
    mode = stat.S_IMODE(target.stat().st_mode)
    if mechanism.mechanism == "bubblewrap":
        assert result.exit_code != 0 and "read-only file system" in result.aggregated_output.lower()
        assert mode == 0o644
    else:
        assert result.exit_code == 0, result.aggregated_output
        assert mode == 0o600
        denied = await sandboxed(mechanism, f"echo more >> {target}", workspace)
        assert denied.exit_code != 0


async def test_commands_have_no_capabilities(mechanism, workspace):
    result = await sandboxed(mechanism, "grep -E '^Cap(Eff|Prm|Amb)' /proc/self/status", workspace)
    assert result.exit_code == 0, result.aggregated_output
    values = {line.split(":")[0]: int(line.split(":")[1], 16) for line in result.stdout.splitlines()}
    assert values == {"CapPrm": 0, "CapEff": 0, "CapAmb": 0}


async def test_remount_read_write_fails(mechanism, workspace, outside):
    """Gotcha 5: as root without --cap-drop ALL, `mount -o remount,rw /` would re-open the host."""
    result = await sandboxed(mechanism, f"mount -o remount,bind,rw / ; echo x > {outside}/after-remount", workspace)
    assert result.exit_code != 0
    assert not (outside / "after-remount").exists()


@pytest.fixture
def tcp_listener():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


def connect_code(port: int) -> str:
    return (
        "import socket,sys\n"
        f"try:\n    socket.create_connection(('127.0.0.1', {port}), timeout=3).close()\n"
        "except OSError as e:\n    print('connect failed:', e); sys.exit(3)\n"
        "print('connected')\n"
    )


async def test_tcp_connect_denied_without_network(mechanism, workspace, tcp_listener):
    result = await sandboxed(mechanism, python_argv(connect_code(tcp_listener)), workspace)
    assert result.exit_code == 3, result.aggregated_output
    assert "connect failed" in result.stdout


async def test_tcp_connect_allowed_with_network(mechanism, workspace, tcp_listener):
    """With network_access, bubblewrap allows TCP; Landlock refuses network whatever the
    policy says, since it can't hide the Jupyter keys (sandbox.network_refusal)."""
    result = await sandboxed(mechanism, python_argv(connect_code(tcp_listener)), workspace, policy=STRICT_NET)
    if mechanism.mechanism == "landlock":
        assert result.exit_code == 3 and "connect failed" in result.stdout, result.aggregated_output
        return
    assert result.exit_code == 0, result.aggregated_output
    assert result.stdout.strip() == "connected"


async def test_network_marker_variables(mechanism, workspace):
    cmd = 'echo "$KERNEL_AGENT_SANDBOX_NETWORK_DISABLED/$CODEX_SANDBOX_NETWORK_DISABLED"'
    off = await sandboxed(mechanism, cmd, workspace)
    on = await sandboxed(mechanism, cmd, workspace, policy=STRICT_NET)
    assert (off.stdout, on.stdout) == ("1/1\n", "/\n")


async def test_udp_to_host_does_not_get_out(mechanism, workspace):
    """Landlock covers only TCP; the seccomp filter denies the UDP socket itself (EPERM).
    Under bubblewrap the datagram goes to the sandbox's private loopback, never the host's."""
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(0.5)
    port = receiver.getsockname()[1]
    code = (
        "import socket,sys\n"
        "try:\n"
        f"    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'leak', ('127.0.0.1', {port}))\n"
        "except OSError as e:\n    print('udp failed:', e.errno); sys.exit(3)\n"
        "print('sent')\n"
    )
    try:
        result = await sandboxed(mechanism, python_argv(code), workspace)
        if mechanism.mechanism == "landlock":
            assert result.exit_code == 3, result.aggregated_output
            assert result.stdout.strip() == "udp failed: 1"  # EPERM from the seccomp filter
        else:
            assert result.exit_code == 0, result.aggregated_output
        with pytest.raises(socket.timeout):
            receiver.recv(16)
    finally:
        receiver.close()


async def test_unix_socketpair_still_works(mechanism, workspace):
    code = "import socket\na, b = socket.socketpair()\na.send(b'ok')\nprint(b.recv(2).decode())\n"
    result = await sandboxed(mechanism, python_argv(code), workspace)
    assert result.exit_code == 0 and result.stdout == "ok\n", result.aggregated_output


async def test_signals_to_outside_processes_are_denied(mechanism, workspace):
    """bubblewrap: the PID namespace hides outside processes; Landlock ABI >= 6: SIGNAL scope."""
    if mechanism.mechanism == "landlock" and mechanism.landlock_abi < 6:
        pytest.skip(f"Landlock ABI {mechanism.landlock_abi} has no signal scoping (needs ABI 6)")
    result = await sandboxed(mechanism, f"kill -0 {os.getpid()}", workspace)
    assert result.exit_code != 0


async def test_timeout_exits_124_quickly(mechanism, workspace):
    started = time.monotonic()
    result = await sandboxed(mechanism, "sleep 30", workspace, timeout_ms=500)
    assert (result.exit_code, result.timed_out) == (124, True)
    assert time.monotonic() - started < 3


async def test_timeout_kills_setsid_escapee_under_bubblewrap(mechanism, workspace):
    """A grandchild that calls setsid leaves the process group, so killpg can't reach it;
    bubblewrap's PID namespace dies with bwrap and takes it along. Under Landlock there is
    no PID namespace: the escapee survives (a known gap; the test kills it afterwards)."""
    marker = marker_seconds()
    cmd = f"setsid sh -c 'sleep {marker}' & sleep 30"
    result = await sandboxed(mechanism, cmd, workspace, timeout_ms=700)
    assert result.timed_out
    deadline = time.monotonic() + (2 if mechanism.mechanism == "bubblewrap" else 0)
    while live_sleepers(marker) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    survivors = live_sleepers(marker)
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    if mechanism.mechanism == "bubblewrap":
        assert survivors == []
    else:
        assert survivors, "expected the setsid escapee to survive under Landlock (no PID namespace)"


async def test_background_grandchild_holding_the_pipe_does_not_hang(mechanism, workspace):
    marker = marker_seconds()
    started = time.monotonic()
    result = await sandboxed(mechanism, f"sleep {marker} & echo started", workspace, timeout_ms=20_000)
    assert result.exit_code == 0 and result.stdout == "started\n"
    assert time.monotonic() - started < 4
    assert sleepers_gone(marker), live_sleepers(marker)


async def test_cancellation_kills_the_group(mechanism, workspace):
    marker = marker_seconds()
    task = asyncio.ensure_future(sandboxed(mechanism, f"sleep {marker} & sleep {marker}", workspace))
    deadline = time.monotonic() + 10
    while len(live_sleepers(marker)) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert len(live_sleepers(marker)) == 2
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sleepers_gone(marker), live_sleepers(marker)


async def test_exit_code_and_signal_propagate(mechanism, workspace):
    assert (await sandboxed(mechanism, "exit 7", workspace)).exit_code == 7
    assert (await sandboxed(mechanism, "kill -TERM $$", workspace)).exit_code == 128 + signal.SIGTERM


async def test_danger_full_access_is_not_wrapped(mechanism, workspace, outside):
    result = await sandboxed(mechanism, f"echo free > {outside}/free.txt", workspace, policy=DangerFullAccess())
    assert result.exit_code == 0
    assert (outside / "free.txt").read_text() == "free\n"
