"""Streaming overhead: a 20,000-delta response through client + session vs httpx alone.

Both read the same Responses SSE stream from the project's scripted server, run in its own
process on loopback (so it does not share the GIL with the measured client).
The baseline only reads lines with httpx; the pipeline decodes SSE, parses every event,
runs the turn loop and delivers every `agent_message_delta` event to a subscriber.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx

from .report import row

DELTAS = 20_000
REPEAT = 5


async def _httpx_alone(url: str) -> float:
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=60) as http:
        async with http.stream("POST", f"{url}/responses", json={"model": "m", "input": []}) as response:
            async for _ in response.aiter_lines():
                pass
    return time.perf_counter() - started


async def _pipeline(url: str, home: Path) -> tuple[float, int]:
    from agent.core.config import CliOverrides, load_config
    from agent.core.factory import open_session
    from agent.protocol import ops

    config = load_config(CliOverrides(cwd=str(home), model_provider="bench"), home=home, env={"BENCH_KEY": "k" * 20})
    started = time.perf_counter()
    session = open_session(config, env={"BENCH_KEY": "k" * 20})
    stream = session.events()
    session.submit(ops.text_turn("stream"))
    deltas = 0
    async for event in stream:
        if event.msg.type == "agent_message_delta":
            deltas += 1
        elif event.msg.type == "task_complete":
            break
    elapsed = time.perf_counter() - started
    await session.shutdown()
    return elapsed, deltas


def _write_config(home: Path, url: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'model = "gpt-5.1-codex"\n[model_providers.bench]\nname = "bench"\nbase_url = "{url}"\n'
        f'wire_api = "responses"\nenv_key = "BENCH_KEY"\n'
    )


@contextmanager
def _server(tmp: Path, replies: int) -> Iterator[str]:
    script = tmp / "script.json"
    script.write_text(json.dumps([{"text": "x" * DELTAS, "chunk_size": 1}] * replies))
    proc = subprocess.Popen([sys.executable, "-m", "tests.scripted_server", "--script", str(script)],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        yield line.split(" on ", 1)[1].split(" ", 1)[0]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp, _server(Path(tmp), 2 * REPEAT) as url:
        home = Path(tmp) / "home"
        _write_config(home, url)
        base, full = [], []
        for _ in range(REPEAT):
            base.append(asyncio.run(_httpx_alone(url)))
            elapsed, deltas = asyncio.run(_pipeline(url, home))
            assert deltas == DELTAS, deltas
            full.append(elapsed)
    b, f = statistics.median(base), statistics.median(full)
    row(f"httpx alone, {DELTAS} deltas (baseline)", f"{b * 1000:.0f} ms")
    row("client + session + subscriber", f"{f * 1000:.0f} ms", f / b)
    row("per delta, pipeline", f"{f / DELTAS * 1e6:.1f} us")
