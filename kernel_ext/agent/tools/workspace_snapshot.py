"""Workspace snapshots: what every file of the session's folder held at one moment (spec §12.4).

`take_snapshot(root, store, previous)` walks `root` (its real path) and returns a
`Snapshot`: a manifest {root-relative path -> `Entry`} whose file contents are in the
private `ObjectStore` (snapshot_store.py), outside the user's folder. It honours
.gitignore (root and nested, gitignore.py) and `.git/info/exclude`, always skips `.git`,
`.ipynb_checkpoints` and the `hidden` paths (credentials, the open notebook, the store), and never follows a symlink:
folders are opened with `O_NOFOLLOW | O_DIRECTORY` relative to their parent's fd, files
with `O_NOFOLLOW`, and a symlink is recorded as a `link` entry (its target text) without
being read through. Files over `limits.max_file_bytes`, or past the byte budget, are
recorded as `skipped` (size and times only) with a note. Past `limits.max_files` the walk
stops: the snapshot is `capped` and covers only the paths before `cutoff` in walk order.

Fast path: a file whose (size, mtime_ns, ctime_ns, inode) equal the previous snapshot's
keeps its hash without being read (unless it changed within the previous snapshot's
clock tick, git's "racy" case), so a re-snapshot of an unchanged tree only stats.

`changed_paths(before, after)` lists what differs; `snapshot_diff` renders it git-style;
`conflicts(after, paths)` names the paths that differ from `after` now; and
`restore(before, after, store, paths, permitted)` puts them back as in `before` through
confined_fs (created files removed, deleted files recreated, modes restored; no write
through a symlink), reporting what it could not restore and why.
"""

from __future__ import annotations

import errno
import gc
import hashlib
import operator
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

from .confined_fs import remove_file, write_file
from .gitignore import Matcher, file_check, parse_rules
from .snapshot_store import ObjectStore
from .turn_diff import render_file_diff

MiB = 1024 * 1024
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_IGNORE_FILE_MAX = 1 * MiB
_by_name = operator.attrgetter("name")
_S_ISDIR = stat.S_ISDIR
_ALWAYS_SKIPPED = frozenset({".git", ".ipynb_checkpoints"})  # git's store; Jupyter's autosave copies


@dataclass(frozen=True)
class SnapshotLimits:
    max_file_bytes: int = 10 * MiB
    max_files: int = 50_000
    max_total_bytes: int = 256 * MiB
    """Bytes of file content one snapshot may hold; files past it are recorded as skipped."""


@dataclass(frozen=True)
class Entry:
    kind: str
    """`file`, `link` (a symlink: `digest` is its target) or `skipped` (not stored: `note`)."""
    digest: str = ""
    mode: int = 0
    size: int = 0
    mtime_ns: int = 0
    ctime_ns: int = 0
    ino: int = 0
    note: str = ""
    stamp: tuple[int, ...] = field(default=(), compare=False)
    """A stored file's (inode, mtime_ns, size, ctime_ns, st_mode): the re-snapshot's fast path."""

    def same_as(self, other: Optional[Entry]) -> bool:
        if other is None or other.kind != self.kind:
            return False
        if self.kind == "skipped":
            return (self.size, self.mtime_ns, self.ino) == (other.size, other.mtime_ns, other.ino)
        return self.digest == other.digest and (self.kind == "link" or self.mode == other.mode)


@dataclass
class Snapshot:
    root: Path
    entries: dict[str, Entry] = field(default_factory=dict)
    started_ns: int = 0
    cutoff: Optional[tuple[str, ...]] = None
    """When capped: the first path (as components) the walk did not reach."""
    error: str = ""
    """Why the snapshot could not be taken (then it holds nothing)."""

    def covers(self, path: str) -> bool:
        return self.cutoff is None or tuple(path.split("/")) < self.cutoff

    @property
    def notes(self) -> list[str]:
        """What the snapshot does not cover (a skipped file is named in the diff when it changes)."""
        notes = []
        if self.cutoff is not None:
            notes.append(f"snapshot capped at {len(self.entries)} files: {'/'.join(self.cutoff)} and later paths not tracked")
        if self.error:
            notes.append(f"no snapshot: {self.error}")
        return notes


class _Capped(Exception):
    def __init__(self, path: str):
        self.path = path


class _Walker:
    def __init__(self, snapshot: Snapshot, store: ObjectStore, previous: Optional[Snapshot],
                 limits: SnapshotLimits, hidden: frozenset[str]):
        self.snap = snapshot
        self.store = store
        self.limits = limits
        self.hidden = hidden
        self.root_text = str(snapshot.root)
        usable = previous is not None and previous.root == snapshot.root and not previous.error
        self.previous = previous.entries if usable else {}
        self.racy_from = previous.started_ns if usable else 0
        self.total = 0
        self.count = 0

    def walk_dir(self, dfd: int, rel_dir: str, matcher: Matcher) -> None:
        with os.scandir(dfd) as scan:
            entries = sorted(scan, key=_by_name)
        if any(e.name == ".gitignore" for e in entries):
            added = parse_rules(_read_small(dfd, ".gitignore"), rel_dir)
            if added:
                matcher = Matcher(matcher.rules + added)
        check = matcher.ignored if matcher.rules else None
        check_file = file_check(matcher)
        prefix = rel_dir + "/" if rel_dir else ""
        hidden, recorded, previous, racy_from = self.hidden, self.snap.entries, self.previous, self.racy_from
        max_total, max_files, is_dir = self.limits.max_total_bytes, self.limits.max_files, _S_ISDIR
        for entry in entries:
            name = entry.name
            rel = prefix + name
            if name in _ALWAYS_SKIPPED or (hidden and f"{self.root_text}/{rel}" in hidden):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if is_dir(st.st_mode):
                if check is None or not check(rel, True, name):
                    self.enter(dfd, name, rel, matcher)
                continue
            if check_file is not None and check_file(name, rel):
                continue
            old = previous.get(rel)  # the fast path: same stat as last time, and not racy
            if (old is not None and old.stamp == (st.st_ino, st.st_mtime_ns, st.st_size, st.st_ctime_ns, st.st_mode)
                    and old.mtime_ns < racy_from and self.total + old.size <= max_total):
                if self.count >= max_files:  # the cap (this loop runs once per file: kept inline)
                    raise _Capped(rel)
                self.count += 1
                self.total += old.size
                recorded[rel] = old
            else:
                self.visit(dfd, name, rel, st)

    def enter(self, dfd: int, name: str, rel: str, matcher: Matcher) -> None:
        try:
            child = os.open(name, _DIR_FLAGS, dir_fd=dfd)
        except OSError:
            return  # swapped for a symlink since, or unreadable: not followed
        try:
            self.walk_dir(child, rel, matcher)
        finally:
            os.close(child)

    def visit(self, dfd: int, name: str, rel: str, st: os.stat_result) -> None:
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
            return  # fifos, sockets, devices: not content
        if self.count >= self.limits.max_files:
            raise _Capped(rel)
        if stat.S_ISLNK(st.st_mode):
            entry: Optional[Entry] = Entry("link", os.readlink(name, dir_fd=dfd), size=st.st_size)
        else:
            entry = self.file_entry(dfd, name, st)
        if entry is not None:
            self.count += 1
            self.snap.entries[rel] = entry

    def file_entry(self, dfd: int, name: str, st: os.stat_result) -> Optional[Entry]:
        times = dict(size=st.st_size, mtime_ns=st.st_mtime_ns, ctime_ns=st.st_ctime_ns, ino=st.st_ino)
        if st.st_size > self.limits.max_file_bytes:
            return Entry("skipped", note=f"larger than {_size(self.limits.max_file_bytes)}, not snapshotted", **times)
        if self.total + st.st_size > self.limits.max_total_bytes:
            return Entry("skipped", note=f"over the snapshot budget of {_size(self.limits.max_total_bytes)}", **times)
        self.total += st.st_size
        read = _read_regular(dfd, name)
        if read is None:
            return None
        data, st = read
        digest = hashlib.sha256(data).hexdigest()
        self.store.put(digest, data)
        return Entry("file", digest, stat.S_IMODE(st.st_mode), size=st.st_size, mtime_ns=st.st_mtime_ns,
                     ctime_ns=st.st_ctime_ns, ino=st.st_ino,
                     stamp=(st.st_ino, st.st_mtime_ns, st.st_size, st.st_ctime_ns, st.st_mode))


def take_snapshot(root: Path, store: ObjectStore, previous: Optional[Snapshot] = None, *,
                  limits: SnapshotLimits = SnapshotLimits(), hidden: Iterable[Path] = ()) -> Snapshot:
    """The workspace at `root` now (see the module docstring). Never raises for an OSError
    of the walk's root: the snapshot then carries `error`."""
    real = Path(os.path.realpath(root))
    snap = Snapshot(real, started_ns=time.time_ns())
    skip = frozenset(f(str(p)) for p in (*hidden, store.directory) for f in (os.path.normpath, os.path.realpath))
    skip = frozenset(p for p in skip if p.startswith(f"{real}/"))  # only those inside are ever met
    walker = _Walker(snap, store, previous, limits, skip)
    try:
        fd = os.open(real, _DIR_FLAGS)
    except OSError as err:
        snap.error = f"{real}: {err.strerror or err}"
        return snap
    collecting = gc.isenabled()
    if collecting:  # the walk allocates a few objects per file and frees none: no GC passes over them
        gc.disable()
    try:
        walker.walk_dir(fd, "", Matcher(parse_rules(_git_exclude(fd))))
    except _Capped as capped:
        snap.cutoff = tuple(capped.path.split("/"))
    except OSError as err:
        snap.entries.clear()
        snap.error = f"{real}: {err.strerror or err}"
    finally:
        os.close(fd)
        if collecting:
            gc.enable()
    return snap


def _read_regular(dfd: int, name: str) -> Optional[tuple[bytes, os.stat_result]]:
    """The bytes of regular file `name` and its stat, read without following a symlink."""
    try:
        fd = os.open(name, _FILE_FLAGS, dir_fd=dfd)
    except OSError:
        return None  # gone, unreadable, or swapped for a symlink since the scan
    with os.fdopen(fd, "rb") as source:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        return source.read(), st


def _read_small(dfd: int, name: str) -> str:
    read = _read_regular(dfd, name)
    if read is None or len(read[0]) > _IGNORE_FILE_MAX:
        return ""
    return read[0].decode("utf-8", "replace")


def _git_exclude(root_fd: int) -> str:
    fds: list[int] = []
    try:
        fd = root_fd
        for part in (".git", "info"):
            fd = os.open(part, _DIR_FLAGS, dir_fd=fd)
            fds.append(fd)
        return _read_small(fd, "exclude")
    except OSError:
        return ""
    finally:
        for fd in fds:
            os.close(fd)


def _size(n: int) -> str:
    return f"{n // MiB} MiB" if n >= MiB else f"{n} bytes"


# --- comparing ---------------------------------------------------------------------------


def changed_paths(before: Snapshot, after: Snapshot) -> list[str]:
    """Paths whose entry differs between the two snapshots (both must cover them)."""
    paths = set(before.entries) | set(after.entries)
    return sorted(p for p in paths if before.covers(p) and after.covers(p)
                  and not _same(before.entries.get(p), after.entries.get(p)))


def _same(a: Optional[Entry], b: Optional[Entry]) -> bool:
    return a is None and b is None or a is not None and a.same_as(b)


def snapshot_diff(before: Snapshot, after: Snapshot, store: ObjectStore) -> str:
    """A git-style unified diff of everything that changed from `before` to `after`."""
    parts = []
    for path in changed_paths(before, after):
        old, new = before.entries.get(path), after.entries.get(path)
        skipped = next((e for e in (old, new) if e is not None and e.kind == "skipped"), None)
        if skipped is not None:
            parts.append(f"diff --git a/{path} b/{path}\nchanged, not shown: {skipped.note}\n")
            continue
        parts.append(render_file_diff(path, _content(old, store), _content(new, store), _git_mode(old), _git_mode(new)))
    return "".join(parts)


def _content(entry: Optional[Entry], store: ObjectStore) -> Optional[bytes]:
    if entry is None:
        return None
    if entry.kind == "link":
        return entry.digest.encode("utf-8", "surrogateescape")
    try:
        return store.get(entry.digest)
    except OSError:
        return b"\0(snapshot object missing)\0"


def _git_mode(entry: Optional[Entry]) -> int:
    if entry is None:
        return 0
    if entry.kind == "link":
        return 0o120000
    return 0o100755 if entry.mode & 0o111 else 0o100644


# --- the state now, and restoring --------------------------------------------------------


def current_entry(root: Path, path: str, like: Optional[Entry]) -> Optional[Entry]:
    """What is at `path` now, in the terms of `like` (None: absent). Below a folder that
    is now a symlink or a file nothing is (the walk would not go there either)."""
    parts = path.split("/")
    try:
        dfd = _open_parent(root, parts[:-1])
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as err:
        if err.errno == errno.ELOOP:
            return None
        return Entry("unreadable")
    try:
        try:
            st = os.stat(parts[-1], dir_fd=dfd, follow_symlinks=False)
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(st.st_mode):
            return Entry("link", os.readlink(parts[-1], dir_fd=dfd))
        if not stat.S_ISREG(st.st_mode):
            return Entry("other")
        if like is not None and like.kind == "skipped":
            return Entry("skipped", size=st.st_size, mtime_ns=st.st_mtime_ns, ino=st.st_ino)
        read = _read_regular(dfd, parts[-1])
        if read is None:
            return Entry("other")
        return Entry("file", hashlib.sha256(read[0]).hexdigest(), stat.S_IMODE(read[1].st_mode))
    finally:
        os.close(dfd)


def _open_parent(root: Path, parts: list[str]) -> int:
    fd = os.open(root, _DIR_FLAGS)
    try:
        for part in parts:
            child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
        return fd
    except BaseException:
        os.close(fd)
        raise


def conflicts(after: Snapshot, paths: Iterable[str]) -> list[str]:
    """The paths (of `paths`) that no longer hold what `after` recorded."""
    return [p for p in paths if not _same(after.entries.get(p), current_entry(after.root, p, after.entries.get(p)))]


@dataclass
class RestoreOutcome:
    restored: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    not_restored: list[tuple[str, str]] = field(default_factory=list)


Permitted = Optional[Callable[[Path], bool]]


def restore(before: Snapshot, after: Snapshot, store: ObjectStore, paths: list[str], permitted: Permitted) -> RestoreOutcome:
    """Put `paths` back as `before` recorded them (see the module docstring)."""
    outcome = RestoreOutcome()
    root = after.root
    for path in paths:  # first clear what the turn created, so a folder it turned into a file (or back) is free
        if path not in before.entries and after.entries.get(path) is not None:
            _attempt(outcome, path, lambda p=path: remove_file(root / p, permitted=permitted), outcome.removed)
        elif _needs_clearing(before.entries.get(path), after.entries.get(path)):
            _attempt(outcome, path, lambda p=path: remove_file(root / p, permitted=permitted), None)
    _remove_new_folders(root, before, outcome.removed)
    for path in paths:
        old = before.entries.get(path)
        if old is None:
            continue
        if old.kind == "skipped":
            outcome.not_restored.append((path, old.note))
        elif old.kind == "link":
            outcome.not_restored.append((path, f"was a symlink to {old.digest}; symlinks are not recreated"))
        else:
            _attempt(outcome, path, lambda p=path, e=old: _write(root / p, e, store, permitted), outcome.restored)
    return outcome


def _needs_clearing(old: Optional[Entry], new: Optional[Entry]) -> bool:
    """A symlink the turn put where a file or link was: removed before the rewrite."""
    return old is not None and new is not None and new.kind == "link" and old.kind != "link"


def _attempt(outcome: RestoreOutcome, path: str, action: Callable[[], None], done: Optional[list[str]]) -> None:
    try:
        action()
    except FileNotFoundError:
        if done is outcome.removed:
            done.append(path)  # gone already
        elif done is not None:
            outcome.not_restored.append((path, "its folder could not be reached"))
    except OSError as err:
        outcome.not_restored.append((path, _reason(err)))
    else:
        if done is not None:
            done.append(path)


def _reason(err: OSError) -> str:
    text = err.strerror or str(err)
    return text.split(": ", 1)[-1] if text.startswith("/") else text


def _write(path: Path, entry: Entry, store: ObjectStore, permitted: Permitted) -> None:
    write_file(path, store.get(entry.digest), mode=entry.mode, permitted=permitted)


def _remove_new_folders(root: Path, before: Snapshot, removed: list[str]) -> None:
    """Remove the (now empty) folders holding files the turn created that `before` lacked."""
    kept = {"/".join(p.split("/")[:i]) for p in before.entries for i in range(1, p.count("/") + 1)}
    folders = {"/".join(p.split("/")[:i]) for p in removed for i in range(1, p.count("/") + 1)} - kept
    for folder in sorted(folders, key=lambda f: -f.count("/")):
        parts = folder.split("/")
        try:
            dfd = _open_parent(root, parts[:-1])
        except OSError:
            continue
        try:
            os.rmdir(parts[-1], dir_fd=dfd)  # only when empty; a symlink is refused (ENOTDIR)
        except OSError:
            pass
        finally:
            os.close(dfd)
