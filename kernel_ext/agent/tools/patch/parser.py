"""Parse apply_patch text into hunks (spec §5.1–5.2; lenient mode is always on).

Contract:
    parse_patch(text) -> list[Hunk]      pure; raises PatchParseError

* The whole input is trimmed, split into lines, and must start with `*** Begin Patch` and
  end with `*** End Patch` (each compared after trimming the line). If not, a heredoc
  wrapper (`<<EOF`, `<<'EOF'`, `<<"EOF"` … `EOF`) around at least two inner lines is
  accepted and dropped.
* Hunk headers are matched on the trimmed line; the `*** Move to: ` line is not trimmed.
* Error texts follow upstream Codex byte for byte: `str(err)` is the model-facing form
  (`invalid patch: …` / `invalid hunk at line N, …`), `err.cli_message()` the form the
  standalone command prints (`Invalid patch: …` / `Invalid patch hunk on line N: …`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union

BEGIN_PATCH = "*** Begin Patch"
END_PATCH = "*** End Patch"
ADD_FILE = "*** Add File: "
DELETE_FILE = "*** Delete File: "
UPDATE_FILE = "*** Update File: "
MOVE_TO = "*** Move to: "
END_OF_FILE = "*** End of File"
CONTEXT_MARKER = "@@ "
EMPTY_CONTEXT_MARKER = "@@"

# Rust's `char::is_whitespace` (the Unicode White_Space property): what `str::trim` strips.
# Python's `str.strip()` differs slightly (it also strips U+001C..U+001F), so be explicit.
RUST_WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)

_HEREDOC_OPENERS = ("<<EOF", "<<'EOF'", '<<"EOF"')
_NO_LINES = "Update hunk does not contain any lines"


def rust_trim(s: str) -> str:
    return s.strip(RUST_WHITESPACE)


@dataclass(frozen=True)
class Chunk:
    """One `@@` section of an Update hunk."""

    change_context: str | None
    old_lines: list[str] = field(default_factory=list)
    new_lines: list[str] = field(default_factory=list)
    is_end_of_file: bool = False


@dataclass(frozen=True)
class AddFile:
    path: str
    contents: str


@dataclass(frozen=True)
class DeleteFile:
    path: str


@dataclass(frozen=True)
class UpdateFile:
    path: str
    move_path: str | None
    chunks: list[Chunk]


Hunk = Union[AddFile, DeleteFile, UpdateFile]


class PatchParseError(ValueError):
    """A patch that does not follow the grammar.

    `kind` is "patch" (bad Begin/End markers; `line_number` is None) or "hunk".
    """

    def __init__(self, kind: Literal["patch", "hunk"], message: str, line_number: int | None = None):
        self.kind = kind
        self.message = message
        self.line_number = line_number
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.kind == "patch":
            return f"invalid patch: {self.message}"
        return f"invalid hunk at line {self.line_number}, {self.message}"

    def cli_message(self) -> str:
        """The wording the standalone `apply_patch` command prints on stderr."""
        if self.kind == "patch":
            return f"Invalid patch: {self.message}"
        return f"Invalid patch hunk on line {self.line_number}: {self.message}"


def _split_lines(text: str) -> list[str]:
    """Rust's `str::lines`: split on `\\n`, drop one trailing `\\r` per line, no final empty line."""
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _check_boundaries(lines: list[str]) -> None:
    first = rust_trim(lines[0]) if lines else None
    last = rust_trim(lines[-1]) if lines else None
    if first == BEGIN_PATCH and last == END_PATCH:
        return
    if first is not None and first != BEGIN_PATCH:
        raise PatchParseError("patch", "The first line of the patch must be '*** Begin Patch'")
    raise PatchParseError("patch", "The last line of the patch must be '*** End Patch'")


def _patch_lines(lines: list[str]) -> list[str]:
    """The lines between the Begin/End markers, after the heredoc leniency of spec §5.2 step 3."""
    try:
        _check_boundaries(lines)
        return lines
    except PatchParseError:
        if len(lines) >= 4 and lines[0] in _HEREDOC_OPENERS and lines[-1].endswith("EOF"):
            inner = lines[1:-1]
            _check_boundaries(inner)
            return inner
        raise


def parse_patch(text: str) -> list[Hunk]:
    """Parse a whole patch. Zero hunks (Begin directly followed by End) is not an error here."""
    lines = _patch_lines(_split_lines(rust_trim(text)))
    body = lines[1:-1]
    hunks: list[Hunk] = []
    pos, line_number = 0, 2
    while pos < len(body):
        hunk, used = _parse_hunk(body, pos, line_number)
        hunks.append(hunk)
        pos += used
        line_number += used
    return hunks


def _parse_hunk(lines: list[str], pos: int, line_number: int) -> tuple[Hunk, int]:
    header = rust_trim(lines[pos])
    if header.startswith(ADD_FILE):
        contents: list[str] = []
        i = pos + 1
        while i < len(lines) and lines[i].startswith("+"):
            contents.append(lines[i][1:] + "\n")
            i += 1
        return AddFile(header[len(ADD_FILE):], "".join(contents)), i - pos
    if header.startswith(DELETE_FILE):
        return DeleteFile(header[len(DELETE_FILE):]), 1
    if header.startswith(UPDATE_FILE):
        path = header[len(UPDATE_FILE):]
        i = pos + 1
        move_path = None
        if i < len(lines) and lines[i].startswith(MOVE_TO):
            move_path = lines[i][len(MOVE_TO):]
            i += 1
        chunks: list[Chunk] = []
        while i < len(lines):
            if not rust_trim(lines[i]):
                i += 1
                continue
            if lines[i].startswith("*"):
                break
            chunk, used = _parse_chunk(lines, i, line_number + (i - pos), allow_missing_context=not chunks)
            chunks.append(chunk)
            i += used
        if not chunks:
            raise PatchParseError("hunk", f"Update file hunk for path '{path}' is empty", line_number)
        return UpdateFile(path, move_path, chunks), i - pos
    raise PatchParseError(
        "hunk",
        f"'{header}' is not a valid hunk header. Valid hunk headers: '*** Add File: {{path}}', "
        "'*** Delete File: {path}', '*** Update File: {path}'",
        line_number,
    )


def _parse_chunk(lines: list[str], pos: int, line_number: int, allow_missing_context: bool) -> tuple[Chunk, int]:
    first = lines[pos]
    if first == EMPTY_CONTEXT_MARKER:
        context, start = None, pos + 1
    elif first.startswith(CONTEXT_MARKER):
        context, start = first[len(CONTEXT_MARKER):], pos + 1
    elif allow_missing_context:
        context, start = None, pos
    else:
        raise PatchParseError(
            "hunk", f"Expected update hunk to start with a @@ context marker, got: '{first}'", line_number
        )
    if start >= len(lines):
        raise PatchParseError("hunk", _NO_LINES, line_number + 1)
    old: list[str] = []
    new: list[str] = []
    eof = False
    parsed = 0
    for k in range(start, len(lines)):  # by index: slicing the rest per chunk is quadratic
        line = lines[k]
        if line == END_OF_FILE:
            if parsed == 0:
                raise PatchParseError("hunk", _NO_LINES, line_number + 1)
            eof = True
            parsed += 1
            break
        tag = line[:1]
        if tag == "":
            old.append("")
            new.append("")
        elif tag == " ":
            old.append(line[1:])
            new.append(line[1:])
        elif tag == "+":
            new.append(line[1:])
        elif tag == "-":
            old.append(line[1:])
        else:
            if parsed == 0:
                raise PatchParseError(
                    "hunk",
                    f"Unexpected line found in update hunk: '{line}'. Every line should start with ' ' "
                    "(context line), '+' (added line), or '-' (removed line)",
                    line_number + 1,
                )
            break
        parsed += 1
    return Chunk(context, old, new, eof), parsed + (start - pos)
