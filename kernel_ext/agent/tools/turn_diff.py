"""Per-task file baselines: the turn's unified diff, and undo (spec §1.2 turn_diff, §12.4).

`before_change(paths)` snapshots each file the first time a task is about to change it
(absent files are remembered as absent). `unified_diff()` compares every baseline with
the file on disk now, git-style. `restore()` puts every baseline back.
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
        self._modes: dict[Path, int] = {}

    def before_change(self, paths: Iterable[Path]) -> None:
        for path in paths:
            path = Path(os.path.abspath(path))
            if path in self._baselines:
                continue
            try:
                if path.is_file() and path.stat().st_size <= MAX_BASELINE_BYTES:
                    self._baselines[path] = path.read_bytes()
                    self._modes[path] = path.stat().st_mode & 0o7777
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
        name = self._display(path)
        header = f"diff --git a/{name} b/{name}\n"
        if before is None:
            header += "new file mode 100644\n"
        elif after is None:
            header += "deleted file mode 100644\n"
        old_text, new_text = _text(before), _text(after)
        if old_text is None or new_text is None:
            return header + f"Binary files a/{name} and b/{name} differ\n"
        old_name = f"a/{name}" if before is not None else "/dev/null"
        new_name = f"b/{name}" if after is not None else "/dev/null"
        lines = difflib.unified_diff(old_text.splitlines(True), new_text.splitlines(True), old_name, new_name)
        return header + "".join(_ensure_newline(line) for line in lines)

    def restore(self) -> list[Path]:
        """Put every file back as it was before the task changed it. Returns the paths."""
        restored = []
        for path, before in sorted(self._baselines.items()):
            if before is None:
                if path.is_file():
                    path.unlink()
                    restored.append(path)
                continue
            if path.is_file() and path.read_bytes() == before:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.undo-tmp")
            tmp.write_bytes(before)
            os.chmod(tmp, self._modes.get(path, 0o644))
            os.replace(tmp, path)
            restored.append(path)
        return restored


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
