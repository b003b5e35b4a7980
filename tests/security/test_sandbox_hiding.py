"""What a sandboxed command may not read or change (issue 9, items 3 and 11), end to end
through `kernel-agent exec --json` on each mechanism, and at the exec layer.

Invariants:
* bubblewrap hides every protected path (credentials, Jupyter runtime directories,
  configured `sandbox_hidden_paths`), including one under a writable root, and the
  command can't unhide it (rename, unmount, delete); Landlock hides nothing and says so.
* the session says what is hidden on the active mechanism (`session_configured`).
* nested `.git` directories under writable roots are read-only under bubblewrap.
* the agent's host processes are invisible in bubblewrap's /proc.
Each attack is paired with a control that must keep working.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from agent.exec.env import command_env
from agent.exec.runner import run_command
from agent.exec.sandbox import describe_sandbox, sandboxed_argv
from agent.protocol.policy import WorkspaceWrite
from tests.exec.conftest import sandbox_info

from .conftest import bash

SECRETS = {".ssh/id_rsa": "SSH-PRIVATE-KEY-CONTENT", ".aws/credentials": "AWS-SECRET-CONTENT",
           ".netrc": "NETRC-PASSWORD-CONTENT", "runtime/kernel-9.json": "KERNEL-KEY-CONTENT"}


def make_user_home(root: Path) -> Path:
    home = root / "user-home"
    for rel, content in SECRETS.items():
        target = home / rel if not rel.startswith("runtime/") else root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content + "\n")
    return home


def test_credentials_and_jupyter_files_are_hidden_end_to_end(agent, mechanism):
    """bubblewrap: `cat` of every credential file, of a connection file in the runtime
    directory and of a configured hidden file inside the workspace gets nothing, and
    renaming the hidden file's parent or deleting it doesn't expose it; control: a normal
    workspace file is read and written. Landlock: the same files are readable (a
    mechanism limit, reported by describe_sandbox) — but the control still works."""
    home = make_user_home(agent.tmp)
    agent.mechanism = mechanism
    agent.env_extra.update(HOME=str(home), JUPYTER_RUNTIME_DIR=str(agent.tmp / "runtime"))
    agent.config_extra = 'sandbox_mode = "workspace-write"\nsandbox_hidden_paths = ["' + str(agent.work / "private") + '"]'
    agent.work.mkdir(parents=True, exist_ok=True)
    (agent.work / "private").mkdir()
    (agent.work / "private" / "token.txt").write_text("WORKSPACE-HIDDEN-CONTENT\n")
    (agent.work / "notes.txt").write_text("ordinary notes\n")
    script = (f"cat ~/.ssh/id_rsa ~/.aws/credentials ~/.netrc {agent.tmp}/runtime/kernel-9.json; "
              "cat private/token.txt; ls private; mv private moved && cat moved/token.txt; "
              "rm -rf moved/token.txt private/token.txt; umount private moved; "
              "cat notes.txt && echo written > out.txt && echo CONTROL-OK")
    outcome = agent.run(tool_calls=[bash(script)])
    output = agent.tool_outputs()["call_0"]
    assert "CONTROL-OK" in output and "ordinary notes" in output, output
    assert (agent.work / "out.txt").read_text() == "written\n"
    hidden_contents = [*SECRETS.values(), "WORKSPACE-HIDDEN-CONTENT"]
    if mechanism == "bubblewrap":
        leaked = [s for s in hidden_contents if s in output]
        assert not leaked, output
        survivors = list(agent.work.glob("*/token.txt"))
        assert [p.read_text() for p in survivors] == ["WORKSPACE-HIDDEN-CONTENT\n"], "the hidden file was deleted"
    else:
        assert all(s in output for s in SECRETS.values()), output  # nothing is hidden on Landlock
    assert outcome.proc.returncode == 0, outcome.proc.stderr


@pytest.mark.parametrize("name", ["bubblewrap", "landlock"])
def test_session_says_what_is_hidden(name, tmp_path, monkeypatch):
    """Invariant: session_configured lists exactly what the active mechanism hides
    (bubblewrap: the existing protected paths, a hidden path under the workspace too),
    and on Landlock says that nothing is hidden."""
    sandbox_info(name)
    home = make_user_home(tmp_path)
    monkeypatch.setenv("HOME", str(home))
    workspace = tmp_path / "ws"
    (workspace / "private").mkdir(parents=True)
    hidden = [home / ".ssh", home / ".aws", home / ".netrc", home / ".kube/config", workspace / "private"]
    report = describe_sandbox(name, WorkspaceWrite(), workspace, os.environ, hidden)
    if name == "bubblewrap":
        assert set(report.hidden) == {str(p) for p in hidden if p.exists()}
    else:
        assert report.hidden == () and any("nothing is hidden" in note for note in report.notes)


def _exec_layer(info, script: str, workspace: Path, hidden=()):
    env = command_env(os.environ, network_disabled=True)
    argv = sandboxed_argv(["sh", "-c", script], WorkspaceWrite(), workspace, env, info, hidden=hidden)
    return run_command(argv, cwd=workspace, env=env, timeout_ms=30_000)


async def test_nested_git_is_read_only_under_bubblewrap(tmp_path):
    """Invariant: under bubblewrap no `.git` inside a writable root can be changed —
    the root's own, a nested repository's, a submodule's `gitdir:` file — so no hook or
    `core.fsmonitor` can be planted for the user's next git command; control: the
    working files next to them are written."""
    info = sandbox_info("bubblewrap")
    ws = tmp_path / "ws"
    for repo in (ws, ws / "vendor" / "lib"):
        (repo / ".git" / "hooks").mkdir(parents=True)
        (repo / ".git" / "config").write_text("[core]\n")
    (ws / "sub").mkdir()
    (ws / "sub" / ".git").write_text("gitdir: ../.git/modules/sub\n")
    script = ("echo '[core] fsmonitor = evil' >> vendor/lib/.git/config; touch vendor/lib/.git/hooks/pre-commit; "
              "echo 'gitdir: /tmp/evil' > sub/.git; echo x >> .git/config; mv vendor/lib/.git vendor/lib/g2; "
              "echo code > vendor/lib/main.c && echo CONTROL-OK")
    result = await _exec_layer(info, script, ws)
    assert "CONTROL-OK" in result.stdout and (ws / "vendor/lib/main.c").read_text() == "code\n"
    assert (ws / "vendor/lib/.git/config").read_text() == "[core]\n"
    assert not (ws / "vendor/lib/.git/hooks/pre-commit").exists()
    assert (ws / "sub/.git").read_text() == "gitdir: ../.git/modules/sub\n"
    assert (ws / ".git/config").read_text() == "[core]\n"


async def test_bubblewrap_proc_shows_no_host_process(tmp_path):
    """Invariant: bubblewrap's PID namespace and private /proc keep host processes (the
    kernel, the agent) out of reach: no /proc/<pid>/environ of the agent; control: the
    command sees its own /proc/self."""
    info = sandbox_info("bubblewrap")
    script = f"cat /proc/{os.getpid()}/environ; ls /proc | grep -cx '[0-9]*'; test -r /proc/self/status && echo OWN-OK"
    result = await _exec_layer(info, script, tmp_path)
    assert "OWN-OK" in result.stdout
    visible = int(result.stdout.split()[0])
    assert visible < 10, result.stdout  # bwrap's init, sh, ls, grep: never the host's hundreds
    assert "PATH=" not in result.stdout


async def test_hidden_file_cannot_be_unhidden_by_renaming_its_parent(tmp_path):
    """Invariant (bubblewrap mount order): a hidden file and directory under a writable
    root stay hidden after the command renames their parent; they can't be moved,
    deleted or unmounted; control: a sibling file is read."""
    info = sandbox_info("bubblewrap")
    ws = tmp_path / "ws"
    (ws / "d" / "keys").mkdir(parents=True)
    (ws / "d" / "keys" / "k").write_text("DIR-SECRET\n")
    (ws / "d" / "f.key").write_text("FILE-SECRET\n")
    (ws / "d" / "plain").write_text("PLAIN\n")
    script = ("mv d e; cat e/f.key e/keys/k e/plain; mv e/f.key e/g; rm -rf e/keys; umount e/keys; "
              "ln e/f.key e/hard; cat e/hard; ls e/keys")
    result = await _exec_layer(info, script, ws, hidden=[ws / "d" / "f.key", ws / "d" / "keys"])
    assert "PLAIN" in result.stdout
    assert "SECRET" not in result.stdout, result.aggregated_output
    assert (ws / "e" / "keys" / "k").read_text() == "DIR-SECRET\n" and (ws / "e" / "f.key").exists()


def test_agent_install_inside_a_writable_root_warns_on_landlock(tmp_path):
    """Invariant: on Landlock, an agent installation inside a writable root (e.g. the
    project's virtualenv) is a start-up warning; under bubblewrap it is simply read-only,
    so no warning; control: a workspace elsewhere gives no warning."""
    install = Path(sys.prefix).resolve()
    inside = describe_sandbox("landlock", WorkspaceWrite(exclude_slash_tmp=True), install.parent, {}, [])
    assert any("installation is inside a writable root" in w for w in inside.warnings)
    bwrap = describe_sandbox("bubblewrap", WorkspaceWrite(exclude_slash_tmp=True), install.parent, {}, [])
    assert not any("installation" in w for w in bwrap.warnings)
    elsewhere = describe_sandbox("landlock", WorkspaceWrite(exclude_slash_tmp=True), tmp_path, {}, [])
    assert not any("installation" in w for w in elsewhere.warnings)
    assert json.dumps(elsewhere.notes)  # serialisable for session_configured
