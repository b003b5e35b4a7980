"""`read_file`: numbered lines of a local file, as a slice or an indentation block (spec §4.2).

Arguments: `file_path` (absolute, required), `offset` (1-based, default 1), `limit`
(default 2000), `mode` (`slice` | `indentation`) and `indentation` {anchor_line,
max_levels (0 = unlimited), include_siblings, include_header, max_lines}.

Output lines are `L{n}: {text}` joined by newlines; each line is cut to 500 characters and
invalid UTF-8 becomes U+FFFD. The file is streamed line by line and never read past what
the request needs; only the head of an overlong line is kept, and its rest is skipped in
chunks when a later line is wanted.

The file is opened under the read policy (read_policy.py, the session's
`ctx.hidden_paths`): credentials, Jupyter control files, per-process `/proc` entries and
devices are refused with a one-line `access denied: ...`, whatever path leads to them.
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from dataclasses import dataclass
from typing import Any, BinaryIO, Iterator

from .base import ToolCall, ToolContext, ToolResult, function_spec
from .arguments import bool_arg, int_arg, str_arg
from .errors import RespondToModel
from .read_policy import ReadPolicy

MAX_LINE_CHARS = 500
TAB_WIDTH = 4
COMMENT_PREFIXES = ("#", "//", "--")
DEFAULT_LIMIT = 2000
_KEEP_BYTES = 4 * MAX_LINE_CHARS + 4
"""Bytes kept from the start of each line: always enough to decode 500 characters."""
_CHUNK = 64 * 1024

DESCRIPTION = (
    "Reads a local file with 1-indexed line numbers, supporting slice and indentation-aware block modes."
)


@dataclass(frozen=True)
class Line:
    """One line of the file: its number, decoded head (no line ending) and measurements."""

    number: int
    text: str
    indent: int
    blank: bool

    @property
    def display(self) -> str:
        return self.text[:MAX_LINE_CHARS]

    def is_comment(self) -> bool:
        return self.text.strip().startswith(COMMENT_PREFIXES)

    def formatted(self) -> str:
        return f"L{self.number}: {self.display}"


@dataclass(frozen=True)
class IndentOptions:
    anchor_line: int | None = None
    max_levels: int = 0
    include_siblings: bool = False
    include_header: bool = True
    max_lines: int | None = None


class ReadFileTool:
    name = "read_file"
    supports_parallel = True

    def spec(self) -> dict[str, Any]:
        indentation = {
            "type": "object",
            "properties": {
                "anchor_line": _prop("number", "Anchor line to center on (1-indexed); defaults to offset."),
                "max_levels": _prop("number", "How many parent indentation levels to include (0 = unlimited)."),
                "include_siblings": _prop("boolean", "Include sibling blocks at the same indentation."),
                "include_header": _prop("boolean", "Include comment lines directly above the block."),
                "max_lines": _prop("number", "Hard cap on returned lines; defaults to limit."),
            },
            "additionalProperties": False,
        }
        props = {
            "file_path": _prop("string", "Absolute path to the file"),
            "offset": _prop("number", "The line number to start reading from. Must be 1 or greater."),
            "limit": _prop("number", "The maximum number of lines to return."),
            "mode": _prop("string", 'Optional mode selector: "slice" (default) or "indentation".'),
            "indentation": indentation,
        }
        return function_spec(self.name, DESCRIPTION, props, ["file_path"])

    async def handle(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        args = call.json_arguments()
        path = str_arg(args, "file_path", required=True)
        offset = int_arg(args, "offset", 1)
        limit = int_arg(args, "limit", DEFAULT_LIMIT)
        mode = args.get("mode") or "slice"
        if mode not in ("slice", "indentation"):
            raise RespondToModel(
                f"failed to parse function arguments: unknown mode `{mode}`, expected `slice` or `indentation`"
            )
        if offset == 0:
            raise RespondToModel("offset must be a 1-indexed line number")
        if limit == 0:
            raise RespondToModel("limit must be greater than zero")
        if not os.path.isabs(path):
            raise RespondToModel("file_path must be an absolute path")
        policy = ReadPolicy(ctx.hidden_paths)
        if mode == "slice":
            lines = await asyncio.to_thread(read_slice, path, offset, limit, policy)
        else:
            options = _indent_options(args.get("indentation"))
            lines = await asyncio.to_thread(read_block, path, offset, limit, options, policy)
        return ToolResult("\n".join(lines))


def read_slice(path: str, offset: int, limit: int, policy: ReadPolicy) -> list[str]:
    """Lines `offset .. offset+limit-1`, formatted; stops reading once `limit` lines are out."""
    out: list[str] = []
    seen = 0
    with _open(path, policy) as f:
        for line in iter_lines(f):
            seen = line.number
            if seen >= offset:
                out.append(line.formatted())
                if len(out) == limit:
                    break
    if seen < offset:
        raise RespondToModel("offset exceeds file length")
    return out


def read_block(path: str, offset: int, limit: int, options: IndentOptions, policy: ReadPolicy) -> list[str]:
    """The indentation block around the anchor line (default: `offset`), formatted."""
    anchor = offset if options.anchor_line is None else options.anchor_line
    if anchor == 0:
        raise RespondToModel("anchor_line must be a 1-indexed line number")
    guard = limit if options.max_lines is None else options.max_lines
    if guard == 0:
        raise RespondToModel("max_lines must be greater than zero")
    cap = min(limit, guard)
    window, total = _window(path, anchor, cap, policy)
    if total is not None and anchor > total:
        raise RespondToModel("anchor_line exceeds file length")
    final_limit = cap if total is None else min(cap, total)
    anchor_idx = next(i for i, line in enumerate(window) if line.number == anchor)
    picked = _walk(window, anchor_idx, final_limit, options)
    return [line.formatted() for line in picked]


def _window(path: str, anchor: int, cap: int, policy: ReadPolicy) -> tuple[list[Line], int | None]:
    """Lines `anchor-cap+1 .. anchor+cap-1` (all the walk can reach: it takes at most
    cap-1 lines on either side), blank lines carrying the previous line's indent.

    Returns the window and the file's line count when the end of file was reached
    (None when reading stopped early)."""
    keep: deque[Line] = deque(maxlen=2 * cap - 1)
    previous_indent = 0
    last = anchor + cap - 1
    number = 0
    with _open(path, policy) as f:
        for line in iter_lines(f):
            number = line.number
            if not line.blank:
                previous_indent = line.indent
            keep.append(Line(line.number, line.text, previous_indent, line.blank))
            if number >= last:
                return list(keep), None
    return list(keep), number


def _walk(lines: list[Line], anchor_idx: int, final_limit: int, opt: IndentOptions) -> list[Line]:
    """Grow the block up and down from the anchor while lines stay at or above the
    minimum indentation; stop at a second line at the minimum unless siblings are wanted
    (header comments above the block are always allowed with include_header)."""
    anchor = lines[anchor_idx]
    if final_limit == 1:
        return [anchor]
    min_indent = 0 if opt.max_levels == 0 else max(0, anchor.indent - opt.max_levels * TAB_WIDTH)
    out: deque[Line] = deque([anchor])
    up, down = anchor_idx - 1, anchor_idx + 1
    up_at_min = down_at_min = 0
    while len(out) < final_limit:
        progressed = False
        if up >= 0:
            line = lines[up]
            if line.indent < min_indent:
                up = -1
            elif line.indent == min_indent and not opt.include_siblings and up_at_min > 0 and not (
                opt.include_header and line.is_comment()
            ):
                up = -1
            else:
                up_at_min += line.indent == min_indent and not opt.include_siblings
                out.appendleft(line)
                progressed = True
                up -= 1
                if len(out) >= final_limit:
                    break
        if down < len(lines):
            line = lines[down]
            if line.indent < min_indent:
                down = len(lines)
            elif line.indent == min_indent and not opt.include_siblings and down_at_min > 0:
                down = len(lines)
            else:
                down_at_min += line.indent == min_indent and not opt.include_siblings
                out.append(line)
                progressed = True
                down += 1
        if not progressed:
            break
    return _trim_blank(list(out))


def _trim_blank(lines: list[Line]) -> list[Line]:
    start, end = 0, len(lines)
    while start < end and lines[start].blank:
        start += 1
    while end > start and lines[end - 1].blank:
        end -= 1
    return lines[start:end]


def iter_lines(f: BinaryIO) -> Iterator[Line]:
    """Yield each line of a binary file with bounded memory per line.

    `text` is the decoded head of the line (at most `_KEEP_BYTES` bytes, `\\n`/`\\r\\n`
    removed); `indent` counts leading spaces and tabs (tab = 4); `blank` tells whether the
    head is whitespace only. The rest of an overlong line is skipped only when the caller
    asks for the next line, so stopping after a line never reads past its head."""
    number = 0
    while True:
        head = f.readline(_KEEP_BYTES)
        if not head:
            return
        number += 1
        complete = head.endswith(b"\n")
        if complete:
            head = head[:-2] if head.endswith(b"\r\n") else head[:-1]
        text = head.decode("utf-8", errors="replace")
        yield Line(number, text, _measure_indent(text), not text.strip())
        if not complete:
            _skip_rest_of_line(f)


def _skip_rest_of_line(f: BinaryIO) -> None:
    while True:
        chunk = f.readline(_CHUNK)
        if not chunk or chunk.endswith(b"\n"):
            return


def _measure_indent(text: str) -> int:
    width = 0
    for ch in text:
        if ch == " ":
            width += 1
        elif ch == "\t":
            width += TAB_WIDTH
        else:
            break
    return width


def _open(path: str, policy: ReadPolicy) -> BinaryIO:
    """The file, opened under the read policy (a refusal goes to the model as is)."""
    try:
        return os.fdopen(policy.open(path), "rb")
    except OSError as err:
        raise RespondToModel(f"failed to read file: {err}") from None


def _prop(kind: str, description: str) -> dict[str, str]:
    return {"type": kind, "description": description}


def _indent_options(raw: Any) -> IndentOptions:
    if raw is None:
        return IndentOptions()
    if not isinstance(raw, dict):
        raise RespondToModel("failed to parse function arguments: indentation must be an object")
    anchor = int_arg(raw, "anchor_line", None)
    max_lines = int_arg(raw, "max_lines", None)
    return IndentOptions(
        anchor_line=anchor,
        max_levels=int_arg(raw, "max_levels", 0),
        include_siblings=bool_arg(raw, "include_siblings", False),
        include_header=bool_arg(raw, "include_header", True),
        max_lines=max_lines,
    )





