"""A command a policy refused (ExecCommandEnd.refused) never ran: every view says so
instead of "failed · exit -1". Each case pairs it with a command that ran and exited 1,
which keeps its exit code."""

from __future__ import annotations

import io
import json
from pathlib import Path

from agent.frontends.acp.tool_calls import ToolCalls
from agent.frontends.notebook.provenance import TurnProvenance
from agent.frontends.text.render import TextRenderer
from agent.frontends.text.thread_events import ThreadEventMapper
from agent.protocol import events as ev
from agent.protocol.policy import WorkspaceWrite

from .events import begin, end, event

REASON = "execpolicy forbids this command: no pushing from the hub (rule /etc/kernel-agent/rules/hub.rules:1)"
PUSH, MAKE = ["git", "push", "origin", "main"], ["make"]
REFUSED = end("r", PUSH, -1, 0.0, REASON, refused=True)
FAILED = end("f", MAKE, 1, 2.0, "make: *** [all] Error 1\n")


def test_text_renderer_says_refused_with_the_reason():
    out = io.StringIO()
    renderer = TextRenderer(out)
    for msg in (begin("r", PUSH), REFUSED, begin("f", MAKE), FAILED):
        renderer.handle(event(msg))
    refused, failed = out.getvalue().split("exec make")
    assert f"refused: {REASON}\n" in refused and "exited" not in refused and "ms" not in refused
    assert "exited 1 in 2000ms" in failed and "refused" not in failed


def test_exec_json_item_is_declined_without_an_exit_code():
    """Codex's command_execution statuses (reference §1.3) include `declined`: the command
    was not run. Control: a run that exits 1 is `failed` with its exit code."""
    mapper = ThreadEventMapper()
    items = [line.model_dump(mode="json")["item"] for msg in (begin("r", PUSH), REFUSED, begin("f", MAKE), FAILED)
             for line in mapper.feed(event(msg))]
    refused, failed = items[1], items[3]
    assert (refused["status"], refused["exit_code"], refused["aggregated_output"]) == ("declined", None, REASON)
    assert refused["command"] == "git push origin main"
    assert (failed["status"], failed["exit_code"]) == ("failed", 1)


def test_provenance_records_refused_without_an_exit_code(tmp_path: Path):
    provenance = TurnProvenance()
    configured = ev.SessionConfigured(session_id="s", model="m", model_provider_id="p", approval_policy="never",
                                      sandbox_policy=WorkspaceWrite(), cwd=str(tmp_path))
    for msg in (configured, ev.TaskStarted(), begin("r", PUSH), REFUSED, begin("f", MAKE), FAILED, ev.TaskComplete()):
        provenance.apply(event(msg))
    refused, failed = provenance.metadata()["tools"]
    assert refused == {"call_id": "r", "tool": "shell", "argv": PUSH, "status": "refused"}
    assert (failed["status"], failed["exit_code"]) == ("failed", 1)


def test_acp_update_fails_with_the_reason_and_no_placeholder_exit_code():
    calls = ToolCalls("/work/repo")
    (refused,) = calls.exec_end(REFUSED)
    (failed,) = calls.exec_end(FAILED)
    refused, failed = (json.loads(u.model_dump_json(by_alias=True, exclude_none=True)) for u in (refused, failed))
    assert refused["status"] == "failed" and refused["rawOutput"] == {"refused": True}
    assert REASON in json.dumps(refused["content"])
    assert failed["status"] == "failed" and failed["rawOutput"] == {"exit_code": 1}
