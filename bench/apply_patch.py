"""apply_patch: 1,000 update hunks on a 100,000-line file, vs `git apply` of the same diff.

Each hunk has 3 lines of context on each side and a 1-line change, spread evenly through
the file. Our figure is `parse_patch` + `apply_hunks` in-process (median of fresh copies);
the baseline is `git apply` of the equivalent unified diff (made with
`git diff --no-index`), a subprocess, so its start-up cost is included and shown apart.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from .report import row

LINES = 100_000
HUNKS = 1_000
REPEAT = 5
CONTEXT = 3


def _make_inputs() -> tuple[str, str, str]:
    """(original file, patch text, expected new file)."""
    lines = [f"    value_{i} = compute({i}, 'x')  # line {i}" if i % 9 != 4 else "" for i in range(LINES)]
    new = list(lines)
    body = ["*** Begin Patch", "*** Update File: big.txt"]
    step = LINES // HUNKS
    for k in range(HUNKS):
        at = k * step + step // 2
        new[at] = f"    value_{at} = changed({k})"
        body.append("@@")
        body += [" " + line for line in lines[at - CONTEXT:at]]
        body += ["-" + lines[at], "+" + new[at]]
        body += [" " + line for line in lines[at + 1:at + 1 + CONTEXT]]
    body.append("*** End Patch")
    return "\n".join(lines) + "\n", "\n".join(body) + "\n", "\n".join(new) + "\n"


def _git_diff(work: Path, original: str, expected: str) -> str:
    (work / "old.txt").write_text(original)
    (work / "new.txt").write_text(expected)
    out = subprocess.run(["git", "diff", "--no-index", "--no-color", f"-U{CONTEXT}", "old.txt", "new.txt"],
                         cwd=work, capture_output=True, text=True).stdout
    hunks = out[out.index("\n@@ ") + 1:]
    return "--- a/big.txt\n+++ b/big.txt\n" + hunks


def _median_fresh(work: Path, original: str, fn) -> float:
    samples = []
    target = work / "big.txt"
    for _ in range(REPEAT):
        target.write_text(original)
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def run() -> None:
    from agent.tools.patch.apply import apply_hunks, compute_changes
    from agent.tools.patch.parser import parse_patch

    original, patch, expected = _make_inputs()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ours, theirs = root / "ours", root / "git"
        ours.mkdir()
        theirs.mkdir()

        ours_t = _median_fresh(ours, original, lambda: apply_hunks(parse_patch(patch), ours))
        assert (ours / "big.txt").read_text() == expected
        parse_t = statistics.median(_time(lambda: parse_patch(patch)) for _ in range(REPEAT))
        hunks = parse_patch(patch)
        (ours / "big.txt").write_text(original)
        verify_t = statistics.median(_time(lambda: compute_changes(hunks, ours)) for _ in range(REPEAT))

        if shutil.which("git") is None:
            row("parse_patch + apply_hunks (+ write)", f"{ours_t * 1000:.1f} ms")
            row("git apply", "git not found")
            return
        (theirs / "d.patch").write_text(_git_diff(theirs, original, expected))
        git_t = _median_fresh(theirs, original, lambda: subprocess.run(
            ["git", "apply", "d.patch"], cwd=theirs, check=True, capture_output=True))
        assert (theirs / "big.txt").read_text() == expected
        start_t = statistics.median(_time(lambda: subprocess.run(["git", "--version"], capture_output=True))
                                    for _ in range(REPEAT))

    row("git apply of the same diff (baseline)", f"{git_t * 1000:.1f} ms")
    row("  git start-up alone (git --version)", f"{start_t * 1000:.1f} ms")
    row("parse_patch + apply_hunks (+ write)", f"{ours_t * 1000:.1f} ms", ours_t / git_t)
    row("  of which parse_patch", f"{parse_t * 1000:.1f} ms")
    row("compute_changes (verified, with diff)", f"{verify_t * 1000:.1f} ms", verify_t / git_t)


def _time(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started
