"""`notebook_history`: the cells executed so far in the kernel, on request (newest last).

Arguments: `last_n` (default 10, at most 100) and `max_chars` (total budget, default and
at most 12,000). Each cell is `In [n]:` with its source (middle-truncated to 2,000
characters) and, when it produced a value, `Out[n]:` with its text (same bound). When
the cells exceed the budget, the oldest are left out and counted.

Secrets in sources and outputs are masked (secret_mask.py) before they are cut, and the
output ends with `[masked: … in In [n]]`.
"""

from __future__ import annotations

from typing import Any

from .arguments import int_arg
from .base import ToolCall, ToolContext, ToolResult, function_spec
from .kernel_access import HistoryEntry, KernelAccess, masked_ends
from .secret_mask import MaskScope, SecretMasker
from .truncate import TruncationPolicy, truncate_text

DEFAULT_LAST_N, MAX_LAST_N = 10, 100
DEFAULT_CHARS = MAX_CHARS = 12_000
CELL_CHARS = 2_000

DESCRIPTION = (
    "Shows the notebook cells the user executed in this kernel (In[n] source and Out[n] value), newest last. "
    "Use it to see what the user has been doing before answering about their notebook."
)


class NotebookHistoryTool:
    name = "notebook_history"
    supports_parallel = True

    def __init__(self, access: KernelAccess, masker: SecretMasker | None = None):
        self.access = access
        self.masker = masker or SecretMasker()

    def spec(self) -> dict[str, Any]:
        props = {
            "last_n": {"type": "number", "description": f"How many recent cells to show (default {DEFAULT_LAST_N}, max {MAX_LAST_N})."},
            "max_chars": {"type": "number", "description": f"Total character budget (default and max {MAX_CHARS})."},
        }
        return function_spec(self.name, DESCRIPTION, props, [])

    async def handle(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        args = call.json_arguments()
        last_n = min(int_arg(args, "last_n", DEFAULT_LAST_N), MAX_LAST_N)
        budget = min(int_arg(args, "max_chars", DEFAULT_CHARS), MAX_CHARS)
        entries = self.access.history(last_n)[-last_n:] if last_n else []
        if not entries:
            return ToolResult("No cells have been executed in this kernel yet.")
        scope = self.masker.scope(namespace=self.access.user_namespace())
        return ToolResult(scope.finish(render_history(entries, budget, scope)))


def render_history(entries: list[HistoryEntry], budget: int, scope: MaskScope | None = None) -> str:
    """The newest cells that fit in `budget` characters, oldest first, secrets masked."""
    scope = scope or SecretMasker().scope()
    blocks: list[str] = []
    used = 0
    for entry in reversed(entries):
        block = _cell_text(entry, scope)
        if blocks and used + len(block) + 1 > budget:
            break
        blocks.append(block[:budget] if not blocks else block)
        used += len(block) + 1
    omitted = len(entries) - len(blocks)
    header = [f"({omitted} earlier cell{'s' if omitted != 1 else ''} omitted)"] if omitted else []
    return "\n".join(header + list(reversed(blocks)))


def _cell_text(entry: HistoryEntry, scope: MaskScope) -> str:
    policy = TruncationPolicy("bytes", CELL_CHARS)
    with scope.at(f"In [{entry.n}]"):
        source = masked_ends(scope.mask, entry.source.rstrip(), CELL_CHARS)
    text = f"In [{entry.n}]:\n{truncate_text(source, policy)}"
    if entry.output_text is not None:
        with scope.at(f"Out[{entry.n}]"):
            output = masked_ends(scope.mask, entry.output_text.rstrip(), CELL_CHARS)
        text += f"\nOut[{entry.n}]:\n{truncate_text(output, policy)}"
    return text
