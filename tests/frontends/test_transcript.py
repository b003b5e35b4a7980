"""The pure transcript reducer and its Markdown fallback, fed with realistic event sequences."""

from __future__ import annotations

import itertools
import json

from agent.frontends.transcript.reducer import Transcript
from agent.frontends.transcript.markdown import code, fence
from agent.protocol import events as ev

from .events import (
    UPDATE,
    begin,
    chunk,
    configured,
    end,
    event,
    minimal_instances,
    tokens,
)


def feed(transcript: Transcript, *msgs: ev.EventMsg) -> Transcript:
    for msg in msgs:
        transcript.apply(event(msg))
    return transcript


def clock() -> Transcript:
    ticks = itertools.count(1000.0, 0.5)
    return Transcript(clock=lambda: next(ticks))


def kinds(state: dict) -> list[str]:
    return [block["kind"] for block in state["blocks"]]


def test_agent_message_streams_then_is_finalised():
    t = feed(Transcript(), ev.UserMessage(message="Fix the *bug*"), ev.AgentMessageDelta(delta="I'll "),
             ev.AgentMessageDelta(delta="look."))
    agent = t.state()["blocks"][1]
    assert (agent["kind"], agent["text"], agent["streaming"]) == ("agent", "I'll look.", True)
    feed(t, ev.AgentMessage(message="I'll look at `f`."))
    state = t.state()
    assert kinds(state) == ["user", "agent"]
    assert state["blocks"][1]["text"] == "I'll look at `f`." and state["blocks"][1]["streaming"] is False
    assert state["blocks"][1]["rev"] > agent["rev"]
    md = t.to_markdown()
    assert "**You:** Fix the *bug*" in md and "I'll look at `f`." in md


def test_reasoning_summary_parts_form_one_collapsed_block():
    t = feed(Transcript(), ev.AgentReasoningSectionBreak(), ev.AgentReasoningDelta(delta="**Plan**"),
             ev.AgentReasoningSectionBreak(summary_index=1), ev.AgentReasoningDelta(delta="**Check**"))
    assert t.state()["blocks"][0]["text"] == "**Plan**\n\n**Check**"
    feed(t, ev.AgentReasoning(text="**Plan** first"), ev.AgentReasoning(text="**Check** second"))
    blocks = t.state()["blocks"]
    assert len(blocks) == 1
    assert blocks[0]["text"] == "**Plan** first\n\n**Check** second" and not blocks[0]["streaming"]
    assert "> *Thinking*" in t.to_markdown() and "> **Check** second" in t.to_markdown()


def test_command_with_output_chunks_and_exit_code():
    argv = ["pytest", "-q", "tests/a b.py"]
    t = feed(clock(), begin("c1", argv), chunk("c1", b"..F\n"), chunk("c1", b"1 failed\n", "stderr"))
    block = t.state()["blocks"][0]
    assert block["status"] == "running" and block["output"] == "..F\n1 failed\n"
    feed(t, end("c1", argv, 1, seconds=2.25, output="ignored: deltas were streamed"))
    block = t.state()["blocks"][0]
    assert block | {"rev": 0} == block | {
        "kind": "command", "call_id": "c1", "argv": argv, "cwd": "/work/repo", "output": "..F\n1 failed\n",
        "truncated_bytes": 0, "exit_code": 1, "duration_ms": 2250, "status": "failed", "rev": 0,
    }
    assert block["parsed_cmd"] == [{"type": "unknown", "cmd": "pytest -q tests/a b.py", "name": None, "path": None, "query": None}]
    md = t.to_markdown()
    assert "```console\n$ pytest -q 'tests/a b.py'\n..F\n1 failed\n```\n`exit 1` · 2.2 s · in `/work/repo`" in md


def test_command_without_deltas_shows_aggregated_output_and_cleans_terminal_codes():
    t = feed(Transcript(), begin("c1", ["ls"]), end("c1", ["ls"], 0, output="\x1b[31ma.py\x1b[0m\nprogress 10%\rprogress 100%\n"))
    block = t.state()["blocks"][0]
    assert block["output"] == "a.py\nprogress 100%\n" and block["status"] == "ok"


def test_output_tail_stays_bounded_under_a_10_mb_flood():
    t = Transcript(output_tail_bytes=64 * 1024)
    feed(t, begin("c1", ["yes"]))
    piece = b"y" * 65535 + b"\n"
    for _ in range(80):  # 5 MiB in 64 KiB chunks
        feed(t, chunk("c1", piece))
    feed(t, chunk("c1", b"z" * (5 * 1024 * 1024) + "é".encode()[:1] + b"THE END\n"))
    block = t.state()["blocks"][0]
    total = 80 * 65536 + 5 * 1024 * 1024 + 9
    assert len(block["output"]) <= 64 * 1024  # characters: one invalid byte became U+FFFD
    assert block["output"].endswith("THE END\n") and block["truncated_bytes"] == total - 64 * 1024
    assert len(json.dumps(t.state())) < 80 * 1024
    assert "earlier output not shown" in t.to_markdown()


def test_a_cut_utf8_character_at_the_tail_start_is_dropped():
    t = Transcript(output_tail_bytes=5)
    feed(t, begin("c1", ["echo"]), chunk("c1", "aé€x".encode()))  # 'é' is 2 bytes, '€' 3: tail = b"\xa9\xe2\x82\xacx"
    assert t.state()["blocks"][0]["output"] == "€x"


def test_a_cut_output_tail_starts_at_a_line_start_and_counts_what_it_hides():
    t = Transcript(output_tail_bytes=10)
    feed(t, begin("c1", ["seq"]), chunk("c1", b"line-0001\nline-0002\nline-0003\n"))
    block = t.state()["blocks"][0]
    # the kept 10 bytes "line-0003\n" follow a newline: already a whole line, nothing more to cut
    assert block["output"] == "line-0003\n" and block["truncated_bytes"] == 20
    t = Transcript(output_tail_bytes=12)
    feed(t, begin("c1", ["seq"]), chunk("c1", b"line-0001\nline-0002\nline-0003\n"))
    block = t.state()["blocks"][0]  # the kept 12 bytes "02\nline-0003\n" start mid-line: cut to the next line
    assert block["output"] == "line-0003\n" and block["truncated_bytes"] == 20
    t = Transcript(output_tail_bytes=12)  # the same, arriving byte by byte
    feed(t, begin("c1", ["seq"]), *(chunk("c1", bytes([b])) for b in b"line-0001\nline-0002\nline-0003\n"))
    block = t.state()["blocks"][0]
    assert block["output"] == "line-0003\n" and block["truncated_bytes"] == 20


def test_a_cut_tool_output_starts_at_a_line_start():
    from agent.frontends.transcript.parts import clip_tail

    assert clip_tail("aaaa\nbbbb\ncccc", 7) == ("cccc", 10)
    assert clip_tail("aaaa\nbbbb\ncccc", 10) == ("bbbb\ncccc", 5)  # already at a line start
    assert clip_tail("aaaaaaaaaa\n", 5) == ("aaaa\n", 6)  # one long line: nothing to cut to
    assert clip_tail("short", 10) == ("short", 0)


def test_counts_are_pluralised_in_the_markdown():
    t = feed(Transcript(), ev.PatchApplyBegin(call_id="p1", turn_id="1", auto_approved=True, changes={"src/f.py": UPDATE}))
    assert "**Applying patch** (1 file)" in t.to_markdown()
    from agent.frontends.transcript.markdown import _head_lines

    assert _head_lines("a\nb", 1) == "a\n… 1 more line not shown"
    assert _head_lines("a\nb\nc", 1) == "a\n… 2 more lines not shown"


def test_patch_blocks_carry_a_unified_diff_per_file():
    changes = {
        "src/f.py": UPDATE,
        "new.txt": ev.FileAdd(content="one\ntwo\n"),
        "old.txt": ev.FileDelete(content="gone\n"),
        "a.py": ev.FileUpdate(unified_diff="@@ -1 +1 @@\n-a\n+b\n", move_path="b.py"),
    }
    t = feed(Transcript(), ev.PatchApplyBegin(call_id="p1", turn_id="1", auto_approved=True, changes=changes))
    assert t.state()["blocks"][0]["status"] == "applying"
    feed(t, ev.PatchApplyEnd(call_id="p1", turn_id="1", stdout="Success.", stderr="", success=True))
    block = t.state()["blocks"][0]
    assert block["status"] == "applied" and block["auto_approved"] is True
    files = {f["path"]: f for f in block["files"]}
    assert files["src/f.py"]["diff"] == "--- a/src/f.py\n+++ b/src/f.py\n" + UPDATE.unified_diff
    assert files["new.txt"]["diff"] == "--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1,2 @@\n+one\n+two\n"
    assert files["old.txt"]["diff"] == "--- a/old.txt\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-gone\n"
    assert files["a.py"]["move_path"] == "b.py" and "+++ b/b.py" in files["a.py"]["diff"]
    md = t.to_markdown()
    assert "**Patch applied** (4 files)" in md and "```diff\n--- a/src/f.py" in md and "`a.py` (update) → `b.py`" in md


def test_failed_patch_and_turn_diff():
    t = feed(Transcript(), ev.PatchApplyBegin(call_id="p1", turn_id="1", auto_approved=False, changes={"x": UPDATE}),
             ev.PatchApplyEnd(call_id="p1", turn_id="1", stdout="", stderr="hunk failed", success=False),
             ev.TurnDiff(unified_diff="diff --git a/x b/x\n"))
    state = t.state()
    assert state["blocks"][0]["status"] == "failed" and state["turn_diff"] == "diff --git a/x b/x\n"
    assert "**Patch failed** (1 file): hunk failed" in t.to_markdown()
    assert "Changes in this turn" not in t.to_markdown()  # the patch already shows the diff
    only_diff = feed(Transcript(), ev.TurnDiff(unified_diff="diff --git a/y b/y\n"))
    assert "**Changes in this turn:**\n\n```diff\ndiff --git a/y b/y\n```" in only_diff.to_markdown()


def test_plan_is_one_checklist_updated_in_place():
    t = feed(Transcript(), ev.PlanUpdate(plan=[ev.PlanItem(step="read", status="in_progress"), ev.PlanItem(step="fix", status="pending")]))
    first = t.state()["blocks"][0]
    feed(t, ev.AgentMessage(message="ok"), ev.PlanUpdate(explanation="halfway", plan=[
        ev.PlanItem(step="read", status="completed"), ev.PlanItem(step="fix", status="in_progress")]))
    state = t.state()
    assert kinds(state) == ["plan", "agent"]
    plan = state["blocks"][0]
    assert plan["id"] == first["id"] and plan["rev"] == first["rev"] + 1
    assert plan["items"] == [{"step": "read", "status": "completed"}, {"step": "fix", "status": "in_progress"}]
    assert "**Plan** — halfway\n- [x] read\n- [ ] **fix** *(in progress)*" in t.to_markdown()


def test_exec_approval_request_then_decision():
    t = feed(Transcript(), begin("c1", ["rm", "-rf", "build"]),
             ev.ExecApprovalRequest(call_id="c1", turn_id="1", command=["rm", "-rf", "build"], cwd="/work/repo", reason="clean the build"))
    state = t.state()
    assert state["status"]["state"] == "waiting_for_approval"
    command, approval = state["blocks"]
    assert command["status"] == "waiting"
    assert approval | {"id": "", "rev": 0} == {
        "id": "", "kind": "approval", "rev": 0, "call_id": "c1", "request": "exec", "argv": ["rm", "-rf", "build"],
        "cwd": "/work/repo", "parsed_cmd": [], "files": [], "reason": "clean the build", "grant_root": None,
        "options": ["approved", "approved_for_session", "denied", "abort"], "decision": None, "status": "pending",
    }
    assert "```console\n$ rm -rf build\n```\n\n**Run this command?** — clean the build → *waiting for a decision*" in t.to_markdown()
    assert t.pending("c1") and not t.pending("c2")
    assert t.record_decision("c1", "maybe") is False
    assert t.record_decision("c1", "approved_for_session") is True
    assert t.record_decision("c1", "denied") is False
    state = t.state()
    assert state["blocks"][1]["decision"] == "approved_for_session" and state["blocks"][1]["status"] == "decided"
    assert state["blocks"][0]["status"] == "running" and state["status"]["state"] == "running"
    assert not t.pending("c1")
    md = t.to_markdown()
    assert "**Run this command?** — clean the build → **Approved for this session**" in md
    assert "Approval requested" not in md  # not a block of its own: inside the command's


def test_a_command_shows_its_approval_under_the_command_and_above_its_output():
    argv = ["make", "test"]
    t = feed(Transcript(), begin("c1", argv), ev.ExecApprovalRequest(call_id="c1", turn_id="1", command=argv, cwd="/w"))
    assert t.record_decision("c1", "approved")
    feed(t, chunk("c1", b"all tests passed\n"), end("c1", argv, 0, seconds=1.0))
    md = t.to_markdown()
    assert md.index("$ make test") < md.index("**Run this command?** → **Approved**") < md.index("all tests passed")
    assert md.count("make test") == 1


def test_denied_command_stays_declined_after_its_end_event():
    argv = ["curl", "example.com"]
    t = feed(Transcript(), begin("c1", argv), ev.ExecApprovalRequest(call_id="c1", turn_id="1", command=argv, cwd="/"))
    assert t.record_decision("c1", "denied")
    feed(t, end("c1", argv, -1, 0.0, "exec command rejected by user"))
    command = t.state()["blocks"][0]
    assert command["status"] == "declined" and command["exit_code"] is None  # not the end event's -1 placeholder
    md = t.to_markdown()
    assert "*declined*" in md and "exit" not in md


REASON = "execpolicy forbids this command: `git push` is blocked here"


def test_a_refused_command_shows_refused_and_its_reason_not_an_exit_code():
    push, build = ["git", "push", "origin", "main"], ["make"]
    t = feed(Transcript(), begin("c1", push), end("c1", push, -1, 0.0, REASON, refused=True),
             begin("c2", build), end("c2", build, 1, 2.0, "make: *** [all] Error 1\n"))
    refused, failed = t.state()["blocks"]
    assert (refused["status"], refused["exit_code"], refused["duration_ms"]) == ("refused", None, None)
    assert refused["output"] == REASON
    assert (failed["status"], failed["exit_code"], failed["duration_ms"]) == ("failed", 1, 2000)  # the control
    md = t.to_markdown()
    head, tail = md.split("$ make")
    assert "*refused*" in head and REASON in head and "exit" not in head and "0.0 s" not in head
    assert "`exit 1`" in tail and "2.0 s" in tail and "refused" not in tail


def test_patch_approval_shows_the_diff_once_and_offers_approve_for_session():
    t = feed(Transcript(), ev.ApplyPatchApprovalRequest(call_id="p1", turn_id="1", changes={"src/f.py": UPDATE},
                                                       reason="fix the return value", grant_root="/work"))
    block = t.state()["blocks"][0]
    assert block["options"] == ["approved", "approved_for_session", "denied", "abort"] and block["grant_root"] == "/work"
    assert block["files"][0]["diff"].endswith("+    return 2\n")
    assert t.pending("p1") and block["request"] == "patch"
    md = t.to_markdown()
    assert "**Apply this patch?** (1 file)\n\nAsked — fix the return value (also grants write access to `/work`)" in md
    assert md.count("+    return 2") == 1 and "→ *waiting for a decision*" in md
    assert t.record_decision("p1", "approved_for_session") is True
    feed(t, ev.PatchApplyBegin(call_id="p1", turn_id="1", auto_approved=False, changes={"src/f.py": UPDATE}),
         ev.PatchApplyEnd(call_id="p1", turn_id="1", stdout="M src/f.py\n", stderr="", success=True))
    md = t.to_markdown()
    assert "**Patch applied** (1 file)" in md and "→ **Approved for this session**" in md
    assert md.count("+    return 2") == 1 and "Apply this patch?" not in md


def test_a_declined_patch_is_one_line_naming_its_files_without_the_raw_output():
    t = feed(Transcript(), ev.ToolCallBegin(call_id="p1", name="apply_patch", arguments=PATCH_ARGS),
             ev.ApplyPatchApprovalRequest(call_id="p1", turn_id="1", changes={"src/f.py": UPDATE}))
    assert t.record_decision("p1", "denied")
    feed(t, _patch_call("patch rejected by user", False))
    assert kinds(t.state()) == ["approval"]  # no tool block repeating the refusal
    md = t.to_markdown()
    assert "**Patch rejected by user** (1 file): `src/f.py`" in md
    assert "+    return 2" not in md and "**Tool**" not in md


def test_a_repeated_request_for_the_same_call_supersedes_the_first():
    argv = ["make"]
    request = ev.ExecApprovalRequest(call_id="c1", turn_id="1", command=argv, cwd="/")
    t = feed(Transcript(), begin("c1", argv), request)
    t.record_decision("c1", "approved")
    feed(t, ev.ExecApprovalRequest(call_id="c1", turn_id="1", command=argv, cwd="/", reason="retry without sandbox?"))
    approvals = [b for b in t.state()["blocks"] if b["kind"] == "approval"]
    assert [a["status"] for a in approvals] == ["decided", "pending"]
    assert t.record_decision("c1", "approved") and t.state()["blocks"][2]["decision"] == "approved"


def test_interrupt_aborts_running_commands_tools_patches_and_approvals():
    t = feed(clock(), ev.TaskStarted(), begin("c1", ["sleep", "60"]), begin("c2", ["ls"]),
             ev.ExecApprovalRequest(call_id="c2", turn_id="1", command=["ls"], cwd="/"),
             ev.ToolCallBegin(call_id="t1", name="web_search", arguments='{"q": "x"}'),
             ev.PatchApplyBegin(call_id="p1", turn_id="1", auto_approved=True, changes={"x": UPDATE}),
             ev.AgentMessageDelta(delta="partial"))
    assert t.request_stop() is True and t.request_stop() is False
    assert t.state()["status"]["stopping"] is True
    feed(t, ev.TurnAborted(reason="interrupted"))
    state = t.state()
    statuses = {b["kind"] + ":" + b.get("call_id", ""): b.get("status") for b in state["blocks"]}
    assert statuses["command:c1"] == statuses["command:c2"] == statuses["tool:t1"] == statuses["patch:p1"] == "aborted"
    assert statuses["approval:c2"] == "aborted"
    assert state["blocks"][-2]["streaming"] is False
    assert state["blocks"][-1] | {"id": "", "rev": 0} == {"id": "", "kind": "notice", "rev": 0, "level": "warning", "message": "Turn aborted (interrupted)."}
    assert state["status"] | {"now": 0} == state["status"] | {
        "state": "aborted", "reason": "interrupted", "stopping": False, "started_at": 1000.0, "ended_at": 1001.0, "now": 0,
    }
    assert t.record_decision("c2", "approved") is False and t.request_stop() is False
    md = t.to_markdown()
    assert "→ *aborted before a decision*" in md and "*Aborted (interrupted) · 1.0 s" in md


def test_stream_errors_coalesce_with_a_retry_countdown_and_drop_the_unfinished_stream():
    t = feed(clock(), ev.AgentMessageDelta(delta="half a sent"),
             ev.StreamError(message="Reconnecting... 1/5", retry_in_ms=200),
             ev.StreamError(message="Reconnecting... 2/5", retry_in_ms=400))
    state = t.state()
    assert kinds(state) == ["stream_error"]
    block = state["blocks"][0]
    assert (block["message"], block["retry_in_ms"], block["count"], block["at"]) == ("Reconnecting... 2/5", 400, 2, 1001.0)
    feed(t, ev.AgentMessageDelta(delta="whole"), ev.AgentMessage(message="whole"))
    assert kinds(t.state()) == ["stream_error", "agent"] and t.state()["blocks"][1]["text"] == "whole"
    assert "*Reconnecting... 2/5*" in t.to_markdown()


def test_retries_that_end_in_an_error_leave_only_the_error():
    t = feed(clock(), ev.UserMessage(message="hi"),
             ev.StreamError(message="server error (503); retrying in 0.2s (1/4)", retry_in_ms=200),
             ev.StreamError(message="server error (503); retrying in 0.4s (2/4)", retry_in_ms=400),
             ev.StreamError(message="Reconnecting... 1/5", retry_in_ms=200))
    assert kinds(t.state()) == ["user", "stream_error"]  # one line, the latest retry
    assert t.state()["blocks"][1]["message"] == "Reconnecting... 1/5"
    feed(t, ev.Error(message="exceeded retry limit, last status: 503 Service Unavailable"), ev.TaskComplete())
    state = t.state()
    assert kinds(state) == ["user", "error"]
    md = t.to_markdown()
    assert "retrying" not in md and "Reconnecting" not in md and "exceeded retry limit" in md


def test_errors_warnings_and_background_events():
    t = feed(Transcript(), ev.TaskStarted(), ev.Warning(message="model_reasoning_summary is ignored"),
             ev.BackgroundEvent(message="compacting history"),
             ev.Error(message="unexpected status 500: *oops*", codex_error_info="internal_server_error", http_status_code=500),
             ev.TaskComplete())
    state = t.state()
    assert kinds(state) == ["notice", "notice", "error"]
    assert [b["level"] for b in state["blocks"][:2]] == ["warning", "info"]
    assert state["blocks"][2]["http_status"] == 500 and state["blocks"][2]["info"] == "internal_server_error"
    assert state["status"]["state"] == "error"
    md = t.to_markdown()
    assert r"**Error: unexpected status 500: \*oops\***" in md and "*Warning: model\\_reasoning\\_summary is ignored*" in md


def test_footer_status_from_session_configured_and_token_counts():
    t = feed(clock(), configured(), ev.TaskStarted(model_context_window=200_000), tokens(total=52_000, last=40_000))
    status = t.state()["status"]
    assert status["model"] == "gpt-5-codex" and status["sandbox"] == "workspace-write"
    assert status["sandbox_mechanism"] == "bubblewrap" and status["cwd"] == "/work/repo"
    assert status["tokens_used"] == 52_000 and status["context_window"] == 200_000
    assert status["context_left_percent"] == ev.percent_of_context_left(40_000, 200_000) == 85
    assert status["state"] == "running" and status["ended_at"] is None and status["elapsed_s"] > 0
    feed(t, ev.TaskComplete(last_agent_message="done"))
    status = t.state()["status"]
    assert status["state"] == "done" and status["elapsed_s"] == status["ended_at"] - status["started_at"]
    assert "*Done · 1.0 s · 52,000 tokens · 85% context left · gpt-5-codex · sandbox: workspace-write (bubblewrap)*" in t.to_markdown()


def test_a_sandbox_warning_is_shown():
    msg = configured().model_copy(update={"sandbox_warning": "commands cannot be confined"})
    t = feed(Transcript(), msg)
    assert t.state()["blocks"][0]["message"] == "commands cannot be confined"


def test_a_new_turn_restarts_the_status_and_close_aborts_an_unfinished_one():
    t = feed(clock(), ev.TaskStarted(), ev.Error(message="x"), ev.TaskComplete())
    assert t.state()["status"]["state"] == "error"
    feed(t, ev.TaskStarted(), begin("c9", ["sleep", "1"]))
    assert t.state()["status"]["state"] == "running" and t.state()["status"]["ended_at"] is None
    t.close()
    state = t.state()
    assert state["status"]["state"] == "aborted" and state["status"]["reason"] == "closed"
    assert state["blocks"][-1]["status"] == "aborted"
    done = feed(Transcript(), ev.TaskComplete())
    done.close()
    assert done.state()["status"]["state"] == "done"


def test_every_event_type_reduces_without_error_and_the_state_is_json():
    samples = minimal_instances()
    t = Transcript()
    for msg in samples:
        t.apply(event(msg))
        state = t.state()
        assert json.loads(json.dumps(state)) == state
    assert t.state()["seq"] == len(samples)
    assert isinstance(t.to_markdown(), str)
    for msg in samples:  # each type alone, on a fresh transcript
        single = Transcript()
        single.apply(event(msg))
        json.dumps(single.state())
        single.to_markdown()


def test_snapshots_are_independent_of_later_events():
    t = feed(Transcript(), begin("c1", ["ls"]), ev.PlanUpdate(plan=[ev.PlanItem(step="a", status="pending")]))
    before = t.state()
    frozen = json.dumps(before)
    feed(t, chunk("c1", b"out"), end("c1", ["ls"], 0),
         ev.PlanUpdate(plan=[ev.PlanItem(step="a", status="completed")]), ev.AgentMessageDelta(delta="x"))
    assert json.dumps(before) == frozen
    assert t.state() != before


def test_view_notes_and_nothing_from_the_environment(monkeypatch):
    monkeypatch.setenv("SECRET_TOKEN_FOR_TEST", "sk-should-never-appear")
    t = feed(Transcript(), configured(), begin("c1", ["env"]), end("c1", ["env"], 0, output="PATH=/usr/bin\n"))
    t.note("error", "could not deliver the decision")
    t.note("info", "decision sent")
    assert kinds(t.state())[-2:] == ["error", "notice"]
    assert "sk-should-never-appear" not in json.dumps(t.state()) + t.to_markdown()


def test_fences_and_code_spans_survive_backticks_in_content():
    assert fence("a ``` b") == "````\na ``` b\n````"
    assert code("x `y` z") == "``x `y` z``" and code("`") == "`` ` ``"
    t = feed(Transcript(), begin("c1", ["cat", "README.md"]), chunk("c1", b"```python\nprint(1)\n```\n"), end("c1", ["cat"], 0))
    assert "````console\n$ cat README.md\n```python\nprint(1)\n```\n````" in t.to_markdown()


def test_task_complete_closes_whatever_is_still_open():
    t = feed(Transcript(), ev.ApplyPatchApprovalRequest(call_id="p1", turn_id="1", changes={"x": UPDATE}),
             ev.PatchApplyBegin(call_id="p2", turn_id="1", auto_approved=True, changes={"y": UPDATE}),
             ev.AgentReasoningDelta(delta="hmm"), ev.TaskComplete())
    state = t.state()
    assert [b.get("status") for b in state["blocks"]] == ["aborted", "aborted", None]
    assert state["blocks"][2]["streaming"] is False and state["status"]["state"] == "done"
    assert t.record_decision("p1", "approved") is False


def test_run_python_is_a_python_code_block_with_its_output_below():
    source = "s = 'it\\'s'\nprint(s)\n"
    argv = ["run_python", source]
    t = feed(Transcript(), begin("c1", argv),
             ev.ExecApprovalRequest(call_id="c1", turn_id="1", command=argv, cwd="/work/repo"))
    approval_md = t.to_markdown()
    assert "```python\ns = 'it\\'s'\nprint(s)\n```\n\n**Run this Python code?** → *waiting for a decision*" in approval_md
    assert t.record_decision("c1", "approved")
    feed(t, chunk("c1", b"it's\n"), end("c1", argv, 0, seconds=0.5))
    command = t.state()["blocks"][0]
    assert command["kind"] == "command" and command["argv"] == argv and command["status"] == "ok"
    md = t.to_markdown()
    assert "```python\ns = 'it\\'s'\nprint(s)\n```\n\n**Run this Python code?** → **Approved**\n\n```text\nit's\n```\n`run_python` · `exit 0` · 0.5 s" in md
    assert "$ run_python" not in md and "'\"'\"'" not in md
    # a shell command is still shown as one
    assert "```console\n$ ls\n```" in feed(Transcript(), begin("c2", ["ls"]), end("c2", ["ls"], 0)).to_markdown()


def _patch_call(output: str, success: bool) -> ev.ToolCallEnd:
    return ev.ToolCallEnd(call_id="p1", name="apply_patch", output=output, success=success,
                          duration=ev.Duration.from_seconds(0.2))


PATCH_ARGS = json.dumps({"input": "*** Begin Patch\n*** Update File: src/f.py\n@@\n-    return 1\n+    return 2\n*** End Patch\n"})


def test_an_applied_patch_is_shown_by_its_patch_block_alone_not_a_tool_block_of_json():
    t = feed(Transcript(), ev.ToolCallBegin(call_id="p1", name="apply_patch", arguments=PATCH_ARGS),
             ev.ApplyPatchApprovalRequest(call_id="p1", turn_id="1", changes={"src/f.py": UPDATE}))
    assert t.record_decision("p1", "approved")
    feed(t, ev.PatchApplyBegin(call_id="p1", turn_id="1", auto_approved=False, changes={"src/f.py": UPDATE}),
         ev.PatchApplyEnd(call_id="p1", turn_id="1", stdout="M src/f.py\n", stderr="", success=True),
         _patch_call(json.dumps({"output": "M src/f.py\n", "metadata": {"exit_code": 0}}), True))
    assert kinds(t.state()) == ["approval", "patch"]
    md = t.to_markdown()
    assert "**Tool**" not in md and '\\n' not in md and '"metadata"' not in md
    assert md.count("+    return 2") == 1  # one diff: the approval and the applied patch share it
    assert md.index("**Patch applied**") < md.index("→ **Approved**") < md.index("+    return 2")


def test_a_failed_apply_patch_call_shows_its_error_text_not_json():
    t = feed(Transcript(), ev.ToolCallBegin(call_id="p1", name="apply_patch", arguments=PATCH_ARGS))
    assert kinds(t.state()) == []
    feed(t, _patch_call("apply_patch verification failed: Failed to find expected lines in src/f.py", False))
    (block,) = t.state()["blocks"]
    assert block["kind"] == "tool" and block["name"] == "apply_patch" and block["status"] == "failed"
    assert block["arguments"] == ""
    assert block["output"] == "apply_patch verification failed: Failed to find expected lines in src/f.py"
    md = t.to_markdown()
    assert "**Tool** `apply_patch` — failed" in md and "Failed to find expected lines" in md and "Begin Patch" not in md
    # other tools keep their arguments
    other = feed(Transcript(), ev.ToolCallBegin(call_id="t1", name="web_search", arguments='{"q": "x"}'))
    assert other.state()["blocks"][0]["arguments"] == '{"q": "x"}'


def test_a_shell_script_command_is_shown_as_the_script():
    """`bash -lc SCRIPT` reads as the script (no `'"'"'` quoting noise); other argvs keep
    readable quoting; the Markdown and HTML renderings agree with the live view."""
    from agent.frontends.transcript.html import render_html
    from agent.frontends.transcript.markdown import render_markdown
    from agent.frontends.transcript.parts import command_text

    assert command_text(["bash", "-lc", "printf 'hi\\n' > notes.txt"]) == "printf 'hi\\n' > notes.txt"
    assert command_text(["/usr/bin/sh", "-c", "ls | wc -l"]) == "ls | wc -l"
    assert command_text(["python", "-c", "print('x')"]) == "python -c 'print('\"'\"'x'\"'\"')'"
    assert command_text(["bash", "-x", "-c", "ls"]) == "bash -x -c ls"
    argv = ["bash", "-lc", "echo 'a b' > f"]
    t = feed(Transcript(), begin("c1", argv), end("c1", argv, 0))
    assert "$ echo 'a b' > f" in render_markdown(t.state())
    import html
    import re

    assert "$ echo 'a b' > f" in html.unescape(re.sub(r"<[^>]+>", "", render_html(t.state())))
