"""The one atomic-write routine (agent.tools.confined_fs): confined writes and private files."""

from __future__ import annotations

import os
import stat

import pytest

from agent.tools.confined_fs import UnsafePathError, write_file, write_private_file


def test_private_file_is_0600_whatever_the_umask_and_replaces_a_loose_file(tmp_path):
    path = tmp_path / "auth.json"
    path.write_text("old")
    os.chmod(path, 0o644)
    old = os.umask(0)
    try:
        write_private_file(path, b"new")
    finally:
        os.umask(old)
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["auth.json"]


def test_private_file_folder_may_be_a_symlink_but_the_file_symlink_is_replaced(tmp_path):
    real = tmp_path / "real-home"
    real.mkdir()
    (tmp_path / "home").symlink_to(real)
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    (real / "history.jsonl").symlink_to(outside)
    write_private_file(tmp_path / "home" / "history.jsonl", b"line\n")
    assert not (real / "history.jsonl").is_symlink()
    assert (real / "history.jsonl").read_bytes() == b"line\n"
    assert outside.read_text() == "keep", "the symlink at the destination was not followed"


def test_confined_write_still_refuses_a_symlinked_directory(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(UnsafePathError):
        write_file(tmp_path / "link" / "f.txt", b"x")
    assert not (tmp_path / "elsewhere" / "f.txt").exists()


def test_sync_dir_fsyncs_the_directory_after_the_file(tmp_path, monkeypatch):
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    write_file(tmp_path / "a.txt", b"a")
    assert synced == ["file"]
    synced.clear()
    write_file(tmp_path / "b.txt", b"b", sync_dir=True)
    assert synced == ["file", "dir"]
