"""Small shared helpers for benchmark output: interleaved samples, medians and aligned rows.

Every figure is compared with a baseline measured in the same run, and the samples of the
variants are interleaved (`interleaved`): one sample of each per round, in an order that
rotates every round, so a drift in the machine's speed (CPU frequency, a neighbour's load,
the file cache) reaches every variant alike instead of favouring whichever ran first.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from typing import Callable, Mapping

Measured = Callable[[], object]
"""One sample: returns its own measured seconds as a float (when setup must not count);
any other result has the whole call timed."""


def interleaved(variants: Mapping[str, Measured], rounds: int) -> dict[str, list[float]]:
    """`rounds` samples of each variant, one per round, the order rotating each round."""
    names = list(variants)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            own = variants[name]()
            samples[name].append(own if isinstance(own, float) else time.perf_counter() - started)
    return samples


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def paired_difference(samples: list[float], baseline: list[float]) -> float:
    """The median of per-round differences (each sample minus the same round's baseline)."""
    return statistics.median(s - b for s, b in zip(samples, baseline))


def python_run(code: str) -> Measured:
    """A fresh interpreter running `code` (checked), timed as a whole."""

    return lambda: subprocess.run([sys.executable, "-c", code], check=True)


def row(label: str, value: str, ratio: float | None = None, baseline: str = "baseline") -> None:
    extra = f"   x{ratio:.2f} vs {baseline}" if ratio is not None else ""
    print(f"   {label:<52}{value:>12}{extra}")
