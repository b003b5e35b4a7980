"""Small pure helpers for the transcript: a bounded output tail and per-file diff entries.

`OutputTail` keeps only the last `limit` bytes of a command's output (plus how many
earlier bytes were dropped), so a 10 MB flood costs a fixed amount of memory; a cut tail
is shown from the next line start, never mid-line.
`file_entries(changes)` turns protocol `FileChange`s into JSON-ready dicts that always
carry a unified diff with file headers, clipped to a size that a browser can render.
"""

from __future__ import annotations

import base64
import binascii
import re

from agent.protocol import events as ev

DEFAULT_TAIL_BYTES = 64 * 1024
DEFAULT_DIFF_CHARS = 256 * 1024

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


class OutputTail:
    """The last `limit` bytes of a byte stream; `truncated` counts the bytes dropped before it."""

    def __init__(self, limit: int = DEFAULT_TAIL_BYTES):
        self.limit = limit
        self.total = 0
        self._buf = bytearray()
        self._at_line_start = True  # the last byte dropped before the buffer ended a line

    def append(self, data: bytes) -> None:
        self.total += len(data)
        if len(data) >= self.limit:
            if len(data) > self.limit:
                self._at_line_start = data[len(data) - self.limit - 1] == 0x0A
            elif self._buf:
                self._at_line_start = self._buf[-1] == 0x0A
            self._buf = bytearray(data[len(data) - self.limit :])
            return
        self._buf += data
        excess = len(self._buf) - self.limit
        if excess > 0:
            self._at_line_start = self._buf[excess - 1] == 0x0A
            del self._buf[:excess]

    def append_base64(self, chunk: str) -> None:
        """Append a base64 chunk as sent in `exec_command_output_delta`; bad input is ignored."""
        try:
            self.append(base64.b64decode(chunk))
        except (binascii.Error, ValueError):
            return

    def _start(self) -> int:
        """Where the shown tail starts in the buffer: after a cut, at the next line boundary
        (when a line follows it), else past any cut UTF-8 character."""
        if self.total == len(self._buf) or self._at_line_start:
            return 0
        data = self._buf
        newline = data.find(b"\n")
        if 0 <= newline < len(data) - 1:
            return newline + 1
        skip = 0
        while skip < min(4, len(data)) and data[skip] & 0xC0 == 0x80:
            skip += 1
        return skip

    @property
    def truncated(self) -> int:
        """The bytes before the shown text (dropped from the buffer or cut to a line start)."""
        return self.total - len(self._buf) + self._start()

    def text(self) -> str:
        """The tail as display text: UTF-8 starting at a line start when it was cut, ANSI escapes removed."""
        data = bytes(self._buf[self._start() :])
        return clean_terminal_text(data.decode("utf-8", "replace"))


SHELLS = frozenset({"bash", "sh", "zsh", "dash"})


def command_text(argv: list[str]) -> str:
    """How a command is shown: `bash -c SCRIPT` / `bash -lc SCRIPT` as the script itself
    (as Codex shows it; the approval still covers the exact argv), anything else joined
    with readable quoting (`'` inside quotes as `'"'"'`). Same rule as text.ts `commandText`."""
    if len(argv) == 3 and argv[0].rsplit("/", 1)[-1] in SHELLS and argv[1] in ("-c", "-lc") and argv[2].strip():
        return argv[2]
    return " ".join("''" if a == "" else a if re.fullmatch(r"[\w@%+=:,./-]+", a) else "'" + a.replace("'", "'\"'\"'") + "'"
                    for a in argv)


def clean_terminal_text(text: str) -> str:
    """Drop ANSI escape sequences and collapse carriage-return progress lines."""
    text = _ANSI.sub("", text).replace("\r\n", "\n")
    if "\r" not in text:
        return text
    return "\n".join(_last_segment(line) for line in text.split("\n"))


def _last_segment(line: str) -> str:
    segments = [s for s in line.split("\r") if s]
    return segments[-1] if segments else ""


def clip_head(text: str, limit: int) -> tuple[str, int]:
    """At most `limit` characters of `text`, cut at a line end; returns (text, lines omitted)."""
    if len(text) <= limit:
        return text, 0
    cut = text.rfind("\n", 0, limit)
    cut = limit if cut <= 0 else cut + 1
    return text[:cut], text[cut:].count("\n") + (0 if text.endswith("\n") else 1)


def clip_tail(text: str, limit: int) -> tuple[str, int]:
    """At most the last `limit` characters of `text`, starting at a line start when a line
    boundary falls inside them; returns (text, characters omitted)."""
    if len(text) <= limit:
        return text, 0
    start = len(text) - limit
    newline = -1 if text[start - 1] == "\n" else text.find("\n", start, len(text) - 1)
    if newline >= 0:
        start = newline + 1
    return text[start:], start


def file_entries(changes: dict[str, ev.FileAdd | ev.FileDelete | ev.FileUpdate], limit: int = DEFAULT_DIFF_CHARS) -> list[dict]:
    """One `{path, change, move_path, diff, omitted_lines}` dict per changed file, in order."""
    return [file_entry(path, change, limit) for path, change in changes.items()]


def file_entry(path: str, change: ev.FileAdd | ev.FileDelete | ev.FileUpdate, limit: int = DEFAULT_DIFF_CHARS) -> dict:
    move_path = change.move_path if isinstance(change, ev.FileUpdate) else None
    diff, omitted = clip_head(file_diff(path, change), limit)
    return {"path": path, "change": change.type, "move_path": move_path, "diff": diff, "omitted_lines": omitted}


def file_diff(path: str, change: ev.FileAdd | ev.FileDelete | ev.FileUpdate) -> str:
    """A unified diff with `---`/`+++` headers for any kind of file change."""
    if isinstance(change, ev.FileAdd):
        return _whole_file_diff("/dev/null", f"b/{path}", change.content, "+")
    if isinstance(change, ev.FileDelete):
        return _whole_file_diff(f"a/{path}", "/dev/null", change.content, "-")
    header = f"--- a/{path}\n+++ b/{change.move_path or path}\n"
    body = change.unified_diff
    return header + body + ("" if not body or body.endswith("\n") else "\n")


def _whole_file_diff(old: str, new: str, content: str, sign: str) -> str:
    lines = content.splitlines()
    span = f"-0,0 +1,{len(lines)}" if sign == "+" else f"-1,{len(lines)} +0,0"
    body = "".join(f"{sign}{line}\n" for line in lines)
    return f"--- {old}\n+++ {new}\n@@ {span} @@\n{body}"
