"""Prompt assembly per turn as a session grows from 10 to 2,000 turns (linear, not quadratic).

Each turn of the synthetic history is 4 items: a user message, a function call, its
output and an assistant message. At each size we time `session.build_prompt(ctx)` for
one more request (median of repeats, GC paused) and report the time per request and per history
item; the baseline is the 10-turn size. Building the prompt copies the history list
(O(n)); normalisation is incremental, so the per-item cost must stay flat instead of
growing with the history. The full normalisation pass that the incremental tracking
skips is timed beside it for reference, and so is recording one new turn's items, which
must take about the same time at every size.
"""

from __future__ import annotations

import gc
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

from .report import row

SIZES = (10, 100, 500, 1_000, 2_000)
ITEMS_PER_TURN = 4
REPEAT = 301


def _turn_items(n: int) -> list:
    from agent.protocol.items import (
        FunctionCall,
        FunctionCallOutput,
        Message,
        OutputText,
        user_text,
    )

    call_id = f"call_{n}"
    arguments = json.dumps({"command": ["bash", "-lc", f"ls -la src/module_{n}"]})
    return [
        user_text(f"Please look at module {n} and tell me what it does."),
        FunctionCall(name="shell", arguments=arguments, call_id=call_id),
        FunctionCallOutput(call_id=call_id, output=f"total 8\n-rw-r--r-- 1 user user 1234 module_{n}.py\n" * 4),
        Message(role="assistant", content=[OutputText(text=f"Module {n} defines two helpers and a small CLI.")]),
    ]


def _session(work: Path):
    from agent.client.scripted import ScriptedModelClient
    from agent.core.config import CliOverrides, load_config
    from agent.core.session import Session
    from agent.core.task_context import TurnContext

    config = load_config(CliOverrides(cwd=str(work), model="gpt-5.1-codex"), home=work / "home", env={})
    session = Session(config, ScriptedModelClient())
    ctx = TurnContext(turn_id="bench", cwd=work, approval_policy=config.approval_policy,
                      sandbox_policy=config.sandbox_policy, model=config.model)
    return session, ctx


def _median_us(fn: Callable[[], object], repeat: int = REPEAT) -> float:
    """Median microseconds per call, with the cyclic GC paused (as `timeit` does)."""
    samples = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - started)
    finally:
        gc.enable()
    return statistics.median(samples) * 1e6


def _grow(session, turns: int) -> None:
    for n in range(turns):
        session.history.record(_turn_items(n))


def _record_cost(session, turns: int) -> float:
    """Median time to record one turn's 4 items (the history keeps growing a little)."""
    batches = [_turn_items(turns + k) for k in range(REPEAT)]
    it = iter(batches)
    return _median_us(lambda: session.history.record(next(it)))


def _measure(work: Path, turns: int) -> tuple[int, int, float, float, float]:
    """(turns, items, build_prompt us, full normalisation us, record-one-turn us)."""
    from agent.core.history import normalize

    session, ctx = _session(work)
    _grow(session, turns)
    history = session.history.items
    build = _median_us(lambda: session.build_prompt(ctx))
    full = _median_us(lambda: normalize(history), repeat=51)
    return turns, len(history), build, full, _record_cost(session, turns)


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        results = [_measure(work, turns) for turns in SIZES]
    _report(results)


def _report(results: list[tuple[int, int, float, float, float]]) -> None:
    _, base_items, base_build, _, base_record = results[0]
    base_per_item = base_build / base_items
    for turns, items, build, full, record in results:
        row(f"build_prompt, {turns} turns ({items} items)", f"{build:.1f} us", build / base_build)
        row("  per history item", f"{build / items * 1000:.1f} ns", (build / items) / base_per_item)
        row("  full normalisation pass (skipped)", f"{full:.1f} us")
        row("  record one turn (4 items)", f"{record:.1f} us", record / base_record)
    first, last = results[0], results[-1]
    marginal = (last[2] - first[2]) / (last[1] - first[1]) * 1000
    row(f"marginal cost per item, {first[0]} -> {last[0]} turns", f"{marginal:.1f} ns")
