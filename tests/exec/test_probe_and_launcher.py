"""Mechanism probing, argv wrapping, the seccomp program and the Landlock launcher's fail-closed paths."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agent.exec import sandbox, seccomp
from agent.exec.limits import ResourceLimits
from agent.exec.sandbox import FORCE_ENV, LAUNCHER_PATH, SandboxInfo, probe_mechanism, sandboxed_argv
from agent.protocol.policy import DangerFullAccess, ReadOnly, WorkspaceWrite

from .conftest import sandbox_info

EXEC_DIR = Path(LAUNCHER_PATH).parent


def test_env_var_forces_a_mechanism(monkeypatch):
    monkeypatch.setenv(FORCE_ENV, "none")
    info = probe_mechanism()
    assert info.mechanism == "none" and "approval" in info.warning
    monkeypatch.setenv(FORCE_ENV, "landlock")
    assert probe_mechanism().mechanism in ("landlock", "none")
    monkeypatch.setenv(FORCE_ENV, "chroot")
    with pytest.raises(ValueError, match="unknown sandbox mechanism"):
        probe_mechanism()


def test_default_prefers_bubblewrap(monkeypatch):
    monkeypatch.delenv(FORCE_ENV, raising=False)
    expected = sandbox_info("bubblewrap")
    assert probe_mechanism() == expected
    assert probe_mechanism() is probe_mechanism(), "cached per process"


def test_forced_mechanism_that_fails_gives_none_not_another(monkeypatch):
    monkeypatch.setattr(sandbox, "find_bwrap", lambda: None)
    info = sandbox._probe.__wrapped__("bubblewrap")
    assert info.mechanism == "none"
    assert "bwrap not found" in info.detail and "approval" in info.warning


def test_no_mechanism_at_all_warns(monkeypatch):
    monkeypatch.setattr(sandbox, "find_bwrap", lambda: None)
    monkeypatch.setattr(sandbox, "_probe_landlock", lambda: (None, "Landlock is not supported by this kernel"))
    info = sandbox._probe.__wrapped__(None)
    assert info.mechanism == "none"
    assert "no sandbox is available" in info.warning and "every command needs your approval" in info.warning


def test_sandboxed_argv_wrapping(tmp_path):
    none = SandboxInfo("none", "off")
    landlock = SandboxInfo("landlock", "Landlock", landlock_abi=7)
    assert sandboxed_argv(["ls"], WorkspaceWrite(), tmp_path, {}, none) == ["ls"]
    assert sandboxed_argv(["ls"], DangerFullAccess(), tmp_path, {}, landlock) == ["ls"]
    argv = sandboxed_argv(["ls", "-a"], WorkspaceWrite(exclude_slash_tmp=True), tmp_path, {}, landlock)
    assert argv[:4] == [sys.executable, "-I", "-S", LAUNCHER_PATH]
    assert argv[4] == "--policy-json" and argv[6:] == ["--", "ls", "-a"]
    assert json.loads(argv[5]) == {"writable_roots": [str(tmp_path)], "network": False, "cgroup_procs": [],
                                   "rlimits": {"nproc": 512, "data": 2048 << 20, "fsize": 2048 << 20}}
    unlimited = ResourceLimits(None, None, None, None)
    ro = sandboxed_argv(["ls"], ReadOnly(), tmp_path, {}, landlock, limits=unlimited)
    assert json.loads(ro[5]) == {"writable_roots": [], "network": False, "rlimits": {}, "cgroup_procs": []}
    # Landlock can't hide the Jupyter connection files, so it never gets network (sandbox.network_refusal).
    net = sandboxed_argv(["ls"], WorkspaceWrite(network_access=True), tmp_path, {}, landlock)
    assert json.loads(net[5])["network"] is False


def test_seccomp_program_shape():
    x86 = seccomp.program("x86_64")
    arm = seccomp.program("aarch64")
    assert len(x86) == 14 and len(arm) == 12
    for prog, audit in [(x86, 0xC000003E), (arm, 0xC00000B7)]:
        assert prog[1][3] == audit and prog[2][3] == seccomp.RET_KILL_PROCESS
        assert prog[-1][3] == seccomp.RET_ERRNO | 1  # EPERM
    assert len(seccomp.program_bytes("x86_64")) == 14 * 8


def run_launcher(launcher: Path, policy: str, *argv: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-I", "-S", str(launcher), "--policy-json", policy, "--", *argv],
                          cwd=cwd, capture_output=True, text=True, timeout=30)


def test_launcher_fails_closed_when_landlock_cannot_be_enforced(tmp_path):
    fake = tmp_path / "fake"
    fake.mkdir()
    shutil.copy(LAUNCHER_PATH, fake / "landlock_launcher.py")
    shutil.copy(EXEC_DIR / "seccomp.py", fake / "seccomp.py")
    (fake / "landlock.py").write_text(
        "def restrict_self(writable, *, deny_tcp, scope_abstract_unix):\n"
        "    raise OSError(95, 'Landlock is not supported by this kernel')\n"
    )
    policy = json.dumps({"writable_roots": [str(tmp_path)], "network": False})
    done = run_launcher(fake / "landlock_launcher.py", policy, "touch", "ran", cwd=tmp_path)
    assert done.returncode == 126
    assert "cannot enforce the Landlock sandbox" in done.stderr and "not supported" in done.stderr
    assert not (tmp_path / "ran").exists()


def test_launcher_rejects_bad_policy_json(tmp_path):
    launcher = Path(LAUNCHER_PATH)
    for policy in ['{"writable_roots": ["relative"], "network": false}', '{"network": false}',
                   '{"writable_roots": [], "network": "no"}']:
        done = run_launcher(launcher, policy, "touch", "ran", cwd=tmp_path)
        assert done.returncode == 2, done.stderr
    assert not (tmp_path / "ran").exists()


def test_launcher_runs_and_reports_missing_commands(tmp_path):
    sandbox_info("landlock")
    policy = json.dumps({"writable_roots": [str(tmp_path)], "network": False})
    assert run_launcher(Path(LAUNCHER_PATH), policy, "sh", "-c", "exit 5", cwd=tmp_path).returncode == 5
    missing = run_launcher(Path(LAUNCHER_PATH), policy, "no-such-command-xyz", cwd=tmp_path)
    assert missing.returncode == 127 and "command not found" in missing.stderr


def test_exec_package_import_is_cheap():
    code = ("import sys, agent.exec, agent.exec.roots, agent.exec.sandbox, agent.exec.env, agent.exec.denial;"
            "print(sorted({'asyncio', 'pydantic', 'ctypes'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
