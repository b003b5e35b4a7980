"""Loading, help, status, setup errors and unloading, in a real kernel."""

from __future__ import annotations

from tests.scripted_server import Reply

from .conftest import MODEL
from .helpers import pids_with, sleep_marker


def test_load_ext_registers_the_magics_and_help_is_usable(kernel):
    magics = kernel.run("%lsmagic").result() or ""
    assert "%agent" in magics and "%%agent" in magics
    line_help = kernel.run("%agent?").payload_text()
    assert "SUBCOMMAND" in line_help and "resume [ID|--last]" in line_help and "approvals POLICY" in line_help
    cell_help = kernel.run("%%agent?").payload_text()
    assert "--wait" in cell_help and "--approval POLICY" in cell_help and "Approve" in cell_help
    bare = kernel.run("%agent").markdown()
    assert "SUBCOMMAND" in bare


def test_status_before_and_after_a_turn(kernel, server, work):
    before = kernel.run("%agent status").markdown()
    assert f"**model:** {MODEL}" in before
    assert "scripted" in before and server.url in before and "responses API" in before
    assert "**approval policy:** on-request" in before and f"**working directory:** {work}" in before
    assert "none yet" in before and "unknown until the first answer" in before

    server.enqueue(Reply(text="hi there", usage={"input_tokens": 900, "output_tokens": 100, "total_tokens": 1000}))
    view = kernel.wait_for_view(kernel.run("%%agent\nsay hi").msg_id)
    kernel.wait_for(lambda: view.phase == "done", what="the turn to end")
    after = kernel.run("%agent status").markdown()
    session_id = view.status["session_id"]
    assert session_id and f"**session:** {session_id}" in after
    assert "1,000 used in total" in after

    server.enqueue(Reply(text="again"))  # a later turn's view shows the session too
    msg_id = kernel.run("%%agent\nsay it again").msg_id
    second = kernel.wait_for_view(msg_id)
    kernel.wait_for(lambda: second.phase == "done", what="the second turn")
    assert second.status["session_id"] == session_id and second.status["model"] == MODEL
    assert second.status["sandbox"] == "workspace-write"
    # Its final Markdown update belongs to its own cell (not to the session's first cell).
    update = kernel.wait_for(lambda: [m for m in kernel.by_parent[msg_id] if m["msg_type"] == "update_display_data"],
                             what="the second cell's final update")
    assert "again" in update[-1]["content"]["data"]["text/markdown"]


def test_no_model_configured_shows_the_setup_help_not_a_traceback(make_kernel, server):
    k = make_kernel(key=None)
    k.run("%load_ext agent")
    execution = k.run("%%agent\nhello")
    assert execution.errors() == []
    text = execution.markdown()
    assert "kernel-agent can't start" in text and "SCRIPTED_API_KEY" in text
    assert "%agent login" in text and "OPENAI_API_KEY" in text and "config.toml" in text
    assert k.views() == [] and server.requests == []


def test_unload_stops_the_session_kills_its_command_and_removes_the_magics(kernel, server):
    marker = sleep_marker()
    server.enqueue(Reply(tool_calls=[_sleep(marker)]))
    view = kernel.wait_for_view(kernel.run("%%agent\nwait a while").msg_id)
    kernel.wait_for(lambda: pids_with(marker), what="the sleep command to start")

    kernel.run("%unload_ext agent")
    kernel.wait_for(lambda: not pids_with(marker), timeout=5, what="the sleep command to be killed")
    kernel.wait_for(lambda: view.phase == "aborted", timeout=5, what="the turn to be marked aborted")

    gone = kernel.run("%%agent\nhello again", ok=False)
    assert gone.status == "error"
    assert gone.reply["content"]["evalue"] == "Cell magic `%%agent` not found."
    assert kernel.run("%lsmagic").result().count("agent") == 0
    assert len(server.requests) == 1

    kernel.run("%load_ext agent")  # loading again works
    assert "%%agent" in (kernel.run("%lsmagic").result() or "")


def _sleep(marker: str):
    from tests.scripted_server import ToolCall

    return ToolCall("shell", {"command": ["sleep", marker]}, "call_sleep")
