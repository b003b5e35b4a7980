"""apply_patch: 1,000 update hunks on a 100,000-line file, vs `git apply` of the same diff.

Each hunk has 3 lines of context on each side and a 1-line change, spread evenly through
the file. Our figure is `parse_patch` + `apply_hunks` in-process; the baseline is
`git apply` of the equivalent unified diff (made with `git diff --no-index`), a
subprocess, so its start-up cost is included and shown apart. Every sample starts from a
fresh copy of the file (restoring it is not timed), and the samples of ours and git's
alternate, one of each per round, the order rotating.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable

from .report import interleaved, median, row

LINES = 100_000
HUNKS = 1_000
ROUNDS = 5
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


def _fresh(target: Path, original: str, fn: Callable[[], object]) -> Callable[[], float]:
    """A sample that restores `target` to `original` (not timed), then times `fn`."""

    def sample() -> float:
        target.write_text(original)
        started = time.perf_counter()
        fn()
        return time.perf_counter() - started

    return sample


def run() -> None:
    from agent.tools.patch.apply import apply_hunks, compute_changes
    from agent.tools.patch.parser import parse_patch

    original, patch, expected = _make_inputs()
    if shutil.which("git") is None:
        raise RuntimeError("git not found: the baseline (`git apply`) cannot run")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ours, theirs = root / "ours", root / "git"
        ours.mkdir()
        theirs.mkdir()
        (theirs / "d.patch").write_text(_git_diff(theirs, original, expected))
        hunks = parse_patch(patch)

        def git_apply() -> None:
            subprocess.run(["git", "apply", "d.patch"], cwd=theirs, check=True, capture_output=True)

        def our_apply() -> None:
            apply_hunks(parse_patch(patch), ours)

        for target, apply in [(ours / "big.txt", our_apply), (theirs / "big.txt", git_apply)]:
            _fresh(target, original, apply)()
            assert target.read_text() == expected, target
        samples = interleaved({
            "git": _fresh(theirs / "big.txt", original, git_apply),
            "ours": _fresh(ours / "big.txt", original, our_apply),
            "git start-up": lambda: subprocess.run(["git", "--version"], capture_output=True),
            "parse": lambda: parse_patch(patch),
            "verify": _fresh(ours / "big.txt", original, lambda: compute_changes(hunks, ours)),
        }, ROUNDS)
    git_t, ours_t, start_t, parse_t, verify_t = (median(samples[k]) for k in samples)
    row("git apply of the same diff (baseline)", f"{git_t * 1000:.1f} ms")
    row("  git start-up alone (git --version)", f"{start_t * 1000:.1f} ms")
    row("parse_patch + apply_hunks (+ write)", f"{ours_t * 1000:.1f} ms", ours_t / git_t)
    row("  of which parse_patch", f"{parse_t * 1000:.1f} ms")
    row("compute_changes (verified, with diff)", f"{verify_t * 1000:.1f} ms", verify_t / git_t)
