"""Widget streaming: a 20,000-delta response through a real kernel to the %%agent widget vs httpx alone.

The same Responses SSE stream (20,000 one-character deltas, no delay) comes from the
project's scripted server in its own process. The baseline reads it with httpx alone in
this process. The pipeline is a real kernel (jupyter_client): from sending the `%%agent`
cell to receiving, on iopub, the widget's last state sync, the one with the whole text and
status `done`; this includes client, session, transcript, widget coalescing, comm
serialisation and ZMQ. A warm-up turn runs first, so session creation is not counted.
"Syncs" are the widget's `comm_msg` state updates: coalescing keeps them at <= ~30/s
however fast the deltas come.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from .kernel_harness import Kernel, agent_text, scripted_server, turn_state, write_home
from .report import row

DELTAS = 20_000
REPEAT = 3


async def _httpx_alone(url: str) -> float:
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=60) as http:
        async with http.stream("POST", f"{url}/responses", json={"model": "m", "input": []}) as response:
            async for _ in response.aiter_lines():
                pass
    return time.perf_counter() - started


def _widget_turn(k: Kernel, expected: str, timeout: float = 120.0) -> tuple[float, int, float]:
    """One %%agent turn: (seconds to the final sync, number of syncs, syncs per second)."""
    before = len(k.agent_comms())
    started = time.perf_counter()
    k.reply(k.submit("%%agent\nstream the long answer"))
    deadline = started + timeout
    while time.perf_counter() < deadline:
        k.drain(0.02)
        comms = k.agent_comms()
        if len(comms) <= before:
            continue
        states = k.states(comms[-1])
        if states and turn_state(states[-1][1]) == "done":
            final_t, final = states[-1]
            if agent_text(final) != expected:
                raise AssertionError(f"widget text has {len(agent_text(final))} chars, wanted {len(expected)}")
            span = final_t - states[0][0]
            return final_t - started, len(states), (len(states) / span if span > 0 else float("nan"))
    raise TimeoutError("the widget never reached status done")


def run() -> None:
    text = "x" * DELTAS
    replies = [{"text": "warm", "chunk_size": 4}]
    for _ in range(REPEAT):
        replies += [{"text": text, "chunk_size": 1}, {"text": text, "chunk_size": 1}]  # widget, then httpx
    with tempfile.TemporaryDirectory() as tmp_name, scripted_server(Path(tmp_name), replies) as url:
        tmp = Path(tmp_name)
        env = write_home(tmp / "home", url)
        (tmp / "work").mkdir()
        with Kernel(tmp / "work", env) as k:
            k.run("%load_ext agent")
            _widget_turn(k, "warm")
            base, full, syncs, rates = [], [], [], []
            for _ in range(REPEAT):
                elapsed, count, rate = _widget_turn(k, text)
                full.append(elapsed)
                syncs.append(count)
                rates.append(rate)
                base.append(asyncio.run(_httpx_alone(url)))
    b, f = statistics.median(base), statistics.median(full)
    row(f"httpx alone, {DELTAS} deltas (baseline)", f"{b * 1000:.0f} ms")
    row("kernel: %%agent cell -> final widget state", f"{f * 1000:.0f} ms", f / b)
    row("widget state syncs per turn (median)", f"{statistics.median(syncs):.0f}")
    row("widget syncs per second (max of runs)", f"{max(rates):.1f}/s")
