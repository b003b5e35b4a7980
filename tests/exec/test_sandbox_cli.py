"""`kernel-agent sandbox -- CMD`: a real subprocess per case, for every mechanism.

`sandbox_cli(*args)` runs the command through a tiny argparse harness around
`add_sandbox_command` (switch it to `python -m agent sandbox` once main.py wires it).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from agent.exec.sandbox import FORCE_ENV

from .conftest import SANDBOXED, sandbox_info



def sandbox_cli(*args: str, cwd: Path, mechanism: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != FORCE_ENV}
    if mechanism is not None:
        env[FORCE_ENV] = mechanism
    return subprocess.run([sys.executable, "-m", "agent", "sandbox", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(params=SANDBOXED)
def mech(request) -> str:
    sandbox_info(request.param)  # fails (bubblewrap) or skips (no kernel support) as conftest says
    return request.param


def test_touch_outside_fails_and_inside_succeeds(mech, workspace):
    outside = Path(f"/kernel-agent-sandbox-test-{uuid.uuid4().hex}")
    try:
        denied = sandbox_cli("--", "touch", str(outside), cwd=workspace, mechanism=mech)
        assert denied.returncode != 0
        assert not outside.exists()
        assert "read-only file system" in denied.stderr.lower() or "permission denied" in denied.stderr.lower()
    finally:
        if outside.exists():
            outside.unlink()
    allowed = sandbox_cli("--", "touch", "./inside", cwd=workspace, mechanism=mech)
    assert allowed.returncode == 0, allowed.stderr
    assert (workspace / "inside").exists()


def test_exit_codes_and_output_pass_through(mech, workspace):
    done = sandbox_cli("--", "sh", "-c", "echo out; echo err >&2; exit 7", cwd=workspace, mechanism=mech)
    assert (done.returncode, done.stdout, done.stderr) == (7, "out\n", "err\n")
    killed = sandbox_cli("--", "sh", "-c", "kill -TERM $$", cwd=workspace, mechanism=mech)
    assert killed.returncode == 128 + 15


def test_read_only_mode_and_writable_root(mech, workspace, outside):
    ro = sandbox_cli("--mode", "read-only", "--", "touch", "inside", cwd=workspace, mechanism=mech)
    assert ro.returncode != 0 and not (workspace / "inside").exists()
    extra = sandbox_cli("--writable-root", str(outside), "--", "touch", str(outside / "extra"), cwd=workspace,
                        mechanism=mech)
    assert extra.returncode == 0, extra.stderr


def test_network_flag(mech, workspace):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    port = server.getsockname()[1]
    code = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3); print('connected')"
    try:
        off = sandbox_cli("--", sys.executable, "-I", "-S", "-c", code, cwd=workspace, mechanism=mech)
        on = sandbox_cli("--network", "--", sys.executable, "-I", "-S", "-c", code, cwd=workspace, mechanism=mech)
    finally:
        server.close()
    assert off.returncode != 0 and "connected" not in off.stdout
    if mech == "landlock":  # Landlock can't hide Jupyter keys, so network is refused, and said so
        assert on.returncode != 0 and "connected" not in on.stdout
        assert "network access is off under the Landlock sandbox" in on.stderr
    else:
        assert on.returncode == 0 and on.stdout == "connected\n", on.stderr


def test_usage_errors(workspace):
    assert sandbox_cli(cwd=workspace).returncode == 2
    assert sandbox_cli("--", cwd=workspace).returncode == 2
    assert sandbox_cli("--mode", "read-only", "--network", "--", "true", cwd=workspace).returncode == 2
    assert sandbox_cli("--mode", "bogus", "--", "true", cwd=workspace).returncode == 2


def test_refuses_to_run_unsandboxed(workspace):
    done = sandbox_cli("--", "touch", "ran", cwd=workspace, mechanism="none")
    assert done.returncode == 126 and "refusing to run the command unsandboxed" in done.stderr
    assert not (workspace / "ran").exists()
    free = sandbox_cli("--mode", "danger-full-access", "--", "touch", "ran", cwd=workspace, mechanism="none")
    assert free.returncode == 0 and (workspace / "ran").exists()


def test_options_after_the_command_belong_to_the_command(workspace):
    done = sandbox_cli("sh", "-c", "echo $0 $1", "--mode", cwd=workspace, mechanism="bubblewrap")
    assert (done.returncode, done.stdout) == (0, "--mode\n"), done.stderr


def test_the_agents_venv_is_read_only_to_sandboxed_commands():
    """Even when the interpreter's prefix lies inside the workspace (as `make run` sets up).

    Bubblewrap only: Landlock grants rights to whole trees and cannot carve a read-only
    hole inside a writable root (the same known gap as `.git`; see README, Sandbox)."""
    mech = "bubblewrap"
    sandbox_info(mech)
    prefix = Path(os.path.realpath(sys.prefix))
    probe = prefix / f"kernel-agent-probe-{uuid.uuid4().hex}"
    result = sandbox_cli("--", "touch", str(probe), cwd=prefix.parent, mechanism=mech)
    try:
        assert result.returncode != 0
        assert not probe.exists()
    finally:
        probe.unlink(missing_ok=True)
