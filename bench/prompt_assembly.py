"""Request building vs json.dumps of the same body, as a session grows to 5,000 turns.

What is timed is a real request: the session assembles the prompt (normalised history,
secrets redacted, tool specs) and the model client turns it into the bytes it POSTs
(`client.request_content(prompt)`), once for the Responses wire and once for the Chat
wire. Each timed request follows one more recorded turn (4 items: a user message, a
function call, its output, an assistant message), as in a conversation. The baseline is
`json.dumps(body).encode()` of the very same body, timed interleaved with it: each round
records a turn, times the request, then json.dumps of what it sent (median of the rounds,
cyclic GC paused); target: ratio <= 1.2 at every size. For reference, the
body built without the per-item JSON cache (`build_*_body` + `json.dumps`, what every
request cost before) is timed on the same bodies.
"""

from __future__ import annotations

import asyncio
import gc
import json
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from .report import median, row

SIZES = ((10, 41), (1_000, 25), (5_000, 11))
"""(turns, timed requests): each timed request adds one turn."""
WIRES = (("responses", "openai"), ("chat", "ollama"))
TARGET = 1.2


def _turn_items(n: int) -> list:
    from agent.protocol.items import FunctionCall, FunctionCallOutput, Message, OutputText, user_text

    call_id = f"call_{n}"
    arguments = json.dumps({"command": ["bash", "-lc", f"ls -la src/module_{n}"]})
    return [
        user_text(f"Please look at module {n} and tell me what it does."),
        FunctionCall(name="shell", arguments=arguments, call_id=call_id),
        FunctionCallOutput(call_id=call_id, output=f"total 8\n-rw-r--r-- 1 user user 1234 module_{n}.py\n" * 4),
        Message(role="assistant", content=[OutputText(text=f"Module {n} defines two helpers and a small CLI.")]),
    ]


def _session(work: Path, provider: str) -> Any:
    from agent.client.connect import connect
    from agent.core.config import CliOverrides, load_config
    from agent.core.session import Session

    config = load_config(CliOverrides(cwd=str(work), model="gpt-5.1-codex", model_provider=provider),
                         home=work / "home", env={})
    client = connect(config.model_provider_id, config.model_provider, "bench-key", env={})
    return Session(config, client)


def _uncached_body(wire: str) -> Callable[[Any], bytes]:
    from agent.client.chat import build_chat_body
    from agent.client.responses import build_request_body

    build = build_chat_body if wire == "chat" else build_request_body
    return lambda prompt: json.dumps(build(prompt)).encode()


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _measure(session: Any, wire: str, turns: int, samples: int) -> dict[str, float]:
    """Median seconds of: request building, json.dumps of its body, the uncached body."""
    from agent.core.task_context import TurnContext

    config = session.config
    ctx = TurnContext(turn_id="bench", cwd=Path(config.cwd), approval_policy=config.approval_policy,
                      sandbox_policy=config.sandbox_policy, model=config.model, effort=config.model_reasoning_effort,
                      summary=config.model_reasoning_summary)
    client, uncached = session.client, _uncached_body(wire)
    for n in range(turns):
        session.history.record(_turn_items(n))
    client.request_content(session.prompts.regular(ctx))  # warm: every item seen once
    times: dict[str, list[float]] = {"build": [], "dumps": [], "uncached": []}
    gc.collect()
    gc.disable()
    try:
        for i in range(samples):
            session.history.record(_turn_items(turns + i))
            sent: list[bytes] = []
            build = _timed(lambda: sent.append(client.request_content(session.prompts.regular(ctx))))
            body = json.loads(sent[0])
            prompt = session.prompts.regular(ctx)
            dumps = _timed(lambda: json.dumps(body).encode())
            times["build"].append(build)
            times["dumps"].append(dumps)
            times["uncached"].append(_timed(lambda: uncached(prompt)))
    finally:
        gc.enable()
    return {key: median(values) for key, values in times.items()}


def run() -> None:
    failures = []
    for wire, provider in WIRES:
        for turns, samples in SIZES:
            with tempfile.TemporaryDirectory() as tmp:
                session = _session(Path(tmp), provider)
                try:
                    result = _measure(session, wire, turns, samples)
                finally:
                    asyncio.run(session.client.aclose())
            ratio = result["build"] / result["dumps"]
            label = f"{wire}, {turns:,} turns (+1 per request)"
            row(label, f"{result['build'] * 1e3:.2f} ms", ratio, "json.dumps")
            row("  json.dumps(body).encode()", f"{result['dumps'] * 1e3:.2f} ms")
            row("  uncached body (model_dump per item)", f"{result['uncached'] * 1e3:.2f} ms",
                result["uncached"] / result["dumps"], "json.dumps")
            if ratio > TARGET:
                failures.append(f"{label}: x{ratio:.2f}")
    print(f"   target: request building <= x{TARGET} of json.dumps at every size: "
          + ("met" if not failures else "MISSED (" + "; ".join(failures) + ")"))
