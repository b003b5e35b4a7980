"""Import cost: `import agent` and the full session stack, vs a bare interpreter start.

The baseline is `python -c pass` measured in the same run; the figure that matters is
the time *added* by the import (median of cold subprocess runs).
"""

from __future__ import annotations

from .report import median_seconds, python_run, row

REPEAT = 15


def run() -> None:
    base = median_seconds(python_run("pass"), REPEAT)
    row("python -c pass (baseline)", f"{base * 1000:.1f} ms")
    for label, code in [
        ("import agent", "import agent"),
        ("import agent.protocol", "import agent.protocol"),
        ("session stack (core.factory)", "import agent.core.factory"),
        ("httpx alone (reference)", "import httpx"),
    ]:
        t = median_seconds(python_run(code), REPEAT)
        row(label, f"+{(t - base) * 1000:.1f} ms", t / base)
