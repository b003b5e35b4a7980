"""apply_patch's live diff during a task (spec §1.2 turn_diff), and git-style file diffs.

`before_change(paths)` keeps each file's bytes the first time a task's apply_patch is about
to change it (absent files are remembered as absent), keyed by its resolved path
(`realpath`: the file apply_patch actually writes). `unified_diff()` compares every
baseline with the file on disk now, git-style: the `turn_diff` event after each step.
What the whole turn changed, whatever changed it, and undo come from workspace snapshots
(workspace_snapshot.py, core/undo_stack.py). `render_file_diff` renders one file's diff
for both.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Iterable

MAX_BASELINE_BYTES = 16 * 1024 * 1024


class TurnDiffTracker:
    def __init__(self, cwd: Path):
        self.cwd = cwd
        self._baselines: dict[Path, bytes | None] = {}

    def before_change(self, paths: Iterable[Path]) -> None:
        for path in paths:
            path = Path(os.path.realpath(path))
            if path in self._baselines:
                continue
            try:
                if path.is_file() and path.stat().st_size <= MAX_BASELINE_BYTES:
                    self._baselines[path] = path.read_bytes()
                elif not path.exists():
                    self._baselines[path] = None
            except OSError:
                continue

    @property
    def paths(self) -> list[Path]:
        return sorted(self._baselines)

    def _display(self, path: Path) -> str:
        try:
            return path.relative_to(self.cwd).as_posix()
        except ValueError:
            return path.as_posix()

    def unified_diff(self) -> str:
        return "".join(self._file_diff(path, before) for path, before in sorted(self._baselines.items()))

    def _file_diff(self, path: Path, before: bytes | None) -> str:
        after = path.read_bytes() if path.is_file() else None
        if before == after:
            return ""
        return render_file_diff(self._display(path), before, after)

def render_file_diff(name: str, before: bytes | None, after: bytes | None,
                     old_mode: int = 0o100644, new_mode: int = 0o100644) -> str:
    """One file's git-style diff (None: absent); binary content is named, not shown."""
    header = f"diff --git a/{name} b/{name}\n"
    if before is None:
        header += f"new file mode {new_mode:o}\n"
    elif after is None:
        header += f"deleted file mode {old_mode:o}\n"
    elif old_mode != new_mode:
        header += f"old mode {old_mode:o}\nnew mode {new_mode:o}\n"
    if before == after:
        return header
    old_text, new_text = _text(before), _text(after)
    if old_text is None or new_text is None:
        return header + f"Binary files a/{name} and b/{name} differ\n"
    old_name = f"a/{name}" if before is not None else "/dev/null"
    new_name = f"b/{name}" if after is not None else "/dev/null"
    lines = difflib.unified_diff(old_text.splitlines(True), new_text.splitlines(True), old_name, new_name)
    return header + "".join(_ensure_newline(line) for line in lines)


def _text(data: bytes | None) -> str | None:
    if data is None:
        return ""
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _ensure_newline(line: str) -> str:
    return line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
