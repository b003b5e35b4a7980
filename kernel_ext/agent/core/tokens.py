"""Token accounting (spec §8.4): real usage from the API, an estimate after compaction.

`estimate_tokens(instructions, items)` = approx_tokens(instructions) + Σ approx_tokens(json
of each item as sent), at about 4 bytes per token: a rough lower bound.
`TokenTracker` keeps the running total and the last request's usage; the last usage is
what auto-compaction compares with its limit and what "context left" is computed from.
"""

from __future__ import annotations

import json
from typing import Iterable

from agent.protocol import events as ev
from agent.protocol.items import ResponseItem, wire_item
from agent.tools.truncate import approx_tokens


def item_tokens(item: ResponseItem) -> int:
    return approx_tokens(json.dumps(wire_item(item), ensure_ascii=False, separators=(",", ":")))


def estimate_tokens(instructions: str, items: Iterable[ResponseItem]) -> int:
    return approx_tokens(instructions) + sum(item_tokens(item) for item in items)


class TokenTracker:
    def __init__(self) -> None:
        self.total = ev.TokenUsage()
        self.last = ev.TokenUsage()

    def add(self, usage: ev.TokenUsage) -> None:
        """A request's real usage: added to the total, and now the last usage."""
        self.total = self.total + usage
        self.last = usage

    def set_estimate(self, tokens: int) -> None:
        """After compaction: the context now holds about `tokens` tokens."""
        self.last = ev.TokenUsage(total_tokens=max(tokens, 0))

    def info(self, window: int | None) -> ev.TokenUsageInfo:
        return ev.TokenUsageInfo(total_token_usage=self.total, last_token_usage=self.last, model_context_window=window)
