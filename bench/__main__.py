"""Run the benchmarks: `python -m bench [NAME ...]`."""

from __future__ import annotations

import importlib
import sys
import time

BENCHES = [
    "import_time", "streaming", "apply_patch", "sandbox", "prompt_assembly", "resume",
    "load_ext", "kernel_responsiveness", "widget_streaming", "workspace_snapshot",
    "mcp_startup", "exec_rules",
]


def main(argv: list[str]) -> int:
    names = argv or BENCHES
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}: {module.__doc__.strip().splitlines()[0]}")
        started = time.perf_counter()
        module.run()
        print(f"   ({time.perf_counter() - started:.1f}s)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
