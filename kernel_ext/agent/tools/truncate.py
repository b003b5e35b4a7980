"""Middle truncation of tool output to a budget (spec §8.3). Pure.

`truncate_text(text, policy)` keeps the longest whole-character prefix within half the
byte budget and the suffix within the rest, with a marker between them:
`…{n} chars truncated…` (bytes policy) or `…{n} tokens truncated…` (tokens policy).
`formatted_truncate_text` also prefixes `Total output lines: N` when it truncated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

BYTES_PER_TOKEN = 4


@dataclass(frozen=True)
class TruncationPolicy:
    mode: Literal["bytes", "tokens"]
    limit: int

    def byte_budget(self) -> int:
        return self.limit if self.mode == "bytes" else self.limit * BYTES_PER_TOKEN


def approx_tokens(text: str) -> int:
    return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN)


def _prefix_within(text: str, limit: int) -> str:
    """The longest prefix of whole characters whose UTF-8 size is <= limit."""
    encoded = text.encode("utf-8")[:limit]
    return encoded.decode("utf-8", "ignore")


def _suffix_from(text: str, start_byte: int) -> str:
    """The suffix of whole characters starting at or after byte `start_byte`."""
    encoded = text.encode("utf-8")[max(start_byte, 0):]
    while encoded and (encoded[0] & 0xC0) == 0x80:  # skip a partial character
        encoded = encoded[1:]
    return encoded.decode("utf-8", "ignore")


def truncate_text(text: str, policy: TruncationPolicy) -> str:
    budget = policy.byte_budget()
    total = len(text.encode("utf-8"))
    if total <= budget:
        return text
    left = budget // 2
    right = budget - left
    head = _prefix_within(text, left) if budget else ""
    tail = _suffix_from(text, total - right) if budget else ""
    if policy.mode == "bytes":
        removed = len(text) - len(head) - len(tail)
        marker = f"…{removed} chars truncated…"
    else:
        marker = f"…{approx_tokens_for_bytes(total - budget)} tokens truncated…"
    return f"{head}{marker}{tail}" if budget else marker


def approx_tokens_for_bytes(n: int) -> int:
    return math.ceil(n / BYTES_PER_TOKEN)


def formatted_truncate_text(text: str, policy: TruncationPolicy) -> str:
    if len(text.encode("utf-8")) <= policy.byte_budget():
        return text
    lines = len(text.splitlines()) or 1
    return f"Total output lines: {lines}\n\n{truncate_text(text, policy)}"
