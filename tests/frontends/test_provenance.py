"""TurnProvenance: a turn's events -> the cell's `metadata["kernel-agent"]`."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from agent.frontends.notebook.provenance import TurnProvenance, unapply_diff
from agent.protocol import events as ev
from agent.protocol.policy import WorkspaceWrite
from agent.tools.patch.diff import unified_diff
from agent.tools.turn_diff import render_file_diff

from .events import begin, end, event

KEY = "sk-proj-provenanceTEST0123456789abcdef"


def sha(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 15, 0, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def configured(cwd: Path, policy: str = "on-request") -> ev.SessionConfigured:
    return ev.SessionConfigured(session_id="sess-9", model="gpt-4.1", model_provider_id="scripted",
                                approval_policy=policy, sandbox_policy=WorkspaceWrite(), cwd=str(cwd))  # type: ignore[arg-type]


def fed(cwd: Path, *msgs: ev.EventMsg, policy: str = "on-request") -> TurnProvenance:
    provenance = TurnProvenance(clock=Clock())
    for msg in (configured(cwd, policy), ev.TaskStarted(), *msgs):
        provenance.apply(event(msg, turn="3"))
    return provenance


def patch_end(call_id: str, changes: dict[str, ev.FileChange], success: bool = True) -> ev.PatchApplyEnd:
    return ev.PatchApplyEnd(call_id=call_id, turn_id="3", stdout="", stderr="", success=success, changes=changes)


def test_a_completed_turn_records_its_settings_times_tools_and_usage(tmp_path):
    usage = ev.TokenUsageInfo(total_token_usage=ev.TokenUsage(input_tokens=90, output_tokens=10, total_tokens=100),
                              last_token_usage=ev.TokenUsage(total_tokens=100))
    meta = fed(tmp_path, begin("c1", ["pytest", "-q"]), end("c1", ["pytest", "-q"], 1),
               ev.ToolCallBegin(call_id="py", name="run_python", arguments=json.dumps({"code": "x = 1\nprint(x)"})),
               ev.ToolCallEnd(call_id="py", name="run_python", output="1", success=True, duration=ev.Duration(secs=0, nanos=0)),
               ev.TokenCount(info=usage), ev.AgentMessage(message="All done: the model's own words"),
               ev.TaskComplete(last_agent_message="All done: the model's own words")).metadata()
    assert meta["session_id"] == "sess-9" and meta["turn_id"] == "3"
    assert (meta["model"], meta["provider"], meta["approval_policy"]) == ("gpt-4.1", "scripted", "on-request")
    assert (meta["started"], meta["ended"], meta["outcome"]) == ("2026-12-03T15:00:01+00:00", "2026-12-03T15:00:02+00:00", "completed")
    assert meta["tools"] == [
        {"call_id": "c1", "tool": "shell", "argv": ["pytest", "-q"], "exit_code": 1, "status": "failed"},
        {"call_id": "py", "tool": "run_python", "status": "ok", "success": True,
         "code_sha256": sha("x = 1\nprint(x)"), "code_first_line": "x = 1"},
    ]
    assert meta["token_usage"]["total_tokens"] == 100 and meta["token_usage"]["input_tokens"] == 90
    assert "the model's own words" not in json.dumps(meta)  # no answer text
    assert json.loads(json.dumps(meta)) == meta


def test_outcomes_failed_and_aborted_and_tools_cut_short(tmp_path):
    failed = fed(tmp_path, ev.Error(message="stream broke"), ev.TaskComplete()).metadata()
    assert failed["outcome"] == "failed"
    aborted = fed(tmp_path, begin("c1", ["sleep", "9"]), ev.TurnAborted(reason="interrupted")).metadata()
    assert (aborted["outcome"], aborted["reason"]) == ("aborted", "interrupted")
    assert aborted["tools"][0]["status"] == "aborted" and "exit_code" not in aborted["tools"][0]
    running = fed(tmp_path, begin("c1", ["sleep", "9"])).metadata()
    assert running["outcome"] == "running" and running["ended"] is None and running["tools"][0]["status"] == "running"


def test_approvals_record_decision_policy_and_time_once_per_request(tmp_path):
    provenance = fed(tmp_path, ev.ExecApprovalRequest(call_id="c1", turn_id="3", command=["rm", "x"], cwd=str(tmp_path)),
                     ev.ApplyPatchApprovalRequest(call_id="p1", turn_id="3", changes={"a.txt": ev.FileAdd(content="a\n")}),
                     policy="untrusted")
    assert provenance.record_decision("c1", "denied") is True
    assert provenance.record_decision("c1", "approved") is False  # the first decision counts
    assert provenance.record_decision("nope", "approved") is False  # not a request of this turn
    assert provenance.record_decision("p1", "approved_for_session") is True
    provenance.apply(event(end("c1", ["rm", "x"], -1), turn="3"))
    meta = provenance.metadata()
    assert meta["approvals"] == [
        {"call_id": "c1", "tool": "shell", "decision": "denied", "policy": "untrusted", "time": "2026-12-03T15:00:02+00:00"},
        {"call_id": "p1", "tool": "apply_patch", "decision": "approved_for_session", "policy": "untrusted",
         "time": "2026-12-03T15:00:03+00:00"},
    ]
    shell = meta["tools"][0]
    assert shell["status"] == "declined" and "exit_code" not in shell  # -1 is a placeholder, not a result


def test_files_changed_by_patches_carry_real_before_and_after_hashes(tmp_path):
    old = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl"  # no final newline, and two hunks
    mid = "A\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nL\n"
    new = "A\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nL\nm\n"
    (tmp_path / "edit.txt").write_text(new)
    (tmp_path / "moved.txt").write_text("two\n")
    (tmp_path / "new.txt").write_text("fresh\n")
    changes_1 = {"edit.txt": ev.FileUpdate(unified_diff=unified_diff(old, mid)),
                 "gone.txt": ev.FileDelete(content="bye\n"), "new.txt": ev.FileAdd(content="fresh\n")}
    changes_2 = {"edit.txt": ev.FileUpdate(unified_diff=unified_diff(mid, new)),
                 "orig.txt": ev.FileUpdate(unified_diff=unified_diff("one\n", "two\n"), move_path="moved.txt")}
    meta = fed(tmp_path, ev.PatchApplyBegin(call_id="p1", turn_id="3", auto_approved=True, changes=changes_1),
               patch_end("p1", changes_1), patch_end("p2", changes_2),
               patch_end("p3", {"failed.txt": ev.FileAdd(content="x")}, success=False), ev.TaskComplete()).metadata()
    files = {f["path"]: f for f in meta["files"]}
    assert files["edit.txt"] == {"path": "edit.txt", "change": "updated", "before_sha256": sha(old), "after_sha256": sha(new)}
    assert files["gone.txt"] == {"path": "gone.txt", "change": "deleted", "before_sha256": sha("bye\n"), "after_sha256": None}
    assert files["new.txt"] == {"path": "new.txt", "change": "added", "before_sha256": None, "after_sha256": sha("fresh\n")}
    assert files["orig.txt"] == {"path": "orig.txt", "move_path": "moved.txt", "change": "moved",
                                 "before_sha256": sha("one\n"), "after_sha256": sha("two\n")}
    assert "failed.txt" not in files  # a failed patch changed nothing
    assert meta["tools"][0] == {"call_id": "p1", "tool": "apply_patch", "status": "applied", "auto_approved": True,
                                "files": ["edit.txt", "gone.txt", "new.txt"]}
    assert meta["tools"][1]["files"] == ["edit.txt", "orig.txt -> moved.txt"]


def test_a_file_also_changed_by_something_else_has_no_guessed_before_hash(tmp_path):
    changes = {"f.txt": ev.FileUpdate(unified_diff=unified_diff("x\ny\n", "x\nY\n"))}
    (tmp_path / "f.txt").write_text("rewritten by a shell command\n")
    meta = fed(tmp_path, patch_end("p1", changes), ev.TaskComplete()).metadata()
    entry = meta["files"][0]
    assert entry["before_sha256"] is None and entry["change"] == "updated" and "other than apply_patch" in entry["note"]
    assert entry["after_sha256"] == sha("rewritten by a shell command\n")


def test_files_changed_by_commands_are_hashed_from_the_end_of_turn_workspace_diff(tmp_path):
    (tmp_path / "made.txt").write_text("made\n")
    (tmp_path / "edited.txt").write_text("one\nTWO\nthree")
    (tmp_path / "patched.txt").write_text("patched, then sed'ed\n")
    (tmp_path / "crlf.txt").write_bytes(b"a\rb\n")
    workspace = "".join([
        render_file_diff("made.txt", None, b"made\n"),
        render_file_diff("edited.txt", b"one\ntwo\nthree", b"one\nTWO\nthree"),
        render_file_diff("removed.txt", b"last line without newline", None),
        render_file_diff("patched.txt", b"original\n", b"patched, then sed'ed\n"),
        render_file_diff("crlf.txt", b"a\rB\n", b"a\rb\n"),
        render_file_diff("run.sh", b"echo\n", b"echo\n", 0o100644, 0o100755),
    ])
    (tmp_path / "run.sh").write_text("echo\n")
    patch = {"patched.txt": ev.FileUpdate(unified_diff=unified_diff("original\n", "patched\n"))}
    meta = fed(tmp_path, patch_end("p1", patch), ev.TurnDiff(unified_diff=unified_diff("original\n", "patched\n")),
               ev.TurnDiff(unified_diff=workspace), ev.TaskComplete()).metadata()
    files = {f["path"]: f for f in meta["files"]}
    assert list(files) == ["patched.txt", "made.txt", "edited.txt", "removed.txt", "crlf.txt", "run.sh"]
    assert files["run.sh"]["before_sha256"] == files["run.sh"]["after_sha256"] == sha("echo\n")  # chmod only
    assert files["patched.txt"] == {"path": "patched.txt", "change": "updated", "before_sha256": sha("original\n"),
                                    "after_sha256": sha("patched, then sed'ed\n")}
    assert files["made.txt"] == {"path": "made.txt", "change": "added", "before_sha256": None, "after_sha256": sha("made\n")}
    assert files["edited.txt"]["before_sha256"] == sha("one\ntwo\nthree")
    assert files["edited.txt"]["after_sha256"] == sha("one\nTWO\nthree")
    assert files["removed.txt"] == {"path": "removed.txt", "change": "deleted",
                                    "before_sha256": sha("last line without newline"), "after_sha256": None}
    crlf = files["crlf.txt"]  # Python's splitlines made that diff ambiguous: no guess
    assert crlf["change"] == "updated" and crlf["before_sha256"] is None and "line breaks" in crlf["note"]
    assert crlf["after_sha256"] == sha(b"a\rb\n")


def test_fifos_unreadable_and_oversized_files_are_not_read(tmp_path, monkeypatch):
    import os

    from agent.frontends.notebook import provenance

    os.mkfifo(tmp_path / "pipe")  # opening it for reading without O_NONBLOCK would hang the kernel
    (tmp_path / "big.txt").write_text("x" * 11)
    (tmp_path / "file").write_text("")
    monkeypatch.setattr(provenance, "MAX_HASHED_BYTES", 10)
    changes = {"pipe": ev.FileAdd(content="x\n"), "big.txt": ev.FileAdd(content="x" * 11),
               "file/below": ev.FileAdd(content="y\n")}
    meta = fed(tmp_path, patch_end("p1", changes), ev.TaskComplete()).metadata()
    notes = {f["path"]: (f["note"], f["after_sha256"]) for f in meta["files"]}
    assert notes == {"pipe": ("not a regular file now", None), "big.txt": ("larger than 0 MiB: not hashed", None),
                     "file/below": ("not readable now: Not a directory", None)}


def test_the_record_is_frozen_once_the_turn_ended(tmp_path):
    (tmp_path / "a.txt").write_text("a\n")
    provenance = fed(tmp_path, patch_end("p1", {"a.txt": ev.FileAdd(content="a\n")}), ev.TaskComplete())
    first = provenance.metadata()
    (tmp_path / "a.txt").write_text("the user edits it later\n")
    assert provenance.metadata() == first


def test_key_shaped_strings_are_masked_and_ordinary_arguments_kept(tmp_path):
    argv = ["curl", "-H", f"Authorization: Bearer {KEY}", "https://example.com"]
    meta = fed(tmp_path, begin("c1", ["ls", "-la", "notes"]), end("c1", ["ls", "-la", "notes"], 0, output=KEY),
               begin("c2", argv), end("c2", argv, 0, output=f"echoed {KEY}"),
               ev.ToolCallBegin(call_id="py", name="run_python", arguments=json.dumps({"code": f"key = '{KEY}'"})),
               ev.TaskComplete()).metadata()
    text = json.dumps(meta)
    assert KEY not in text
    assert meta["tools"][0]["argv"] == ["ls", "-la", "notes"]
    assert meta["tools"][1]["argv"] == ["curl", "-H", "Authorization: Bearer [REDACTED]", "https://example.com"]
    assert meta["tools"][2]["code_first_line"] == "key = '[REDACTED]'"


@pytest.mark.parametrize(("old", "new"), [
    ("", "x\n"), ("x\n", ""), ("a\nb", "a\nb\n"), ("a\nb\n", "a\nb"), ("a", "b"),
    ("\n".join(map(str, range(40))), "\n".join(map(str, range(3, 45))) + "\n"),
    ("a\r\nb\r\n", "a\r\nB\r\n"), ("a\x0bb\nc\n", "a\x0bb\nC\n"),
])
def test_unapplying_a_diff_gives_back_the_old_text(old, new):
    assert unapply_diff(new, unified_diff(old, new)) == old
