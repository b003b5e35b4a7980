"""The private content-addressed store of workspace snapshots (`<agent home>/snapshots/objects`).

An object is a file's bytes, named by its sha256 (`ab/cdef…`): folders mode 0700, files
0600, each written to a fresh exclusive temp file (`O_EXCL | O_NOFOLLOW`) and renamed into
place, so nothing planted in the store can redirect a write. `get` checks the hash of what
it reads, so a damaged object is reported, never restored.

The store is shared by every session and would only grow: `prune(max_age_s)` deletes the
objects not written or `touch`ed for that long (the undo stack touches what its turns may
still restore, and prunes at most once a day, see core/undo_stack.py).
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import time
from pathlib import Path

_TMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC


class ObjectStore:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._known: set[str] = set()

    def put(self, digest: str, data: bytes) -> None:
        """Store `data` (whose sha256 is `digest`) unless it is there already."""
        if digest in self._known:
            return
        folder = self.directory / digest[:2]
        target = folder / digest[2:]
        if os.path.isfile(target):
            self.touch([digest])  # in use again: `prune` keeps it
        else:
            _make_private_dirs(folder)
            tmp = folder / f".{secrets.token_hex(8)}.tmp"
            fd = os.open(tmp, _TMP_FLAGS, 0o600)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.rename(tmp, target)
            except BaseException:
                _unlink_quietly(tmp)
                raise
        self._known.add(digest)

    def touch(self, digests: list[str]) -> None:
        """Mark objects as still needed (their mtime is now), so `prune` keeps them."""
        for digest in digests:
            try:
                os.utime(self.directory / digest[:2] / digest[2:], follow_symlinks=False)
            except OSError:
                continue

    def prune(self, max_age_s: float) -> int:
        """Delete the objects (and stray temp files) older than `max_age_s`; how many."""
        cutoff, removed = time.time() - max_age_s, 0
        try:
            folders = list(os.scandir(self.directory))
        except OSError:
            return 0
        for folder in folders:
            if not folder.is_dir(follow_symlinks=False) or len(folder.name) != 2:
                continue
            for entry in os.scandir(folder.path):
                try:
                    if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                        os.unlink(entry.path)
                        self._known.discard(folder.name + entry.name)
                        removed += 1
                except OSError:
                    continue
        return removed

    def get(self, digest: str) -> bytes:
        """The object's bytes; OSError when it is missing or damaged."""
        fd = os.open(self.directory / digest[:2] / digest[2:], _READ_FLAGS)
        with os.fdopen(fd, "rb") as source:
            data = source.read()
        if hashlib.sha256(data).hexdigest() != digest:
            raise OSError(errno.EIO, f"snapshot object {digest[:12]} is damaged")
        return data


def _make_private_dirs(folder: Path) -> None:
    missing = []
    path = folder
    while not path.is_dir():
        missing.append(path)
        path = path.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(path, 0o700)  # the one we just made (mkdir's mode is masked by the umask)


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
