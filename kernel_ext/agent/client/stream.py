"""What a model client yields: wire-neutral stream events (spec §3.3).

Both wire APIs decode into these; the turn loop consumes them. `Completed` is always the
last event of a successful stream; a stream that ends without it raises `StreamError`.
`RequestRetry` comes before anything the server sent: the request failed (429, 5xx, a
connection error) and is sent again after `delay_s` (yielded before the wait).
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.protocol.events import RateLimitSnapshot, TokenUsage
from agent.protocol.items import ResponseItem


@dataclass(frozen=True)
class Created:
    response_id: str = ""


@dataclass(frozen=True)
class OutputItemAdded:
    item: ResponseItem


@dataclass(frozen=True)
class OutputItemDone:
    """The authoritative, complete item (message, reasoning or tool call)."""

    item: ResponseItem


@dataclass(frozen=True)
class OutputTextDelta:
    delta: str


@dataclass(frozen=True)
class ReasoningSummaryDelta:
    delta: str
    summary_index: int = 0


@dataclass(frozen=True)
class ReasoningContentDelta:
    delta: str
    content_index: int = 0


@dataclass(frozen=True)
class ReasoningSummaryPartAdded:
    summary_index: int = 0


@dataclass(frozen=True)
class RateLimits:
    snapshot: RateLimitSnapshot


@dataclass(frozen=True)
class RequestRetry:
    """Retry number `attempt` (1-based) of at most `max_attempts` follows in `delay_s` seconds."""

    attempt: int
    max_attempts: int
    delay_s: float
    reason: str
    """What failed, e.g. "rate limited (429)" or "connection failed (ConnectError)"."""


@dataclass(frozen=True)
class Completed:
    response_id: str = ""
    usage: TokenUsage | None = None


ResponseEvent = (
    Created
    | OutputItemAdded
    | OutputItemDone
    | OutputTextDelta
    | ReasoningSummaryDelta
    | ReasoningContentDelta
    | ReasoningSummaryPartAdded
    | RateLimits
    | RequestRetry
    | Completed
)
