"""`grep_files` through its real handler, with ripgrep and with the pure-Python fallback."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from agent.tools.base import ToolCall, ToolResult
from agent.tools.errors import RespondToModel
from agent.tools.grep_files import GrepFilesTool, glob_matcher


from .fakes import FakeCtx


BACKENDS = ["rg", "python"]


def make_tool(backend: str, **kw: Any) -> GrepFilesTool:
    if backend == "rg":
        assert shutil.which("rg"), "ripgrep must be installed (apt-get install -y ripgrep)"
        return GrepFilesTool(**kw)
    return GrepFilesTool(force_fallback=True, **kw)


async def grep(tool: GrepFilesTool, cwd: Path, **args: Any) -> ToolResult:
    call = ToolCall(call_id="c1", name="grep_files", kind="function", payload=json.dumps(args))
    ctx = FakeCtx(cwd=cwd)
    result = await tool.handle(call, ctx)
    assert ctx.events == [] and ctx.pending == []
    return result


async def grep_lines(backend: str, cwd: Path, **args: Any) -> list[str]:
    result = await grep(make_tool(backend), cwd, **args)
    assert result.success, result.output
    return result.output.split("\n")


def put(root: Path, rel: str, content: str | bytes, mtime: int | None = None) -> str:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return str(path)


def test_spec_shape():
    spec = GrepFilesTool().spec()
    assert spec["name"] == "grep_files" and spec["parameters"]["required"] == ["pattern"]
    assert set(spec["parameters"]["properties"]) == {"pattern", "include", "path", "limit"}
    assert GrepFilesTool.supports_parallel is True


@pytest.mark.parametrize("backend", BACKENDS)
async def test_newest_modified_first(backend, tmp_path):
    old = put(tmp_path, "a.txt", "a needle here\n", 1_000_000)
    new = put(tmp_path, "b.txt", "needle\n", 3_000_000)
    mid = put(tmp_path, "sub/c.txt", "x\nneedle y\n", 2_000_000)
    put(tmp_path, "d.txt", "nothing\n", 4_000_000)
    os.utime(tmp_path / "sub", (2_000_000, 2_000_000))  # rg sorts within each directory
    assert await grep_lines(backend, tmp_path, pattern="needle") == [new, mid, old]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_limit_keeps_newest(backend, tmp_path):
    paths = [put(tmp_path, f"f{i}.txt", "needle\n", 1_000_000 + i * 1000) for i in range(5)]
    assert await grep_lines(backend, tmp_path, pattern="needle", limit=2) == [paths[4], paths[3]]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_include_glob(backend, tmp_path):
    a = put(tmp_path, "top.py", "needle", 3_000_000)
    b = put(tmp_path, "pkg/deep/mod.py", "needle", 2_000_000)
    put(tmp_path, "notes.txt", "needle", 4_000_000)
    for rel in ("pkg/deep", "pkg"):
        os.utime(tmp_path / rel, (2_000_000, 2_000_000))
    assert await grep_lines(backend, tmp_path, pattern="needle", include="*.py") == [a, b]
    assert await grep_lines(backend, tmp_path, pattern="needle", include="pkg/**/*.py") == [b]
    assert await grep_lines(backend, tmp_path, pattern="needle", include="*.{py,txt}", limit=1) == [
        str(tmp_path / "notes.txt")
    ]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_regex_and_relative_path(backend, tmp_path):
    inside = put(tmp_path, "src/x.rs", "fn main() { neeeedle(); }")
    put(tmp_path, "other/y.rs", "neeeedle")
    assert await grep_lines(backend, tmp_path, pattern=r"ne+dle\(\)", path="src") == [inside]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_single_file_path(backend, tmp_path):
    target = put(tmp_path, "one.txt", "needle")
    assert await grep_lines(backend, tmp_path, pattern="needle", path=target) == [target]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_skips_hidden_git_and_binary(backend, tmp_path):
    visible = put(tmp_path, "ok.txt", "needle")
    put(tmp_path, ".git/config", "needle")
    put(tmp_path, ".hidden.txt", "needle")
    put(tmp_path, "blob.bin", b"\x00\x01needle\x00")
    assert await grep_lines(backend, tmp_path, pattern="needle") == [visible]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_no_matches(backend, tmp_path):
    put(tmp_path, "a.txt", "hay")
    result = await grep(make_tool(backend), tmp_path, pattern="needle")
    assert result == ToolResult("No matches found.", success=False)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"pattern": "   "}, "pattern must not be empty"),
        ({"pattern": "x", "limit": 0}, "limit must be greater than zero"),
    ],
)
async def test_argument_errors(backend, tmp_path, args, message):
    with pytest.raises(RespondToModel) as info:
        await grep(make_tool(backend), tmp_path, **args)
    assert info.value.message == message


@pytest.mark.parametrize("backend", BACKENDS)
async def test_missing_path(backend, tmp_path):
    with pytest.raises(RespondToModel) as info:
        await grep(make_tool(backend), tmp_path, pattern="x", path="missing")
    assert info.value.message.startswith(f"unable to access `{tmp_path / 'missing'}`: ")


@pytest.mark.parametrize("backend", BACKENDS)
async def test_invalid_regex(backend, tmp_path):
    put(tmp_path, "a.txt", "x")
    with pytest.raises(RespondToModel) as info:
        await grep(make_tool(backend), tmp_path, pattern="(unclosed")
    assert info.value.message.startswith("rg failed: ")


async def test_limit_is_capped_at_2000(tmp_path):
    from agent.tools.grep_files import _limit

    assert (_limit({}), _limit({"limit": 7}), _limit({"limit": 50_000})) == (100, 7, 2000)
    for i in range(3):
        put(tmp_path, f"f{i}.txt", "needle")
    assert len(await grep_lines("python", tmp_path, pattern="needle", limit=50_000)) == 3


async def test_fallback_skips_big_files(tmp_path):
    small = put(tmp_path, "small.txt", "needle")
    put(tmp_path, "big.txt", "needle\n" + "x" * (5 * 1024 * 1024))
    assert await grep_lines("python", tmp_path, pattern="needle") == [small]


async def test_fallback_timeout(tmp_path):
    put(tmp_path, "a.txt", "needle")
    with pytest.raises(RespondToModel) as info:
        await grep(GrepFilesTool(force_fallback=True, timeout_s=0), tmp_path, pattern="needle")
    assert info.value.message == "rg timed out after 0 seconds"


def slow_rg(tmp_path: Path) -> tuple[str, Path]:
    """A fake `rg` that records its pid and sleeps."""
    pid_file = tmp_path / "rg.pid"
    script = tmp_path / "fake-rg"
    script.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 30\n")
    script.chmod(0o755)
    return str(script), pid_file


def assert_gone(pid_file: Path) -> None:
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_rg_timeout_kills_the_process(tmp_path):
    rg, pid_file = slow_rg(tmp_path)
    tool = GrepFilesTool(rg_path=rg, timeout_s=0.5)
    with pytest.raises(RespondToModel) as info:
        await grep(tool, tmp_path, pattern="needle")
    assert info.value.message == "rg timed out after 0.5 seconds"
    assert_gone(pid_file)


async def test_default_timeout_message():
    from agent.tools.grep_files import TIMEOUT_S, _timeout_message

    assert _timeout_message(TIMEOUT_S) == "rg timed out after 30 seconds"


async def test_rg_cancellation_kills_the_process(tmp_path):
    rg, pid_file = slow_rg(tmp_path)
    task = asyncio.ensure_future(grep(GrepFilesTool(rg_path=rg), tmp_path, pattern="needle"))
    for _ in range(200):
        if pid_file.exists() and pid_file.read_text().strip():
            break
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert_gone(pid_file)


async def test_missing_rg_binary(tmp_path):
    with pytest.raises(RespondToModel) as info:
        await grep(GrepFilesTool(rg_path=str(tmp_path / "no-rg")), tmp_path, pattern="x")
    assert info.value.message.startswith(f"failed to launch ripgrep at `{tmp_path / 'no-rg'}`")


@pytest.mark.parametrize(
    ("glob", "path", "is_dir", "expected"),
    [
        ("*.py", "a.py", False, True),
        ("*.py", "deep/b.py", False, True),
        ("*.py", "a.pyc", False, False),
        ("*.py", "deep", True, True),
        ("src/*.py", "src/a.py", False, True),
        ("src/*.py", "src/x/a.py", False, False),
        ("src/**/*.py", "src/x/y/a.py", False, True),
        ("**/test_*.py", "test_a.py", False, True),
        ("*.{js,ts}", "a.ts", False, True),
        ("[ab].txt", "b.txt", False, True),
        ("[!ab].txt", "b.txt", False, False),
        ("!*.md", "README.md", False, False),
        ("!*.md", "main.rs", False, True),
        ("!vendor", "vendor", True, False),
        ("file?.txt", "file1.txt", False, True),
    ],
)
def test_glob_matcher(glob, path, is_dir, expected):
    assert glob_matcher(glob)(path, is_dir) is expected
