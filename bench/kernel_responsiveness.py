"""Kernel responsiveness: a trivial cell's round trip while the agent streams at full speed vs an idle kernel.

A real kernel (jupyter_client) runs `%%agent` against the scripted server (own process),
which streams a long reply (60,000 one-character deltas, no delay). While that turn runs,
`1+1` cells are sent back to back and each execute_request -> execute_reply round trip is
timed; only samples that start and end while the turn is still streaming count (turns are
started again until there are enough). The baseline is the same `1+1` on the same kernel
while it is idle, measured in the same run.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from .kernel_harness import Kernel, scripted_server, turn_state, write_home
from .report import row

DELTAS = 60_000
SAMPLES = 30
MAX_TURNS = 6


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _streaming(k: Kernel, comm_id: str) -> bool:
    states = k.states(comm_id)
    return not states or turn_state(states[-1][1]) in ("running", None)


def _busy_samples(k: Kernel) -> tuple[list[float], int]:
    samples: list[float] = []
    turns = 0
    while len(samples) < SAMPLES and turns < MAX_TURNS:
        before = len(k.agent_comms())
        k.reply(k.submit("%%agent\nstream the long answer"))
        turns += 1
        while len(k.agent_comms()) <= before:
            k.drain(0.02)
        comm_id = k.agent_comms()[-1]
        while not k.states(comm_id):  # the first sync: the turn is under way
            k.drain(0.02)
        while len(samples) < SAMPLES:
            t = k.round_trip()
            k.drain()
            if not _streaming(k, comm_id):
                break  # this sample may have overlapped the end of the stream: drop it
            samples.append(t)
        deadline = time.perf_counter() + 120
        while _streaming(k, comm_id) and time.perf_counter() < deadline:
            k.drain(0.05)
    return samples, turns


def run() -> None:
    replies = [{"text": "warm", "chunk_size": 4}] + [{"text": "y" * DELTAS, "chunk_size": 1}] * MAX_TURNS
    with tempfile.TemporaryDirectory() as tmp_name, scripted_server(Path(tmp_name), replies) as url:
        tmp = Path(tmp_name)
        env = write_home(tmp / "home", url)
        (tmp / "work").mkdir()
        with Kernel(tmp / "work", env) as k:
            k.run("%load_ext agent")
            k.run("%%agent\nwarm up")
            for _ in range(5):
                k.round_trip()
            idle = [k.round_trip() for _ in range(SAMPLES)]
            busy, turns = _busy_samples(k)
    if len(busy) < 5:
        raise AssertionError(f"only {len(busy)} samples fell inside the stream")
    mi, mb = statistics.median(idle), statistics.median(busy)
    row(f"1+1 round trip, idle kernel (baseline, n={len(idle)})", f"{mi * 1000:.1f} ms")
    row("  p95, idle", f"{_p95(idle) * 1000:.1f} ms")
    row(f"1+1 while the agent streams (n={len(busy)}, {turns} turns)", f"{mb * 1000:.1f} ms", mb / mi)
    row("  p95, streaming", f"{_p95(busy) * 1000:.1f} ms", _p95(busy) / _p95(idle))
    row("  max, streaming", f"{max(busy) * 1000:.1f} ms")
