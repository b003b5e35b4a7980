"""Kernel responsiveness: a trivial cell's round trip while the agent streams (paced, and a burst at full speed) vs an idle kernel.

A real kernel (jupyter_client) runs `%%agent` against the scripted server (own process).
Two streams: paced, a realistic model (20,000 characters as 4,000 deltas, >= 1 ms apart,
about 4 s), and a burst (60,000 one-character deltas, no delay: what a fast local server
or a replayed stream produces). While a turn streams, `1+1` cells are sent back to back
and each execute_request -> execute_reply round trip is timed; only samples that start
and end while the turn is still streaming count. The baseline is the same `1+1` on the
same kernel while it is idle. The three are interleaved: each round takes idle samples,
then a paced turn's, then a burst turn's.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from .kernel_harness import Kernel, scripted_server, write_home
from .report import row

ROUNDS = 3
TARGET_P95_S = 0.020
TARGET_MEDIAN_RATIO = 3.0
PER_TURN = 15
STREAMS = {
    "paced": {"text": "p" * 20_000, "chunk_size": 5, "delay_per_event": 0.001},
    "burst": {"text": "y" * 60_000, "chunk_size": 1},
}


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _streaming(k: Kernel, comm_id: str) -> bool:
    return k.turn_phase(comm_id) in ("running", None)


def _busy_samples(k: Kernel) -> list[float]:
    """Round trips while one %%agent turn streams (the next reply in the server's script)."""
    before = len(k.agent_comms())
    k.reply(k.submit("%%agent\nstream the long answer"))
    while len(k.agent_comms()) <= before:
        k.drain(0.02)
    comm_id = k.agent_comms()[-1]
    while not k.widget_messages(comm_id):  # the first message: the turn is under way
        k.drain(0.02)
    samples: list[float] = []
    while len(samples) < PER_TURN:
        t = k.round_trip()
        k.drain()
        if not _streaming(k, comm_id):
            break  # this sample may have overlapped the end of the stream: drop it
        samples.append(t)
    deadline = time.perf_counter() + 120
    while _streaming(k, comm_id) and time.perf_counter() < deadline:
        k.drain(0.05)
    return samples


def _report(name: str, samples: list[float], idle: list[float]) -> None:
    if len(samples) < 5:
        raise AssertionError(f"only {len(samples)} {name} samples fell inside the stream")
    mi, mb = statistics.median(idle), statistics.median(samples)
    row(f"1+1 while the agent streams, {name} (n={len(samples)})", f"{mb * 1000:.1f} ms", mb / mi)
    row(f"  p95, {name}", f"{_p95(samples) * 1000:.1f} ms", _p95(samples) / _p95(idle))
    row(f"  max, {name}", f"{max(samples) * 1000:.1f} ms")


def run() -> None:
    replies = [{"text": "warm", "chunk_size": 4}] + [STREAMS["paced"], STREAMS["burst"]] * ROUNDS
    idle: list[float] = []
    busy: dict[str, list[float]] = {"paced": [], "burst": []}
    with tempfile.TemporaryDirectory() as tmp_name, scripted_server(Path(tmp_name), replies) as url:
        tmp = Path(tmp_name)
        env = write_home(tmp / "home", url)
        (tmp / "work").mkdir()
        with Kernel(tmp / "work", env) as k:
            k.run("%load_ext agent")
            k.run("%%agent\nwarm up")
            for _ in range(5):
                k.round_trip()
            for _ in range(ROUNDS):
                idle += [k.round_trip() for _ in range(10)]
                for name in ("paced", "burst"):
                    busy[name] += _busy_samples(k)
    row(f"1+1 round trip, idle kernel (baseline, n={len(idle)})", f"{statistics.median(idle) * 1000:.1f} ms")
    row("  p95, idle", f"{_p95(idle) * 1000:.1f} ms")
    for name in ("paced", "burst"):
        _report(name, busy[name], idle)
    burst_p95, ratio = _p95(busy["burst"]), statistics.median(busy["burst"]) / statistics.median(idle)
    met = burst_p95 <= TARGET_P95_S and ratio <= TARGET_MEDIAN_RATIO
    print(f"   target: burst p95 <= {TARGET_P95_S * 1000:.0f} ms and median <= x{TARGET_MEDIAN_RATIO:g} idle: "
          f"{'met' if met else 'NOT met'} ({burst_p95 * 1000:.1f} ms, x{ratio:.2f})")
