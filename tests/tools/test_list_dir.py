"""`list_dir` through its real handler: format, depth, pagination, suffixes, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from agent.tools.base import ToolCall
from agent.tools.errors import RespondToModel
from agent.tools.list_dir import ListDirTool, cut_entry


from .fakes import FakeCtx


async def listing(tmp_path: Path, **args: Any) -> list[str]:
    args.setdefault("dir_path", str(tmp_path))
    call = ToolCall(call_id="c1", name="list_dir", kind="function", payload=json.dumps(args))
    ctx = FakeCtx(cwd=tmp_path)
    result = await ListDirTool().handle(call, ctx)
    assert result.success and ctx.events == []
    lines = result.output.split("\n")
    assert lines[0] == f"Absolute path: {args['dir_path']}"
    return lines[1:]


async def listing_error(tmp_path: Path, **args: Any) -> str:
    with pytest.raises(RespondToModel) as info:
        await listing(tmp_path, **args)
    return info.value.message


def make_tree(root: Path) -> None:
    (root / "nested" / "deeper").mkdir(parents=True)
    (root / "root.txt").write_text("root")
    (root / "nested" / "child.txt").write_text("child")
    (root / "nested" / "deeper" / "grandchild.txt").write_text("deep")


def test_spec_shape():
    spec = ListDirTool().spec()
    assert spec["name"] == "list_dir" and spec["parameters"]["required"] == ["dir_path"]
    assert set(spec["parameters"]["properties"]) == {"dir_path", "offset", "limit", "depth"}
    assert ListDirTool.supports_parallel is True


async def test_lists_entries_with_suffixes(tmp_path):
    make_tree(tmp_path)
    os.symlink(tmp_path / "root.txt", tmp_path / "link")
    os.mkfifo(tmp_path / "pipe")
    assert await listing(tmp_path, depth=3, limit=20) == [
        "link@",
        "nested/",
        "  child.txt",
        "  deeper/",
        "    grandchild.txt",
        "pipe?",
        "root.txt",
    ]


async def test_depth_parameter(tmp_path):
    make_tree(tmp_path)
    assert await listing(tmp_path, depth=1) == ["nested/", "root.txt"]
    assert await listing(tmp_path) == ["nested/", "  child.txt", "  deeper/", "root.txt"]
    assert await listing(tmp_path, depth=3) == [
        "nested/", "  child.txt", "  deeper/", "    grandchild.txt", "root.txt",
    ]


async def test_symlinked_directories_are_not_followed(tmp_path):
    make_tree(tmp_path)
    os.symlink(tmp_path / "nested", tmp_path / "alias")
    assert await listing(tmp_path, depth=1) == ["alias@", "nested/", "root.txt"]


async def test_pagination_in_sorted_order(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / f"{name}_child.txt").write_text(name)
    assert await listing(tmp_path, limit=2) == ["a/", "  a_child.txt", "More than 2 entries found"]
    assert await listing(tmp_path, offset=3, limit=2) == ["b/", "  b_child.txt"]


async def test_truncation_line_and_default_limit(tmp_path):
    for i in range(40):
        (tmp_path / f"file_{i:02}.txt").write_text("x")
    lines = await listing(tmp_path, depth=1)
    assert len(lines) == 26 and lines[0] == "file_00.txt" and lines[-1] == "More than 25 entries found"


async def test_truncation_respects_sorted_order(tmp_path):
    make_tree(tmp_path)
    assert await listing(tmp_path, depth=3, limit=3) == [
        "nested/", "  child.txt", "  deeper/", "More than 3 entries found",
    ]


async def test_large_limit(tmp_path):
    for name in ("alpha.txt", "beta.txt", "gamma.txt"):
        (tmp_path / name).write_text(name)
    assert await listing(tmp_path, offset=2, limit=10**12, depth=1) == ["beta.txt", "gamma.txt"]


async def test_sort_is_by_relative_path_like_upstream(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "z.txt").write_text("z")
    (tmp_path / "a-b").write_text("x")
    # keys "a" < "a-b" < "a/z.txt": upstream sorts the flat list by relative path
    assert await listing(tmp_path) == ["a/", "a-b", "  z.txt"]


async def test_long_names_and_undecodable_names(tmp_path):
    long = "ab" * 127  # 254 bytes, near the usual file-name limit
    (tmp_path / long).mkdir()
    (tmp_path / long / long).write_text("x")
    os.close(os.open(os.fsencode(tmp_path) + b"/bad\xff", os.O_CREAT | os.O_WRONLY))
    assert await listing(tmp_path) == [f"{long}/", f"  {long}", "bad\ufffd"]


def test_entries_are_cut_to_500_bytes_on_a_char_boundary():
    assert cut_entry("é" * 300) == "é" * 250
    assert cut_entry("x" + "é" * 300) == "x" + "é" * 249
    assert cut_entry("short") == "short"


async def test_empty_directory(tmp_path):
    assert await listing(tmp_path) == []
    assert await listing(tmp_path, offset=5) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"offset": 0}, "offset must be a 1-indexed entry number"),
        ({"limit": 0}, "limit must be greater than zero"),
        ({"depth": 0}, "depth must be greater than zero"),
        ({"dir_path": "relative/dir"}, "dir_path must be an absolute path"),
        ({"offset": 10}, "offset exceeds directory entry count"),
    ],
)
async def test_errors(tmp_path, args, message):
    (tmp_path / "one").write_text("1")
    assert await listing_error(tmp_path, **args) == message


async def test_missing_directory(tmp_path):
    message = await listing_error(tmp_path, dir_path=str(tmp_path / "missing"))
    assert message.startswith("failed to read directory: ")
