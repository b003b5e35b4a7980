"""apply_patch's live diff tracker: git-style diff of every file it changed."""

from __future__ import annotations

from agent.tools.turn_diff import TurnDiffTracker


def test_diff_of_changed_created_and_deleted_files(tmp_path):
    (tmp_path / "a.txt").write_text("one\ntwo\n")
    (tmp_path / "gone.txt").write_text("bye\n")
    (tmp_path / "a.txt").chmod(0o640)
    tracker = TurnDiffTracker(tmp_path)
    tracker.before_change([tmp_path / "a.txt", tmp_path / "new.txt", tmp_path / "gone.txt"])
    tracker.before_change([tmp_path / "a.txt"])  # the first baseline wins
    (tmp_path / "a.txt").write_text("one\nTWO\n")
    (tmp_path / "new.txt").write_text("fresh\n")
    (tmp_path / "gone.txt").unlink()
    diff = tracker.unified_diff()
    assert "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n" in diff
    assert "-two\n+TWO\n" in diff
    assert "new file mode 100644\n--- /dev/null\n+++ b/new.txt\n" in diff
    assert "deleted file mode 100644\n--- a/gone.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n" in diff


def test_unchanged_and_binary_files(tmp_path):
    (tmp_path / "same.txt").write_text("x\n")
    (tmp_path / "blob.bin").write_bytes(b"\0\1\2")
    tracker = TurnDiffTracker(tmp_path)
    tracker.before_change([tmp_path / "same.txt", tmp_path / "blob.bin"])
    (tmp_path / "blob.bin").write_bytes(b"\0\1\3")
    assert tracker.unified_diff() == "diff --git a/blob.bin b/blob.bin\nBinary files a/blob.bin and b/blob.bin differ\n"


def test_missing_final_newline_is_marked(tmp_path):
    (tmp_path / "f").write_text("a")
    tracker = TurnDiffTracker(tmp_path)
    tracker.before_change([tmp_path / "f"])
    (tmp_path / "f").write_text("b")
    assert "-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n" in tracker.unified_diff()
