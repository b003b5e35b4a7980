"""Unified diffs of patched files: hunks only (`@@ -a,b +c,d @@`), no file headers, one
line of context, "\\ No newline at end of file" markers — like upstream's `similar` output.

    unified_diff(old, new) -> str
    replacement_diff(original, original_lines, replacements, result_lines) -> str
        the same diff for a patched file, from the patch's replacements (no whole-file diff)

Diffs are computed on lines WITHOUT terminators plus a flag "the text ends with \n"; only
the very last line can differ in its terminator, so opcodes from the line lists are exact
except near the end, which `_finish_opcodes` re-diffs on the real text lines. difflib runs
only on small regions: over a whole 100k-line file it takes tens of seconds.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Sequence

__all__ = ["DIFF_CONTEXT", "Replacement", "disjoint", "replacement_diff", "unified_diff"]

DIFF_CONTEXT = 1
MAX_DIFF_WORK = 4_000_000
"""len(a) * len(b) above which a changed region is shown as a plain replace."""

Replacement = tuple[int, int, list[str]]
"""(start, old_len, new_lines): replace `old_len` lines from `start` by `new_lines`."""

Opcode = tuple[str, int, int, int, int]


def disjoint(replacements: Sequence[Replacement]) -> bool:
    """Whether sorted replacements do not overlap."""
    return all(a[0] + a[1] <= b[0] for a, b in zip(replacements, replacements[1:]))


@dataclass(frozen=True)
class _Text:
    lines: list[str]
    ends_with_newline: bool

    @classmethod
    def of(cls, text: str) -> _Text:
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()
            return cls(lines, True)
        return cls(lines, False)

    @property
    def safe(self) -> int:
        """Lines below this index certainly end with "\n"."""
        return len(self.lines) if self.ends_with_newline else len(self.lines) - 1

    def line(self, i: int) -> str:
        return self.lines[i] + "\n" if i < self.safe else self.lines[i]


def _region_opcodes(a: Sequence[str], b: Sequence[str], i0: int, j0: int) -> list[Opcode]:
    """Opcodes for a[...] vs b[...] (offsets i0, j0): common ends, then difflib if needed."""
    n = min(len(a), len(b))
    p = 0
    while p < n and a[p] == b[p]:
        p += 1
    s = 0
    while s < n - p and a[len(a) - 1 - s] == b[len(b) - 1 - s]:
        s += 1
    ops: list[Opcode] = [("equal", i0, i0 + p, j0, j0 + p)] if p else []
    ma, mb = a[p:len(a) - s], b[p:len(b) - s]
    ia, jb = i0 + p, j0 + p
    if not ma and mb:
        ops.append(("insert", ia, ia, jb, jb + len(mb)))
    elif ma and not mb:
        ops.append(("delete", ia, ia + len(ma), jb, jb))
    elif ma and mb:
        if len(ma) == len(mb) == 1 or len(ma) * len(mb) > MAX_DIFF_WORK:
            ops.append(("replace", ia, ia + len(ma), jb, jb + len(mb)))
        else:
            sm = difflib.SequenceMatcher(None, ma, mb, autojunk=False)
            ops += [(t, i1 + ia, i2 + ia, j1 + jb, j2 + jb) for t, i1, i2, j1, j2 in sm.get_opcodes()]
    if s:
        ops.append(("equal", i0 + len(a) - s, i0 + len(a), j0 + len(b) - s, j0 + len(b)))
    return ops


def _merge_equal(ops: list[Opcode]) -> list[Opcode]:
    out: list[Opcode] = []
    for op in ops:
        if op[1] == op[2] and op[3] == op[4]:
            continue
        if out and op[0] == "equal" and out[-1][0] == "equal":
            prev = out[-1]
            out[-1] = ("equal", prev[1], op[2], prev[3], op[4])
        else:
            out.append(op)
    return out


def _finish_opcodes(ops: list[Opcode], a: _Text, b: _Text) -> list[Opcode]:
    """Keep the opcodes that only touch lines with a certain "\n"; re-diff the rest as text."""
    out: list[Opcode] = []
    ci = cj = 0
    for tag, i1, i2, j1, j2 in _merge_equal(ops):
        if i2 <= a.safe and j2 <= b.safe:
            out.append((tag, i1, i2, j1, j2))
            ci, cj = i2, j2
            continue
        if tag == "equal":
            d = min(a.safe - i1, b.safe - j1)
            if d > 0:
                out.append(("equal", i1, i1 + d, j1, j1 + d))
                ci, cj = i1 + d, j1 + d
        break
    tail_a = [a.line(i) for i in range(ci, len(a.lines))]
    tail_b = [b.line(j) for j in range(cj, len(b.lines))]
    return _merge_equal(out + _region_opcodes(tail_a, tail_b, ci, cj))


def _replacement_opcodes(orig: list[str], replacements: Sequence[Replacement], result: list[str]) -> list[Opcode]:
    """Opcodes orig -> result, from the replacements (no whole-file diff)."""
    if not disjoint(replacements):
        return _region_opcodes(orig, result, 0, 0)
    ops: list[Opcode] = []
    i = j = 0
    for start, old_len, new in replacements:
        if start > i:
            ops.append(("equal", i, start, j, j + start - i))
            j += start - i
            i = start
        ops += _region_opcodes(orig[start:start + old_len], new, i, j)
        i += old_len
        j += len(new)
    if i < len(orig):
        ops.append(("equal", i, len(orig), j, j + len(orig) - i))
    return ops


def _grouped(ops: list[Opcode], n: int) -> list[list[Opcode]]:
    """difflib's get_grouped_opcodes, on precomputed opcodes."""
    if not ops:
        return []
    ops = list(ops)
    tag, i1, i2, j1, j2 = ops[0]
    if tag == "equal":
        ops[0] = (tag, max(i1, i2 - n), i2, max(j1, j2 - n), j2)
    tag, i1, i2, j1, j2 = ops[-1]
    if tag == "equal":
        ops[-1] = (tag, i1, min(i2, i1 + n), j1, min(j2, j1 + n))
    groups: list[list[Opcode]] = []
    group: list[Opcode] = []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal" and i2 - i1 > 2 * n:
            group.append((tag, i1, min(i2, i1 + n), j1, min(j2, j1 + n)))
            groups.append(group)
            group = []
            i1, j1 = max(i1, i2 - n), max(j1, j2 - n)
        group.append((tag, i1, i2, j1, j2))
    groups.append(group)
    return [g for g in groups if any(op[0] != "equal" for op in g)]


def _range(start: int, stop: int) -> str:
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start if length == 0 else start + 1},{length}"


def _render(a: _Text, b: _Text, ops: list[Opcode], context: int) -> str:
    out: list[str] = []

    def emit(prefix: str, line: str) -> None:
        out.append(prefix + line)
        if not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")

    for group in _grouped(ops, context):
        first, last = group[0], group[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            for i in range(i1, i2):
                emit(" " if tag == "equal" else "-", a.line(i))
            if tag != "equal":
                for j in range(j1, j2):
                    emit("+", b.line(j))
    return "".join(out)


def unified_diff(old: str, new: str, context: int = DIFF_CONTEXT) -> str:
    """Hunks only (`@@ -a,b +c,d @@`), no file headers, like upstream's `similar` output."""
    a, b = _Text.of(old), _Text.of(new)
    return _render(a, b, _finish_opcodes(_region_opcodes(a.lines, b.lines, 0, 0), a, b), context)


def replacement_diff(
    original: str, original_lines: list[str], replacements: Sequence[Replacement], result_lines: list[str]
) -> str:
    """`unified_diff(original, new)` where the new text is `original_lines` with `replacements`
    applied (`result_lines`, final newline ensured), computed from the replacements alone."""
    a = _Text(original_lines, original.endswith("\n"))
    b = _Text(result_lines[:-1] if result_lines and result_lines[-1] == "" else result_lines, True)
    ops = _replacement_opcodes(original_lines, replacements, result_lines)
    return _render(a, b, _finish_opcodes(ops, a, b), DIFF_CONTEXT)
