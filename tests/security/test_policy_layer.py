"""Attacks on the agent's own policy layer (issue 9, holes 1, 2 and 9), end to end.

`kernel-agent exec --json` runs in a subprocess against the scripted model server, which
plays a prompt-injected model; commands run under the real sandbox, on bubblewrap and on
the forced Landlock fallback. Every attack has a paired control that must keep working.
"""

from __future__ import annotations

import pytest

from tests.scripted_server import ToolCall

from .conftest import bash, shell

PATCH_ADD = "*** Begin Patch\n*** Add File: {name}\n+pwned\n*** End Patch\n"


@pytest.mark.parametrize("approval", ["never", "on-request"])
def test_workdir_outside_the_roots_does_not_widen_them(agent, mechanism, approval):
    """Invariant: writable roots come from the session, never from a tool call's
    `workdir` (hole 1). Control: a workdir inside the workspace writes; reading the
    outside directory from there still works."""
    agent.mechanism, agent.approval = mechanism, approval
    out = agent.outside
    (agent.work / "sub").mkdir(parents=True)
    result = agent.run(tool_calls=[
        bash(f"echo pwn > {out}/victim.txt", workdir=str(out)),
        bash(f"echo pwn > {out}/new.txt", workdir="/"),
        bash("echo pwn > rel.txt", workdir=str(out)),
        bash("echo fine > made.txt && cat " + str(out / "victim.txt"), workdir="sub"),
    ])
    assert result.proc.returncode == 0, result.proc.stderr
    assert (out / "victim.txt").read_text() == "original\n"
    assert not (out / "new.txt").exists() and not (out / "rel.txt").exists()
    assert (agent.work / "sub" / "made.txt").read_text() == "fine\n"
    assert "original" in agent.output_of("call_3")


def test_root_workdir_cannot_make_the_filesystem_writable(agent, mechanism):
    """Invariant: `"workdir": "/"` leaves / read-only (hole 1). Control: /tmp-style roots
    of the session stay writable from that workdir."""
    agent.mechanism = mechanism
    out = agent.outside
    result = agent.run(tool_calls=[
        shell(["bash", "-c", f"touch {out}/from-root; touch {agent.work}/from-root"], workdir="/"),
    ])
    assert result.proc.returncode == 0, result.proc.stderr
    assert not (out / "from-root").exists()
    assert (agent.work / "from-root").exists()


def test_apply_patch_through_the_shell_gets_the_same_root_check(agent, mechanism):
    """Invariant: an apply_patch intercepted from a shell call (argv form with an outside
    workdir, or `cd /outside && apply_patch <<EOF`) is checked against the session's
    roots exactly like the apply_patch tool (hole 2). Control: the same forms inside the
    workspace apply."""
    agent.mechanism = mechanism
    out = agent.outside
    (agent.work / "sub").mkdir(parents=True)
    def heredoc(directory: str, name: str) -> str:
        return f"cd {directory} && apply_patch <<'EOF'\n" + PATCH_ADD.format(name=name) + "EOF\n"

    result = agent.run(tool_calls=[
        shell(["apply_patch", PATCH_ADD.format(name="argv.txt")], workdir=str(out)),
        bash(heredoc(str(out), "heredoc.txt")),
        bash(heredoc("..", "dotdot.txt"), workdir="sub"),
        shell(["apply_patch", PATCH_ADD.format(name="ok-argv.txt")], workdir="sub"),
        bash(heredoc("sub", "ok-heredoc.txt")),
    ])
    assert result.proc.returncode == 0, result.proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["victim.txt"]
    for call_id in ("call_0", "call_1"):
        assert "writing outside of the project" in agent.output_of(call_id)
    assert (agent.work / "dotdot.txt").read_text() == "pwned\n"  # ../ from sub is still the workspace
    assert (agent.work / "sub" / "ok-argv.txt").read_text() == "pwned\n"
    assert (agent.work / "sub" / "ok-heredoc.txt").read_text() == "pwned\n"


def test_patch_through_a_symlinked_directory_is_checked_where_it_lands(agent, mechanism):
    """Invariant: a path is resolved where it is used — a workspace symlink to an outside
    directory does not make the outside writable through apply_patch. Control: a
    symlink to a directory inside the workspace is followed."""
    agent.mechanism = mechanism
    agent.write_config()
    (agent.work / "link").symlink_to(agent.outside)
    (agent.work / "real").mkdir()
    (agent.work / "inner").symlink_to(agent.work / "real")
    result = agent.run(tool_calls=[
        ToolCall("apply_patch", {"input": PATCH_ADD.format(name="link/x.txt")}),
        ToolCall("apply_patch", {"input": PATCH_ADD.format(name="inner/y.txt")}),
    ])
    assert result.proc.returncode == 0, result.proc.stderr
    assert not (agent.outside / "x.txt").exists()
    assert "writing outside of the project" in agent.output_of("call_0")
    assert (agent.work / "real" / "y.txt").read_text() == "pwned\n"


def test_apply_patch_cannot_write_protected_paths_inside_the_workspace(agent, mechanism):
    """Invariant: what the sandbox hides from commands (credentials, e.g. a workspace that
    is the home folder with `.ssh` in it) apply_patch treats as outside the roots: no
    `authorized_keys` planted, no `auth.json` replaced. Control: an ordinary file in the
    same patch round applies."""
    agent.mechanism = mechanism
    agent.config_extra = f'sandbox_hidden_paths = ["{agent.work}/.ssh"]'
    agent.write_config()
    (agent.work / ".ssh").mkdir()
    result = agent.run(tool_calls=[
        ToolCall("apply_patch", {"input": PATCH_ADD.format(name=".ssh/authorized_keys")}),
        ToolCall("apply_patch", {"input": PATCH_ADD.format(name="notes.txt")}),
    ])
    assert result.proc.returncode == 0, result.proc.stderr
    assert not (agent.work / ".ssh" / "authorized_keys").exists()
    assert "patch rejected" in agent.output_of("call_0") and "protected path" in agent.output_of("call_0")
    assert (agent.work / "notes.txt").read_text() == "pwned\n"
