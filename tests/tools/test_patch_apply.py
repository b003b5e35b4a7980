"""Applying patches (spec §5.3, §5.5): seek_sequence fuzz levels, the update algorithm, the
standalone in-order apply, atomic writes, and the verified compute-then-write flow."""

from __future__ import annotations

import os
import random
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from agent.tools import confined_fs

from agent.tools.patch import apply as apply_mod
from agent.tools.patch.apply import (
    AddChange,
    ApplyResult,
    DeleteChange,
    PatchApplyError,
    UpdateChange,
    apply_changes,
    apply_hunks,
    apply_replacements,
    compute_changes,
    derive_new_contents,
    summary_text,
    to_protocol_changes,
    touched_paths,
)
from agent.tools.patch.diff import unified_diff
from agent.tools.patch.parser import Chunk, parse_patch
from agent.tools.patch.seek import LineCache, normalise, seek_sequence


def wrap(*body: str) -> str:
    return "\n".join(["*** Begin Patch", *body, "*** End Patch"])


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def update(original: str, *body: str) -> str:
    (hunk,) = parse_patch(wrap("*** Update File: f.txt", *body))
    return derive_new_contents(original, hunk.chunks, "f.txt").new_content


# --- seek_sequence ----------------------------------------------------------------------------


def test_seek_exact_and_start_and_bounds():
    lines = ["a", "b", "c", "a", "b"]
    assert seek_sequence(lines, ["a", "b"], 0, False) == 0
    assert seek_sequence(lines, ["a", "b"], 1, False) == 3
    assert seek_sequence(lines, ["a", "b"], 4, False) is None
    assert seek_sequence(lines, [], 3, False) == 3
    assert seek_sequence(lines, ["a"] * 6, 0, False) is None
    assert seek_sequence([], ["a"], 0, False) is None


def test_seek_eof_only_tries_the_end():
    lines = ["x", "end", "y", "end"]
    assert seek_sequence(lines, ["end"], 0, True) == 3
    assert seek_sequence(lines, ["x"], 0, True) is None
    assert seek_sequence(lines, ["y", "end"], 3, True) == 2  # eof ignores the cursor


@pytest.mark.parametrize("cache", [False, True])
def test_seek_fuzz_levels(cache):
    def seek(lines, pattern, start=0):
        return seek_sequence(lines, pattern, start, False, LineCache(lines) if cache else None)

    assert seek(["foo   ", "bar\t"], ["foo", "bar"]) == 0  # pass 2: rstrip
    assert seek(["x", "  foo", "\tbar "], ["foo", "bar"]) == 1  # pass 3: strip
    assert seek(["   foo"], ["foo  "]) == 0
    # an exact match later wins over a fuzzy one earlier: passes run one after another
    assert seek(["a ", "z", "a"], ["a"]) == 2
    assert seek([" a", "a "], ["a"]) == 1  # rstrip pass before strip pass
    assert seek(["  nope"], ["yes"]) is None


@pytest.mark.parametrize("fancy, plain", [
    ("x \u2010 \u2011 \u2012 \u2013 \u2014 \u2015 \u2212 y", "x - - - - - - - y"),
    ("\u2018a\u2019 \u201ab\u201b", "'a' 'b'"),
    ("\u201ca\u201d \u201eb\u201f", '"a" "b"'),
    ("a\u00a0b\u2002c\u2003d\u2004e\u2005f\u2006g\u2007h\u2008i\u2009j\u200ak\u202fl\u205fm\u3000n",
     "a b c d e f g h i j k l m n"),
])
def test_seek_unicode_punctuation_normalisation(fancy, plain):
    assert normalise(fancy) == plain
    assert seek_sequence(["other", "  " + fancy + " "], [plain], 0, False) == 1
    assert seek_sequence(["other", plain], [fancy], 0, False) == 1


def test_seek_unicode_normalisation_is_limited_to_the_table():
    assert seek_sequence(["a\u2016b"], ["a-b"], 0, False) is None  # U+2016 is not a dash
    assert seek_sequence(["a\u200bb"], ["a b"], 0, False) is None  # zero-width space is not a space


def test_seek_with_repeated_first_lines_is_correct():
    lines = ["}", "x"] * 500 + ["}", "y"]
    assert seek_sequence(lines, ["}", "y"], 0, False) == 1000


# --- the update algorithm ------------------------------------------------------------------------


def test_update_replaces_and_always_ends_with_a_newline():
    assert update("a\nb\nc\n", "@@", " a", "-b", "+B") == "a\nB\nc\n"
    assert update("no newline at end", "@@", "-no newline at end", "+first", "+second") == "first\nsecond\n"
    assert update("a\nb", "@@", "-b", "+c") == "a\nc\n"


def test_update_pure_addition_appends_at_the_end():
    assert update("line1\nline2\n", "@@", "+added 1", "+added 2") == "line1\nline2\nadded 1\nadded 2\n"
    assert update("line1", "@@", "+added") == "line1\nadded\n"
    assert update("", "@@", "+first") == "first\n"
    # a pure addition with a context line is still appended at the end (the cursor only narrows seeks)
    assert update("def f():\n    pass\nx = 1\n", "@@ def f():", "+    # tail") == "def f():\n    pass\nx = 1\n    # tail\n"


def test_update_deletion_only():
    assert update("a\nb\nc\n", "@@", " a", "-b", " c") == "a\nc\n"


def test_update_end_of_file_anchor_uses_the_last_occurrence():
    original = "x\nsame\ny\nsame\n"
    assert update(original, "@@", "-same", "+first") == "x\nfirst\ny\nsame\n"
    assert update(original, "@@", "-same", "+last", "*** End of File") == "x\nsame\ny\nlast\n"
    with pytest.raises(PatchApplyError, match="Failed to find expected lines in f.txt:\nx"):
        update(original, "@@", "-x", "+z", "*** End of File")


def test_update_context_line_narrows_the_search():
    original = "class A:\n    v = 1\nclass B:\n    v = 1\n"
    assert update(original, "@@ class B:", "-    v = 1", "+    v = 2") == "class A:\n    v = 1\nclass B:\n    v = 2\n"
    # stacked chunks move a cursor forward
    assert update("k\nk\nk\n", "@@", "-k", "+1", "@@", "-k", "+2") == "1\n2\nk\n"


def test_update_retries_without_a_trailing_empty_old_line():
    # an empty line at the end of a chunk stands for the final newline
    assert update("a\nb\n", "@@", " a", "-b", "+c", "") == "a\nc\n"


def test_update_fuzzy_match_replaces_with_patch_lines_verbatim():
    assert update("x = \u201chi\u201d  \n", "@@", '-x = "hi"', '+x = "bye"') == 'x = "bye"\n'


def test_update_rewrites_matched_lines_from_the_patch_and_keeps_others():
    # CRLF lines match via the rstrip pass; the matched region (context included) is
    # replaced by the patch's lines, the rest of the file is untouched
    assert update("a\r\nb\r\nc\r\n", "@@", " a", "-b", "+B") == "a\nB\nc\r\n"


def test_update_error_texts():
    with pytest.raises(PatchApplyError) as info:
        update("a\nb\n", "@@ def missing():", "-a", "+b")
    assert info.value.message == "Failed to find context 'def missing():' in f.txt"
    with pytest.raises(PatchApplyError) as info:
        update("a\nb\n", "@@", " a", "-nope", "+yes")
    assert info.value.message == "Failed to find expected lines in f.txt:\na\nnope"


def test_apply_replacements_matches_upstream_splicing():
    def upstream(lines, repl):
        lines = list(lines)
        for start, old_len, new in reversed(repl):
            for _ in range(old_len):
                if start < len(lines):
                    lines.pop(start)
            for offset, line in enumerate(new):
                lines.insert(start + offset, line)
        return lines

    rng = random.Random(7)
    for _ in range(2000):
        lines = [str(i) for i in range(rng.randint(0, 12))]
        repl = sorted(((rng.randint(0, len(lines)), rng.randint(0, 3), [f"n{rng.randint(0, 99)}"] * rng.randint(0, 2))
                       for _ in range(rng.randint(0, 4))), key=lambda r: r[0])
        assert apply_replacements(lines, repl) == upstream(lines, repl), (lines, repl)


# --- unified diffs --------------------------------------------------------------------------------


def apply_unified(old: str, diff: str) -> str:
    """A tiny reference applier for hunk-only unified diffs (with '\\ No newline' markers)."""
    a = re.findall(r"[^\n]*\n|[^\n]+$", old)
    records = re.findall(r"[^\n]*\n|[^\n]+$", diff)
    out: list[str] = []
    pos = 0
    i = 0
    while i < len(records):
        m = re.match(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@\n", records[i])
        assert m, records[i]
        start, length = int(m[1]), int(m[2] or 1)
        begin = start if length == 0 else start - 1
        assert begin >= pos
        out += a[pos:begin]
        pos = begin
        i += 1
        while i < len(records) and not records[i].startswith("@@"):
            tag, text = records[i][0], records[i][1:]
            if i + 1 < len(records) and records[i + 1] == "\\ No newline at end of file\n":
                text = text[:-1]
                i += 1
            if tag in " -":
                assert a[pos] == text, (pos, a[pos], text)
                pos += 1
            if tag in " +":
                out.append(text)
            i += 1
    return "".join(out + a[pos:])


def test_unified_diff_format_has_one_line_of_context():
    diff = unified_diff("1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\nthree\n4\n5\n6\n7\neight\n")
    assert diff == "@@ -2,3 +2,3 @@\n 2\n-3\n+three\n 4\n@@ -7,2 +7,2 @@\n 7\n-8\n+eight\n"
    assert unified_diff("a\n", "a\n") == ""
    assert unified_diff("a", "a\n") == "@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n"
    assert unified_diff("", "x\n") == "@@ -0,0 +1 @@\n+x\n"


def test_unified_diff_is_valid_for_random_texts():
    rng = random.Random(99)
    for _ in range(1500):
        old, new = ("".join(rng.choice(["a", "b", "\n", "\n", "c\n"]) for _ in range(rng.randint(0, 14)))
                    for _ in range(2))
        assert apply_unified(old, unified_diff(old, new)) == new, (old, new)


def random_patch_case(rng: random.Random) -> tuple[str, str]:
    words = ["a", "b", "c", "", "}", "x y"]
    lines = [rng.choice(words) + (str(rng.randint(0, 3)) if rng.random() < 0.5 else "") for _ in range(rng.randint(1, 40))]
    original = "\n".join(lines) + ("\n" if rng.random() < 0.7 else "")
    body = ["*** Update File: f.txt"]
    pos = 0
    for _ in range(rng.randint(1, 4)):
        if pos >= len(lines):
            break
        start = rng.randint(pos, len(lines) - 1)
        end = min(len(lines), start + rng.randint(0, 3))
        body.append("@@")
        for line in lines[start:end]:
            body.append(("-" if rng.random() < 0.5 else " ") + line)
        for _ in range(rng.randint(0 if end > start else 1, 2)):
            body.append("+" + rng.choice(words) + "new")
        if end == len(lines) and rng.random() < 0.5 and end > start:
            body.append("*** End of File")
        pos = end + 1
    return original, wrap(*body)


def test_update_diffs_are_valid_for_random_edits(tmp_path):
    rng = random.Random(1234)
    checked = 0
    for _ in range(600):
        original, patch = random_patch_case(rng)
        (tmp_path / "f.txt").write_bytes(original.encode())
        try:
            changes = compute_changes(parse_patch(patch), tmp_path)
        except PatchApplyError:
            continue
        (change,) = changes.values()
        assert isinstance(change, UpdateChange)
        assert apply_unified(original, change.unified_diff) == change.new_content, (original, patch, change.unified_diff)
        # the standalone path computes the same content
        apply_hunks(parse_patch(patch), tmp_path)
        assert (tmp_path / "f.txt").read_text() == change.new_content
        checked += 1
    assert checked > 300


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_large_update_diff_is_fast_and_git_applies_it(tmp_path):
    lines = [f"line {i}" if i % 7 else "" for i in range(100_000)]
    (tmp_path / "big.txt").write_text("\n".join(lines) + "\n")
    body = ["*** Update File: big.txt"]
    for k in range(1000):
        at = k * 100 + 50
        body += ["@@", *(" " + lines[j] for j in range(at - 3, at)), "-" + lines[at], f"+changed {k}",
                 *(" " + lines[j] for j in range(at + 1, at + 4))]
    changes = compute_changes(parse_patch(wrap(*body)), tmp_path)
    (change,) = changes.values()
    assert change.unified_diff.count("\n@@ ") + 1 == 1000
    git_diff = "--- a/big.txt\n+++ b/big.txt\n" + change.unified_diff
    (tmp_path / "d.patch").write_text(git_diff)
    subprocess.run(["git", "apply", "--unidiff-zero", "d.patch"], cwd=tmp_path, check=True, capture_output=True)
    assert (tmp_path / "big.txt").read_text() == change.new_content


# --- standalone apply ------------------------------------------------------------------------------


def test_add_creates_parents_and_overwrites(tmp_path):
    (tmp_path / "dup.txt").write_text("old")
    result = apply_hunks(parse_patch(wrap("*** Add File: a/b/c.txt", "+x", "*** Add File: dup.txt", "+new")), tmp_path)
    assert tree(tmp_path) == {"a/b/c.txt": b"x\n", "dup.txt": b"new\n"}
    assert result == ApplyResult(added=["a/b/c.txt", "dup.txt"])


def test_delete_refuses_directories_and_missing_files(tmp_path):
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "f").write_text("keep")
    with pytest.raises(PatchApplyError) as info:
        apply_hunks(parse_patch(wrap("*** Delete File: dir")), tmp_path)
    assert info.value.message == f"Failed to delete file {tmp_path / 'dir'}"
    assert isinstance(info.value.cause, IsADirectoryError)
    with pytest.raises(PatchApplyError) as info:
        apply_hunks(parse_patch(wrap("*** Delete File: missing.txt")), tmp_path)
    assert info.value.message == f"Failed to delete file {tmp_path / 'missing.txt'}"
    assert tree(tmp_path) == {"dir/f": b"keep"}


def test_update_of_missing_file_error_text(tmp_path):
    with pytest.raises(PatchApplyError) as info:
        apply_hunks(parse_patch(wrap("*** Update File: sub/../missing.txt", "@@", "-a", "+b")), tmp_path)
    assert info.value.message == (
        f"Failed to read file to update {tmp_path / 'missing.txt'}: No such file or directory (os error 2)")


def test_update_of_non_utf8_file_error_text(tmp_path):
    (tmp_path / "bin").write_bytes(b"\xff\xfe\n")
    with pytest.raises(PatchApplyError, match=r"Failed to read file to update .*bin: stream did not contain valid UTF-8"):
        apply_hunks(parse_patch(wrap("*** Update File: bin", "@@", "+x")), tmp_path)


def test_zero_hunks_is_an_error(tmp_path):
    with pytest.raises(PatchApplyError, match=r"^No files were modified\.$"):
        apply_hunks([], tmp_path)
    with pytest.raises(PatchApplyError, match=r"^No files were modified\.$"):
        compute_changes([], tmp_path)


def test_move_writes_destination_then_removes_source(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "name.txt").write_text("old content\n")
    (tmp_path / "old" / "name.txt").chmod(0o750)
    result = apply_hunks(parse_patch(wrap(
        "*** Update File: old/name.txt", "*** Move to: renamed/dir/name.txt", "@@", "-old content", "+new content",
    )), tmp_path)
    assert tree(tmp_path) == {"renamed/dir/name.txt": b"new content\n"}
    assert stat.S_IMODE((tmp_path / "renamed/dir/name.txt").stat().st_mode) == 0o750
    assert result == ApplyResult(modified=["renamed/dir/name.txt"])


def test_move_onto_itself_keeps_the_file(tmp_path):
    (tmp_path / "f.txt").write_text("a\n")
    apply_hunks(parse_patch(wrap("*** Update File: f.txt", "*** Move to: ./f.txt", "@@", "-a", "+b")), tmp_path)
    assert tree(tmp_path) == {"f.txt": b"b\n"}


def test_no_rollback_after_partial_success(tmp_path):
    patch = wrap("*** Add File: created.txt", "+hello", "*** Update File: missing.txt", "@@", "-old", "+new")
    with pytest.raises(PatchApplyError) as info:
        apply_hunks(parse_patch(patch), tmp_path)
    assert tree(tmp_path) == {"created.txt": b"hello\n"}
    assert info.value.partial == ApplyResult(added=["created.txt"])


def test_summary_lists_adds_then_updates_then_deletes(tmp_path):
    (tmp_path / "m.txt").write_text("x\n")
    (tmp_path / "d.txt").write_text("y\n")
    result = apply_hunks(parse_patch(wrap(
        "*** Delete File: d.txt", "*** Update File: m.txt", "*** Move to: n.txt", "@@", "-x", "+z",
        "*** Add File: a.txt", "+a",
    )), tmp_path)
    assert summary_text(result) == "Success. Updated the following files:\nA a.txt\nM n.txt\nD d.txt\n"


def test_absolute_paths_are_accepted(tmp_path):
    target = tmp_path / "elsewhere" / "abs.txt"
    apply_hunks(parse_patch(wrap(f"*** Add File: {target}", "+x")), tmp_path / "cwd")
    assert target.read_text() == "x\n"


def test_touched_paths_are_normalised_and_include_moves(tmp_path):
    hunks = parse_patch(wrap(
        "*** Add File: a/../b.txt", "+x", "*** Update File: c.txt", "*** Move to: ../out/d.txt", "@@", "+y",
        "*** Delete File: /abs/e.txt", "*** Delete File: b.txt",
    ))
    assert touched_paths(hunks, tmp_path / "w") == [
        tmp_path / "w" / "b.txt", tmp_path / "w" / "c.txt", tmp_path / "out" / "d.txt", Path("/abs/e.txt"),
    ]


# --- atomic writes ---------------------------------------------------------------------------------


def test_update_preserves_mode_and_leaves_no_temp_files(tmp_path):
    f = tmp_path / "script.sh"
    f.write_text("echo a\n")
    f.chmod(0o751)
    apply_hunks(parse_patch(wrap("*** Update File: script.sh", "@@", "-echo a", "+echo b")), tmp_path)
    assert stat.S_IMODE(f.stat().st_mode) == 0o751
    assert sorted(os.listdir(tmp_path)) == ["script.sh"]
    assert f.read_text() == "echo b\n"


def test_new_files_get_the_umask_default_mode(tmp_path):
    old = os.umask(0o027)
    try:
        apply_hunks(parse_patch(wrap("*** Add File: new.txt", "+x")), tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640


def test_failed_write_keeps_the_original_and_cleans_up(tmp_path, monkeypatch):
    f = tmp_path / "f.txt"
    f.write_text("original\n")

    def broken_rename(src, dst, **dir_fds):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(confined_fs.os, "rename", broken_rename)
    with pytest.raises(PatchApplyError) as info:
        apply_hunks(parse_patch(wrap("*** Update File: f.txt", "@@", "-original", "+changed")), tmp_path)
    assert info.value.message == f"Failed to write file {f}"
    assert info.value.cause.errno == 28
    assert tree(tmp_path) == {"f.txt": b"original\n"}


def test_symlinks_are_written_through(tmp_path):
    (tmp_path / "real.txt").write_text("a\n")
    (tmp_path / "link.txt").symlink_to("real.txt")
    apply_hunks(parse_patch(wrap("*** Update File: link.txt", "@@", "-a", "+b")), tmp_path)
    assert (tmp_path / "link.txt").is_symlink()
    assert (tmp_path / "real.txt").read_text() == "b\n"


# --- verified flow ------------------------------------------------------------------------------


def test_compute_changes_writes_nothing_when_a_hunk_fails(tmp_path):
    (tmp_path / "keep.txt").write_text("a\n")
    before = tree(tmp_path)
    for patch, message in [
        (wrap("*** Add File: created.txt", "+hello", "*** Update File: missing.txt", "@@", "-old", "+new"),
         f"Failed to read file to update {tmp_path / 'missing.txt'}: No such file or directory (os error 2)"),
        (wrap("*** Delete File: keep.txt", "*** Delete File: keep.txt"),
         f"Failed to read {tmp_path / 'keep.txt'}: No such file or directory (os error 2)"),
        (wrap("*** Update File: keep.txt", "@@", "-zzz", "+y"), "Failed to find expected lines in keep.txt:\nzzz"),
    ]:
        with pytest.raises(PatchApplyError) as info:
            compute_changes(parse_patch(patch), tmp_path)
        assert info.value.message == message
        assert tree(tmp_path) == before


def test_compute_changes_delete_of_directory_fails(tmp_path):
    (tmp_path / "dir").mkdir()
    with pytest.raises(PatchApplyError, match=r"^Failed to read .*dir: Is a directory \(os error 21\)$"):
        compute_changes(parse_patch(wrap("*** Delete File: dir")), tmp_path)


def test_compute_then_apply(tmp_path):
    (tmp_path / "mod.txt").write_text("1\n2\n3\n")
    (tmp_path / "del.txt").write_text("bye\n")
    (tmp_path / "old.txt").write_text("x\n")
    patch = wrap(
        "*** Add File: new/added.txt", "+hi",
        "*** Update File: mod.txt", "@@", " 1", "-2", "+two",
        "*** Delete File: del.txt",
        "*** Update File: old.txt", "*** Move to: moved.txt", "@@", "-x", "+y",
    )
    changes = compute_changes(parse_patch(patch), tmp_path)
    assert tree(tmp_path) == {"mod.txt": b"1\n2\n3\n", "del.txt": b"bye\n", "old.txt": b"x\n"}
    assert changes == {
        tmp_path / "new/added.txt": AddChange("hi\n", "new/added.txt"),
        tmp_path / "mod.txt": UpdateChange("1\ntwo\n3\n", "@@ -1,3 +1,3 @@\n 1\n-2\n+two\n 3\n", "mod.txt",
                                           original_content="1\n2\n3\n"),
        tmp_path / "del.txt": DeleteChange("bye\n", "del.txt"),
        tmp_path / "old.txt": UpdateChange("y\n", "@@ -1 +1 @@\n-x\n+y\n", "old.txt", tmp_path / "moved.txt",
                                           "moved.txt", "x\n"),
    }
    result = apply_changes(changes)
    assert tree(tmp_path) == {"new/added.txt": b"hi\n", "mod.txt": b"1\ntwo\n3\n", "moved.txt": b"y\n"}
    assert summary_text(result) == (
        "Success. Updated the following files:\nA new/added.txt\nM mod.txt\nM moved.txt\nD del.txt\n")


def test_compute_changes_sees_earlier_hunks(tmp_path):
    (tmp_path / "a.txt").write_text("1\n")
    patch = wrap(
        "*** Add File: new.txt", "+one",
        "*** Update File: new.txt", "@@", "-one", "+two",
        "*** Update File: a.txt", "*** Move to: b.txt", "@@", "-1", "+2",
        "*** Update File: b.txt", "@@", "-2", "+3",
    )
    changes = compute_changes(parse_patch(patch), tmp_path)
    assert changes[tmp_path / "new.txt"] == AddChange("two\n", "new.txt")
    assert changes[tmp_path / "a.txt"] == DeleteChange("1\n", "a.txt")
    assert changes[tmp_path / "b.txt"] == AddChange("3\n", "b.txt")
    apply_changes(changes)
    expected = tree(tmp_path)
    # the standalone path ends in the same state
    (tmp_path / "new.txt").unlink()
    (tmp_path / "b.txt").unlink()
    (tmp_path / "a.txt").write_text("1\n")
    apply_hunks(parse_patch(patch), tmp_path)
    assert tree(tmp_path) == expected == {"b.txt": b"3\n", "new.txt": b"two\n"}


def test_to_protocol_changes(tmp_path):
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "m.txt").write_text("a\n")
    outside = tmp_path / "outside.txt"
    patch = wrap(f"*** Add File: {outside}", "+x", "*** Update File: m.txt", "*** Move to: sub/n.txt", "@@", "-a", "+b")
    changes = to_protocol_changes(compute_changes(parse_patch(patch), tmp_path / "w"), tmp_path / "w")
    assert {k: v.model_dump() for k, v in changes.items()} == {
        str(outside): {"type": "add", "content": "x\n"},
        "m.txt": {"type": "update", "unified_diff": "@@ -1 +1 @@\n-a\n+b\n", "move_path": "sub/n.txt"},
    }


def test_apply_changes_after_the_files_changed_reports_partial(tmp_path):
    (tmp_path / "a.txt").write_text("a\n")
    changes = compute_changes(parse_patch(wrap("*** Add File: n.txt", "+n", "*** Delete File: a.txt")), tmp_path)
    (tmp_path / "a.txt").unlink()
    with pytest.raises(PatchApplyError) as info:
        apply_changes(changes)
    assert info.value.message == f"Failed to delete file {tmp_path / 'a.txt'}"
    assert info.value.partial == ApplyResult(added=["n.txt"])


def test_chunk_dataclass_defaults():
    assert Chunk(None) == Chunk(None, [], [], False)


def test_a_fifo_or_device_is_refused_without_blocking(tmp_path):
    """A sandboxed command can leave a FIFO where a patch expects a file: reading it must
    not hang the turn, and /dev/zero must not be read forever. Control: a regular file patches."""
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "ok.txt").write_text("a\n")
    for target in (str(tmp_path / "pipe.txt"), "/dev/zero"):
        with pytest.raises(PatchApplyError) as info:
            compute_changes(parse_patch(wrap(f"*** Update File: {target}", "@@", "-a", "+b")), tmp_path)
        assert "not a regular file" in info.value.message
    changes = compute_changes(parse_patch(wrap("*** Update File: ok.txt", "@@", "-a", "+b")), tmp_path)
    apply_changes(changes)
    assert (tmp_path / "ok.txt").read_text() == "b\n"
