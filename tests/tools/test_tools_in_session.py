"""Shell and apply_patch through a real Session: approvals, the real sandbox, events, undo.

The model is scripted at the client seam; commands run as real processes under the
sandbox mechanism this machine has (bubblewrap in CI).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from pathlib import Path

import pytest

from agent.client.scripted import ScriptedModelClient, text_reply, tool_reply
from agent.core.config import CliOverrides, load_config
from agent.core.session import Session
from agent.exec.sandbox import probe_mechanism
from agent.protocol import ops
from agent.protocol.items import FunctionCallOutput

from ..core.conftest import collect_until, types

NO_TMP = ["sandbox_workspace_write.exclude_slash_tmp=true", "sandbox_workspace_write.exclude_tmpdir_env_var=true"]


def make(tmp_path: Path, approval: str, *, sandbox: str = "workspace-write", script=()):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    config = load_config(
        CliOverrides(cwd=str(work), model="gpt-4.1", approval_policy=approval, sandbox_mode=sandbox, raw=NO_TMP),
        home=tmp_path / "home", env={},
    )
    client = ScriptedModelClient(script)
    session = Session(config, client, sandbox_mechanism=probe_mechanism().mechanism, retry_base_s=0.001)
    return session, client, work


def shell(*argv: str, call_id: str = "c1", **extra):
    return tool_reply(("shell", {"command": list(argv), **extra}, call_id))


def patch_call(patch: str, call_id: str = "p1"):
    return tool_reply(("apply_patch", {"input": patch}, call_id))


def last_output(client: ScriptedModelClient) -> str:
    return [i for i in client.prompts[-1].input if isinstance(i, FunctionCallOutput)][-1].output


def test_the_machine_has_a_real_sandbox():
    assert probe_mechanism().mechanism in ("bubblewrap", "landlock")


async def test_denied_command_is_not_run_and_the_model_is_told(tmp_path):
    session, client, work = make(tmp_path, "untrusted", script=[shell("bash", "-c", "echo hi > made.txt"), text_reply("ok")])
    stream = session.events()
    session.submit(ops.text_turn("make a file"))
    request = (await collect_until(stream, {"exec_approval_request"}))[-1].msg
    assert request.command == ["bash", "-c", "echo hi > made.txt"] and request.cwd == str(work)
    session.submit(ops.Approval(call_id=request.call_id, decision="denied"))
    events = await collect_until(stream, {"task_complete"})
    end = [e.msg for e in events if e.msg.type == "exec_command_end"][0]
    assert end.exit_code == -1 and end.aggregated_output == "exec command rejected by user"
    assert not (work / "made.txt").exists()
    assert last_output(client) == "exec command rejected by user"


async def test_approved_for_session_runs_sandboxed_and_is_remembered(tmp_path):
    cmd = ("bash", "-c", "echo hi >> made.txt && cat made.txt")
    session, client, work = make(tmp_path, "untrusted", script=[shell(*cmd), text_reply("1"), shell(*cmd, call_id="c2"), text_reply("2")])
    stream = session.events()
    session.submit(ops.text_turn("go"))
    request = (await collect_until(stream, {"exec_approval_request"}))[-1].msg
    session.submit(ops.Approval(call_id=request.call_id, decision="approved_for_session"))
    events = await collect_until(stream, {"task_complete"})
    deltas = [e for e in events if e.msg.type == "exec_command_output_delta"]
    assert deltas, "live output is streamed"
    output = json.loads(last_output(client))
    assert output == {"output": "hi\n", "metadata": {"exit_code": 0, "duration_seconds": output["metadata"]["duration_seconds"]}}
    session.submit(ops.text_turn("again"))
    events = await collect_until(stream, {"task_complete"})
    assert "exec_approval_request" not in types(events)
    assert (work / "made.txt").read_text() == "hi\nhi\n"


async def test_sandbox_denial_goes_to_the_model_under_on_request(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "x.txt"
    session, client, _ = make(tmp_path, "on-request", script=[shell("bash", "-c", f"echo no > {target}"), text_reply("ok")])
    stream = session.events()
    session.submit(ops.text_turn("write outside"))
    events = await collect_until(stream, {"task_complete"})
    assert "exec_approval_request" not in types(events)
    assert not target.exists()
    result = json.loads(last_output(client))
    assert result["metadata"]["exit_code"] != 0
    assert "read-only file system" in result["output"].lower() or "permission denied" in result["output"].lower()


async def test_on_failure_asks_to_retry_without_sandbox(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "x.txt"
    session, client, _ = make(tmp_path, "on-failure", script=[shell("bash", "-c", f"echo yes > {target}"), text_reply("ok")])
    stream = session.events()
    session.submit(ops.text_turn("write outside"))
    request = (await collect_until(stream, {"exec_approval_request"}))[-1].msg
    assert request.reason.startswith("Runs WITHOUT the sandbox")
    assert "retry without sandbox?" in request.reason and str(target) in request.reason
    session.submit(ops.Approval(call_id=request.call_id, decision="approved"))
    await collect_until(stream, {"task_complete"})
    assert target.read_text() == "yes\n"


async def test_escalation_is_refused_unless_on_request(tmp_path):
    session, client, _ = make(tmp_path, "never", script=[shell("pip", "install", "x", with_escalated_permissions=True, justification="need it"), text_reply("ok")])
    stream = session.events()
    session.submit(ops.text_turn("go"))
    await collect_until(stream, {"task_complete"})
    assert last_output(client).startswith("approval policy is Never; reject command")


async def test_apply_patch_inside_workspace_is_automatic_with_turn_diff_and_undo(tmp_path):
    session, client, work = make(tmp_path, "on-request")
    (work / "app.py").write_text("def greet():\n    print('Hi')\n")
    patch = "*** Begin Patch\n*** Update File: app.py\n@@ def greet():\n-    print('Hi')\n+    print('Hello')\n*** Add File: notes.md\n+# Notes\n*** End Patch"
    client.add(patch_call(patch), text_reply("patched"))
    stream = session.events()
    session.submit(ops.text_turn("patch it"))
    events = await collect_until(stream, {"task_complete"})
    begin = [e.msg for e in events if e.msg.type == "patch_apply_begin"][0]
    assert begin.auto_approved is True and set(begin.changes) == {"app.py", "notes.md"}
    end = [e.msg for e in events if e.msg.type == "patch_apply_end"][0]
    assert end.success and end.stdout == "Success. Updated the following files:\nA notes.md\nM app.py\n"
    diff = [e.msg.unified_diff for e in events if e.msg.type == "turn_diff"][0]
    assert "-    print('Hi')\n+    print('Hello')" in diff and "+++ b/notes.md" in diff
    assert (work / "app.py").read_text() == "def greet():\n    print('Hello')\n"

    session.submit(ops.Undo())
    done = (await collect_until(stream, {"undo_completed"}))[-1].msg
    assert done.success
    assert (work / "app.py").read_text() == "def greet():\n    print('Hi')\n"
    assert not (work / "notes.md").exists()


async def test_apply_patch_outside_roots_asks_and_denial_writes_nothing(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    patch = f"*** Begin Patch\n*** Add File: {outside}/evil.txt\n+x\n*** End Patch"
    session, client, _ = make(tmp_path, "on-request", script=[patch_call(patch), text_reply("ok")])
    stream = session.events()
    session.submit(ops.text_turn("go"))
    request = (await collect_until(stream, {"apply_patch_approval_request"}))[-1].msg
    assert f"{outside}/evil.txt" in request.changes
    session.submit(ops.Approval(call_id=request.call_id, decision="denied"))
    await collect_until(stream, {"task_complete"})
    assert not (outside / "evil.txt").exists()
    assert last_output(client) == "patch rejected by user"


async def test_apply_patch_outside_roots_is_rejected_under_never_and_symlinks_do_not_escape(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    session, client, work = make(tmp_path, "never")
    (work / "link").symlink_to(outside)
    patch = "*** Begin Patch\n*** Add File: link/evil.txt\n+x\n*** End Patch"
    client.add(patch_call(patch), text_reply("ok"))
    stream = session.events()
    session.submit(ops.text_turn("go"))
    await collect_until(stream, {"task_complete"})
    assert not (outside / "evil.txt").exists()
    assert last_output(client) == "patch rejected: writing outside of the project; rejected by user approval settings"


async def test_failed_verification_writes_nothing(tmp_path):
    session, client, work = make(tmp_path, "on-request")
    (work / "a.txt").write_text("one\n")
    patch = "*** Begin Patch\n*** Add File: b.txt\n+new\n*** Update File: a.txt\n@@\n-missing line\n+x\n*** End Patch"
    client.add(patch_call(patch), text_reply("ok"))
    stream = session.events()
    session.submit(ops.text_turn("go"))
    await collect_until(stream, {"task_complete"})
    assert not (work / "b.txt").exists()
    assert last_output(client).startswith("apply_patch verification failed: Failed to find expected lines in")


async def test_heredoc_apply_patch_in_shell_is_intercepted(tmp_path):
    script = "apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: h.txt\n+hello\n*** End Patch\nEOF"
    session, client, work = make(tmp_path, "on-request", script=[shell("bash", "-c", script), text_reply("ok")])
    stream = session.events()
    session.submit(ops.text_turn("go"))
    events = await collect_until(stream, {"task_complete"})
    assert "patch_apply_end" in types(events) and "exec_command_begin" not in types(events)
    assert (work / "h.txt").read_text() == "hello\n"


async def test_timeout_gives_124_and_the_marker(tmp_path):
    session, client, _ = make(tmp_path, "never", script=[shell("bash", "-c", "sleep 5", timeout_ms=300), text_reply("ok")])
    stream = session.events()
    started = time.monotonic()
    session.submit(ops.text_turn("go"))
    await collect_until(stream, {"task_complete"})
    assert time.monotonic() - started < 4
    result = json.loads(last_output(client))
    assert result["metadata"]["exit_code"] == 124
    assert result["output"].startswith("command timed out after 300 milliseconds")


async def test_interrupt_kills_the_running_command(tmp_path):
    marker = "31.4159"
    session, client, _ = make(tmp_path, "never", script=[shell("bash", "-c", f"sleep {marker}")])
    stream = session.events()
    session.submit(ops.text_turn("go"))
    await collect_until(stream, {"exec_command_begin"})
    await asyncio.sleep(0.3)
    session.submit(ops.Interrupt())
    started = time.monotonic()
    await collect_until(stream, {"turn_aborted"})
    assert time.monotonic() - started < 1.0
    await asyncio.sleep(0.2)
    alive = subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True)
    assert alive.stdout.strip() == "", "the command survived the interrupt"
    output = [i for i in session.history.items if isinstance(i, FunctionCallOutput)][-1].output
    assert output.startswith("Wall time:") and output.endswith("aborted by user")


@pytest.mark.parametrize("mechanism", ["none"])
async def test_without_a_sandbox_every_command_asks(tmp_path, mechanism):
    work = tmp_path / "work"
    work.mkdir()
    config = load_config(CliOverrides(cwd=str(work), model="gpt-4.1", approval_policy="on-request"), home=tmp_path / "h", env={})
    client = ScriptedModelClient([shell("python3", "-c", "print(1)"), text_reply("ok")])
    session = Session(config, client, sandbox_mechanism=mechanism, sandbox_warning="no sandbox")
    assert session.configured.msg.sandbox_warning == "no sandbox"
    stream = session.events()
    session.submit(ops.text_turn("go"))
    request = (await collect_until(stream, {"exec_approval_request"}))[-1].msg
    assert request.reason == "no sandbox is available"
    session.submit(ops.Approval(call_id=request.call_id, decision="approved"))
    await collect_until(stream, {"task_complete"})
    assert json.loads(last_output(client))["output"] == "1\n"
