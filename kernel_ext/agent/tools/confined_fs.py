"""Writes that go exactly where they were checked: no symlink, no race, no planted temp file.

The in-process writers (apply_patch, undo) check a path against the writable roots and
then write it. Between the two a sandboxed command (or one it left running) may swap a
directory for a symlink to somewhere outside, or plant a symlink where a temp file will
be created. So every write here:

* takes an absolute path whose every component is a real directory *now*: the parent is
  reached from `/` one component at a time with `O_NOFOLLOW | O_DIRECTORY` and the
  operations use that directory's fd (`dir_fd`), so a symlink anywhere on the way
  fails with `UnsafePathError` instead of being followed, and a swap after the walk
  cannot redirect the write (the fd pins the directory);
* checks `permitted(path)` after the walk (the lexical path is then the real path);
* writes a fresh temp file created exclusively (`O_CREAT | O_EXCL | O_NOFOLLOW`, random
  name) in that directory, sets its mode before the data, fsyncs it, and renames it over
  the final name (a rename replaces a symlink at the destination rather than following it).

This is the package's one atomic-write routine: core's own files (auth.json, the message
history) go through `write_private_file` too.

Contract:
    write_file(path, data, *, mode=None, permitted=None, make_parents=True, sync_dir=False)
    write_private_file(path, data)              mode 0600, folder resolved first, dir fsynced
    remove_file(path, *, permitted=None)        unlink (a symlink is removed, not followed)
    UnsafePathError(OSError)                    a symlink or non-directory on the way,
                                                or `permitted` said no
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path
from typing import Callable, Optional

__all__ = ["UnsafePathError", "remove_file", "write_file", "write_private_file"]

Permitted = Optional[Callable[[Path], bool]]
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_TMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class UnsafePathError(OSError):
    """The path cannot be written safely (see the module docstring)."""


def _normalised(path: str | os.PathLike[str]) -> Path:
    text = os.fspath(path)
    if not os.path.isabs(text):
        raise UnsafePathError(errno.EINVAL, f"{text}: not an absolute path")
    return Path(os.path.normpath(text))


def _open_dir(path: Path, create: bool) -> int:
    """An fd of directory `path`, reached without following any symlink."""
    fd = os.open("/", _DIR_FLAGS)
    try:
        for part in path.parts[1:]:
            try:
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                try:
                    os.mkdir(part, 0o777, dir_fd=fd)
                except FileExistsError:
                    pass
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as err:
                if err.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise UnsafePathError(err.errno, f"{path}: {part!r} is a symlink or not a directory; refusing to write through it") from None
                raise
            os.close(fd)
            fd = child
        return fd
    except BaseException:
        os.close(fd)
        raise


def _check(path: Path, permitted: Permitted) -> None:
    if permitted is not None and not permitted(path):
        raise UnsafePathError(errno.EACCES, f"{path}: outside the writable roots")


def write_file(path: str | os.PathLike[str], data: bytes, *, mode: int | None = None,
               permitted: Permitted = None, make_parents: bool = True, sync_dir: bool = False) -> None:
    """Atomically replace (or create) the file at `path` with `data` (see the module docstring).

    `mode`: the permission bits (default: the existing file's, else 0o666 & ~umask), set
    before any data is written. `sync_dir`: also fsync the directory, so the rename itself
    survives a crash (best effort: a filesystem that refuses it is ignored)."""
    target = _normalised(path)
    _check(target, permitted)
    dir_fd = _open_dir(target.parent, make_parents)
    try:
        name = target.name
        _replace_in(dir_fd, name, data, _existing_mode(dir_fd, name) if mode is None else mode)
        if sync_dir:
            _fsync_quietly(dir_fd)
    finally:
        os.close(dir_fd)


def write_private_file(path: str | os.PathLike[str], data: bytes) -> None:
    """`write_file` for the agent's own files (auth.json, the message history): mode 0600,
    directory synced. Their folder may be reached through symlinks (it is resolved now,
    then walked without following any); the file itself is replaced, never followed."""
    absolute = os.path.abspath(path)
    folder = os.path.realpath(os.path.dirname(absolute))
    write_file(Path(folder) / os.path.basename(absolute), data, mode=0o600, make_parents=False, sync_dir=True)


def _existing_mode(dir_fd: int, name: str) -> int | None:
    """The permission bits of the regular file `name`; None when absent or a symlink."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    return None if stat.S_ISLNK(st.st_mode) else stat.S_IMODE(st.st_mode)


def _exclusive_temp(dir_fd: int, name: str, mode: int | None) -> tuple[str, int]:
    """A fresh temp file next to `name` (random name, O_EXCL | O_NOFOLLOW) and its fd."""
    while True:
        tmp = f".{name[:64]}.{secrets.token_hex(8)}.tmp"
        try:
            return tmp, os.open(tmp, _TMP_FLAGS, 0o600 if mode is not None else 0o666, dir_fd=dir_fd)
        except FileExistsError:
            continue


def _replace_in(dir_fd: int, name: str, data: bytes, mode: int | None) -> None:
    """Write `data` to a temp file (mode first, then data, fsync) and rename it over `name`."""
    tmp, fd = _exclusive_temp(dir_fd, name, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            if mode is not None:
                os.fchmod(out.fileno(), mode)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=dir_fd)
        except OSError:
            pass
        raise


def _fsync_quietly(fd: int) -> None:
    try:
        os.fsync(fd)
    except OSError:
        pass


def remove_file(path: str | os.PathLike[str], *, permitted: Permitted = None) -> None:
    """Unlink the file at `path`; a directory is refused (IsADirectoryError)."""
    target = _normalised(path)
    _check(target, permitted)
    dir_fd = _open_dir(target.parent, False)
    try:
        st = os.stat(target.name, dir_fd=dir_fd, follow_symlinks=False)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))
        os.unlink(target.name, dir_fd=dir_fd)
    finally:
        os.close(dir_fd)
