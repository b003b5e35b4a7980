"""`notebook_history`: executed cells on request, bounded per cell and in total."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from agent.tools.base import ToolCall
from agent.tools.errors import RespondToModel
from agent.tools.kernel_access import HistoryEntry, NamespaceKernelAccess
from agent.tools.notebook_history import NotebookHistoryTool

from .fakes import FakeCtx


async def history(access: NamespaceKernelAccess, **args: Any) -> str:
    call = ToolCall(call_id="c1", name="notebook_history", kind="function", payload=json.dumps(args))
    result = await NotebookHistoryTool(access).handle(call, FakeCtx(cwd=Path.cwd()))
    assert result.success
    return result.output


def kernel_with(cells: int, source: str = "x = {n}", output: str | None = None) -> NamespaceKernelAccess:
    access = NamespaceKernelAccess()
    for n in range(1, cells + 1):
        access.add_history(source.format(n=n), None if output is None else output.format(n=n))
    return access


async def test_no_cells_yet() -> None:
    assert await history(NamespaceKernelAccess()) == "No cells have been executed in this kernel yet."


async def test_cells_with_inputs_and_outputs_newest_last() -> None:
    access = NamespaceKernelAccess()
    access.add_history("import pandas as pd")
    access.add_history("df = pd.DataFrame()\ndf.shape", "(0, 0)")
    assert await history(access) == "In [1]:\nimport pandas as pd\nIn [2]:\ndf = pd.DataFrame()\ndf.shape\nOut[2]:\n(0, 0)"


async def test_last_n_defaults_to_ten_and_is_capped() -> None:
    access = kernel_with(150)
    default = await history(access)
    assert default.startswith("In [141]:\nx = 141") and default.endswith("In [150]:\nx = 150")
    assert (await history(access, last_n=2)) == "In [149]:\nx = 149\nIn [150]:\nx = 150"
    capped = await history(access, last_n=1_000)
    assert capped.count("In [") == 100 and capped.startswith("In [51]:")
    assert await history(access, last_n=0) == "No cells have been executed in this kernel yet."


async def test_long_cells_are_cut_in_the_middle() -> None:
    access = NamespaceKernelAccess()
    access.add_history("# start\n" + "y = 1\n" * 2_000 + "# end", "o" * 10_000)
    out = await history(access)
    source, output = out.split("\nOut[1]:\n")
    assert source.startswith("In [1]:\n# start") and source.endswith("# end") and "chars truncated" in source
    assert len(source) < 2_100 and len(output) < 2_100


async def test_total_budget_keeps_the_newest_cells() -> None:
    access = kernel_with(20, source="{n}: " + "s" * 1_500, output="o" * 1_500)
    out = await history(access, last_n=20)
    assert len(out) <= 12_000 + 100
    assert out.startswith("(17 earlier cells omitted)\nIn [18]:") and out.endswith("o" * 100)
    small = await history(access, last_n=20, max_chars=3_500)
    assert small.startswith("(19 earlier cells omitted)\nIn [20]:")


async def test_history_callback_receives_last_n() -> None:
    asked: list[int] = []

    def provide(last_n: int) -> list[HistoryEntry]:
        asked.append(last_n)
        return [HistoryEntry(7, "print('hi')", None)]

    assert await history(NamespaceKernelAccess(history=provide), last_n=3) == "In [7]:\nprint('hi')"
    assert asked == [3]


async def test_bad_arguments_go_back_to_the_model() -> None:
    with pytest.raises(RespondToModel):
        await history(kernel_with(1), last_n=-1)
    with pytest.raises(RespondToModel):
        await history(kernel_with(1), max_chars="many")
