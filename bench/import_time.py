"""Import cost: `import agent` and the full session stack, vs a bare interpreter start.

Each round starts one cold interpreter per variant, `python -c pass` (the baseline)
included, in an order that rotates every round. The figure that matters is the time
*added* by the import: the median over rounds of (variant - that round's baseline).
"""

from __future__ import annotations

from .report import interleaved, median, paired_difference, python_run, row

ROUNDS = 15
VARIANTS = {
    "python -c pass (baseline)": "pass",
    "import agent": "import agent",
    "import agent.protocol": "import agent.protocol",
    "session stack (core.factory)": "import agent.core.factory",
    "httpx alone (reference)": "import httpx",
}


def run() -> None:
    samples = interleaved({label: python_run(code) for label, code in VARIANTS.items()}, ROUNDS)
    base_label = next(iter(VARIANTS))
    base = samples.pop(base_label)
    row(base_label, f"{median(base) * 1000:.1f} ms")
    for label, times in samples.items():
        row(label, f"+{paired_difference(times, base) * 1000:.1f} ms", median(times) / median(base))
