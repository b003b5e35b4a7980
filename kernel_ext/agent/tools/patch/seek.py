"""Locate a run of lines in a file, with Codex's four fuzz levels (spec §5.3).

Contract:
    seek_sequence(lines, pattern, start, eof, cache=None) -> int | None     pure

Passes, the first with a match wins; each scans start indices from the search start
(`len(lines) - len(pattern)` when `eof`, else `start`) up to `len(lines) - len(pattern)`:
  1. exact equality;  2. equal after rstrip;  3. equal after strip;
  4. equal after strip plus Unicode punctuation normalisation (`normalise`).
An empty pattern matches at `start`; a pattern longer than the file never matches.

Speed: every pass is a `list.index` scan for the pattern's first line (C speed) followed
by a window comparison, so an exact match costs O(distance scanned). The fuzzy passes
compare transformed copies of the lines; pass a `LineCache` to compute those copies once
per file instead of once per call (`compute` does this for all chunks of one file).
"""

from __future__ import annotations

from typing import Callable, Sequence

from .parser import RUST_WHITESPACE

_PUNCTUATION = {
    **{cp: "-" for cp in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212)},
    **{cp: "'" for cp in (0x2018, 0x2019, 0x201A, 0x201B)},
    **{cp: '"' for cp in (0x201C, 0x201D, 0x201E, 0x201F)},
    **{cp: " " for cp in (0x00A0, *range(0x2002, 0x200B), 0x202F, 0x205F, 0x3000)},
}
_TABLE = str.maketrans(_PUNCTUATION)


def _rstrip(s: str) -> str:
    return s.rstrip(RUST_WHITESPACE)


def _strip(s: str) -> str:
    return s.strip(RUST_WHITESPACE)


def normalise(s: str) -> str:
    """Pass 4: strip, then map typographic dashes, quotes and spaces to ASCII."""
    return s.strip(RUST_WHITESPACE).translate(_TABLE)


_TRANSFORMS: tuple[Callable[[str], str], ...] = (_rstrip, _strip, normalise)


class LineCache:
    """Lazily computed transformed copies of one file's lines, shared by many seeks."""

    def __init__(self, lines: Sequence[str]):
        self.lines = lines
        self._views: dict[int, list[str]] = {}

    def view(self, level: int) -> list[str]:
        """The lines as seen by fuzz pass `level` (2, 3 or 4)."""
        v = self._views.get(level)
        if v is None:
            v = self._views[level] = list(map(_TRANSFORMS[level - 2], self.lines))
        return v


def _find(hay: Sequence[str], pattern: Sequence[str], first: int, last: int, offset: int = 0) -> int | None:
    """First i in [first, last] with hay[i - offset : i - offset + len(pattern)] == pattern."""
    head = pattern[0]
    rest = list(pattern[1:])
    n = len(pattern)
    i = first
    index = hay.index
    while i <= last:
        try:
            i = index(head, i - offset, last - offset + 1) + offset
        except ValueError:
            return None
        j = i - offset
        if n == 1 or list(hay[j + 1:j + n]) == rest:
            return i
        i += 1
    return None


def seek_sequence(
    lines: Sequence[str],
    pattern: Sequence[str],
    start: int,
    eof: bool,
    cache: LineCache | None = None,
) -> int | None:
    """Index of the first line of `pattern` in `lines` at or after the search start, else None."""
    if not pattern:
        return start
    if len(pattern) > len(lines):
        return None
    last = len(lines) - len(pattern)
    first = last if eof else start
    if first > last:
        return None
    found = _find(lines, pattern, first, last)
    if found is not None:
        return found
    for level, transform in enumerate(_TRANSFORMS, start=2):
        pat = [transform(p) for p in pattern]
        if cache is not None and cache.lines is lines:
            found = _find(cache.view(level), pat, first, last)
        else:
            found = _find(list(map(transform, lines[first:])), pat, first, last, offset=first)
        if found is not None:
            return found
    return None
