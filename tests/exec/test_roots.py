"""Writable-root computation (spec §7.1) and the path check apply_patch relies on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agent.exec.roots import WritableRoot, effective_writable_roots, git_dirs_under, is_path_writable
from agent.protocol.policy import DangerFullAccess, ReadOnly, WorkspaceWrite

TMP = Path(os.path.realpath("/tmp"))


def roots_of(policy, cwd: Path, env=None) -> list[Path]:
    return [r.root for r in effective_writable_roots(policy, cwd, env or {})]


def test_read_only_and_danger(tmp_path):
    assert effective_writable_roots(ReadOnly(), tmp_path, {}) == []
    assert effective_writable_roots(DangerFullAccess(), tmp_path, {}) == [WritableRoot(Path("/"))]
    assert is_path_writable("/etc/passwd", effective_writable_roots(DangerFullAccess(), tmp_path, {}))
    assert not is_path_writable(tmp_path / "x", effective_writable_roots(ReadOnly(), tmp_path, {}))


def test_order_configured_cwd_tmp_tmpdir(tmp_path):
    extra, cwd, tmpdir = tmp_path / "extra", tmp_path / "cwd", tmp_path / "tmpdir"
    for d in (extra, cwd, tmpdir):
        d.mkdir()
    policy = WorkspaceWrite(writable_roots=(str(extra),))
    assert roots_of(policy, cwd, {"TMPDIR": str(tmpdir)}) == [extra, cwd, TMP, tmpdir]


def test_exclusions_and_empty_tmpdir(tmp_path):
    tmpdir = tmp_path / "t"
    tmpdir.mkdir()
    assert roots_of(WorkspaceWrite(exclude_slash_tmp=True), tmp_path, {"TMPDIR": str(tmpdir)}) == [tmp_path, tmpdir]
    assert roots_of(WorkspaceWrite(exclude_tmpdir_env_var=True), tmp_path, {"TMPDIR": str(tmpdir)}) == [tmp_path, TMP]
    assert roots_of(WorkspaceWrite(), tmp_path, {"TMPDIR": ""}) == [tmp_path, TMP]


def test_relative_roots_dedupe_and_missing_roots(tmp_path):
    (tmp_path / "sub").mkdir()
    policy = WorkspaceWrite(writable_roots=("sub", ".", "missing"), exclude_slash_tmp=True)
    assert roots_of(policy, tmp_path, {"TMPDIR": str(tmp_path)}) == [tmp_path / "sub", tmp_path]
    with pytest.raises(ValueError):
        effective_writable_roots(WorkspaceWrite(), Path("relative"), {})


def test_symlinked_roots_are_resolved(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    policy = WorkspaceWrite(writable_roots=(str(tmp_path / "link"),), exclude_slash_tmp=True)
    assert roots_of(policy, real, {}) == [real]


def test_dot_git_directory_and_gitdir_file_are_read_only(tmp_path):
    """Invariant: a `.git` file (submodule/worktree `gitdir:` pointer) is read-only too, or a
    command could point it at a git directory of its own with hooks (stricter than Codex)."""
    repo, worktree = tmp_path / "repo", tmp_path / "worktree"
    (repo / ".git").mkdir(parents=True)
    worktree.mkdir()
    (worktree / ".git").write_text("gitdir: ../repo/.git\n")
    policy = WorkspaceWrite(writable_roots=(str(worktree),), exclude_slash_tmp=True)
    roots = effective_writable_roots(policy, repo, {})
    assert roots == [WritableRoot(worktree, (worktree / ".git",)), WritableRoot(repo, (repo / ".git",))]


def test_nested_git_directories_are_read_only_within_the_scan_bound(tmp_path):
    """Invariant: every `.git` in a writable root — nested repositories and submodules
    included — is a read-only subpath; the scan lists at most MAX_GIT_SCAN_DIRS
    directories per root, breadth-first, and doesn't follow symlinks."""
    ws = tmp_path / "ws"
    nested = ws / "vendor" / "lib" / ".git"
    nested.mkdir(parents=True)
    (ws / "sub").mkdir()
    (ws / "sub" / ".git").write_text("gitdir: ../.git/modules/sub\n")
    (ws / "elsewhere").symlink_to(tmp_path / "other")
    (tmp_path / "other" / ".git").mkdir(parents=True)
    (ws / "node_modules" / "pkg" / ".git").mkdir(parents=True)
    [root] = effective_writable_roots(WorkspaceWrite(exclude_slash_tmp=True), ws, {})
    assert set(root.read_only_subpaths) == {nested, ws / "sub" / ".git"}
    assert not is_path_writable(nested / "config", [root]) and is_path_writable(ws / "vendor" / "lib" / "x.c", [root])
    found, truncated = git_dirs_under(ws, limit=2)
    assert truncated and nested not in found


def test_is_path_writable_inside_outside_and_git(tmp_path):
    ws = tmp_path / "ws"
    (ws / ".git").mkdir(parents=True)
    roots = effective_writable_roots(WorkspaceWrite(exclude_slash_tmp=True), ws, {})
    assert is_path_writable(ws / "a.py", roots)
    assert is_path_writable(ws / "new" / "dir" / "b.py", roots)
    assert is_path_writable(ws, roots)
    assert not is_path_writable(tmp_path / "other.py", roots)
    assert not is_path_writable(ws / ".git", roots)
    assert not is_path_writable(ws / ".git" / "config", roots)
    assert not is_path_writable(ws / "sub" / ".." / ".git" / "HEAD", roots)
    assert is_path_writable(ws / ".gitignore", roots)
    with pytest.raises(ValueError):
        is_path_writable("relative.txt", roots)


def test_dotdot_and_symlink_escapes(tmp_path):
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    ws.mkdir()
    outside.mkdir()
    (ws / "to-outside").symlink_to(outside)
    (ws / "dangling").symlink_to(outside / "not-yet")
    (ws / "sub").mkdir()
    (ws / "sub" / "up").symlink_to("../..")
    roots = effective_writable_roots(WorkspaceWrite(exclude_slash_tmp=True), ws, {})
    assert not is_path_writable(f"{ws}/../outside/x", roots)
    assert not is_path_writable(f"{ws}/missing/../../outside/x", roots)
    assert not is_path_writable(ws / "to-outside" / "x", roots)
    assert not is_path_writable(ws / "dangling", roots)
    assert not is_path_writable(ws / "sub" / "up" / "outside" / "x", roots)
    assert is_path_writable(ws / "sub" / "up" / "ws" / "x", roots)


def test_git_protected_even_inside_an_enclosing_root(tmp_path):
    """/tmp (a root) contains the workspace; the workspace's .git stays read-only anyway."""
    ws = tmp_path / "ws"
    (ws / ".git").mkdir(parents=True)
    (ws / "gitlink").symlink_to(ws / ".git")
    roots = effective_writable_roots(WorkspaceWrite(), ws, {})
    assert TMP in [r.root for r in roots] or not str(ws).startswith(str(TMP))
    assert not is_path_writable(ws / ".git" / "index", roots)
    assert not is_path_writable(ws / "gitlink" / "index", roots)


def test_the_agents_own_install_is_read_only_inside_a_writable_root(tmp_path):
    """A sandboxed command must not be able to rewrite code that later runs unsandboxed."""
    import sys

    from agent.exec.roots import agent_install_paths, effective_writable_roots, is_path_writable
    from agent.protocol.policy import WorkspaceWrite

    prefix, package = agent_install_paths()
    assert prefix == Path(os.path.realpath(sys.prefix))
    assert (package / "exec" / "roots.py").is_file()
    roots = effective_writable_roots(WorkspaceWrite(), Path("/"), {})
    assert not is_path_writable(package / "exec" / "landlock_launcher.py", roots)
    assert not is_path_writable(prefix / "lib" / "new_module.py", roots)
    assert is_path_writable(Path("/tmp/elsewhere.txt"), roots)
