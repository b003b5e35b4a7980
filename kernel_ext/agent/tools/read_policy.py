"""The read policy of the in-process file tools: what the sandbox hides, they refuse.

read_file, list_dir, grep_files and view_image run in the agent's own process, outside
the sandbox, on paths the model chose. `ReadPolicy(ctx.hidden_paths)` makes them obey
the same rule as a sandboxed command (`agent.exec.hidden.read_denial`: credential files
and Jupyter control files, per-process `/proc` entries, `/dev`), and checks *what was
opened*, not only the name it was asked for:

* `check(path)`: the path as given and after `realpath`; a refusal raises `ReadDenied`
  (a `RespondToModel`: one line for the model, never the content).
* `open(path, directory=False)` -> fd (`open_real`: and its real path): `check`, then open (`O_NONBLOCK`, so a FIFO
  cannot hang the agent), then `verify` the descriptor.
* `verify(fd, shown)`: the real path of the open file (`/proc/self/fd/N`, so a symlink
  swapped in between the check and the open is caught), devices, FIFOs and sockets
  (refused), a file on procfs seen under another path, and a regular file with more
  than one hard link whose (device, inode) is one of the protected files.
* `open_entry(path)` -> fd or None: for files met while walking a tree: open without
  following a final symlink, `verify`; a refusal or an error gives None (skip it).
* `scan_dir(path)` -> (real path, entries) or None: a directory met while walking,
  opened with `O_NOFOLLOW`, verified and listed through its descriptor.
* `entry_denied(real_path)`: the fast, purely lexical check for a path that is already
  real (reached from a verified root without following any symlink).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterable

from agent.exec.hidden import read_denial

from .errors import RespondToModel

__all__ = ["ReadDenied", "ReadPolicy"]

_OPEN_FLAGS = os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
_HIDDEN_REASON = "protected path ({}); credentials and Jupyter connection files are hidden from the agent"
_MAX_PROTECTED_FILES = 20_000
"""Files under the protected paths indexed for the hard-link check (the rest are not)."""


class ReadDenied(RespondToModel):
    """The read policy refused a path."""


class ReadPolicy:
    def __init__(self, protected: Iterable[Path | str] = ()):
        self.protected = tuple(Path(p) for p in protected)
        bases = {os.path.normpath(p) for p in self.protected} | {os.path.realpath(p) for p in self.protected}
        self._bases = tuple(sorted(bases))
        self._inodes: frozenset[tuple[int, int]] | None = None

    # --- paths the model named ------------------------------------------------------

    def check(self, path: str) -> None:
        reason = read_denial(path, self.protected)
        if reason is not None:
            raise ReadDenied(f"access denied: {reason}")

    def open(self, path: str, *, directory: bool = False) -> int:
        """An fd for reading `path` (see the module docstring); OSError when it can't be opened."""
        return self.open_real(path, directory=directory)[0]

    def open_real(self, path: str, *, directory: bool = False) -> tuple[int, str]:
        """`open`, and the real path of what was opened."""
        self.check(path)
        fd = os.open(path, _OPEN_FLAGS | (os.O_DIRECTORY if directory else 0))
        try:
            return fd, self.verify(fd, path)
        except BaseException:
            os.close(fd)
            raise

    def verify(self, fd: int, shown: str) -> str:
        """The real path of open `fd`; ReadDenied when the policy forbids reading it."""
        info = os.fstat(fd)
        mode = info.st_mode
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            raise ReadDenied(f"access denied: {shown}: device files are not readable by the agent")
        if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
            raise ReadDenied(f"access denied: {shown}: not a regular file (a FIFO or socket)")
        real = _opened_path(fd, shown, info)
        reason = self._lexical_denial(real)
        if reason is None and info.st_dev == _procfs_device() and real != "/proc" and not real.startswith("/proc/"):
            reason = f"{real}: a procfs entry outside /proc"
        if reason is None and stat.S_ISREG(mode) and info.st_nlink > 1 and (info.st_dev, info.st_ino) in self._protected_inodes():
            reason = f"{real}: a hard link to a protected file; credentials are hidden from the agent"
        if reason is not None:
            prefix = "" if real == os.path.normpath(shown) else f"{shown} -> "
            raise ReadDenied(f"access denied: {prefix}{reason}")
        return real

    # --- entries met while walking a tree -------------------------------------------

    def entry_denied(self, real_path: str) -> bool:
        return self._lexical_denial(real_path) is not None

    def open_entry(self, path: str) -> int | None:
        try:
            fd = os.open(path, _OPEN_FLAGS | os.O_NOFOLLOW)
        except OSError:
            return None
        try:
            self.verify(fd, path)
        except (ReadDenied, OSError):
            os.close(fd)
            return None
        return fd

    def scan_dir(self, path: str) -> tuple[str, list[os.DirEntry[str]]] | None:
        """(real path, entries) of the directory at `path`, or None (denied, gone, a symlink)."""
        try:
            fd = os.open(path, _OPEN_FLAGS | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            return None
        try:
            real = self.verify(fd, path)
            with os.scandir(fd) as it:
                return real, list(it)
        except (ReadDenied, OSError):
            return None
        finally:
            os.close(fd)

    # --- internals -----------------------------------------------------------------

    def _lexical_denial(self, real: str) -> str | None:
        if real.startswith(("/proc/", "/dev/")):
            reason = read_denial(real, ())
            if reason is not None:
                return reason
        for base in self._bases:
            if real == base or real.startswith(base.rstrip("/") + "/"):
                return f"{real}: {_HIDDEN_REASON.format(base)}"
        return None

    def _protected_inodes(self) -> frozenset[tuple[int, int]]:
        """(device, inode) of the regular files at or under the protected paths."""
        if self._inodes is None:
            found: set[tuple[int, int]] = set()
            for base in self._bases:
                _index_files(base, found)
            self._inodes = frozenset(found)
        return self._inodes


def _index_files(base: str, found: set[tuple[int, int]]) -> None:
    try:
        info = os.stat(base)
    except OSError:
        return
    if stat.S_ISREG(info.st_mode):
        found.add((info.st_dev, info.st_ino))
        return
    for top, _dirs, files in os.walk(base):
        for name in files:
            if len(found) >= _MAX_PROTECTED_FILES:
                return
            try:
                entry = os.stat(os.path.join(top, name), follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISREG(entry.st_mode):
                found.add((entry.st_dev, entry.st_ino))


def _opened_path(fd: int, shown: str, info: os.stat_result) -> str:
    """Where `fd` really is: /proc/self/fd/N, else the realpath, if it is the same file."""
    try:
        real = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        real = ""
    if real.startswith("/"):
        return real[: -len(" (deleted)")] if real.endswith(" (deleted)") else real
    real = os.path.realpath(shown)
    try:
        now = os.stat(real)
    except OSError:
        now = None
    if now is None or (now.st_dev, now.st_ino) != (info.st_dev, info.st_ino):
        raise ReadDenied(f"access denied: {shown}: changed while it was being opened")
    return real


_PROCFS: list[int] = []


def _procfs_device() -> int:
    if not _PROCFS:
        try:
            _PROCFS.append(os.stat("/proc").st_dev)
        except OSError:
            _PROCFS.append(-1)
    return _PROCFS[0]
