"""Token accounting for the session: usage and rate limits reported as `token_count`
events, the context window and the auto-compaction limit of a turn's model.

The window in `token_count` is the one of the session's current model (the running
turn's, else the defaults an override may change), as the front ends show "context left" for it.
"""

from __future__ import annotations

from typing import Callable

from agent.protocol import events as ev

from . import model_family
from .config import Config
from .event_fanout import EventFanout
from .task_context import TurnContext
from .tokens import TokenTracker


class TokenAccounting:
    def __init__(self, config: Config, tokens: TokenTracker, events: EventFanout, current_model: Callable[[], str]):
        self._config = config
        self._tokens = tokens
        self._events = events
        self._current_model = current_model

    def context_window(self, ctx: TurnContext) -> int | None:
        return model_family.context_window(ctx.model, self._config)

    def auto_compact_limit(self, ctx: TurnContext) -> int | None:
        return model_family.auto_compact_limit(ctx.model, self._config)

    def over_compact_limit(self, ctx: TurnContext, usage: ev.TokenUsage | None) -> bool:
        """Whether a request's usage reached the auto-compaction limit."""
        limit = self.auto_compact_limit(ctx)
        return usage is not None and limit is not None and usage.total_tokens >= limit

    def info(self) -> ev.TokenUsageInfo:
        return self._tokens.info(model_family.context_window(self._current_model(), self._config))

    async def report(self, turn_id: str) -> None:
        """A `token_count` event with the current totals."""
        await self._events.emit(turn_id, ev.TokenCount(info=self.info()))

    async def add_usage(self, turn_id: str, usage: ev.TokenUsage | None) -> None:
        if usage is not None:
            self._tokens.add(usage)
        await self.report(turn_id)

    async def rate_limits(self, turn_id: str, snapshot: ev.RateLimitSnapshot) -> None:
        await self._events.emit(turn_id, ev.TokenCount(info=self.info(), rate_limits=snapshot))

    async def mark_context_full(self, ctx: TurnContext) -> None:
        """Even one item does not fit: report the context window as used up."""
        self._tokens.set_estimate(self.context_window(ctx) or 0)
        await self.report(ctx.turn_id)
