"""Resource limits of sandboxed commands (issue 9, item 11; agent.exec.limits).

Invariant: a fork bomb, a 3 GiB allocation or a runaway file inside a sandboxed command
fails inside the command, and the agent carries on (its turn completes, nothing of the
bomb survives); controls: ordinary work — a few hundred MB in Python, `make -j2`, pip —
still runs. Both mechanisms, end to end through `kernel-agent exec --json`, with the
default limits and with `[sandbox_limits]` from config.toml.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from agent.exec.limits import DEFAULT_LIMITS, CommandCgroup, limit_notes

from .conftest import bash, shell


def test_fork_bomb_and_memory_bomb_fail_but_the_agent_carries_on(agent, mechanism):
    """Attack: a bash fork bomb and `bytearray(3 GiB)`; both fail inside the command
    (EAGAIN on fork / MemoryError), the turn completes and no bomb process survives.
    Controls: 300 MB in Python, `make -j2`, `pip list`."""
    agent.mechanism = mechanism
    agent.config_extra = 'sandbox_mode = "workspace-write"'
    agent.work.mkdir(parents=True, exist_ok=True)
    (agent.work / "Makefile").write_text("all: a b\na:\n\techo built-a > a\nb:\n\techo built-b > b\n")
    py = sys.executable
    calls = [
        bash("b(){ b | b & }; b; sleep 1; echo BOMB-DONE"),
        shell([py, "-c", "b = bytearray(3 << 30); print('ALLOCATED 3G')"]),
        shell([py, "-c", "b = bytearray(300 << 20); b[-1] = 1; print('ALLOCATED 300M')"]),
        shell(["make", "-j2"]),
        shell([py, "-m", "pip", "list", "--disable-pip-version-check"]),
    ]
    outcome = agent.run(tool_calls=calls, timeout=180)
    out = agent.tool_outputs()
    assert outcome.proc.returncode == 0, outcome.proc.stderr
    assert any(line.get("type") == "turn.completed" for line in outcome.lines)
    assert "Resource temporarily unavailable" in out["call_0"], out["call_0"][-500:]  # fork failed: EAGAIN
    assert "MemoryError" in out["call_1"] and "ALLOCATED 3G" not in out["call_1"], out["call_1"]
    assert "ALLOCATED 300M" in out["call_2"], out["call_2"]
    assert (agent.work / "a").read_text() == "built-a\n" and (agent.work / "b").read_text() == "built-b\n"
    assert "Exit code: 0" in out["call_4"] and "pip" in out["call_4"], out["call_4"][:500]
    assert not _bash_bombs(), "fork bomb processes survived the command"


def test_configured_limits_apply(agent, mechanism):
    """Invariant: `[sandbox_limits]` in config.toml replaces the defaults: with
    max_memory_mb = 200 and max_file_size_mb = 1 a 300 MB allocation and a 2 MB file fail;
    control: 50 MB and a 512 KB file work."""
    agent.mechanism = mechanism
    agent.config_extra = ('sandbox_mode = "workspace-write"\n[sandbox_limits]\nmax_memory_mb = 200\n'
                          "max_file_size_mb = 1\n")
    py = sys.executable
    calls = [
        shell([py, "-c", "b = bytearray(300 << 20); print('GOT 300M')"]),
        shell([py, "-c", "b = bytearray(50 << 20); print('GOT 50M')"]),
        bash("head -c 2000000 /dev/zero > big; head -c 500000 /dev/zero > small && echo SMALL-OK"),
    ]
    agent.run(tool_calls=calls, timeout=120)
    out = agent.tool_outputs()
    assert "MemoryError" in out["call_0"] and "GOT 300M" not in out["call_0"]
    assert "GOT 50M" in out["call_1"]
    assert "SMALL-OK" in out["call_2"] and (agent.work / "big").stat().st_size == 1 << 20


def test_limit_notes_are_truthful(monkeypatch):
    """Invariant: the session's notes say how the process limit holds here, and say so when
    it doesn't (root without a writable pids cgroup: RLIMIT_NPROC exempts root)."""
    group = CommandCgroup.create(DEFAULT_LIMITS)
    controllers = tuple(group.controllers) if group else ()
    if group:
        group.remove()
    notes = " ".join(limit_notes(DEFAULT_LIMITS, "bubblewrap", controllers))
    if "pids" in controllers:
        assert "pids cgroup" in notes
    elif os.getuid() == 0:
        assert "NOT enforced" in notes
    monkeypatch.setattr(os, "getuid", lambda: 0)
    assert "process limit NOT enforced" in " ".join(limit_notes(DEFAULT_LIMITS, "landlock", ()))
    assert limit_notes(DEFAULT_LIMITS, "none", ()) == []


def _bash_bombs() -> list[int]:
    """PIDs of live `bash -lc` processes running the fork bomb."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if b"b(){ b | b & }" in argv and state != "Z":
            found.append(int(entry.name))
    return found
