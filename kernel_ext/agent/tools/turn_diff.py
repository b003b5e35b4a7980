"""Per-task file baselines: the turn's unified diff, and undo (spec §1.2 turn_diff, §12.4).

`before_change(paths)` snapshots each file the first time a task is about to change it
(absent files are remembered as absent), keyed by its resolved path (`realpath`: the file
apply_patch actually writes; the caller passes only paths it is permitted to write). `unified_diff()` compares every baseline with the file on
disk now, git-style. `restore()` puts every baseline back.

Restores are confined (confined_fs): each recorded path is written exactly there, with
no symlink followed on the way and a fresh exclusive temp file, so a command that later
replaced a directory with a symlink to somewhere else, or planted a symlink where a temp
file would go, cannot redirect the write. A path that has become unsafe (a component is
now a symlink or not a directory, or `permitted` refuses it) is left alone and reported
in `RestoreResult.refused` with the reason; the other files are still restored.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

from .confined_fs import remove_file, write_file

MAX_BASELINE_BYTES = 16 * 1024 * 1024


@dataclass
class RestoreResult:
    restored: list[Path] = field(default_factory=list)
    refused: list[tuple[Path, str]] = field(default_factory=list)
    """(path, reason) for each path that was not restored because writing it was unsafe."""


class TurnDiffTracker:
    def __init__(self, cwd: Path, permitted: Optional[Callable[[Path], bool]] = None):
        self.cwd = cwd
        self.permitted = permitted
        """Where a restore may write (e.g. inside the session's writable roots); None: anywhere."""
        self._baselines: dict[Path, bytes | None] = {}
        self._modes: dict[Path, int] = {}

    def before_change(self, paths: Iterable[Path]) -> None:
        for path in paths:
            path = Path(os.path.realpath(path))
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

    def restore(self) -> RestoreResult:
        """Put every file back as it was before the task changed it (see the module docstring)."""
        result = RestoreResult()
        for path, before in sorted(self._baselines.items()):
            try:
                if self._restore_one(path, before):
                    result.restored.append(path)
            except OSError as err:
                result.refused.append((path, err.strerror or str(err)))
        return result

    def _restore_one(self, path: Path, before: bytes | None) -> bool:
        current = _current_bytes(path)
        if current == before:
            return False
        if before is None:
            remove_file(path, permitted=self.permitted)
        else:
            write_file(path, before, mode=self._modes.get(path, 0o644), permitted=self.permitted)
        return True


def _current_bytes(path: Path) -> bytes | None:
    """The file's bytes, None when absent; a symlink or non-file counts as changed."""
    try:
        if os.path.islink(path) or not path.is_file():
            return None if not os.path.lexists(path) else b"\0not a regular file\0"
        return path.read_bytes()
    except OSError:
        return b"\0unreadable\0"


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
