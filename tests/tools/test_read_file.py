"""`read_file` through its real handler: slices, errors, decoding, bounds, indentation mode."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from agent.tools.base import ToolCall
from agent.tools.errors import RespondToModel
from agent.tools.read_file import ReadFileTool


from .fakes import FakeCtx


async def read(tmp_path: Path, **args: Any) -> str:
    call = ToolCall(call_id="c1", name="read_file", kind="function", payload=json.dumps(args))
    ctx = FakeCtx(cwd=tmp_path)
    result = await ReadFileTool().handle(call, ctx)
    assert result.success and ctx.events == [] and ctx.pending == []
    return result.output


async def read_error(tmp_path: Path, **args: Any) -> str:
    with pytest.raises(RespondToModel) as info:
        await read(tmp_path, **args)
    return info.value.message


def write(tmp_path: Path, content: str | bytes, name: str = "f.txt") -> str:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return str(path)


def test_spec_shape():
    spec = ReadFileTool().spec()
    assert spec["name"] == "read_file" and spec["type"] == "function"
    assert spec["parameters"]["required"] == ["file_path"]
    assert set(spec["parameters"]["properties"]) == {"file_path", "offset", "limit", "mode", "indentation"}
    assert ReadFileTool.supports_parallel is True


async def test_reads_requested_range(tmp_path):
    path = write(tmp_path, "alpha\nbeta\ngamma\n")
    assert await read(tmp_path, file_path=path, offset=2, limit=2) == "L2: beta\nL3: gamma"


async def test_defaults_read_whole_small_file(tmp_path):
    path = write(tmp_path, "one\ntwo")
    assert await read(tmp_path, file_path=path) == "L1: one\nL2: two"


async def test_limit_stops_early(tmp_path):
    path = write(tmp_path, "first\nsecond\nthird\n")
    assert await read(tmp_path, file_path=path, offset=1, limit=2) == "L1: first\nL2: second"


async def test_crlf_is_trimmed(tmp_path):
    path = write(tmp_path, "one\r\ntwo\r\n")
    assert await read(tmp_path, file_path=path) == "L1: one\nL2: two"


async def test_invalid_utf8_becomes_replacement_chars(tmp_path):
    path = write(tmp_path, b"\xff\xfe\nplain\n")
    assert await read(tmp_path, file_path=path, limit=2) == "L1: \ufffd\ufffd\nL2: plain"


async def test_long_lines_are_cut_to_500_chars(tmp_path):
    path = write(tmp_path, "x" * 550 + "\n" + "é" * 700 + "\nshort\n")
    out = (await read(tmp_path, file_path=path)).split("\n")
    assert out == ["L1: " + "x" * 500, "L2: " + "é" * 500, "L3: short"]


async def test_huge_single_line_is_streamed(tmp_path):
    path = write(tmp_path, "a" * (3 * 1024 * 1024) + "\nnext\n")
    assert await read(tmp_path, file_path=path, offset=2) == "L2: next"


async def test_big_file_small_slice_is_instant(tmp_path):
    path = tmp_path / "big.txt"
    with open(path, "wb") as f:
        f.write(b"line\n" * 10)
        f.truncate(2 * 1024**3)  # a sparse 2 GB file
    start = time.monotonic()
    out = await read(tmp_path, file_path=str(path), offset=1, limit=10)
    assert time.monotonic() - start < 1.0
    assert out.split("\n") == [f"L{i}: line" for i in range(1, 11)]


async def test_first_line_of_a_2gb_single_line_file_is_instant(tmp_path):
    path = tmp_path / "one-line.bin"
    with open(path, "wb") as f:
        f.truncate(2 * 1024**3)  # 2 GB of NUL bytes, no newline
    start = time.monotonic()
    out = await read(tmp_path, file_path=str(path), offset=1, limit=1)
    assert time.monotonic() - start < 1.0
    assert out == "L1: " + "\x00" * 500


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"offset": 0}, "offset must be a 1-indexed line number"),
        ({"limit": 0}, "limit must be greater than zero"),
        ({"offset": 5}, "offset exceeds file length"),
    ],
)
async def test_argument_errors(tmp_path, args, message):
    path = write(tmp_path, "only\n")
    assert await read_error(tmp_path, file_path=path, **args) == message


async def test_relative_path_is_rejected(tmp_path):
    write(tmp_path, "x\n")
    assert await read_error(tmp_path, file_path="f.txt") == "file_path must be an absolute path"


async def test_missing_file_and_bad_arguments(tmp_path):
    assert (await read_error(tmp_path, file_path=str(tmp_path / "nope"))).startswith("failed to read file: ")
    assert (await read_error(tmp_path, file_path=write(tmp_path, "x"), offset="a")).startswith(
        "failed to parse function arguments"
    )
    assert (await read_error(tmp_path, file_path=write(tmp_path, "x"), mode="zoom")).startswith(
        "failed to parse function arguments"
    )


async def test_empty_file_offset_exceeds(tmp_path):
    assert await read_error(tmp_path, file_path=write(tmp_path, "")) == "offset exceeds file length"


# ---------------------------------------------------------------- indentation mode


async def block(tmp_path: Path, text: str, offset: int = 1, limit: int = 200, **opts: Any) -> list[str]:
    path = write(tmp_path, text, "block.src")
    out = await read(tmp_path, file_path=path, offset=offset, limit=limit, mode="indentation", indentation=opts)
    return out.split("\n")


RUST_OUTER = "fn outer() {\n    if cond {\n        inner();\n    }\n    tail();\n}\n"


async def test_indentation_captures_block(tmp_path):
    got = await block(tmp_path, RUST_OUTER, 3, 10, anchor_line=3, max_levels=1, include_siblings=False)
    assert got == ["L2:     if cond {", "L3:         inner();", "L4:     }"]


async def test_indentation_expands_parents(tmp_path):
    text = "mod root {\n    fn outer() {\n        if cond {\n            inner();\n        }\n    }\n}\n"
    two = await block(tmp_path, text, 4, 50, anchor_line=4, max_levels=2)
    assert two == [
        "L2:     fn outer() {", "L3:         if cond {", "L4:             inner();", "L5:         }", "L6:     }",
    ]
    three = await block(tmp_path, text, 4, 50, anchor_line=4, max_levels=3)
    assert three == ["L1: mod root {", *two, "L7: }"]


async def test_indentation_sibling_flag(tmp_path):
    text = (
        "fn wrapper() {\n    if first {\n        do_first();\n    }\n"
        "    if second {\n        do_second();\n    }\n}\n"
    )
    alone = await block(tmp_path, text, 3, 50, anchor_line=3, max_levels=1, include_siblings=False)
    assert alone == ["L2:     if first {", "L3:         do_first();", "L4:     }"]
    both = await block(tmp_path, text, 3, 50, anchor_line=3, max_levels=1, include_siblings=True)
    assert both == alone + ["L5:     if second {", "L6:         do_second();", "L7:     }"]


async def test_indentation_python_sample(tmp_path):
    text = (
        "class Foo:\n    def __init__(self, size):\n        self.size = size\n"
        "    def double(self, value):\n        if value is None:\n            return 0\n"
        "        result = value * self.size\n        return result\n"
        "class Bar:\n    def compute(self):\n        helper = Foo(2)\n        return helper.double(5)\n"
    )
    got = await block(tmp_path, text, 1, 200, anchor_line=7, include_siblings=True, max_levels=1)
    assert got == [
        "L2:     def __init__(self, size):",
        "L3:         self.size = size",
        "L4:     def double(self, value):",
        "L5:         if value is None:",
        "L6:             return 0",
        "L7:         result = value * self.size",
        "L8:         return result",
    ]


CPP = (
    "#include <vector>\n#include <string>\n\nnamespace sample {\nclass Runner {\npublic:\n"
    "    void setup() {\n        if (enabled_) {\n            init();\n        }\n    }\n\n"
    "    // Run the code\n    int run() const {\n        switch (mode_) {\n"
    "            case Mode::Fast:\n                return fast();\n"
    "            case Mode::Slow:\n                return slow();\n"
    "            default:\n                return fallback();\n        }\n    }\n\n"
    "private:\n    bool enabled_ = false;\n    Mode mode_ = Mode::Fast;\n\n"
    "    int fast() const {\n        return 1;\n    }\n};\n}  // namespace sample\n"
)
CPP_SWITCH = [
    "L15:         switch (mode_) {",
    "L16:             case Mode::Fast:",
    "L17:                 return fast();",
    "L18:             case Mode::Slow:",
    "L19:                 return slow();",
    "L20:             default:",
    "L21:                 return fallback();",
    "L22:         }",
]


async def test_indentation_cpp_shallow(tmp_path):
    assert await block(tmp_path, CPP, 18, anchor_line=18, max_levels=1) == CPP_SWITCH


async def test_indentation_cpp_keeps_header_comment(tmp_path):
    got = await block(tmp_path, CPP, 18, anchor_line=18, max_levels=2)
    assert got == ["L13:     // Run the code", "L14:     int run() const {", *CPP_SWITCH, "L23:     }"]


async def test_indentation_cpp_without_header(tmp_path):
    got = await block(tmp_path, CPP, 18, anchor_line=18, max_levels=2, include_header=False)
    assert got == ["L14:     int run() const {", *CPP_SWITCH, "L23:     }"]


async def test_indentation_cpp_siblings(tmp_path):
    got = await block(tmp_path, CPP, 18, anchor_line=18, max_levels=2, include_siblings=True, include_header=False)
    assert got == [
        "L7:     void setup() {", "L8:         if (enabled_) {", "L9:             init();", "L10:         }",
        "L11:     }", "L12: ", "L13:     // Run the code", "L14:     int run() const {", *CPP_SWITCH, "L23:     }",
    ]


async def test_indentation_tabs_count_as_four_columns(tmp_path):
    text = "def f():\n\tif x:\n\t\ty()\n    z()\n  w()\n"
    got = await block(tmp_path, text, 3, anchor_line=3, max_levels=1)
    assert got == ["L2: \tif x:", "L3: \t\ty()", "L4:     z()"]


async def test_indentation_max_lines_caps_output(tmp_path):
    got = await block(tmp_path, CPP, 18, anchor_line=18, max_levels=1, max_lines=3)
    assert got == ["L17:                 return fast();", "L18:             case Mode::Slow:",
                   "L19:                 return slow();"]
    assert await block(tmp_path, CPP, 18, anchor_line=18, max_lines=1) == ["L18:             case Mode::Slow:"]


async def test_indentation_anchor_defaults_to_offset(tmp_path):
    assert await block(tmp_path, CPP, 18, max_levels=1) == CPP_SWITCH


async def test_indentation_errors(tmp_path):
    path = write(tmp_path, "a\nb\n")
    base = {"file_path": path, "mode": "indentation"}
    assert await read_error(tmp_path, **base, indentation={"anchor_line": 9}) == "anchor_line exceeds file length"
    assert await read_error(tmp_path, **base, offset=3) == "anchor_line exceeds file length"
    assert await read_error(tmp_path, **base, indentation={"max_lines": 0}) == "max_lines must be greater than zero"
    assert await read_error(tmp_path, **base, indentation={"anchor_line": 0}) == (
        "anchor_line must be a 1-indexed line number"
    )


async def test_indentation_window_is_bounded_on_big_files(tmp_path):
    path = tmp_path / "big.py"
    with open(path, "wb") as f:
        f.write(b"def f():\n    a = 1\n    b = 2\nx = 3\n")
        f.truncate(2 * 1024**3)  # NUL bytes follow: one huge line, never read
    start = time.monotonic()
    out = await read(tmp_path, file_path=str(path), mode="indentation", limit=3, indentation={"anchor_line": 2})
    assert time.monotonic() - start < 1.0
    assert out.split("\n") == ["L1: def f():", "L2:     a = 1", "L3:     b = 2"]
