"""history.jsonl: format, mode, locking, trimming, concurrent writers, reading back."""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import stat
import subprocess
import sys
import textwrap
import time
from collections import defaultdict
from pathlib import Path

import pytest

from agent.core import message_history as mh
from agent.core.message_history import append_history, history_info, history_path, newest_lines, read_history_entry
from agent.core.redact import Redactor

ROOT = Path(__file__).resolve().parents[2]
WRITERS, APPENDS = 8, 200
APPENDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from agent.core.message_history import append_history
    home, writer, max_bytes = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]) or None
    time.sleep(max(0.0, float(sys.argv[5]) - time.time()))  # all writers start together
    for n in range(int(sys.argv[4])):
        append_history(home, writer, f"{writer}:{n}:" + "x" * (n % 50), max_bytes=max_bytes)
""")


def entries(home: Path) -> list[dict]:
    data = history_path(home).read_bytes()
    assert data.endswith(b"\n")
    return [json.loads(line) for line in data.split(b"\n")[:-1]]


def test_one_line_per_prompt_with_session_id_time_and_text(tmp_path):
    before = int(time.time())
    assert append_history(tmp_path / "home", "s-1", "hello\nworld") is True
    append_history(tmp_path / "home", "s-2", "second ✓")
    first, second = entries(tmp_path / "home")
    assert first["session_id"] == "s-1" and first["text"] == "hello\nworld" and before <= first["ts"] <= time.time()
    assert set(first) == {"session_id", "ts", "text"} and second["text"] == "second ✓"
    assert stat.S_IMODE(history_path(tmp_path / "home").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "home").stat().st_mode) == 0o700


def test_an_existing_file_is_forced_back_to_0600(tmp_path):
    path = history_path(tmp_path)
    path.write_text("")
    os.chmod(path, 0o644)
    append_history(tmp_path, "s", "x")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_persistence_none_writes_nothing(tmp_path):
    home = tmp_path / "home"
    assert append_history(home, "s", "secret plans", persistence="none") is False
    assert not home.exists()
    assert history_info(home) == (0, 0)


def test_text_is_redacted(tmp_path):
    key = "sk-live-abcdefghijklmnop0123456789"
    append_history(tmp_path, "s", f"use {key} please", redact=Redactor([key]).text)
    data = history_path(tmp_path).read_bytes()
    assert key.encode() not in data and json.loads(data)["text"] == "use [REDACTED] please"


def test_a_held_lock_makes_the_append_give_up_after_bounded_retries(tmp_path, monkeypatch):
    monkeypatch.setattr(mh, "LOCK_INTERVAL_S", 0.01)
    append_history(tmp_path, "s", "first")
    with open(history_path(tmp_path), "rb") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        started = time.monotonic()
        with pytest.raises(BlockingIOError):
            append_history(tmp_path, "s", "blocked")
        assert 0.08 <= time.monotonic() - started < 1.0
    assert [e["text"] for e in entries(tmp_path)] == ["first"]


def test_info_and_entries_are_read_back_by_inode_and_offset(tmp_path):
    for n in range(3):
        append_history(tmp_path, "s", f"p{n}")
    log_id, count = history_info(tmp_path)
    assert log_id == history_path(tmp_path).stat().st_ino and count == 3
    assert read_history_entry(tmp_path, log_id, 1)["text"] == "p1"
    assert read_history_entry(tmp_path, log_id, 3) is None
    assert read_history_entry(tmp_path, log_id + 1, 0) is None


def test_trimming_keeps_the_newest_whole_lines_within_80_percent(tmp_path):
    max_bytes = 1000
    for n in range(100):
        append_history(tmp_path, "s", f"prompt {n:03d}", max_bytes=max_bytes)
        assert history_path(tmp_path).stat().st_size <= max_bytes
    texts = [e["text"] for e in entries(tmp_path)]
    assert texts == [f"prompt {n:03d}" for n in range(100 - len(texts), 100)]
    assert stat.S_IMODE(history_path(tmp_path).stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_newest_lines_never_cuts_a_line():
    data = b"aaaa\nbbbb\ncccc\n"
    assert newest_lines(data, 100) == data
    assert newest_lines(data, 10) == b"bbbb\ncccc\n"
    assert newest_lines(data, 9) == b"cccc\n"
    assert newest_lines(data, 4) == b"" and newest_lines(data, 0) == b""


def _run_writers(home: Path, max_bytes: int) -> None:
    start = str(time.time() + 2.0)
    procs = [subprocess.Popen([sys.executable, "-c", APPENDER, str(home), f"w{w}", str(max_bytes), str(APPENDS), start],
                              cwd=ROOT) for w in range(WRITERS)]
    assert [p.wait(120) for p in procs] == [0] * WRITERS


def test_eight_processes_appending_lose_and_tear_nothing(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    _run_writers(home, 0)
    seen = defaultdict(list)
    for entry in entries(home):
        writer, n, pad = entry["text"].split(":")
        assert entry["session_id"] == writer and pad == "x" * (int(n) % 50)
        seen[writer].append(int(n))
    assert sum(len(v) for v in seen.values()) == WRITERS * APPENDS
    assert all(numbers == list(range(APPENDS)) for numbers in seen.values())
    writers = [e["session_id"] for e in entries(home)]
    switches = sum(a != b for a, b in itertools.pairwise(writers))
    assert switches >= WRITERS, "the writers did not overlap"


def test_concurrent_appends_with_trimming_keep_a_clean_newest_suffix(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    max_bytes = 4000
    _run_writers(home, max_bytes)
    kept = entries(home)  # every line parses: nothing torn
    assert kept and history_path(home).stat().st_size <= max_bytes
    per_writer = defaultdict(list)
    for entry in kept:
        writer, n, _ = entry["text"].split(":")
        per_writer[writer].append(int(n))
    for numbers in per_writer.values():  # a suffix of the global order: contiguous per writer
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    assert int(kept[-1]["text"].split(":")[1]) == APPENDS - 1  # the very last append survives
    assert stat.S_IMODE(history_path(home).stat().st_mode) == 0o600


@pytest.mark.parametrize("make_bad", ["directory", "fifo", "home-is-a-file"])
def test_an_unusable_history_file_warns_once_and_never_raises(tmp_path, caplog, make_bad):
    """Invariant: `history.jsonl` being a directory (or a FIFO, or the home folder being a
    file) never stops a session: reads report no history, writes return False, and one
    warning is logged however many prompts follow; nothing blocks."""
    home = tmp_path / "home"
    if make_bad == "home-is-a-file":
        home.write_text("oops")
    else:
        home.mkdir()
        if make_bad == "directory":
            history_path(home).mkdir()
        else:
            os.mkfifo(history_path(home))
    mh._reported.clear()
    with caplog.at_level("WARNING", logger="agent.core.message_history"):
        assert history_info(home) == (0, 0)
        assert read_history_entry(home, 1, 0) is None
        assert [append_history(home, "s", f"prompt {n}") for n in range(3)] == [False] * 3
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "history.jsonl" in warnings[0] and "prompts are not saved" in warnings[0], warnings


def test_control_a_normal_history_file_is_untouched_by_the_guard(tmp_path, caplog):
    """Control: a regular file (also through a symlink) is written and read as before."""
    home = tmp_path / "home"
    home.mkdir()
    real = tmp_path / "real.jsonl"
    real.write_text("")
    history_path(home).symlink_to(real)
    with caplog.at_level("WARNING", logger="agent.core.message_history"):
        assert append_history(home, "s", "hello") is True
        log_id, count = history_info(home)
    assert count == 1 and read_history_entry(home, log_id, 0)["text"] == "hello"
    assert not caplog.records
