"""`%%agent` turns in a real kernel: streaming, approvals by clicks, stop, interrupt, --wait."""

from __future__ import annotations

import time

from tests.scripted_server import Fault, Reply, ToolCall

from .helpers import outputs, pids_with, shell, sleep_marker

NEW_FILE_PATCH = "*** Begin Patch\n*** Add File: notes/todo.md\n+# TODO\n+- write tests\n*** End Patch\n"


def test_cell_returns_at_once_and_the_widget_streams_the_answer(kernel, server):
    answer = "The answer streams in small pieces, then the turn ends."
    server.enqueue(Reply(text=answer, chunk_size=3, delay_per_event=0.01))
    started = time.monotonic()
    execution = kernel.run("%%agent\nexplain streaming")
    returned_in = time.monotonic() - started
    view = kernel.wait_for_view(execution.msg_id)
    assert returned_in < 2.0 and view.phase in ("running", None, "done")
    kernel.wait_for(lambda: view.phase == "done", what="the turn to end")
    assert view.patches.applied >= 2  # patches sent while streaming, not only at the end
    assert view.agent_text() == answer
    assert [b["kind"] for b in view.blocks][:1] == ["user"] and view.blocks[0]["text"] == "explain streaming"
    assert view.status["model"] == "gpt-4.1" and view.status["approval_policy"] == "on-request"

    # The saved output: the display's final update replaces the widget with a static transcript
    # (HTML + Markdown + plain text, no widget view) and the widget's comm is closed.
    kernel.wait_for(lambda: _final_update(kernel, execution.msg_id), what="the final display update")
    update = _final_update(kernel, execution.msg_id)
    assert set(update["data"]) == {"text/html", "text/markdown", "text/plain"}
    assert answer in update["data"]["text/markdown"] and "explain streaming" in update["data"]["text/markdown"]
    assert answer in update["data"]["text/plain"] and answer in update["data"]["text/html"]
    assert 'class="jp-agent-view jp-agent-static"' in update["data"]["text/html"]
    kernel.wait_for(lambda: view.closed, what="the widget's comm to close")
    first = execution.of_type("display_data")[0]["content"]
    assert first["transient"]["display_id"] == update["transient"]["display_id"]

    request = server.requests[0].json
    assert request["model"] == "gpt-4.1" and request["stream"] is True
    assert {"kernel_variables", "last_error", "run_python", "notebook_history"} <= {t.get("name") for t in request["tools"]}

    # A session on the kernel's loop lets the kernel's I/O threads run during a burst.
    pacing = kernel.run("print(get_ipython().magics_manager.registry['AgentMagics'].agent"
                        ".session.client._transport.pacing)")
    assert pacing.stdout().strip() == "StreamPacing(busy_s=0.002, pause_s=0.001)"


def test_kernel_runs_other_cells_while_waiting_and_approve_runs_the_command(kernel, server, work):
    server.enqueue(Reply(tool_calls=[shell("echo approved > approved.txt", "call_w")]), Reply(text="Wrote approved.txt."))
    execution = kernel.run("%%agent --approval untrusted\nwrite approved.txt")
    view = kernel.wait_for_view(execution.msg_id)
    kernel.wait_for(lambda: view.phase == "waiting_for_approval", what="the approval request")
    [approval] = view.pending_approvals()
    assert approval["request"] == "exec" and approval["argv"] == ["bash", "-c", "echo approved > approved.txt"]
    assert approval["options"] == ["approved", "approved_for_session", "denied", "abort"]

    started = time.monotonic()
    assert kernel.run("1 + 1").result() == "2"
    assert time.monotonic() - started < 1.0
    assert not (work / "approved.txt").exists() and len(server.requests) == 1

    kernel.decide(view, "approved")
    kernel.wait_for(lambda: view.phase == "done", what="the turn to end")
    assert (work / "approved.txt").read_text() == "approved\n"
    [command] = view.of_kind("command")
    assert command["status"] == "ok" and command["exit_code"] == 0
    assert view.of_kind("approval")[0]["decision"] == "approved"
    assert '"exit_code": 0' in outputs(server.requests[1])["call_w"]


def test_deny_runs_nothing_and_tells_the_model(kernel, server, work):
    server.enqueue(Reply(tool_calls=[shell("echo no > denied.txt", "call_d")]), Reply(text="Understood, I won't."))
    view = kernel.wait_for_view(kernel.run("%%agent --approval untrusted\nwrite denied.txt").msg_id)
    kernel.decide(view, "denied")
    kernel.wait_for(lambda: view.phase == "done", what="the turn to end")
    assert not (work / "denied.txt").exists()
    assert outputs(server.requests[1])["call_d"] == "exec command rejected by user"
    assert view.of_kind("command")[0]["status"] == "declined"
    assert view.agent_text() == "Understood, I won't."
    # A second click on the decided approval is ignored.
    kernel.decide(view, "approved", call_id="call_d")
    kernel.run("None")
    assert len(server.requests) == 2 and not (work / "denied.txt").exists()


def test_patch_approval_then_approve_writes_the_file(kernel, server, work):
    server.enqueue(Reply(tool_calls=[ToolCall("apply_patch", {"input": NEW_FILE_PATCH}, "call_p")]), Reply(text="Added the TODO list."))
    execution = kernel.run("%%agent --approval untrusted\nadd a todo list")
    view = kernel.wait_for_view(execution.msg_id)
    kernel.wait_for(view.pending_approvals, what="the patch approval")
    [approval] = view.pending_approvals()
    assert approval["request"] == "patch" and approval["options"] == ["approved", "approved_for_session", "denied", "abort"]
    assert [f["path"] for f in approval["files"]] == ["notes/todo.md"] and "+- write tests" in approval["files"][0]["diff"]
    assert not (work / "notes").exists()

    kernel.decide(view, "approved")
    kernel.wait_for(lambda: view.phase == "done", what="the turn to end")
    assert (work / "notes" / "todo.md").read_text() == "# TODO\n- write tests\n"
    assert view.of_kind("patch")[0]["status"] == "applied"
    assert "notes/todo.md" in (view.agent.get("turn_diff") or "")
    assert "write tests" in kernel.run("%agent diff").markdown()
    kernel.run("%agent undo")
    kernel.wait_for(lambda: not (work / "notes" / "todo.md").exists(), timeout=5, what="undo to remove the file")


def test_stop_button_aborts_within_a_second_and_kills_the_command(kernel, server):
    marker = sleep_marker()
    server.enqueue(Reply(tool_calls=[ToolCall("shell", {"command": ["sleep", marker]}, "call_s")]))
    view = kernel.wait_for_view(kernel.run("%%agent\nsleep a while").msg_id)
    kernel.wait_for(lambda: pids_with(marker), what="the sleep command to start")
    kernel.wait_for(lambda: any(b["status"] == "running" for b in view.of_kind("command")), what="the running command block")

    started = time.monotonic()
    kernel.send_custom(view.comm_id, {"kind": "stop"})
    kernel.wait_for(lambda: view.phase == "aborted", timeout=5, what="the turn to abort")
    assert time.monotonic() - started < 1.0
    kernel.wait_for(lambda: not pids_with(marker), timeout=2, what="the sleep command to be killed")
    assert view.of_kind("command")[0]["status"] == "aborted"

    server.enqueue(Reply(text="still usable"))  # the session goes on
    after = kernel.wait_for_view(kernel.run("%%agent\nare you there?").msg_id)
    kernel.wait_for(lambda: after.phase == "done", what="the next turn")
    assert after.agent_text() == "still usable"
    assert outputs(server.requests[1])["call_s"]  # the aborted call was answered in history


def test_kernel_interrupt_aborts_a_streaming_turn_and_the_session_stays_usable(kernel, server):
    server.enqueue(Reply(text="This answer stalls half way through", chunk_size=4, stall_after=6, stall_seconds=30))
    view = kernel.wait_for_view(kernel.run("%%agent\nstream something").msg_id)
    kernel.wait_for(lambda: view.of_kind("agent") and view.of_kind("agent")[0]["text"], what="streamed text")

    started = time.monotonic()
    kernel.interrupt()
    kernel.wait_for(lambda: view.phase == "aborted", timeout=5, what="the turn to abort")
    assert time.monotonic() - started < 1.0
    assert view.status["reason"] == "interrupted"

    server.enqueue(Reply(text="back again"))
    after = kernel.wait_for_view(kernel.run("%%agent\nhello?").msg_id)
    kernel.wait_for(lambda: after.phase == "done", what="the next turn")
    assert after.agent_text() == "back again"
    assert kernel.run("2 * 21").result() == "42"  # an interrupt while idle did not break the kernel


def test_wait_blocks_until_the_turn_ends_and_run_all_continues(kernel, server, work):
    server.enqueue(Reply(tool_calls=[shell("echo 41 > result.txt", "call_r")]), Reply(text="result.txt holds 41."))
    first = kernel.submit("%%agent --wait\nwrite 41 to result.txt")
    second = kernel.submit("print(int(open('result.txt').read()) + 1)")  # queued like Run All
    done_first = kernel.collect(first)
    done_second = kernel.collect(second)
    assert done_first.status == "ok" and done_second.stdout() == "42\n"
    # Everything the turn produced arrived before the cell went idle.
    messages = done_first.messages
    last_update = max(i for i, m in enumerate(messages) if m["msg_type"] == "update_display_data")
    idle = next(i for i, m in enumerate(messages) if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle")
    assert last_update < idle and "result.txt holds 41." in messages[last_update]["content"]["data"]["text/markdown"]
    view = kernel.views(first)[0]
    assert view.phase == "done"


def test_interrupt_during_wait_stops_the_turn_and_fails_the_cell(kernel, server):
    server.enqueue(Reply(text="stalling", chunk_size=2, stall_after=6, stall_seconds=30))
    msg_id = kernel.submit("%%agent --wait\nstream and stall")
    view = kernel.wait_for_view(msg_id)
    kernel.wait_for(lambda: view.of_kind("agent"), what="streamed text")
    started = time.monotonic()
    kernel.interrupt()
    execution = kernel.collect(msg_id, timeout=5)
    assert time.monotonic() - started < 1.0
    assert execution.status == "error" and execution.reply["content"]["ename"] == "KeyboardInterrupt"
    assert view.phase == "aborted"
    server.enqueue(Reply(text="fine"))
    assert kernel.run("%%agent --wait\nagain").status == "ok"
    assert "fine" in kernel.views()[-1].agent_text()


def test_auth_failure_is_shown_in_the_transcript(kernel, server):
    server.enqueue(Fault(status=401, body={"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}))
    execution = kernel.run("%%agent --wait\nhello")
    view = kernel.views(execution.msg_id)[0]
    assert view.phase == "error"
    [error] = view.of_kind("error")
    assert error["http_status"] == 401 and "401" in error["message"]
    assert execution.errors() == []
    assert "401" in execution.markdown()


def _final_update(kernel, msg_id: str):
    updates = [m["content"] for m in kernel.by_parent[msg_id] if m["msg_type"] == "update_display_data"]
    return updates[-1] if updates else None


def test_rate_limit_shows_the_retry_then_the_answer(kernel, server, home):
    from .conftest import write_config

    write_config(home, server.url, retries=1)  # read when the session opens
    server.enqueue(Fault(status=429, retry_after=0.3, body={"error": {"message": "Rate limit reached", "type": "rate_limit"}}),
                   Reply(text="made it after waiting"))
    execution = kernel.run("%%agent --wait\nhello")
    view = kernel.views(execution.msg_id)[0]
    assert view.phase == "done" and view.agent_text() == "made it after waiting"
    [retry] = view.of_kind("stream_error")
    assert "429" in retry["message"] or "rate" in retry["message"].lower()
    assert retry["retry_in_ms"] and retry["retry_in_ms"] >= 250
    assert len(server.requests) == 2
