"""gitignore semantics of the workspace snapshot (gitignore.py), checked against `git check-ignore`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from agent.tools.gitignore import Matcher, is_ignored, parse_rules

# (ignore file lines, root-relative path, is a folder, ignored?)
TABLE = [
    (["*.log"], "a.log", False, True),
    (["*.log"], "deep/down/a.log", False, True),
    (["*.log", "!keep.log"], "keep.log", False, False),
    (["*.log", "!keep.log"], "x/keep.log", False, False),
    (["build/"], "build", True, True),
    (["build/"], "build", False, False),  # dir-only: a file named build stays
    (["build/"], "src/build", True, True),
    (["/top.txt"], "top.txt", False, True),
    (["/top.txt"], "sub/top.txt", False, False),  # anchored
    (["doc/*.txt"], "doc/a.txt", False, True),
    (["doc/*.txt"], "doc/x/a.txt", False, False),  # * does not cross /
    (["doc/*.txt"], "sub/doc/a.txt", False, False),  # a middle / anchors
    (["**/cache"], "cache", True, True),
    (["**/cache"], "a/b/cache", True, True),
    (["a/**/b"], "a/b", False, True),
    (["a/**/b"], "a/x/y/b", False, True),
    (["a/**"], "a/x/y", False, True),
    (["a/**"], "a", True, True),  # as git: the folder itself counts as ignored
    (["a/**"], "a", False, False),
    (["file?.txt"], "file1.txt", False, True),
    (["file?.txt"], "file10.txt", False, False),
    (["[ab].txt"], "b.txt", False, True),
    (["[!ab].txt"], "b.txt", False, False),
    (["[!ab].txt"], "c.txt", False, True),
    (["\\#hash"], "#hash", False, True),
    (["# comment", ""], "# comment", False, False),
    (["\\!bang"], "!bang", False, True),
    (["trail   "], "trail", False, True),
    (["*", "!*/", "!*.py"], "src/x.py", False, False),
    (["*", "!*/", "!*.py"], "src/x.txt", False, True),
]


@pytest.mark.parametrize(("lines", "path", "is_dir", "ignored"), TABLE)
def test_rule_table(lines, path, is_dir, ignored):
    assert is_ignored(parse_rules("\n".join(lines)), path, is_dir) is ignored


def test_nested_file_overrides_its_parent_and_is_relative_to_its_folder():
    rules = parse_rules("*.txt\n") + parse_rules("!keep.txt\n/only_here.md\n", "sub")
    assert is_ignored(rules, "a.txt", False)
    assert not is_ignored(rules, "sub/keep.txt", False)
    assert is_ignored(rules, "keep.txt", False)  # the nested rule holds only below sub/
    assert is_ignored(rules, "sub/only_here.md", False)
    assert not is_ignored(rules, "sub/deeper/only_here.md", False)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_table_agrees_with_git(tmp_path: Path):
    """Control: git itself gives the same answers for the table's file paths."""
    for i, (lines, path, is_dir, ignored) in enumerate(TABLE):
        repo = tmp_path / str(i)
        repo.mkdir()
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        (repo / ".gitignore").write_text("\n".join(lines) + "\n")
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.mkdir() if is_dir else target.write_text("x")
        rel = path + ("/" if is_dir else "")
        found = subprocess.run(["git", "-C", str(repo), "check-ignore", "-q", "--no-index", rel]).returncode == 0
        assert found is ignored, (lines, path)


@pytest.mark.parametrize(("lines", "path", "is_dir", "ignored"), TABLE)
def test_the_walks_matcher_agrees_with_the_rules(lines, path, is_dir, ignored):
    matcher = Matcher(parse_rules("\n".join(lines)))
    assert matcher.ignored(path, is_dir, path.rsplit("/", 1)[-1]) is ignored
    with_negation = Matcher(parse_rules("\n".join(lines) + "\n!never-matches-anything"))
    assert not with_negation.simple and with_negation.ignored(path, is_dir, path.rsplit("/", 1)[-1]) is ignored
