"""Widget streaming: long answers through a real kernel to the %%agent widget: bytes sent per answer, and time vs httpx alone.

The same Responses SSE stream (one-character deltas, no delay) comes from the project's
scripted server in its own process. A real kernel (jupyter_client) runs `%%agent`; the
client records every message the widget sends on its comm (state syncs and transcript
patches) until the turn's final state (status `done`, the whole text). Bytes are each
message's `data` as JSON. An answer of 20,000 and one of 40,000 characters are sent, so
the bytes' growth shows (linear: x2; resending the whole text on each sync: ~x4). The
time baseline reads the same stream with httpx alone in this process. A warm-up turn runs
first, so session creation is not counted.
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

SIZES = (20_000, 40_000)
TARGET_BYTES_PER_CHAR = 3.0
REPEAT = 2


async def _httpx_alone(url: str) -> float:
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=60) as http:
        async with http.stream("POST", f"{url}/responses", json={"model": "m", "input": []}) as response:
            async for _ in response.aiter_lines():
                pass
    return time.perf_counter() - started


def _widget_turn(k: Kernel, expected: str, timeout: float = 120.0) -> tuple[float, int, int]:
    """One %%agent turn: (seconds to the final state, messages the widget sent, their bytes)."""
    before = len(k.agent_comms())
    started = time.perf_counter()
    k.reply(k.submit("%%agent\nstream the long answer"))
    deadline = started + timeout
    while time.perf_counter() < deadline:
        k.drain(0.02)
        comms = k.agent_comms()
        if len(comms) <= before:
            continue
        messages = k.widget_messages(comms[-1])
        states = [(t, payload) for t, kind, payload, _ in messages if kind == "state"]
        if states and turn_state(states[-1][1]) == "done":
            final_t, final = states[-1]
            if agent_text(final) != expected:
                raise AssertionError(f"widget text has {len(agent_text(final))} chars, wanted {len(expected)}")
            return final_t - started, len(messages), sum(size for *_, size in messages)
    raise TimeoutError("the widget never reached status done")


def run() -> None:
    replies = [{"text": "warm", "chunk_size": 4}]
    for _ in range(REPEAT):
        for size in SIZES:
            replies += [{"text": "x" * size, "chunk_size": 1}, {"text": "x" * size, "chunk_size": 1}]  # widget, httpx
    results: dict[int, list[tuple[float, int, int, float]]] = {size: [] for size in SIZES}
    with tempfile.TemporaryDirectory() as tmp_name, scripted_server(Path(tmp_name), replies) as url:
        tmp = Path(tmp_name)
        env = write_home(tmp / "home", url)
        (tmp / "work").mkdir()
        with Kernel(tmp / "work", env) as k:
            k.run("%load_ext agent")
            _widget_turn(k, "warm")
            for _ in range(REPEAT):
                for size in SIZES:
                    elapsed, count, size_bytes = _widget_turn(k, "x" * size)
                    results[size].append((elapsed, count, size_bytes, asyncio.run(_httpx_alone(url))))
    for size in SIZES:
        runs = results[size]
        sent = statistics.median(r[2] for r in runs)
        row(f"{size} chars: bytes sent to the widget (median)", f"{sent / 1e6:.3f} MB")
        row("  bytes per character of the answer", f"x{sent / size:.2f}")
        row("  messages (state syncs + patches)", f"{statistics.median(r[1] for r in runs):.0f}")
        base, full = statistics.median(r[3] for r in runs), statistics.median(r[0] for r in runs)
        row("  httpx alone (baseline)", f"{base * 1000:.0f} ms")
        row("  kernel: %%agent cell -> final widget state", f"{full * 1000:.0f} ms", full / base)
    small, large = (statistics.median(r[2] for r in results[s]) for s in SIZES)
    row(f"bytes growth {SIZES[0]} -> {SIZES[1]} chars (linear: x2)", f"x{large / small:.2f}")
    worst = max(statistics.median(r[2] for r in results[s]) / s for s in SIZES)
    print(f"   target: bytes sent <= x{TARGET_BYTES_PER_CHAR:g} the answer, growing linearly: "
          f"{'met' if worst <= TARGET_BYTES_PER_CHAR and large / small < 2.2 else 'NOT met'} "
          f"(x{worst:.2f}, growth x{large / small:.2f})")
