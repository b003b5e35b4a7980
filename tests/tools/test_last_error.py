"""`last_error` over a recorded exception, and IPythonKernelAccess over a real IPython shell."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from agent.tools.base import ToolCall
from agent.tools.kernel_access import IPythonKernelAccess, NamespaceKernelAccess
from agent.tools.kernel_vars import KernelVariablesTool
from agent.tools.last_error import NO_ERROR, LastErrorTool, code_origin
from agent.tools.notebook_history import NotebookHistoryTool

from .fakes import FakeCtx


async def call_tool(tool: Any, **args: Any) -> str:
    call = ToolCall(call_id="c1", name=tool.name, kind="function", payload=json.dumps(args))
    result = await tool.handle(call, FakeCtx(cwd=Path.cwd()))
    assert result.success
    return result.output


def captured(fn: Any, *args: Any) -> BaseException:
    try:
        fn(*args)
    except BaseException as err:  # noqa: BLE001 - the test keeps whatever was raised
        return err
    raise AssertionError("expected an exception")


async def report(error: BaseException, **access: Any) -> str:
    kernel = NamespaceKernelAccess(**access)
    kernel.record_error(error)
    return await call_tool(LastErrorTool(kernel))


def divide(numerator: float, denominator: float) -> float:
    scale = 10
    rows = list(range(1_000))
    _ = rows
    return numerator * scale / denominator


def recurse(n: int) -> int:
    return recurse(n + 1)


async def test_no_error_yet() -> None:
    assert await call_tool(LastErrorTool(NamespaceKernelAccess())) == NO_ERROR


async def test_exception_in_a_function_shows_frames_and_bounded_locals() -> None:
    out = await report(captured(divide, 3, 0))
    assert out.startswith("ZeroDivisionError: division by zero\n\nTraceback (most recent call last):")
    assert f"{__file__}, line" in out and "in divide" in out
    assert "    return numerator * scale / denominator" in out
    assert "      numerator = 3" in out and "      denominator = 0" in out and "      scale = 10" in out
    rows_line = next(line for line in out.splitlines() if line.startswith("      rows = "))
    assert len(rows_line) <= 6 + 7 + 200 and "..." in rows_line


async def test_locals_are_limited_per_frame() -> None:
    body = "".join(f"    a{i:02d} = 'w' * 900\n" for i in range(17))
    ns: dict[str, Any] = {}
    exec(compile(f"def explode():\n{body}    raise ValueError('many')\n", "<ipython-input-9-aaaa>", "exec"), ns)  # noqa: S102
    out = await report(captured(ns["explode"]))
    assert "      … 2 more" in out and "      a14 = " in out and "a15" not in out
    assert all(len(line) <= 230 for line in out.splitlines() if line.startswith("      a"))


async def test_chained_exceptions_are_summarised() -> None:
    def load() -> None:
        try:
            {}["key"]
        except KeyError as err:
            raise RuntimeError("could not load") from err

    def handle() -> None:
        try:
            load()
        except RuntimeError:
            raise ValueError("while handling")

    out = await report(captured(handle))
    assert out.startswith("ValueError: while handling")
    assert "Raised while handling: RuntimeError: could not load" in out
    assert "Caused by (raise … from): KeyError: 'key'" in out
    assert 'raised at ' in out and '{}["key"]' in out


async def test_suppressed_context_is_not_shown() -> None:
    def hide() -> None:
        try:
            {}["key"]
        except KeyError:
            raise LookupError("clean") from None

    out = await report(captured(hide))
    assert "KeyError" not in out


async def test_library_frames_are_marked_without_locals() -> None:
    out = await report(captured(json.loads, "{"))
    assert out.startswith("JSONDecodeError: Expecting property name enclosed in double quotes")
    library = [line for line in out.splitlines() if "[library]" in line]
    assert library and all("json" in line for line in library)
    assert "locals:" not in out.split("[library]", 1)[1]


async def test_cell_frames_use_the_cell_label() -> None:
    filename = "<ipython-input-7-0123456789ab>"
    source = "def cell_fn(v):\n    w = v + 1\n    return w / 0\n"
    import linecache

    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    ns: dict[str, Any] = {}
    exec(compile(source, filename, "exec"), ns)  # noqa: S102
    out = await report(captured(ns["cell_fn"], 1), cell_labels={filename: "In[7]"})
    assert "  In[7], line 3, in cell_fn\n    return w / 0\n    locals:\n      v = 1\n      w = 2" in out


async def test_syntax_error_shows_the_offending_line() -> None:
    error = captured(compile, "x = (1,\ny = 2\n", "<ipython-input-4-bbbb>", "exec")
    out = await report(error)
    assert out.startswith("SyntaxError: '(' was never closed (<ipython-input-4-bbbb>, line 1)\n    x = (1,\n        ^\n\nTraceback")


async def test_deep_recursion_is_bounded() -> None:
    out = await report(captured(recurse, 0))
    assert out.startswith("RecursionError: maximum recursion depth exceeded")
    assert "frames omitted" in out
    assert len(out.encode()) <= 12_100


def test_code_origin_classification() -> None:
    access = NamespaceKernelAccess(cell_labels={"<ipython-input-3-abc>": "In[3]"})
    assert code_origin("<ipython-input-3-abc>", access) == ("cell", "In[3]")
    assert code_origin("/tmp/ipykernel_4242/123456.py", access)[0] == "cell"
    assert code_origin(json.__file__, access)[0] == "library"
    assert code_origin("/usr/lib/python3/site-packages/pandas/core/frame.py", access)[0] == "library"
    assert code_origin("/x/site-packages/IPython/core/interactiveshell.py", access)[0] == "internal"
    assert code_origin("/home/me/project/utils.py", access)[0] == "user"


@pytest.fixture
def ipython_shell() -> Any:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    saved = getattr(sys, "last_value", None)
    yield shell
    shell.reset(new_session=True)
    sys.last_value = saved


async def test_ipython_kernel_access_over_a_real_shell(ipython_shell: Any) -> None:
    shell = ipython_shell
    shell.reset(new_session=True)
    shell.run_cell("import os\nxs = [1, 2]\nxs", store_history=True)
    shell.run_cell("def g(v):\n    w = v * 2\n    return 1 / (v - v)\n", store_history=True)
    shell.run_cell("g(3)", store_history=True)
    access = IPythonKernelAccess(shell)

    assert {"In", "Out", "_i1", "_oh", "exit"} <= access.hidden_names()
    listing = await call_tool(KernelVariablesTool(access))
    assert listing.splitlines()[1:] == ["g | function |  | " + listing.splitlines()[1].split(" | ")[3], "xs | list | len 2 | [1, 2]"]

    error = await call_tool(LastErrorTool(access))
    assert error.startswith("ZeroDivisionError: division by zero")
    assert "  In[3], line 1, in <module>\n    g(3)\n" in error
    assert "  In[2], line 3, in g\n    return 1 / (v - v)\n    locals:\n      v = 3\n      w = 6" in error
    assert "interactiveshell" not in error

    history = await call_tool(NotebookHistoryTool(access), last_n=3)
    assert history.startswith("In [1]:\nimport os\nxs = [1, 2]\nxs\nOut[1]:\n[1, 2]\nIn [2]:\ndef g(v):")
    assert history.endswith("In [3]:\ng(3)")
    assert access.format_rich([1, 2]) == {"text/plain": "[1, 2]"}
    assert access.cell_label("<nope>") is None
