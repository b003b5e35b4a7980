"""Resume: loading a 10,000-item rollout and rebuilding its history vs json.loads alone.

The rollout is written by the real recorder (redaction on): 10,000 response items
(user and assistant messages, reasoning, function calls and their outputs, 200-2,000
bytes each) plus the event and turn_context lines a session writes between them. The
baseline reads the same file and `json.loads` every line into a list, in the same run.
Measured: `load_rollout` + `rebuild_history` + `initial_messages` (time: median of
REPEAT runs; peak memory: tracemalloc, one run each), and the whole
`factory.resume_session` (session included). Also shown: the recorder's write cost,
and what fsync after every line would cost (why the recorder only fsyncs on flush).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import Any, Callable

from .report import row

ITEMS = 10_000
REPEAT = 7
FSYNC_SAMPLE = 300
API_KEY = "sk-bench-resume-0123456789abcdefghij"


def _text(rng: random.Random) -> str:
    words = ["patch", "kernel", "notebook", "cell", "output", "import", "result", "value", "error", "check"]
    return " ".join(rng.choice(words) for _ in range(rng.randint(30, 330)))


def _items(rng: random.Random) -> list[Any]:
    from agent.protocol.items import FunctionCall, FunctionCallOutput, Reasoning, SummaryText, assistant_text, user_text

    items: list[Any] = []
    while len(items) < ITEMS:
        call_id = f"call_{len(items)}"
        items += [
            user_text(_text(rng)),
            Reasoning(summary=[SummaryText(text=_text(rng))], encrypted_content="e" * rng.randint(200, 1200)),
            FunctionCall(name="shell", arguments=json.dumps({"command": ["bash", "-lc", _text(rng)[:400]]}), call_id=call_id),
            FunctionCallOutput(call_id=call_id, output=_text(rng)),
            assistant_text(_text(rng)),
        ]
    return items[:ITEMS]


def _write(home: Path, items: list[Any]) -> tuple[Path, float]:
    """Write the rollout like a session does; returns (path, seconds spent writing)."""
    from agent.core.rollout import RolloutRecorder, default_redact
    from agent.protocol import events as ev

    recorder = RolloutRecorder.create(home, str(uuid.uuid4()), cwd=home, model_provider="openai",
                                      redact=default_redact(home, {}, [API_KEY]))
    context = {"cwd": str(home), "approval_policy": "never", "model": "gpt-5.1-codex", "summary": "auto"}
    tokens = ev.TokenUsage(total_tokens=1234)
    usage = ev.TokenCount(info=ev.TokenUsageInfo(total_token_usage=tokens, last_token_usage=tokens))
    started = time.perf_counter()
    for item in items:
        recorder.items([item])
        if getattr(item, "role", None) == "user":
            recorder.event(ev.UserMessage(message=item.text()))
            recorder.turn_context(context)
        elif getattr(item, "role", None) == "assistant":
            recorder.event(ev.AgentMessage(message=item.text()))
            recorder.event(usage)
    recorder.close()
    return Path(str(recorder.path)), time.perf_counter() - started


def _baseline(path: Path) -> int:
    with open(path, "rb") as handle:
        return len([json.loads(line) for line in handle])


def _pipeline(path: Path) -> int:
    from agent.core.rollout import initial_messages, load_rollout, rebuild_history

    loaded = load_rollout(path)
    history = rebuild_history(loaded.items)
    initial_messages(loaded.items)
    return len(history)


def _resume_session(path: Path, home: Path) -> int:
    from agent.core.config import CliOverrides, load_config
    from agent.core.factory import resume_session

    env = {"OPENAI_API_KEY": API_KEY}
    config = load_config(CliOverrides(cwd=str(home)), home=home, env=env)

    async def go() -> int:
        session = resume_session(config, path, env=env)
        count = len(session.history)
        await session.shutdown()
        return count

    return asyncio.run(go())


def _medians(*cases: tuple[Callable[[], int], int | None]) -> list[float]:
    """Median seconds of each (fn, expected result) case; the cases take turns, so a
    noisy machine slows them alike."""
    samples: list[list[float]] = [[] for _ in cases]
    for _ in range(REPEAT):
        for (fn, expected), times in zip(cases, samples):
            started = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - started)
            assert expected is None or result == expected, (result, expected)
    return [statistics.median(times) for times in samples]


def _peak(fn: Callable[[], int]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _fsync_cost(home: Path) -> tuple[float, float]:
    """Seconds per line: one write, and one write + fsync."""
    line = b'{"timestamp":"x","type":"response_item","payload":{"text":"' + b"y" * 1000 + b'"}}\n'
    per_line = []
    for sync in (False, True):
        fd = os.open(home / f"fsync-{sync}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        started = time.perf_counter()
        for _ in range(FSYNC_SAMPLE):
            os.write(fd, line)
            if sync:
                os.fsync(fd)
        per_line.append((time.perf_counter() - started) / FSYNC_SAMPLE)
        os.close(fd)
    return per_line[0], per_line[1]


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        path, write_s = _write(home, _items(random.Random(7)))
        lines = _baseline(path)
        size_mb = path.stat().st_size / 1e6
        base_t, full_t, session_t = _medians((lambda: _baseline(path), lines), (lambda: _pipeline(path), ITEMS),
                                             (lambda: _resume_session(path, home), ITEMS))
        base_m, full_m = _peak(lambda: _baseline(path)), _peak(lambda: _pipeline(path))
        plain, synced = _fsync_cost(home)
    row(f"rollout: {ITEMS} items, {lines} lines", f"{size_mb:.1f} MB")
    row("write it (recorder, redaction on)", f"{write_s * 1000:.0f} ms")
    row("  per line", f"{write_s / lines * 1e6:.1f} us")
    row("read + json.loads every line (baseline)", f"{base_t * 1000:.0f} ms")
    row("load_rollout + rebuild_history", f"{full_t * 1000:.0f} ms", full_t / base_t)
    row("resume_session (factory, whole session)", f"{session_t * 1000:.0f} ms", session_t / base_t)
    row("peak memory, baseline", f"{base_m / 1e6:.1f} MB")
    row("peak memory, load + rebuild", f"{full_m / 1e6:.1f} MB", full_m / base_m)
    row("one line: os.write", f"{plain * 1e6:.1f} us")
    row("one line: os.write + fsync", f"{synced * 1e6:.1f} us", synced / plain)
