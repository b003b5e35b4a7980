"""Streaming overhead: a 20,000-delta response through client + session vs a minimal real client.

All variants read the same Responses SSE stream (one delta per character) from the
project's scripted server, run in its own process on loopback (so it does not share the
GIL with the measured client), one sample of each per round, the order rotating:

* lines only (floor): httpx reads the body line by line and parses nothing;
* minimal real client (baseline): httpx + httpx-sse + `json.loads` of every event, the
  least a client that understands the stream must do;
* the pipeline: our client decodes SSE and parses every event, the turn loop runs, and
  every `agent_message_delta` event is delivered to a subscriber.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path

import httpx
from httpx_sse import aconnect_sse

from .kernel_harness import scripted_server
from .report import interleaved, median, row

DELTAS = 20_000
ROUNDS = 5
BODY = {"model": "m", "input": []}


async def _lines_only(url: str) -> float:
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=60) as http:
        async with http.stream("POST", f"{url}/responses", json=BODY) as response:
            async for _ in response.aiter_lines():
                pass
    return time.perf_counter() - started


async def _minimal_client(url: str) -> float:
    started = time.perf_counter()
    deltas = 0
    async with httpx.AsyncClient(timeout=60) as http:
        async with aconnect_sse(http, "POST", f"{url}/responses", json=BODY) as source:
            async for sse in source.aiter_sse():
                if json.loads(sse.data).get("type") == "response.output_text.delta":
                    deltas += 1
    elapsed = time.perf_counter() - started
    assert deltas == DELTAS, deltas
    return elapsed


async def _pipeline(url: str, home: Path) -> float:
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
    assert deltas == DELTAS, deltas
    return elapsed


def _write_config(home: Path, url: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'model = "gpt-5.1-codex"\n[model_providers.bench]\nname = "bench"\nbase_url = "{url}"\n'
        f'wire_api = "responses"\nenv_key = "BENCH_KEY"\n'
    )


def run() -> None:
    replies = [{"text": "x" * DELTAS, "chunk_size": 1}] * (3 * ROUNDS)
    with tempfile.TemporaryDirectory() as tmp, scripted_server(Path(tmp), replies) as url:
        home = Path(tmp) / "home"
        _write_config(home, url)
        samples = interleaved({
            "lines": lambda: asyncio.run(_lines_only(url)),
            "minimal": lambda: asyncio.run(_minimal_client(url)),
            "pipeline": lambda: asyncio.run(_pipeline(url, home)),
        }, ROUNDS)
    lines, minimal, full = (median(samples[k]) for k in ("lines", "minimal", "pipeline"))
    row(f"httpx lines only, {DELTAS} deltas (floor)", f"{lines * 1000:.0f} ms")
    row("httpx + httpx-sse + json.loads (baseline)", f"{minimal * 1000:.0f} ms", minimal / lines, "floor")
    row("client + session + subscriber", f"{full * 1000:.0f} ms", full / minimal)
    row("  the same, vs lines only", "", full / lines, "floor")
    row("per delta: pipeline / minimal client", f"{full / DELTAS * 1e6:.1f} / {minimal / DELTAS * 1e6:.1f} us")
