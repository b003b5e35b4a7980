"""`list_dir`: a sorted, indented listing of a local directory tree (spec §4.2).

Arguments: `dir_path` (absolute, required), `offset` (1-based, default 1), `limit`
(default 25), `depth` (default 2).

Output: `Absolute path: <path>`, then the selected entries (sorted by their path relative
to `dir_path`, indented 2 spaces per level, suffixed `/` directory, `@` symlink, `?` other),
then `More than N entries found` when entries remain after the page. Names are cut to 500
UTF-8 bytes. Symlinks are listed but never followed.

Reads obey the read policy (read_policy.py): a refused `dir_path` (a credential folder,
a Jupyter runtime directory, `/proc/<pid>`, `/dev/...`, or a symlink to one) gives
`access denied: ...`; below it every directory is opened without following symlinks and
checked where it really is, and a protected one is listed by name but not entered.
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from dataclasses import dataclass
from typing import Any

from .base import ToolCall, ToolContext, ToolResult, function_spec
from .arguments import int_arg
from .errors import RespondToModel
from .read_policy import ReadPolicy

MAX_ENTRY_BYTES = 500
INDENT = "  "

DESCRIPTION = (
    "Lists entries in a local directory with 1-indexed entry numbers and simple type labels."
)


@dataclass(frozen=True)
class Entry:
    sort_key: str
    name: str
    depth: int
    suffix: str

    def formatted(self) -> str:
        return f"{INDENT * self.depth}{self.name}{self.suffix}"


class ListDirTool:
    name = "list_dir"
    supports_parallel = True

    def spec(self) -> dict[str, Any]:
        props = {
            "dir_path": {"type": "string", "description": "Absolute path to the directory to list."},
            "offset": {"type": "number", "description": "The entry number to start listing from (1 or greater)."},
            "limit": {"type": "number", "description": "The maximum number of entries to return."},
            "depth": {"type": "number", "description": "The maximum directory depth to traverse (1 or greater)."},
        }
        return function_spec(self.name, DESCRIPTION, props, ["dir_path"])

    async def handle(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        args = call.json_arguments()
        dir_path = args.get("dir_path")
        if not isinstance(dir_path, str):
            raise RespondToModel("failed to parse function arguments: missing string field `dir_path`")
        offset = int_arg(args, "offset", 1)
        limit = int_arg(args, "limit", 25)
        depth = int_arg(args, "depth", 2)
        if offset == 0:
            raise RespondToModel("offset must be a 1-indexed entry number")
        if limit == 0:
            raise RespondToModel("limit must be greater than zero")
        if depth == 0:
            raise RespondToModel("depth must be greater than zero")
        if not os.path.isabs(dir_path):
            raise RespondToModel("dir_path must be an absolute path")
        policy = ReadPolicy(ctx.hidden_paths)
        lines = await asyncio.to_thread(list_dir_page, dir_path, offset, limit, depth, policy)
        return ToolResult("\n".join([f"Absolute path: {dir_path}", *lines]))


def list_dir_page(dir_path: str, offset: int, limit: int, depth: int, policy: ReadPolicy) -> list[str]:
    """The formatted entries `offset .. offset+limit-1`, plus the "More than" line."""
    entries = collect_entries(dir_path, depth, policy)
    if not entries:
        return []
    entries.sort(key=lambda e: e.sort_key)
    start = offset - 1
    if start >= len(entries):
        raise RespondToModel("offset exceeds directory entry count")
    end = min(len(entries), start + limit)
    lines = [e.formatted() for e in entries[start:end]]
    if end < len(entries):
        lines.append(f"More than {end - start} entries found")
    return lines


def collect_entries(root: str, depth: int, policy: ReadPolicy) -> list[Entry]:
    """Breadth-first walk down to `depth` levels (1 = the directory's own entries).
    Subdirectories are entered through their real path, never through a symlink, and
    only when the read policy allows it."""
    real_root, top = _scan_root(root, policy)
    out: list[Entry] = []
    queue: deque[tuple[str, list[os.DirEntry[str]], str, int]] = deque([(real_root, top, "", depth)])
    while queue:
        real, entries, prefix, remaining = queue.popleft()
        for entry in entries:
            rel = f"{prefix}/{entry.name}" if prefix else entry.name
            kind = _suffix(entry)
            level = prefix.count("/") + 1 if prefix else 0
            out.append(Entry(cut_entry(rel), cut_entry(entry.name), level, kind))
            child = os.path.join(real, entry.name)
            if kind == "/" and remaining > 1 and not policy.entry_denied(child):
                scanned = policy.scan_dir(child)
                if scanned is not None:
                    queue.append((*scanned, rel, remaining - 1))
    return out


def _scan_root(path: str, policy: ReadPolicy) -> tuple[str, list[os.DirEntry[str]]]:
    try:
        fd, real = policy.open_real(path, directory=True)
        try:
            with os.scandir(fd) as it:
                return real, list(it)
        finally:
            os.close(fd)
    except OSError as err:
        raise RespondToModel(f"failed to read directory: {err}") from None


def _suffix(entry: os.DirEntry[str]) -> str:
    try:
        if entry.is_symlink():
            return "@"
        if entry.is_dir(follow_symlinks=False):
            return "/"
        if entry.is_file(follow_symlinks=False):
            return ""
    except OSError as err:
        raise RespondToModel(f"failed to inspect entry: {err}") from None
    return "?"


def cut_entry(text: str) -> str:
    """At most 500 UTF-8 bytes, never splitting a character; undecodable bytes become U+FFFD."""
    lossy = text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")
    raw = lossy.encode("utf-8")
    if len(raw) <= MAX_ENTRY_BYTES:
        return lossy
    return raw[:MAX_ENTRY_BYTES].decode("utf-8", errors="ignore")

