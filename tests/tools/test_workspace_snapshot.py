"""Workspace snapshots (workspace_snapshot.py): manifest, store, diff, conflicts, confined restore."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from agent.tools import workspace_snapshot as ws
from agent.tools.snapshot_store import ObjectStore
from agent.tools.workspace_snapshot import SnapshotLimits, changed_paths, conflicts, restore, snapshot_diff, take_snapshot


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return ObjectStore(tmp_path / "home" / "snapshots" / "objects")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def tree_state(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under `root` (no symlink followed): path -> (mode, bytes)."""
    found = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            st = path.lstat()
            data = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
            found[str(path.relative_to(root))] = (st.st_mode, data)
    return found


def test_manifest_honours_gitignore_and_skips_git(work, store):
    write(work / ".gitignore", "*.log\nbuild/\n!keep.log\n")
    write(work / "a.log", "x")
    write(work / "keep.log", "kept")
    write(work / "build" / "out.o", "obj")
    write(work / "src" / ".gitignore", "/local.txt\n")
    write(work / "src" / "local.txt", "no")
    write(work / "src" / "deep" / "local.txt", "yes")
    write(work / ".git" / "HEAD", "ref: refs/heads/main\n")
    write(work / ".git" / "info" / "exclude", "secret.env\n")
    write(work / "secret.env", "K=V")
    write(work / "main.py", "print(1)\n")
    snap = take_snapshot(work, store)
    assert sorted(snap.entries) == [".gitignore", "keep.log", "main.py", "src/.gitignore", "src/deep/local.txt"]
    entry = snap.entries["main.py"]
    assert entry.kind == "file" and entry.digest == hashlib.sha256(b"print(1)\n").hexdigest()
    assert store.get(entry.digest) == b"print(1)\n"


def test_store_is_private_and_outside_the_workspace(work, store):
    write(work / "f.txt", "data")
    take_snapshot(work, store)
    objects = [p for p in store.directory.rglob("*")]
    assert objects and not any(str(p).startswith(str(work)) for p in objects)
    for path in [store.directory, *objects]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path


def test_diff_restore_created_deleted_changed_mode_binary_and_large(work, store):
    write(work / "a.txt", "one\ntwo\n")
    write(work / "gone.txt", "bye\n")
    write(work / "bin.dat", b"\0\1\2")
    write(work / "run.sh", "echo\n").chmod(0o644)
    write(work / "big.txt", "x" * 200)
    limits = SnapshotLimits(max_file_bytes=100)
    before = take_snapshot(work, store, limits=limits)
    assert before.entries["big.txt"].kind == "skipped" and before.entries["big.txt"].note == "larger than 100 bytes, not snapshotted"
    write(work / "a.txt", "one\nTWO\n")
    write(work / "new" / "made.txt", "fresh\n")
    (work / "gone.txt").unlink()
    write(work / "bin.dat", b"\0\x09")
    (work / "run.sh").chmod(0o755)
    write(work / "big.txt", "y" * 300)
    after = take_snapshot(work, store, before, limits=limits)
    assert changed_paths(before, after) == ["a.txt", "big.txt", "bin.dat", "gone.txt", "new/made.txt", "run.sh"]
    diff = snapshot_diff(before, after, store)
    assert "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n" in diff and "-two\n+TWO\n" in diff
    assert "new file mode 100644\n--- /dev/null\n+++ b/new/made.txt\n" in diff
    assert "deleted file mode 100644\n--- a/gone.txt\n+++ /dev/null\n" in diff
    assert "Binary files a/bin.dat and b/bin.dat differ" in diff
    assert "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n" in diff
    assert "diff --git a/big.txt b/big.txt\nchanged, not shown: larger than 100 bytes" in diff

    outcome = restore(before, after, store, changed_paths(before, after), None)
    assert outcome.removed == ["new/made.txt"]
    assert sorted(outcome.restored) == ["a.txt", "bin.dat", "gone.txt", "run.sh"]
    assert outcome.not_restored == [("big.txt", "larger than 100 bytes, not snapshotted")]
    assert (work / "a.txt").read_text() == "one\ntwo\n" and (work / "gone.txt").read_text() == "bye\n"
    assert (work / "bin.dat").read_bytes() == b"\0\1\2" and not (work / "new").exists()
    assert stat.S_IMODE((work / "run.sh").stat().st_mode) == 0o644


def test_symlinks_are_never_read_through_nor_written_through(tmp_path, work, store):
    outside = tmp_path / "outside"
    secret = write(outside / "secret.txt", "TOP SECRET\n")
    (work / "link").symlink_to(secret)
    (work / "dirlink").symlink_to(outside)
    write(work / "normal.txt", "v1\n")
    write(work / "victim.txt", "mine\n")
    before = take_snapshot(work, store)
    assert before.entries["link"].kind == "link" and before.entries["link"].digest == str(secret)
    assert "dirlink" in before.entries and not any(p.startswith("dirlink/") for p in before.entries)
    stored = b"".join(p.read_bytes() for p in store.directory.rglob("*") if p.is_file())
    assert b"TOP SECRET" not in stored  # never read through the link

    write(work / "normal.txt", "v2\n")
    (work / "victim.txt").unlink()
    (work / "victim.txt").symlink_to(secret)  # the turn swaps a file for a link to outside
    after = take_snapshot(work, store, before)
    outside_before = tree_state(outside)
    outcome = restore(before, after, store, changed_paths(before, after), None)
    assert tree_state(outside) == outside_before  # nothing written through the link
    assert sorted(outcome.restored) == ["normal.txt", "victim.txt"] and not outcome.not_restored
    assert not (work / "victim.txt").is_symlink() and (work / "victim.txt").read_text() == "mine\n"
    assert (work / "normal.txt").read_text() == "v1\n"


def test_a_folder_swapped_for_a_link_during_restore_is_refused_and_named(tmp_path, work, store):
    outside = tmp_path / "outside"
    outside.mkdir()
    write(work / "sub" / "f.txt", "one\n")
    write(work / "keep.txt", "keep\n")
    before = take_snapshot(work, store)
    write(work / "sub" / "f.txt", "two\n")
    write(work / "keep.txt", "patched\n")
    after = take_snapshot(work, store, before)
    paths = changed_paths(before, after)
    assert conflicts(after, paths) == []
    shutil.rmtree(work / "sub")  # after the conflict check, before the write: a race
    (work / "sub").symlink_to(outside)
    outcome = restore(before, after, store, paths, None)
    assert os.listdir(outside) == []
    assert outcome.restored == ["keep.txt"] and (work / "keep.txt").read_text() == "keep\n"
    [(path, why)] = outcome.not_restored
    assert path == "sub/f.txt" and "symlink" in why


def test_permitted_is_checked_for_every_write(work, store):
    write(work / "a.txt", "1")
    before = take_snapshot(work, store)
    write(work / "a.txt", "2")
    after = take_snapshot(work, store, before)
    outcome = restore(before, after, store, ["a.txt"], lambda path: False)
    assert outcome.not_restored == [("a.txt", "outside the writable roots")] and (work / "a.txt").read_text() == "2"


def test_conflicts_name_files_changed_since_the_after_snapshot(work, store):
    write(work / "a.txt", "1")
    write(work / "b.txt", "1")
    before = take_snapshot(work, store)
    write(work / "a.txt", "2")
    write(work / "b.txt", "2")
    write(work / "c.txt", "new")
    after = take_snapshot(work, store, before)
    write(work / "a.txt", "user edit")
    (work / "c.txt").unlink()
    assert conflicts(after, changed_paths(before, after)) == ["a.txt", "c.txt"]


def test_unchanged_resnapshot_only_stats(work, store, monkeypatch):
    for i in range(50):
        write(work / f"d{i % 5}" / f"f{i}.txt", f"content {i}\n")
    first = take_snapshot(work, store)
    reads: list[str] = []
    real = ws._read_regular
    monkeypatch.setattr(ws, "_read_regular", lambda dfd, name: reads.append(name) or real(dfd, name))
    # Files written before the first snapshot began are trusted by their stat.
    second = take_snapshot(work, store, first)
    assert reads == [] and second.entries == first.entries
    write(work / "d3" / "f3.txt", "changed, longer content\n")
    third = take_snapshot(work, store, second)
    assert reads == ["f3.txt"] and changed_paths(second, third) == ["d3/f3.txt"]


def test_file_cap_stops_the_walk_and_says_so(work, store):
    for name in "abcde":
        write(work / f"{name}.txt", name)
    snap = take_snapshot(work, store, limits=SnapshotLimits(max_files=3))
    assert sorted(snap.entries) == ["a.txt", "b.txt", "c.txt"] and snap.cutoff == ("d.txt",)
    assert "snapshot capped at 3 files: d.txt and later paths not tracked" in snap.notes
    write(work / "0.txt", "new first")  # pushes c.txt out of the capped window
    later = take_snapshot(work, store, snap, limits=SnapshotLimits(max_files=3))
    assert changed_paths(snap, later) == ["0.txt"]


def test_a_missing_workspace_gives_an_error_not_a_traceback(tmp_path, store):
    snap = take_snapshot(tmp_path / "nope", store)
    assert snap.entries == {} and "No such file" in snap.error and snap.notes == [f"no snapshot: {snap.error}"]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_repo_is_untouched(work, store):
    git = ["git", "-C", str(work), "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    write(work / ".gitignore", "*.tmp\n")
    write(work / "tracked.py", "x = 1\n")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    write(work / "tracked.py", "x = 2\n")
    write(work / "scratch.tmp", "ignored")
    status = subprocess.run([*git, "status", "--porcelain", "--ignored"], capture_output=True, text=True).stdout
    dot_git = tree_state(work / ".git")
    before = take_snapshot(work, store)
    write(work / "tracked.py", "x = 3\n")
    after = take_snapshot(work, store, before)
    restore(before, after, store, changed_paths(before, after), None)
    assert tree_state(work / ".git") == dot_git
    assert subprocess.run([*git, "status", "--porcelain", "--ignored"], capture_output=True, text=True).stdout == status
    assert "scratch.tmp" not in before.entries and (work / "tracked.py").read_text() == "x = 2\n"


def test_prune_deletes_only_objects_unused_for_long(work, store):
    """The shared store does not grow for ever: objects nobody wrote or touched for the
    age limit go; an object a new snapshot still uses is touched and kept."""
    (work / "kept.txt").write_text("still here\n")
    (work / "gone.txt").write_text("deleted later\n")
    first = take_snapshot(work, store)
    old = os.path.getmtime(work) - 90 * 86400
    for entry in first.entries.values():
        path = store.directory / entry.digest[:2] / entry.digest[2:]
        os.utime(path, (old, old))
    (work / "gone.txt").unlink()
    fresh = ObjectStore(store.directory)  # a later session: re-snapshotting touches what it uses
    take_snapshot(work, fresh)
    assert fresh.prune(30 * 86400) == 1
    kept = first.entries["kept.txt"].digest
    assert fresh.get(kept) == b"still here\n"
    with pytest.raises(OSError):
        fresh.get(first.entries["gone.txt"].digest)
