"""Apply parsed hunks to the filesystem (spec §5.3) or compute them first (spec §5.5).

Contracts:
    compute_changes(hunks, cwd) -> dict[Path, ComputedChange]
        The verified flow: reads files, computes every change, writes NOTHING. Hunks are
        simulated in order on an in-memory overlay, so a later hunk sees earlier ones.
    apply_changes(changes) -> ApplyResult          writes a verified change set
    apply_hunks(hunks, cwd) -> ApplyResult         standalone semantics: in order, no rollback
    to_protocol_changes(changes, cwd) -> dict[str, FileChange]
    summary_text(result) -> str                    "Success. Updated the following files:\\n…"
    touched_paths(hunks, cwd) -> list[Path]        absolute, lexically normalised, with moves

Errors are `PatchApplyError` with the upstream texts; `.cause` holds the OSError if any,
and `.partial` (apply_hunks only) what was already applied before the failure.
Every file write is atomic: an exclusive temp file in the same directory, then a rename,
with the original file's permission bits, through `confined_fs` (the path is resolved
when it is written and no symlink is followed on the way; `permitted` decides). Paths are resolved against `cwd` (absolute paths
are kept) and normalised lexically (`a/../b` → `b`). Files are read and written as UTF-8
bytes, without newline translation.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Sequence, Union

from ..confined_fs import Permitted, UnsafePathError, remove_file, write_file
from .diff import Replacement, disjoint, replacement_diff
from .parser import AddFile, Chunk, DeleteFile, Hunk, UpdateFile
from .seek import LineCache, seek_sequence

if TYPE_CHECKING:
    from agent.protocol.events import FileChange

__all__ = [
    "AddChange", "ApplyResult", "ComputedChange", "DeleteChange", "PatchApplyError", "UpdateChange",
    "apply_changes", "apply_hunks", "compute_changes", "derive_new_contents", "resolve_path",
    "summary_text", "to_protocol_changes", "touched_paths", "write_atomic",
]

class PatchApplyError(Exception):
    def __init__(self, message: str, cause: BaseException | None = None, partial: ApplyResult | None = None):
        super().__init__(message)
        self.message = message
        self.cause = cause
        self.partial = partial


@dataclass
class ApplyResult:
    """Paths as written in the patch (the destination for a move), in hunk order."""

    added: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AddChange:
    content: str
    display: str


@dataclass(frozen=True)
class DeleteChange:
    content: str
    display: str


@dataclass(frozen=True)
class UpdateChange:
    new_content: str
    unified_diff: str
    display: str
    move_path: Path | None = None
    move_display: str | None = None
    original_content: str = ""


ComputedChange = Union[AddChange, DeleteChange, UpdateChange]


# --- paths and IO -------------------------------------------------------------------------


def resolve_path(cwd: Path | str, path: str | Path) -> Path:
    """`path` against `cwd`, lexically normalised (no filesystem access)."""
    return Path(os.path.normpath(os.path.join(os.fspath(cwd), os.fspath(path))))


def touched_paths(hunks: Sequence[Hunk], cwd: Path) -> list[Path]:
    """Every path a patch would write or delete, move destinations included, without duplicates."""
    out: dict[Path, None] = {}
    for hunk in hunks:
        out[resolve_path(cwd, hunk.path)] = None
        if isinstance(hunk, UpdateFile) and hunk.move_path is not None:
            out[resolve_path(cwd, hunk.move_path)] = None
    return list(out)


def io_error_text(err: BaseException) -> str:
    """Rust's `io::Error` display, e.g. `No such file or directory (os error 2)`."""
    if isinstance(err, UnicodeDecodeError):
        return "stream did not contain valid UTF-8"
    if isinstance(err, OSError) and err.errno:
        return f"{err.strerror or os.strerror(err.errno)} (os error {err.errno})"
    return str(err)


MAX_PATCH_FILE_BYTES = 256 * 1024 * 1024
"""A file larger than this is not read into memory to be patched."""


def _read_text(path: Path) -> str:
    """A regular file's text. A FIFO, device or socket is refused without blocking on it
    (O_NONBLOCK, then fstat), and so is a file over MAX_PATCH_FILE_BYTES."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        if info.st_size > MAX_PATCH_FILE_BYTES:
            raise OSError(errno.EFBIG, f"file larger than {MAX_PATCH_FILE_BYTES >> 20} MiB", str(path))
        return f.read(MAX_PATCH_FILE_BYTES + 1).decode("utf-8")


def write_atomic(path: Path, content: str, mode_from: Path | None = None, permitted: Permitted = None) -> None:
    """Write `content` so that readers see the old file or the new one, never a mix.

    A symlink is followed: the path is resolved (`realpath`) now, and the resolved path
    is written through `confined_fs` (no symlink on the way, exclusive temp file, fsync,
    rename), after `permitted(resolved)` agreed. The permission bits come from
    `mode_from` (default: the existing file); a new file gets the usual `0o666 & ~umask`.
    """
    target = Path(os.path.realpath(path))
    try:
        mode: int | None = stat.S_IMODE(os.stat(mode_from or target).st_mode)
    except OSError:
        mode = None
    write_file(target, content.encode("utf-8"), mode=mode, permitted=permitted)


def _write(path: Path, content: str, mode_from: Path | None = None, permitted: Permitted = None) -> None:
    try:
        write_atomic(path, content, mode_from, permitted)
    except UnsafePathError as err:
        raise PatchApplyError(f"Failed to write file {path}: {err.strerror}", err) from err
    except OSError as err:
        raise PatchApplyError(f"Failed to write file {path}", err) from err


def _delete(path: Path, permitted: Permitted = None) -> None:
    try:
        parent = Path(os.path.realpath(path.parent))
        remove_file(parent / path.name, permitted=permitted)
    except UnsafePathError as err:
        raise PatchApplyError(f"Failed to delete file {path}: {err.strerror}", err) from err
    except OSError as err:
        raise PatchApplyError(f"Failed to delete file {path}", err) from err


def _remove_original(path: Path, permitted: Permitted = None) -> None:
    try:
        _delete(path, permitted)
    except PatchApplyError as err:
        raise PatchApplyError(f"Failed to remove original {path}", err.cause) from err


# --- computing new contents -----------------------------------------------------------------

@dataclass(frozen=True)
class DerivedUpdate:
    original_lines: list[str]  # the file split on "\n", trailing "" (final newline) dropped
    replacements: list[Replacement]  # sorted (start, old_len, new_lines)
    result_lines: list[str]  # after the replacements, before the final newline is ensured
    new_content: str


def compute_replacements(lines: list[str], chunks: Sequence[Chunk], display: str) -> list[Replacement]:
    """Locate every chunk (spec §5.3 step 3); sorted by start index."""
    cache = LineCache(lines)
    replacements: list[Replacement] = []
    cursor = 0
    for chunk in chunks:
        if chunk.change_context is not None:
            idx = seek_sequence(lines, [chunk.change_context], cursor, False, cache)
            if idx is None:
                raise PatchApplyError(f"Failed to find context '{chunk.change_context}' in {display}")
            cursor = idx + 1
        if not chunk.old_lines:
            at = len(lines) - 1 if lines and lines[-1] == "" else len(lines)
            replacements.append((at, 0, list(chunk.new_lines)))
            continue
        pattern, new = chunk.old_lines, chunk.new_lines
        found = seek_sequence(lines, pattern, cursor, chunk.is_end_of_file, cache)
        if found is None and pattern[-1] == "":
            pattern = pattern[:-1]
            if new and new[-1] == "":
                new = new[:-1]
            found = seek_sequence(lines, pattern, cursor, chunk.is_end_of_file, cache)
        if found is None:
            joined = "\n".join(chunk.old_lines)
            raise PatchApplyError(f"Failed to find expected lines in {display}:\n{joined}")
        replacements.append((found, len(pattern), list(new)))
        cursor = found + len(pattern)
    replacements.sort(key=lambda r: r[0])
    return replacements


def apply_replacements(lines: list[str], replacements: Sequence[Replacement]) -> list[str]:
    """Upstream's last-to-first splice; O(n) concatenation when the replacements are disjoint."""
    if disjoint(replacements):
        out: list[str] = []
        pos = 0
        for start, old_len, new in replacements:
            out.extend(lines[pos:start])
            out.extend(new)
            pos = start + old_len
        out.extend(lines[pos:])
        return out
    out = list(lines)
    for start, old_len, new in reversed(replacements):
        del out[start:start + old_len]
        out[start:start] = new
    return out


def derive_new_contents(original: str, chunks: Sequence[Chunk], display: str) -> DerivedUpdate:
    lines = original.split("\n")
    if lines[-1] == "":
        lines.pop()
    replacements = compute_replacements(lines, chunks, display)
    result = apply_replacements(lines, replacements)
    final = result if result and result[-1] == "" else [*result, ""]
    return DerivedUpdate(lines, replacements, result, "\n".join(final))


# --- standalone apply ------------------------------------------------------------------------


def _read_for_update(path: Path) -> str:
    try:
        return _read_text(path)
    except (OSError, UnicodeDecodeError) as err:
        raise PatchApplyError(f"Failed to read file to update {path}: {io_error_text(err)}", err) from err


def apply_hunks(hunks: Sequence[Hunk], cwd: Path) -> ApplyResult:
    """Apply hunk after hunk; on failure earlier hunks stay applied (`err.partial` lists them)."""
    if not hunks:
        raise PatchApplyError("No files were modified.")
    result = ApplyResult()
    try:
        for hunk in hunks:
            path = resolve_path(cwd, hunk.path)
            if isinstance(hunk, AddFile):
                _write(path, hunk.contents)
                result.added.append(hunk.path)
            elif isinstance(hunk, DeleteFile):
                _delete(path)
                result.deleted.append(hunk.path)
            else:
                new = derive_new_contents(_read_for_update(path), hunk.chunks, hunk.path).new_content
                if hunk.move_path is not None:
                    dest = resolve_path(cwd, hunk.move_path)
                    _write(dest, new, mode_from=path)
                    if dest != path:
                        _remove_original(path)
                    result.modified.append(hunk.move_path)
                else:
                    _write(path, new)
                    result.modified.append(hunk.path)
    except PatchApplyError as err:
        err.partial = result
        raise
    return result


def summary_text(result: ApplyResult) -> str:
    lines = ["Success. Updated the following files:"]
    lines += [f"A {p}" for p in result.added]
    lines += [f"M {p}" for p in result.modified]
    lines += [f"D {p}" for p in result.deleted]
    return "\n".join(lines) + "\n"


# --- verified flow -------------------------------------------------------------------------


class _Overlay:
    """The filesystem as earlier hunks of the patch left it, without writing anything."""

    def __init__(self) -> None:
        self.files: dict[Path, str | None] = {}  # None: deleted by the patch
        self.disk: dict[Path, str | None] = {}

    def on_disk(self, path: Path) -> str | None:
        if path not in self.disk:
            try:
                self.disk[path] = _read_text(path)
            except (OSError, UnicodeDecodeError):
                self.disk[path] = None
        return self.disk[path]

    def read(self, path: Path) -> str:
        if path in self.files:
            content = self.files[path]
            if content is None:
                raise FileNotFoundError(2, os.strerror(2), str(path))
            return content
        content = _read_text(path)
        self.disk[path] = content
        return content


def compute_changes(hunks: Sequence[Hunk], cwd: Path) -> dict[Path, ComputedChange]:
    """Every change the patch makes, computed without writing; keys are absolute paths.

    A path touched by one hunk gets that hunk's kind (an Update with a move is keyed by
    its source). A path touched by several hunks gets its net change against the disk.
    Raises PatchApplyError (including `No files were modified.` for zero hunks).
    """
    if not hunks:
        raise PatchApplyError("No files were modified.")
    fs = _Overlay()
    displays: dict[Path, str] = {}
    touches: dict[Path, int] = {}
    single: dict[Path, ComputedChange] = {}
    moved_to: dict[Path, Path] = {}

    def touch(path: Path, display: str) -> None:
        displays.setdefault(path, display)
        touches[path] = touches.get(path, 0) + 1

    for hunk in hunks:
        path = resolve_path(cwd, hunk.path)
        touch(path, hunk.path)
        if isinstance(hunk, AddFile):
            fs.files[path] = hunk.contents
            single[path] = AddChange(hunk.contents, hunk.path)
        elif isinstance(hunk, DeleteFile):
            try:
                content = fs.read(path)
            except (OSError, UnicodeDecodeError) as err:
                raise PatchApplyError(f"Failed to read {path}: {io_error_text(err)}", err) from err
            fs.files[path] = None
            single[path] = DeleteChange(content, hunk.path)
        else:
            try:
                original = fs.read(path)
            except (OSError, UnicodeDecodeError) as err:
                raise PatchApplyError(f"Failed to read file to update {path}: {io_error_text(err)}", err) from err
            upd = derive_new_contents(original, hunk.chunks, hunk.path)
            dest = resolve_path(cwd, hunk.move_path) if hunk.move_path is not None else None
            if dest is not None and dest != path:
                touch(dest, hunk.move_path)
                fs.files[dest] = upd.new_content
                fs.files[path] = None
                moved_to[path] = dest
            else:
                fs.files[path] = upd.new_content
                dest = None
            diff = replacement_diff(original, upd.original_lines, upd.replacements, upd.result_lines)
            single[path] = UpdateChange(
                upd.new_content, diff, hunk.path,
                dest, hunk.move_path if dest is not None else None, original,
            )

    def simple(path: Path) -> bool:
        dest = moved_to.get(path)
        return touches[path] == 1 and (dest is None or touches[dest] == 1)

    moved_from = {dest: src for src, dest in moved_to.items()}
    changes: dict[Path, ComputedChange] = {}
    for path in displays:
        if path in single and simple(path):
            changes[path] = single[path]
            continue
        src = moved_from.get(path)
        if touches[path] == 1 and src is not None and simple(src):
            continue  # the destination of a simple move: part of its source's entry
        net = _net_change(path, displays[path], fs)
        if net is not None:
            changes[path] = net
    return changes


def _net_change(path: Path, display: str, fs: _Overlay) -> ComputedChange | None:
    final = fs.files.get(path)
    before = fs.on_disk(path)
    if final is None:
        if before is None and not os.path.lexists(path):
            return None
        return DeleteChange(before or "", display)
    if before is None:
        return AddChange(final, display)
    return UpdateChange(final, unified_diff(before, final), display, None, None, before)


def apply_changes(changes: dict[Path, ComputedChange], permitted: Permitted = None) -> ApplyResult:
    """Write a change set from `compute_changes` (atomic per file), in its order.

    Each path is resolved again when it is written and `permitted(resolved path)` must
    agree (see `write_atomic`); a refusal fails the patch there (`err.partial`)."""
    result = ApplyResult()
    try:
        for path, change in changes.items():
            if isinstance(change, AddChange):
                _write(path, change.content, permitted=permitted)
                result.added.append(change.display)
            elif isinstance(change, DeleteChange):
                _delete(path, permitted)
                result.deleted.append(change.display)
            elif change.move_path is not None:
                _write(change.move_path, change.new_content, mode_from=path, permitted=permitted)
                _remove_original(path, permitted)
                result.modified.append(change.move_display or str(change.move_path))
            else:
                _write(path, change.new_content, permitted=permitted)
                result.modified.append(change.display)
    except PatchApplyError as err:
        err.partial = result
        raise
    return result


def _protocol_key(path: Path, cwd: Path) -> str:
    try:
        return str(path.relative_to(resolve_path(cwd, ".")))
    except ValueError:
        return str(path)


def to_protocol_changes(changes: dict[Path, ComputedChange], cwd: Path) -> dict[str, FileChange]:
    """Protocol `FileChange`s; keys (and move paths) relative to `cwd` when inside it."""
    from agent.protocol.events import FileAdd, FileDelete, FileUpdate

    out: dict[str, FileChange] = {}
    for path, change in changes.items():
        key = _protocol_key(path, cwd)
        if isinstance(change, AddChange):
            out[key] = FileAdd(content=change.content)
        elif isinstance(change, DeleteChange):
            out[key] = FileDelete(content=change.content)
        else:
            move = _protocol_key(change.move_path, cwd) if change.move_path is not None else None
            out[key] = FileUpdate(unified_diff=change.unified_diff, move_path=move)
    return out
