"""Attacks on escalation and undo (issue 9, holes 9 and 4), through a real Session.

The model is scripted at the client seam; commands run as real processes under the real
sandbox (bubblewrap, and Landlock forced through the session's mechanism); approvals
are answered the way a front end answers them (ops.Approval).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.client.scripted import ScriptedModelClient, text_reply, tool_reply
from agent.core.config import CliOverrides, load_config
from agent.core.session import Session
from agent.protocol import ops
from tests.core.conftest import collect_until, types
from tests.exec.conftest import sandbox_info

NO_TMP = ["sandbox_workspace_write.exclude_slash_tmp=true", "sandbox_workspace_write.exclude_tmpdir_env_var=true"]


@pytest.fixture(params=["bubblewrap", "landlock"])
def mechanism(request) -> str:
    sandbox_info(request.param)
    return request.param


def make(tmp_path: Path, approval: str, mechanism: str, script) -> tuple[Session, ScriptedModelClient, Path, Path]:
    work, outside = tmp_path / "work", tmp_path / "outside"
    work.mkdir()
    outside.mkdir()
    config = load_config(CliOverrides(cwd=str(work), model="gpt-4.1", approval_policy=approval, raw=NO_TMP),
                         home=tmp_path / "home", env={})
    session = Session(config, ScriptedModelClient(list(script)), sandbox_mechanism=mechanism, retry_base_s=0.001)
    return session, session.client, work, outside


def shell(*argv: str, call_id: str = "c1"):
    return tool_reply(("shell", {"command": list(argv)}, call_id))


def patch_call(patch: str, call_id: str = "p1"):
    return tool_reply(("apply_patch", {"input": patch}, call_id))


async def approve_next(session, stream, decision="approved"):
    request = (await collect_until(stream, {"exec_approval_request"}))[-1].msg
    session.submit(ops.Approval(call_id=request.call_id, decision=decision))
    return request


def fake_denial(marker: Path, where: str) -> str:
    """Prints a denial-looking line (on stdout or stderr) and fails; unsandboxed it would write `marker`."""
    redirect = ">&2" if where == "stderr" else ""
    return f"touch {marker} 2>/dev/null; echo 'bash: /etc/pwned: Read-only file system' {redirect}; exit 1"


async def test_denial_text_on_stdout_buys_no_rerun(tmp_path, mechanism):
    """Invariant: output text alone is not a sandbox denial — a command printing
    "Read-only file system" on stdout is not rerun and causes no second prompt (hole 9).
    Control: the approved sandboxed run itself happened (its output reached the model)."""
    marker = tmp_path / "outside" / "marker"
    session, client, _, _ = make(tmp_path, "untrusted", mechanism, [shell("bash", "-c", fake_denial(marker, "stdout")), text_reply("ok")])
    stream = session.events()
    session.submit(ops.text_turn("go"))
    await approve_next(session, stream)
    events = await collect_until(stream, {"task_complete"})
    assert "exec_approval_request" not in types(events)
    assert not marker.exists()
    assert "Read-only file system" in client.prompts[-1].input[-1].output


@pytest.mark.parametrize("decision", ["approved", "approved_for_session"])
async def test_first_approval_never_covers_an_unsandboxed_rerun(tmp_path, mechanism, decision):
    """Invariant: a rerun outside the sandbox always needs its own explicit approval that
    says so, even after "approve" or "approve for session" of the sandboxed run (hole 9).
    Denying it leaves the outside untouched. Control: approving it runs the command
    unsandboxed (a real denied write then succeeds)."""
    marker = tmp_path / "outside" / "marker"
    session, client, _, outside = make(tmp_path, "untrusted", mechanism, [
        shell("bash", "-c", fake_denial(marker, "stderr")), text_reply("ok"),
        shell("bash", "-c", f"echo yes > {tmp_path / 'outside' / 'real.txt'}", call_id="c2"), text_reply("ok"),
    ])
    stream = session.events()
    session.submit(ops.text_turn("go"))
    await approve_next(session, stream, decision)
    rerun = await approve_next(session, stream, "denied")
    assert rerun.reason.startswith("Runs WITHOUT the sandbox")
    await collect_until(stream, {"task_complete"})
    assert not marker.exists()
    session.submit(ops.text_turn("now the real one"))
    await approve_next(session, stream)
    rerun = await approve_next(session, stream, "approved")
    assert "WITHOUT the sandbox" in rerun.reason and "real.txt" in rerun.reason
    await collect_until(stream, {"task_complete"})
    assert (outside / "real.txt").read_text() == "yes\n"


async def test_on_request_never_reruns_unsandboxed(tmp_path, mechanism):
    """Invariant: under on-request a denial goes back to the model; nothing reruns and
    nobody is asked (spec §7.2). Control: the model sees the sandbox's real error."""
    target = tmp_path / "outside" / "x.txt"
    session, client, _, _ = make(tmp_path, "on-request", mechanism, [shell("bash", "-c", f"echo no > {target}"), text_reply("ok")])
    stream = session.events()
    session.submit(ops.text_turn("go"))
    events = await collect_until(stream, {"task_complete"})
    assert "exec_approval_request" not in types(events)
    assert not target.exists()
    output = client.prompts[-1].input[-1].output.lower()
    assert "read-only file system" in output or "permission denied" in output


PATCH = (
    "*** Begin Patch\n*** Update File: sub/f.txt\n@@\n-one\n+two\n"
    "*** Add File: b.txt\n+new\n"
    "*** Update File: keep.txt\n@@\n-keep\n+patched\n*** End Patch\n"
)


async def test_undo_never_writes_through_planted_symlinks(tmp_path, mechanism):
    """Invariant: undo writes exactly the files the turn changed, never through a symlink
    a later command planted (a directory swapped for a link to outside, a planted
    temp-file link, the file itself swapped for a link): the links the turn made are
    removed, not followed, and the files are recreated in real folders (hole 4; a path
    that turns unsafe during the restore is refused: tests/tools/test_workspace_snapshot.py).
    Control: an untampered file of the same turn is restored."""
    session, client, work, outside = make(tmp_path, "never", mechanism, [])
    (work / "sub").mkdir()
    (work / "sub" / "f.txt").write_text("one\n")
    (work / "keep.txt").write_text("keep\n")
    tamper = (
        "rm -rf sub && ln -s {out} sub && ln -s {out}/planted .b.txt.undo-tmp && "
        "rm b.txt && ln -s {out}/b-target b.txt"
    ).format(out=outside)
    client.add(patch_call(PATCH), shell("bash", "-c", tamper), text_reply("done"))
    stream = session.events()
    session.submit(ops.text_turn("patch then tamper"))
    await collect_until(stream, {"task_complete"})
    assert (work / "sub").is_symlink() and (work / "b.txt").is_symlink()
    before = sorted(p.name for p in outside.iterdir())
    await session.undo("u1")
    done = (await collect_until(stream, {"undo_completed"}))[-1].msg
    assert sorted(p.name for p in outside.iterdir()) == before == []
    assert done.success and "sub/f.txt" in done.message, done.message
    assert not (work / "b.txt").is_symlink() and not (work / "b.txt").exists()  # the added file's link removed, not followed
    assert not (work / ".b.txt.undo-tmp").is_symlink()
    assert (work / "keep.txt").read_text() == "keep\n"
    assert not (work / "sub").is_symlink() and (work / "sub" / "f.txt").read_text() == "one\n"
