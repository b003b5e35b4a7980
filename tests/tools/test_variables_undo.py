"""Undoing run_python's variable changes through the turn journal (variables_undo.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from agent.protocol.policy import DangerFullAccess
from agent.tools.base import ToolCall
from agent.tools.kernel_access import NamespaceKernelAccess
from agent.tools.kernel_tools import kernel_tools
from agent.tools.variables_undo import NotCopyable, VariablesUndo, estimate_size, mentioned_names

from .fakes import FakeCtx


class Tracked:
    def __init__(self, items: list[int]):
        self.items = items


class LoopingCopy:
    """Its copy hook never returns and its size hook raises: neither may run."""

    calls = 0

    def __deepcopy__(self, memo: Any) -> Any:
        LoopingCopy.calls += 1
        while True:
            pass

    def __sizeof__(self) -> int:
        LoopingCopy.calls += 1
        raise RuntimeError("hostile __sizeof__")


class RaisingReduce:
    def __reduce_ex__(self, protocol: Any) -> Any:
        raise RuntimeError("no pickling")


class LoopingGetattr:
    def __getattr__(self, name: str) -> Any:
        while True:
            pass


def setup(ns: dict[str, Any]) -> tuple[Any, FakeCtx]:
    access = NamespaceKernelAccess(ns, hidden={"hidden_thing"})
    tool = {t.name: t for t in kernel_tools(access)}["run_python"]
    return tool, FakeCtx(cwd=Path.cwd(), sandbox_policy=DangerFullAccess())


async def run(tool: Any, ctx: FakeCtx, code: str) -> None:
    call = ToolCall(call_id="c", name="run_python", kind="function", payload=json.dumps({"code": code}))
    result = await tool.handle(call, ctx)
    assert result.success, result.output


def entry(ctx: FakeCtx) -> VariablesUndo:
    [undo] = [e for e in ctx.journal.entries if isinstance(e, VariablesUndo)]
    return undo


async def test_undo_deletes_created_rebinds_rebound_and_restores_deleted() -> None:
    keep, gone = [1, 2], {"a": 1}
    ns: dict[str, Any] = {"x": 1, "keep": keep, "gone": gone, "hidden_thing": 5}
    tool, ctx = setup(ns)
    await run(tool, ctx, "x = 2\nnew = 'n'\ndel gone\nhidden_thing = 6")
    await run(tool, ctx, "x = 3\nkeep = None\nnewer = 1")
    assert await ctx.journal.conflicts() == []
    report = await ctx.journal.revert()
    assert ns["x"] == 1 and ns["keep"] == [1, 2] and ns["gone"] == {"a": 1}
    assert "new" not in ns and "newer" not in ns
    assert ns["hidden_thing"] == 6, "kernel-owned names are not user variables"
    assert set(report.restored) == {"`x`", "`keep`", "`gone`", "`new` (deleted)", "`newer` (deleted)"}
    assert report.not_restored == []
    assert len(ctx.journal.entries) == 1, "one variables entry per turn"


async def test_in_place_mutation_within_budget_is_undone() -> None:
    data = [1, 2, 3]
    shared = {"k": [0]}
    obj = Tracked([7])
    ns: dict[str, Any] = {"data": data, "cfg": shared, "obj": obj, "untouched": [9]}
    tool, ctx = setup(ns)
    await run(tool, ctx, "data.append(4)\ncfg['k'].append(1)\nobj.items.clear()")
    assert data == [1, 2, 3, 4]
    report = await ctx.journal.revert()
    assert ns["data"] == [1, 2, 3] and ns["cfg"] == {"k": [0]} and ns["obj"].items == [7]
    assert ns["untouched"] == [9]
    assert "`untouched`" not in report.restored, "names the code does not mention are left alone"
    assert report.not_restored == []


async def test_over_budget_object_is_reported_and_rebound_to_the_original() -> None:
    big = list(range(50_000))
    ns: dict[str, Any] = {"big": big, "small": [1]}
    tool, ctx = setup(ns)
    entry_budget = 64 * 1024
    undo = entry(await _first(tool, ctx, "pass"))
    undo.budget = entry_budget
    await run(tool, ctx, "big.append(-1)\nsmall.append(2)\nbig = 'rebound'")
    report = await ctx.journal.revert()
    assert ns["big"] is big, "no copy: the original object comes back"
    assert ns["small"] == [1]
    [(label, why)] = report.not_restored
    assert label == "`big`"
    assert re.fullmatch(r"in-place changes \(if any\) not undone: too large to copy: [\d.]+ MB", why), why


async def _first(tool: Any, ctx: FakeCtx, code: str) -> FakeCtx:
    await run(tool, ctx, code)
    return ctx


async def test_conflict_when_the_user_rebound_a_variable_since() -> None:
    ns: dict[str, Any] = {"x": 1}
    tool, ctx = setup(ns)
    await run(tool, ctx, "x = 2\ny = [1]\nz = 0")
    ns["x"] = 99  # the user, after the turn
    ns["y"] = [1]  # equal but another object
    del ns["z"]  # deleting what the turn created: undo would delete it anyway
    conflicts = await ctx.journal.conflicts()
    assert sorted(conflicts) == ["variable `x` (changed since the turn)", "variable `y` (changed since the turn)"]


@pytest.mark.parametrize("hostile_class", [LoopingCopy, RaisingReduce, LoopingGetattr])
async def test_hostile_objects_are_not_copied_and_reported(hostile_class: type) -> None:
    LoopingCopy.calls = 0
    hostile = hostile_class()
    ns: dict[str, Any] = {"h": hostile, "box": [hostile]}
    tool, ctx = setup(ns)
    await run(tool, ctx, "h.flag = 1\nbox.append(2)")
    report = await ctx.journal.revert()
    assert LoopingCopy.calls == 0
    assert ns["h"] is hostile and ns["box"][0] is hostile
    reasons = dict(report.not_restored)
    name = hostile_class.__qualname__
    assert reasons["`h`"].startswith(f"in-place changes (if any) not undone: not copyable: {name} defines __")
    assert reasons["`box`"] == reasons["`h`"]


def test_estimate_size_uses_nbytes_and_bounds_the_walk() -> None:
    np = pytest.importorskip("numpy")
    assert estimate_size(np.zeros(1000, dtype="float64")) >= 8000
    with pytest.raises(NotCopyable, match="more than 10 objects"):
        estimate_size(list(range(100)), limit=10)
    nested: list[Any] = []
    nested.append(nested)  # cycles are visited once
    assert estimate_size(nested) > 0


def test_pandas_frames_are_sized_deeply_and_copied() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"s": ["x" * 1000] * 100})
    assert estimate_size(frame) > 100_000


async def test_pandas_in_place_change_is_undone() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [1, 2, 3]})
    ns: dict[str, Any] = {"df": df}
    tool, ctx = setup(ns)
    await run(tool, ctx, "df['a'] = df['a'] * 10\ndf.loc[0, 'a'] = -1")
    await ctx.journal.revert()
    assert ns["df"]["a"].tolist() == [1, 2, 3]


def test_mentioned_names() -> None:
    assert mentioned_names("x.append(1)\ndef f():\n    global g\n    g = y\n") == {"x", "g", "y"}
    assert mentioned_names("this is (not python") == set()


class Sneaky(list):
    """A list subclass whose iteration runs code: its items are not read through it."""

    def __iter__(self):  # type: ignore[override]
        raise AssertionError("user __iter__ must not run")


def test_container_subclass_overrides_never_run() -> None:
    with pytest.raises(NotCopyable, match="not copyable: Sneaky defines __iter__"):
        estimate_size({"k": Sneaky([1, 2])})


def test_immutable_values_are_not_copied() -> None:
    from collections import namedtuple

    from agent.tools.variables_undo import is_mutable

    point = namedtuple("point", "x y")
    assert not is_mutable(point(1, 2)) and not is_mutable((1, ("a", 2.0))) and not is_mutable(len)
    assert is_mutable((1, [2])) and is_mutable(point(1, [2])) and is_mutable(Sneaky())
