"""Command sandbox: spawn cost of `true` per mechanism, and parent memory while a command prints 1 GB.

Spawn: median wall time of `run_command(["true"])` bare and wrapped by every mechanism
that works here (workspace-write policy, network off, default resource limits),
interleaved, ratios vs bare; and "as the agent runs it": the argv built for each spawn
with the protected paths hidden and a per-command cgroup created and removed around it
(what `ShellRun._execute` does).
Memory: a fresh Python subprocess runs `run_command` once on `true` (baseline) and once
on `head -c 1000000000 /dev/zero`; the figure is that subprocess's peak RSS
(ru_maxrss) and its growth during the run, so the benchmark's own memory plays no part.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .report import row

SPAWN_REPEAT = 30
FLOOD_BYTES = 1_000_000_000
ROOT = Path(__file__).resolve().parents[1]

MEMORY_PROBE = """
import asyncio, json, resource, sys, time
from pathlib import Path
from agent.exec.env import command_env
from agent.exec.runner import run_command
from agent.exec.sandbox import network_disabled, probe_mechanism, sandboxed_argv
from agent.protocol.policy import WorkspaceWrite

async def main(force, argv):
    policy = WorkspaceWrite()
    info = probe_mechanism(force)
    env = command_env({"PATH": "/usr/bin:/bin"}, network_disabled=network_disabled(policy))
    cwd = Path.cwd()
    await run_command(sandboxed_argv(["true"], policy, cwd, env, info), cwd=cwd, env=env, timeout_ms=30_000)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    result = await run_command(sandboxed_argv(argv, policy, cwd, env, info), cwd=cwd, env=env, timeout_ms=300_000)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"before_kib": before, "peak_kib": after, "seconds": elapsed, "exit": result.exit_code,
                      "mechanism": info.mechanism}))

asyncio.run(main(sys.argv[1], sys.argv[2:]))
"""


def _mechanisms() -> list[str]:
    from agent.exec.sandbox import probe_mechanism

    return [m for m in ("bubblewrap", "landlock") if probe_mechanism(m).mechanism == m]


def _spawn_medians(mechanisms: list[str], workspace: Path) -> dict[str, float]:
    from agent.exec.env import command_env
    from agent.exec.runner import run_command
    from agent.exec.sandbox import network_disabled, probe_mechanism, sandboxed_argv
    from agent.protocol.policy import WorkspaceWrite

    from agent.exec.hidden import protected_read_paths
    from agent.exec.limits import DEFAULT_LIMITS, CommandCgroup

    policy = WorkspaceWrite()
    env = command_env(os.environ, network_disabled=network_disabled(policy))
    hidden = protected_read_paths(Path.home() / ".kernel-agent")
    argvs: dict[str, object] = {"bare": ["true"]}
    for name in mechanisms:
        info = probe_mechanism(name)
        argvs[name] = sandboxed_argv(["true"], policy, workspace, env, info)
        argvs[f"{name}, as the agent runs it"] = info
    samples: dict[str, list[float]] = {name: [] for name in argvs}

    async def measure() -> None:
        for round_ in range(SPAWN_REPEAT + 3):
            for name, argv in argvs.items():
                started = time.perf_counter()
                group = None
                if not isinstance(argv, list):
                    group = CommandCgroup.create(DEFAULT_LIMITS)
                    argv = sandboxed_argv(["true"], policy, workspace, env, argv, hidden=hidden, cgroup=group)
                try:
                    result = await run_command(argv, cwd=workspace, env=env, timeout_ms=30_000)
                finally:
                    if group is not None:
                        group.remove()
                elapsed = time.perf_counter() - started
                if result.exit_code != 0:
                    raise RuntimeError(f"{name}: `true` failed: {result.aggregated_output}")
                if round_ >= 3:
                    samples[name].append(elapsed)

    asyncio.run(measure())
    return {name: statistics.median(values) for name, values in samples.items()}


def _memory_probe(force: str, argv: list[str], workspace: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "kernel_ext")}
    done = subprocess.run([sys.executable, "-c", MEMORY_PROBE, force, *argv], cwd=workspace, env=env,
                          capture_output=True, text=True, timeout=300, check=True)
    return json.loads(done.stdout)


def run() -> None:
    mechanisms = _mechanisms()
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        workspace = Path(tmp)
        medians = _spawn_medians(mechanisms, workspace)
        bare = medians["bare"]
        row("spawn `true`, bare (baseline)", f"{bare * 1000:.1f} ms")
        for name in mechanisms:
            for label in (name, f"{name}, as the agent runs it"):
                row(f"spawn `true` under {label}", f"{medians[label] * 1000:.1f} ms", medians[label] / bare)
        flood = ["head", "-c", str(FLOOD_BYTES), "/dev/zero"]
        base = _memory_probe("none", ["true"], workspace)
        row("peak RSS of a subprocess running `true`", f"{base['peak_kib'] / 1024:.1f} MiB")
        for force in ["none", *mechanisms[:1]]:
            probe = _memory_probe(force, flood, workspace)
            label = "bare" if force == "none" else force
            growth = (probe["peak_kib"] - probe["before_kib"]) / 1024
            row(f"peak RSS while 1 GB is printed, {label}", f"{probe['peak_kib'] / 1024:.1f} MiB",
                probe["peak_kib"] / base["peak_kib"])
            row(f"  RSS growth during that run, {label}", f"+{growth:.1f} MiB")
            row(f"  throughput, {label}", f"{FLOOD_BYTES / probe['seconds'] / 1e6:.0f} MB/s")
