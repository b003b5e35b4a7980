"""`kernel_variables` through its real handler over a plain-dict kernel."""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from agent.tools.base import ToolCall
from agent.tools.errors import RespondToModel
from agent.tools.kernel_access import NamespaceKernelAccess, safe_repr
from agent.tools.kernel_vars import KernelVariablesTool, human_bytes

from .fakes import FakeCtx


async def inspect_vars(ns: dict[str, Any], hidden: frozenset[str] = frozenset(), **args: Any) -> str:
    tool = KernelVariablesTool(NamespaceKernelAccess(ns, hidden=set(hidden)))
    call = ToolCall(call_id="c1", name="kernel_variables", kind="function", payload=json.dumps(args))
    ctx = FakeCtx(cwd=Path.cwd())
    result = await tool.handle(call, ctx)
    assert result.success and ctx.events == []
    return result.output


async def inspect_error(ns: dict[str, Any], **args: Any) -> str:
    with pytest.raises(RespondToModel) as info:
        await inspect_vars(ns, **args)
    return info.value.message


def add(a: int, b: int = 2, *, scale: float = 1.0) -> float:
    """Add two numbers and scale the sum.

    Used to check the docstring is shown."""
    return (a + b) * scale


class Config:
    def __init__(self) -> None:
        self.lr = 0.01
        self.layers = [64, 32]
        self._private = "hidden"

    @property
    def broken(self) -> int:
        raise ValueError("property exploded")


class Model:
    def __init__(self) -> None:
        self.config = Config()

    def fit(self) -> None:
        """Train."""


class BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("repr exploded")


class HugeRepr:
    def __repr__(self) -> str:
        return "x" * 5_000_000


# --- listing ---------------------------------------------------------------------------------


async def test_listing_skips_hidden_modules_and_underscore_names() -> None:
    ns = {"x": 1, "name": "Ada", "_private": 2, "os": os, "In": [""], "Out": {}, "get_ipython": print,
          "_i1": "x = 1", "exit": None, "secret_hidden": 3, "__builtins__": {}}
    out = await inspect_vars(ns, hidden=frozenset({"secret_hidden"}))
    lines = out.splitlines()
    assert lines[0] == "name | type | size | value"
    assert lines[1:] == ["name | str | len 3 | 'Ada'", "x | int |  | 1"]


async def test_listing_shows_sizes_and_one_line_values() -> None:
    ns = {"df": pd.DataFrame({"a": [1, 2], "b": [3, 4]}), "arr": np.zeros((3, 4)), "items": list(range(50)),
          "text": "line one\nline two", "s": pd.Series([1.5, 2.5], name="price")}
    rows = {line.split(" | ")[0]: line for line in (await inspect_vars(ns)).splitlines()[1:]}
    assert rows["df"] == "df | pandas.DataFrame | 2x2 | columns: a, b"
    assert rows["arr"] == "arr | numpy.ndarray | 3x4, 96 B | dtype=float64"
    assert rows["items"] == "items | list | len 50 | [0, 1, 2, 3, 4, 5, ...]"
    assert rows["text"] == "text | str | len 17 | 'line one\\nline two'"
    assert rows["s"] == "s | pandas.Series | 2 | dtype=float64, name='price'"


async def test_listing_is_bounded() -> None:
    ns = {f"var_{i:04d}": "v" * 200 for i in range(500)}
    out = await inspect_vars(ns)
    assert len(out) <= 8_200
    assert out.splitlines()[-1].startswith("… showing ")
    assert "of 500 variables" in out


async def test_empty_namespace() -> None:
    assert await inspect_vars({"_": 1}) == "No user variables are defined in the kernel."


# --- data frames -----------------------------------------------------------------------------


async def test_pandas_dataframe_schema_head_and_describe() -> None:
    df = pd.DataFrame({"age": [31, 45, None, 22], "city": ["Oslo", "Lima", "Pune", None], "score": [0.5, 0.7, 0.9, 0.1]})
    out = await inspect_vars({"df": df}, name="df", max_rows=2)
    assert out.startswith("df: pandas.DataFrame\nshape: 4 rows x 3 columns")
    assert "  age: float64, 1 null" in out and "  score: float64, 0 null" in out
    assert "  city: " in out
    head = out.split("head(2):\n")[1].split("\ndescribe")[0]
    assert "Oslo" in head and "Lima" in head and "Pune" not in head
    assert "describe (2 numeric columns, all rows):" in out
    assert "mean" in out and "50%" in out


async def test_million_row_dataframe_is_fast_and_bounded() -> None:
    n = 1_000_000
    df = pd.DataFrame({f"c{i}": np.arange(n, dtype=np.float64) * i for i in range(8)} | {"label": ["x"] * n})
    started = time.monotonic()
    out = await inspect_vars({"big": df}, name="big")
    assert time.monotonic() - started < 1.0
    assert len(out.encode()) <= 12_100
    assert "shape: 1000000 rows x 9 columns" in out and "describe (8 numeric columns, all rows)" in out


async def test_wide_dataframe_lists_a_bounded_number_of_columns() -> None:
    df = pd.DataFrame(np.zeros((3, 300)), columns=[f"col{i}" for i in range(300)])
    out = await inspect_vars({"wide": df}, name="wide")
    assert "  … 240 more columns" in out
    assert "describe (20 numeric columns, all rows)" in out
    assert len(out.encode()) <= 12_100


async def test_pandas_series() -> None:
    out = await inspect_vars({"s": pd.Series([1.0, None, 3.0], name="v")}, name="s")
    assert "length: 3, dtype: float64, name: 'v'" in out
    assert "nulls:\n1" in out and "head(5):" in out and "describe (1 numeric column, all rows)" in out


async def test_polars_dataframe_series_and_lazy_frame() -> None:
    df = pl.DataFrame({"a": [1, 2, None], "s": ["x", "y", "z"]})
    out = await inspect_vars({"pdf": df}, name="pdf", max_rows=2)
    assert "shape: 3 rows x 2 columns" in out
    assert "  a: Int64, 1 null" in out and "  s: String, 0 null" in out
    assert "head(2):" in out and "describe (1 numeric column, all rows)" in out and "null_count" in out
    series = await inspect_vars({"ps": df["a"]}, name="ps")
    assert "length: 3, dtype: Int64, name: 'a', nulls: 1" in series
    lazy = await inspect_vars({"lf": df.lazy()}, name="lf")
    assert "lazy frame (not collected)" in lazy and "  s: String" in lazy


# --- arrays ----------------------------------------------------------------------------------


async def test_numpy_array_stats_and_values() -> None:
    out = await inspect_vars({"a": np.array([[1.0, 2.0], [3.0, np.nan]])}, name="a")
    assert "shape: (2, 2), dtype: float64, size: 4, nbytes: 32 B" in out
    assert "min: 1, max: 3, mean: 2, std: 0.816497, nan: 1" in out
    assert "[[ 1.  2.]" in out


async def test_numpy_int_bool_and_object_arrays() -> None:
    ints = await inspect_vars({"a": np.arange(10)}, name="a")
    assert "min: 0, max: 9, mean: 4.5" in ints
    flags = await inspect_vars({"a": np.array([True, False, True])}, name="a")
    assert "true: 2, false: 1" in flags
    objects = await inspect_vars({"a": np.array([{"k": 1}, None], dtype=object)}, name="a")
    assert "stats" not in objects and "dtype: object" in objects


async def test_huge_array_skips_stats_and_summarises_values() -> None:
    out = await inspect_vars({"a": np.zeros(10_000_001, dtype=np.int8)}, name="a")
    assert "stats: skipped (more than 10,000,000 elements)" in out
    assert "..." in out and len(out) < 2_000


# --- callables, modules, attribute paths -----------------------------------------------------


async def test_function_signature_doc_and_source() -> None:
    out = await inspect_vars({"add": add}, name="add")
    assert "add(a: 'int', b: 'int' = 2, *, scale: 'float' = 1.0) -> 'float'" in out
    assert "Add two numbers and scale the sum." in out
    assert f"defined in: {__file__}" in out
    assert "source:\ndef add(" in out


async def test_class_and_builtin_callables() -> None:
    model = await inspect_vars({"Model": Model}, name="Model")
    assert "Model()" in model and "methods: fit" in model
    builtin = await inspect_vars({"ln": len}, name="ln")
    assert "len(obj, /)" in builtin and "source" not in builtin


async def test_module_shows_name_and_file() -> None:
    out = await inspect_vars({"json": json}, name="json")
    assert out.startswith("json: module\nmodule json")
    assert f"file: {json.__file__}" in out


async def test_attribute_path_by_getattr() -> None:
    out = await inspect_vars({"model": Model()}, name="model.config")
    assert out.startswith("model.config: tests.Config\n")
    assert "  lr = 0.01" in out and "  layers = [64, 32]" in out and "_private" not in out
    assert (await inspect_vars({"model": Model()}, name="model.config.lr")).startswith("model.config.lr: float")


async def test_property_that_raises_is_reported() -> None:
    message = await inspect_error({"model": Model()}, name="model.config.broken")
    assert message == "reading `model.config.broken` raised ValueError: property exploded"


async def test_missing_attribute_suggests_close_names() -> None:
    message = await inspect_error({"model": Model()}, name="model.confg")
    assert "`model.confg` does not exist" in message and "Did you mean `config`?" in message


async def test_paths_with_calls_or_indexing_are_refused() -> None:
    for path in ("df['a']", "f()", "a + b", "x.1"):
        message = await inspect_error({"df": 1}, name=path)
        assert "not a variable name or dotted attribute path" in message


async def test_unknown_name_suggests_a_close_match() -> None:
    message = await inspect_error({"dataframe": 1, "other": 2}, name="datafrme")
    assert message == "`datafrme` is not defined in the kernel. Did you mean `dataframe`?"
    message = await inspect_error({"other": 2}, name="zzz")
    assert "Call kernel_variables without `name`" in message


# --- reprs -----------------------------------------------------------------------------------


async def test_repr_that_raises_is_reported_not_raised() -> None:
    out = await inspect_vars({"bad": BadRepr()}, name="bad")
    assert "<BadRepr object: repr() raised RuntimeError: repr exploded>" in out
    listing = await inspect_vars({"bad": BadRepr()})
    assert "repr() raised RuntimeError" in listing


async def test_huge_values_are_bounded() -> None:
    ns = {"big": list(range(1_000_000)), "text": "y" * 1_000_000, "huge": HugeRepr(),
          "mapping": {i: str(i) for i in range(1_000_000)}, "nested": [[[[[1]]]]]}
    started = time.monotonic()
    for name in ns:
        out = await inspect_vars(ns, name=name)
        assert len(out.encode()) <= 12_100, name
    assert time.monotonic() - started < 2.0
    assert "size: len 1000000" in await inspect_vars(ns, name="big")
    assert "..." in await inspect_vars(ns, name="huge")


def test_safe_repr_helpers() -> None:
    assert safe_repr(10 ** 5000, 80).startswith("<int object: repr failed: ValueError")
    assert safe_repr({"b": 1, "a": 2}) == "{'b': 1, 'a': 2}"
    assert safe_repr(set(range(100)), items=3).endswith(", ...}")
    assert human_bytes(1023) == "1023 B" and human_bytes(3 * 1024 ** 2) == "3.0 MB"
    assert math.isclose(float(safe_repr(0.5)), 0.5)


async def test_bad_arguments_go_back_to_the_model() -> None:
    assert "must be a string" in await inspect_error({"x": 1}, name=3)
    assert "non-negative integer" in await inspect_error({"x": 1}, name="x", max_rows=-1)
