"""Small shared helpers for benchmark output: medians and aligned rows."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from typing import Callable


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def python_run(code: str) -> Callable[[], object]:
    return lambda: subprocess.run([sys.executable, "-c", code], check=True)


def row(label: str, value: str, ratio: float | None = None) -> None:
    extra = f"   x{ratio:.2f} vs baseline" if ratio is not None else ""
    print(f"   {label:<44}{value:>12}{extra}")
