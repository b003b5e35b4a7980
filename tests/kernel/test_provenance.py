"""A turn's final display output carries `metadata["kernel-agent"]` (issue 11 item 9)."""

from __future__ import annotations

import hashlib

import nbformat

from tests.scripted_server import Reply, ToolCall

from .helpers import shell

PATCH = "*** Begin Patch\n*** Add File: notes/todo.md\n+# TODO\n+- write tests\n*** End Patch\n"


def test_the_final_output_carries_the_turns_provenance(kernel, server, work):
    (work / "hi.txt").write_bytes(b"old\n")
    server.enqueue(Reply(tool_calls=[shell("echo hi > hi.txt", "call_sh")]),
                   Reply(tool_calls=[ToolCall("apply_patch", {"input": PATCH}, "call_p")]),
                   Reply(text="Wrote hi.txt and the TODO list."))
    execution = kernel.run("%%agent --approval untrusted\nwrite two files")
    view = kernel.wait_for_view(execution.msg_id)
    kernel.wait_for(view.pending_approvals, what="the command approval")
    kernel.decide(view, "approved", "call_sh")
    kernel.wait_for(lambda: [a for a in view.pending_approvals() if a["request"] == "patch"], what="the patch approval")
    kernel.decide(view, "approved", "call_p")
    kernel.wait_for(lambda: view.phase == "done", what="the turn to end")
    kernel.wait_for(lambda: _provenance(kernel, execution.msg_id), what="the final update with metadata")

    record = _provenance(kernel, execution.msg_id)
    assert record["session_id"] == view.status["session_id"] and record["turn_id"]
    assert (record["model"], record["provider"], record["approval_policy"]) == ("gpt-4.1", "scripted", "untrusted")
    assert record["outcome"] == "completed" and record["started"] <= record["ended"]
    [command, patch] = record["tools"]
    assert command["argv"] == ["bash", "-c", "echo hi > hi.txt"] and command["exit_code"] == 0
    assert patch["tool"] == "apply_patch" and patch["files"] == ["notes/todo.md"] and patch["status"] == "applied"
    assert [(a["call_id"], a["decision"], a["policy"]) for a in record["approvals"]] == [
        ("call_sh", "approved", "untrusted"), ("call_p", "approved", "untrusted")]
    content = (work / "notes" / "todo.md").read_bytes()
    assert (work / "hi.txt").read_bytes() == b"hi\n"
    assert record["files"] == [  # the patched file, then the one the command changed (the turn's workspace diff)
        {"path": "notes/todo.md", "change": "added", "before_sha256": None, "after_sha256": _sha(content)},
        {"path": "hi.txt", "change": "updated", "before_sha256": _sha(b"old\n"), "after_sha256": _sha(b"hi\n")}]
    assert record["token_usage"]["total_tokens"] > 0

    # `%agent log` reads this kernel's notebook (JPY_SESSION_NAME) once it is saved.
    assert kernel.run("%agent log").markdown().startswith(f"No saved notebook at `{work / 'analysis.ipynb'}`. Save")
    saved = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("%%agent --approval untrusted\nwrite two files", outputs=[
        nbformat.v4.new_output("display_data", data={"text/plain": "transcript"}, metadata={"kernel-agent": record})])])
    nbformat.write(saved, work / "analysis.ipynb")
    audit = kernel.run("%agent log").markdown()
    assert "#### Cell 1: agent turn" in audit and "shell `call_sh`: **approved** (policy untrusted" in audit
    assert "`hi.txt` updated, sha256 `" + _sha(b"old\n")[:12] in audit


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _provenance(kernel, msg_id: str):
    for message in reversed(kernel.by_parent[msg_id]):
        if message["msg_type"] == "update_display_data":
            return (message["content"].get("metadata") or {}).get("kernel-agent")
    return None
