"""A scripted in-process model client: the fake for the `ModelClient` seam.

Each `stream()` call takes the next script entry: a list of stream events (sent in
order), a `ModelError` instance (raised), or a `Pause` inside a list (waits, so tests can
interrupt mid-stream). Helpers build the common replies. Every prompt is recorded.
No network, no httpx: usable in notebooks and demos offline.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, AsyncIterator, Iterable, Union

from agent.protocol.events import TokenUsage
from agent.protocol.items import FunctionCall, Message, OutputText, Reasoning, SummaryText

from .errors import ModelError
from .prompt import Prompt
from .stream import (
    Completed,
    OutputItemDone,
    OutputTextDelta,
    ReasoningSummaryDelta,
    ResponseEvent,
)


@dataclass(frozen=True)
class Pause:
    """Wait this long (seconds) before the next event."""

    seconds: float


ScriptEntry = Union[list[Union[ResponseEvent, Pause]], ModelError]


class ScriptedModelClient:
    provider_id = "scripted"

    def __init__(self, script: Iterable[ScriptEntry] = ()):
        self.script: list[ScriptEntry] = list(script)
        self.prompts: list[Prompt] = []

    def add(self, *entries: ScriptEntry) -> None:
        self.script.extend(entries)

    async def stream(self, prompt: Prompt) -> AsyncIterator[ResponseEvent]:
        self.prompts.append(prompt)
        if not self.script:
            raise ModelError("scripted model: no reply left in the script")
        entry = self.script.pop(0)
        if isinstance(entry, ModelError):
            raise entry
        for event in entry:
            if isinstance(event, Pause):
                await asyncio.sleep(event.seconds)
            else:
                yield event

    async def aclose(self) -> None:
        return None


def text_reply(text: str, *, chunk: int = 4, usage: TokenUsage | None = None) -> list[ResponseEvent | Pause]:
    deltas: list[ResponseEvent | Pause] = [OutputTextDelta(text[i : i + chunk]) for i in range(0, len(text), chunk)]
    message = Message(role="assistant", content=[OutputText(text=text)])
    return [*deltas, OutputItemDone(message), Completed("resp", usage or TokenUsage(total_tokens=len(text)))]


def tool_reply(*calls: tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], str]) -> list[ResponseEvent | Pause]:
    events: list[ResponseEvent | Pause] = []
    for n, call in enumerate(calls):
        name, args = call[0], call[1]
        call_id = call[2] if len(call) > 2 else f"call_{n + 1}"  # type: ignore[misc]
        events.append(OutputItemDone(FunctionCall(name=name, arguments=json.dumps(args), call_id=call_id)))
    return [*events, Completed("resp", TokenUsage(total_tokens=10))]


def reasoning_reply(summary: str, text: str) -> list[ResponseEvent | Pause]:
    reasoning = Reasoning(summary=[SummaryText(text=summary)])
    return [ReasoningSummaryDelta(summary), OutputItemDone(reasoning), *text_reply(text)]
