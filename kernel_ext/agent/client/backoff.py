"""Retry delays shared by both retry layers (spec §2.4): 200 ms x 2^(n-1) x jitter."""

from __future__ import annotations

import random

BASE_DELAY_S = 0.2


def backoff_delay(attempt: int, *, base_s: float = BASE_DELAY_S, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number `attempt` (1-based), jitter in [0.9, 1.1)."""
    jitter = (rng or random).uniform(0.9, 1.1)
    return base_s * (2 ** max(attempt - 1, 0)) * jitter
