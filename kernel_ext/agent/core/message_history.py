"""The global message history, `<home>/history.jsonl` (spec §8.9, with HEAD's size cap).

One line per submitted prompt: `{"session_id": "<uuid>", "ts": <unix seconds>, "text": ...}`.

Writing (`append_history`): the whole line is built (and redacted) in memory; the file is
opened `O_APPEND` with mode 0600 (an existing file's mode is forced back to 0600); an
exclusive `flock` is taken with `LOCK_NB`, up to `LOCK_TRIES` tries `LOCK_INTERVAL_S`
apart (then `BlockingIOError`); the line is written with one call. With `max_bytes` set,
a file that has grown past it is trimmed, still under the lock, to the newest whole
lines that fit in `TRIM_FRACTION` of it: they go to a 0600 temp file that atomically
replaces the old one (`confined_fs.write_private_file`). A writer that waited on the old
file notices (its inode is no longer the path's) and retries on the new one, so no line
is lost or torn.
`persistence = "none"` writes nothing.

Reading (`history_info`, `read_history_entry`) takes a shared lock with the same retry
rule. `log_id` is the file's inode: an entry is only returned for the file it was
counted in.

A history file that can't be used (`history.jsonl` is a directory or not a regular
file, unreadable, unwritable, the home folder is a file, the disk is full) never stops
a session: reading reports no history, writing returns False, and one warning per path
is logged (`history.jsonl: ...; prompts are not saved to the message
history`), however many prompts follow. Only `BlockingIOError` (the lock stays taken
by another process, a transient state) is still raised by `append_history`.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import stat
import time
from pathlib import Path
from typing import Any, Callable

from agent.tools.confined_fs import write_private_file

from .home import ensure_home

log = logging.getLogger(__name__)
HISTORY_FILE = "history.jsonl"
LOCK_TRIES = 10
LOCK_INTERVAL_S = 0.1
TRIM_FRACTION = 0.8
_REOPEN_TRIES = 200
"""How often a writer follows a file replaced by trimming before giving up (a livelock
guard only: under heavy contention the file can be replaced many times in a row)."""
_reported: set[str] = set()


def history_path(home: Path) -> Path:
    return Path(home) / HISTORY_FILE


def append_history(home: Path, session_id: str, text: str, *, persistence: str = "save-all", max_bytes: int | None = None,
                   redact: Callable[[str], str] | None = None) -> bool:
    """Append one prompt; False when persistence is "none" or the file can't be used (then
    warned about once). Raises BlockingIOError when the lock stays taken."""
    if persistence == "none":
        return False
    record = {"session_id": session_id, "ts": int(time.time()), "text": redact(text) if redact else text}
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8", "surrogatepass")
    try:
        return _append(history_path(ensure_home(Path(home))), line, max_bytes)
    except BlockingIOError:
        raise
    except OSError as err:
        _report(history_path(home), err)
        return False


def _append(path: Path, line: bytes, max_bytes: int | None) -> bool:
    for _ in range(_REOPEN_TRIES):
        fd = _open_private(path)
        try:
            _lock(fd, fcntl.LOCK_EX)
            if not _is_current(fd, path):
                continue  # trimmed and replaced while we waited: write to the new file
            _write_all(fd, line)
            if max_bytes and os.fstat(fd).st_size > max_bytes:
                _trim(fd, path, int(max_bytes * TRIM_FRACTION))
            return True
        finally:
            os.close(fd)  # also releases the lock
    raise BlockingIOError(errno.EAGAIN, f"{path} kept being replaced; the prompt was not saved")


def history_info(home: Path) -> tuple[int, int]:
    """(log_id: the file's inode, number of entries); (0, 0) when there is no usable file."""
    path = history_path(home)
    try:
        fd = _open_regular(path, os.O_RDONLY)
    except FileNotFoundError:
        return 0, 0
    except OSError as err:
        _report(path, err)
        return 0, 0
    try:
        _lock(fd, fcntl.LOCK_SH)
        count = 0
        while chunk := os.read(fd, 1 << 20):
            count += chunk.count(b"\n")
        return os.fstat(fd).st_ino, count
    except BlockingIOError:
        return 0, 0
    except OSError as err:
        _report(path, err)
        return 0, 0
    finally:
        os.close(fd)


def read_history_entry(home: Path, log_id: int, offset: int) -> dict[str, Any] | None:
    """Entry number `offset` (0-based) of the file whose inode is `log_id`, else None."""
    path = history_path(home)
    try:
        fd = _open_regular(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        if os.fstat(fd).st_ino != log_id or offset < 0:
            return None
        _lock(fd, fcntl.LOCK_SH)
        with os.fdopen(os.dup(fd), "rb") as handle:
            for number, raw in enumerate(handle):
                if number == offset:
                    return _parse(raw)
        return None
    except OSError:
        return None
    finally:
        os.close(fd)


def _report(path: Path, err: OSError) -> None:
    """Log once per path (and process) that the history file can't be used."""
    key = str(path)
    if key in _reported:
        return
    _reported.add(key)
    reason = err.strerror or str(err)
    log.warning("%s: %s; prompts are not saved to the message history", path, reason)


def _parse(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _open_regular(path: Path, flags: int, mode: int = 0o600) -> int:
    """Open `path` (a FIFO never blocks the open); OSError unless it is a regular file."""
    fd = os.open(path, flags | os.O_NONBLOCK | os.O_CLOEXEC, mode)
    kind = os.fstat(fd).st_mode
    if not stat.S_ISREG(kind):
        os.close(fd)
        code = errno.EISDIR if stat.S_ISDIR(kind) else errno.EINVAL
        raise OSError(code, os.strerror(code) if stat.S_ISDIR(kind) else "not a regular file", str(path))
    os.set_blocking(fd, True)
    return fd


def _open_private(path: Path) -> int:
    fd = _open_regular(path, os.O_RDWR | os.O_APPEND | os.O_CREAT)
    if os.fstat(fd).st_mode & 0o777 != 0o600:
        os.fchmod(fd, 0o600)
    return fd


def _lock(fd: int, kind: int) -> None:
    for attempt in range(LOCK_TRIES):
        try:
            fcntl.flock(fd, kind | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if attempt + 1 < LOCK_TRIES:
                time.sleep(LOCK_INTERVAL_S)
    raise BlockingIOError(errno.EWOULDBLOCK, "the message history file is locked by another process")


def _is_current(fd: int, path: Path) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _write_all(fd: int, data: bytes) -> None:
    written = os.write(fd, data)
    while written < len(data):
        written += os.write(fd, data[written:])


def _trim(fd: int, path: Path, target: int) -> None:
    """Replace the file (locked through `fd`) with its newest whole lines within `target` bytes."""
    size = os.fstat(fd).st_size
    data = os.pread(fd, size, 0)
    kept = newest_lines(data, target)
    write_private_file(path, kept)


def newest_lines(data: bytes, limit: int) -> bytes:
    """The longest suffix of `data` made of whole lines and at most `limit` bytes long."""
    if len(data) <= limit:
        return data
    if limit <= 0:
        return b""
    start = len(data) - limit
    if data[start - 1 : start] == b"\n":
        return data[start:]
    cut = data.find(b"\n", start)
    return data[cut + 1 :] if cut != -1 else b""
