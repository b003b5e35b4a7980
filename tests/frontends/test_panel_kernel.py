"""The side panel's kernel end in a real kernel, driven as JupyterLab drives it.

The test plays the panel: it opens `agent.panel.events` and, over a kernel subshell,
`agent.panel.commands`, sends commands and reads the kernel's messages (status, transcript
patches, notebook_edit requests). Approvals are shared with the cell widget.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from agent.tools.notebook_edit import NO_FRONTEND
from tests.kernel.conftest import home, kernel, make_kernel  # noqa: F401 - fixtures (server, work: tests/conftest.py)
from tests.kernel.harness import Kernel
from tests.kernel.helpers import outputs, shell
from tests.scripted_server import Reply, ToolCall

from agent.protocol.comm import COMMANDS_TARGET as COMMANDS
from agent.protocol.comm import EVENTS_TARGET as EVENTS


class Panel:
    """The panel's two comms on one kernel (commands over a subshell when asked)."""

    def __init__(self, k: Kernel, *, subshell: bool = True, events_on_subshell: bool = False):
        self.k = k
        self.subshell = self._create_subshell() if subshell else None
        self.events_id = self._open(EVENTS, self.subshell if events_on_subshell else None)
        self.commands_id = self._open(COMMANDS, self.subshell)

    def _create_subshell(self) -> str:
        msg = self.k.kc.session.msg("create_subshell_request", {})
        self.k.kc.control_channel.send(msg)
        reply = self.k.kc.control_channel.get_msg(timeout=10)
        return reply["content"]["subshell_id"]

    def _open(self, target: str, subshell: str | None) -> str:
        comm_id = uuid.uuid4().hex
        msg = self.k.kc.session.msg("comm_open", {"comm_id": comm_id, "target_name": target, "data": {}})
        if subshell is not None:
            msg["header"]["subshell_id"] = subshell
        self.k.kc.shell_channel.send(msg)
        return comm_id

    def send(self, data: dict[str, Any]) -> None:
        msg = self.k.kc.session.msg("comm_msg", {"comm_id": self.commands_id, "data": data})
        if self.subshell is not None:
            msg["header"]["subshell_id"] = self.subshell
        self.k.kc.shell_channel.send(msg)

    def messages(self, kind: str | None = None) -> list[dict[str, Any]]:
        found = [m["content"]["data"] for m in self.k.iopub
                 if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == self.events_id]
        return [d for d in found if kind is None or d.get("type") == kind]

    def status(self) -> dict[str, Any] | None:
        found = self.messages("status")
        return found[-1] if found else None

    def blocks(self) -> list[dict[str, Any]]:
        """The transcript as the TS model merges it (patches by id, `order`)."""
        blocks: dict[str, dict[str, Any]] = {}
        order: list[str] = []
        for patch in self.messages("transcript"):
            if patch.get("reset"):
                blocks.clear()
            blocks.update({b["id"]: dict(b) for b in patch.get("blocks", [])})
            for append in patch.get("appends", []):
                blocks[append["id"]]["text"] += append["text"]
            order = patch["order"] if patch.get("order") is not None else order
        return [blocks[i] for i in order if i in blocks]

    def turn(self) -> dict[str, Any]:
        """The turn status of the latest transcript patch ({} before the first one)."""
        found = [p["status"] for p in self.messages("transcript") if p.get("status") is not None]  # None: unchanged
        return found[-1] if found else {"state": None}

    def agent_text(self) -> str:
        return "".join(b["text"] for b in self.blocks() if b["kind"] == "agent")

    def pending(self) -> list[dict[str, Any]]:
        return [b for b in self.blocks() if b["kind"] == "approval" and b["status"] == "pending"]


@pytest.fixture
def panel(kernel: Kernel) -> Panel:  # noqa: F811 - the fixture imported above
    p = Panel(kernel)
    kernel.wait_for(p.status, what="the panel's first status")
    kernel.wait_for(lambda: p.messages("transcript"), what="the panel's first transcript")
    return p


def test_opening_sends_status_and_an_idle_transcript(kernel, panel):  # noqa: F811
    status = panel.status()
    assert status["session_id"] is None and status["running"] is False
    assert status["model"] == "gpt-4.1" and status["approval_policy"] == "on-request"
    assert status["sandbox_mechanism"] in ("bubblewrap", "landlock", "none")
    assert status["approval_policies"] == ["untrusted", "on-failure", "on-request", "never"]
    kernel.wait_for(lambda: panel.messages("transcript"), what="the first transcript")
    [first] = panel.messages("transcript")
    assert first["reset"] is True and first["blocks"] == [] and first["status"]["state"] == "idle"


def test_without_subshells_the_panel_still_works_on_the_main_shell(kernel, server):  # noqa: F811
    """What a kernel without subshell support gets: both comms on the main shell."""
    p = Panel(kernel, subshell=False)
    kernel.wait_for(p.status, what="the first status")
    server.enqueue(Reply(text="main shell is fine"))
    p.send({"type": "user_input", "text": "hello?"})
    kernel.wait_for(lambda: p.turn()["state"] == "done", what="the turn to end")
    assert p.agent_text() == "main shell is fine"


def test_a_prompt_from_the_panel_streams_into_the_panel(kernel, panel, server):  # noqa: F811
    answer = "Hello from the kernel, streamed to the side panel."
    server.enqueue(Reply(text=answer, chunk_size=4, delay_per_event=0.01))
    panel.send({"type": "user_input", "text": "say hello"})
    kernel.wait_for(lambda: panel.turn()["state"] == "done", what="the turn to end")
    assert panel.agent_text() == answer
    assert panel.blocks()[0] == {**panel.blocks()[0], "kind": "user", "text": "say hello"}
    assert len([p for p in panel.messages("transcript") if p.get("blocks") or p.get("appends")]) >= 3  # streamed, not one final state
    assert any(p.get("appends") for p in panel.messages("transcript"))  # the answer's text as appends
    assert panel.status()["session_id"] is not None and panel.status()["notebook_edit"] is True
    # The kernel never publishes on the commands comm (it would move its routing to the main shell).
    assert not [m for m in kernel.iopub if m["content"].get("comm_id") == panel.commands_id]


def test_a_decision_in_the_panel_shows_in_the_cell_widget_and_runs_the_command(kernel, panel, server, work):  # noqa: F811
    server.enqueue(Reply(tool_calls=[shell("echo yes > panel.txt", "call_p")]), Reply(text="Wrote it."))
    execution = kernel.run("%%agent --approval untrusted\nwrite panel.txt")
    view = kernel.wait_for_view(execution.msg_id)
    kernel.wait_for(panel.pending, what="the approval in the panel")
    assert view.pending_approvals()[0]["call_id"] == "call_p"
    panel.send({"type": "decision", "call_id": "call_p", "decision": "approved"})
    kernel.wait_for(lambda: view.phase == "done", what="the turn to end")
    assert (work / "panel.txt").read_text() == "yes\n"
    [cell_approval] = view.of_kind("approval")
    assert cell_approval["status"] == "decided" and cell_approval["decision"] == "approved"
    kernel.wait_for(lambda: panel.turn()["state"] == "done", what="the panel's turn end")
    [panel_approval] = [b for b in panel.blocks() if b["kind"] == "approval"]
    assert panel_approval["decision"] == "approved"


def test_a_denial_in_the_cell_widget_shows_in_the_panel(kernel, panel, server, work):  # noqa: F811
    server.enqueue(Reply(tool_calls=[shell("echo no > denied.txt", "call_d")]), Reply(text="Not written."))
    execution = kernel.run("%%agent --approval untrusted\nwrite denied.txt")
    view = kernel.wait_for_view(execution.msg_id)
    kernel.wait_for(panel.pending, what="the approval in the panel")
    kernel.decide(view, "denied")
    kernel.wait_for(lambda: panel.turn()["state"] == "done", what="the turn to end")
    assert not (work / "denied.txt").exists()
    [approval] = [b for b in panel.blocks() if b["kind"] == "approval"]
    assert approval["status"] == "decided" and approval["decision"] == "denied"
    [command] = [b for b in panel.blocks() if b["kind"] == "command"]
    assert command["status"] == "declined"


def test_the_set_approval_policy_applies_to_the_next_turn(kernel, panel, server, work):  # noqa: F811
    panel.send({"type": "set_options", "approval_policy": "untrusted", "model": "gpt-4.1"})
    kernel.wait_for(lambda: panel.status()["approval_policy"] == "untrusted", what="the new policy")
    server.enqueue(Reply(tool_calls=[shell("echo x > x.txt", "call_x")]), Reply(text="ok"))
    panel.send({"type": "user_input", "text": "write x"})
    kernel.wait_for(panel.pending, what="an approval under untrusted")
    panel.send({"type": "interrupt"})
    kernel.wait_for(lambda: panel.turn()["state"] == "aborted", what="the stopped turn")
    assert panel.turn()["reason"] == "interrupted" and not (work / "x.txt").exists()
    [approval] = [b for b in panel.blocks() if b["kind"] == "approval"]
    assert approval["status"] == "aborted"


def test_a_cells_flags_apply_to_its_turn_only_and_status_says_so(kernel, panel, server, work):  # noqa: F811
    """`%%agent --approval untrusted --model M` runs that cell's turn with them; the panel,
    `%agent status` and the cell say so while it runs, and the next turn is back to the
    defaults (`%agent approvals` changes those)."""
    server.enqueue(Reply(tool_calls=[shell("echo no > flag.txt", "call_f")]), Reply(text="Not written."))
    view = kernel.wait_for_view(kernel.run("%%agent --approval untrusted --model gpt-5.1-codex\nwrite flag.txt").msg_id)
    kernel.wait_for(panel.pending, what="the approval the flag asks for")
    assert view.status["approval_policy"] == "untrusted" and view.status["model"] == "gpt-5.1-codex"
    kernel.wait_for(lambda: panel.status()["this_turn"], what="the running turn's settings in the panel")
    status = panel.status()
    assert status["approval_policy"] == "on-request" and status["model"] == "gpt-4.1"  # the defaults
    assert status["this_turn"] == {"approval_policy": "untrusted", "model": "gpt-5.1-codex", "sandbox": None}
    during = kernel.run("%agent status").markdown()
    assert "**approval policy:** untrusted (this turn; later turns: on-request)" in during
    assert "**model:** gpt-5.1-codex (this turn; later turns: gpt-4.1)" in during
    kernel.decide(view, "denied")
    kernel.wait_for(lambda: view.phase == "done", what="the flagged turn to end")
    kernel.wait_for(lambda: panel.status()["this_turn"] is None, what="the panel back to the defaults")
    after = kernel.run("%agent status").markdown()
    assert "**approval policy:** on-request\n" in after and "this turn" not in after

    server.enqueue(Reply(text="plain turn"))
    plain = kernel.wait_for_view(kernel.run("%%agent\nanything").msg_id)
    kernel.wait_for(lambda: plain.phase == "done", what="the next turn to end")
    assert plain.status["approval_policy"] == "on-request" and plain.status["model"] == "gpt-4.1"
    assert [r.json["model"] for r in server.requests] == ["gpt-5.1-codex", "gpt-5.1-codex", "gpt-4.1"]

    kernel.run("%agent approvals untrusted")  # the defaults for the later turns
    kernel.wait_for(lambda: panel.status()["approval_policy"] == "untrusted", what="the new default in the panel")
    assert "**approval policy:** untrusted\n" in kernel.run("%agent status").markdown()
    assert panel.status()["this_turn"] is None


def test_panel_commands_do_not_wait_behind_a_busy_cell(kernel, panel, server):  # noqa: F811
    server.enqueue(Reply(text="answered while the cell was busy"))
    busy = kernel.submit("import asyncio\nawait asyncio.sleep(6)")
    kernel.wait_for(lambda: any(m["msg_type"] == "status" and m["content"]["execution_state"] == "busy"
                                for m in kernel.by_parent[busy]), what="the busy cell")
    started = time.monotonic()
    panel.send({"type": "user_input", "text": "are you there?"})
    kernel.wait_for(lambda: panel.turn()["state"] == "done", timeout=5, what="the panel turn during the busy cell")
    assert time.monotonic() - started < 4 and not kernel.finished(busy)
    assert panel.agent_text() == "answered while the cell was busy"
    kernel.collect(busy, timeout=15)


def test_a_panel_opened_while_a_wait_cell_awaits_an_approval_attaches_and_shows_it(kernel, server, work):  # noqa: F811
    """Issue 11 item 7: a `--wait` cell blocks the main shell on an approval; a panel that
    (re)attaches then, all its traffic on its own subshell (as the front end does since a
    page reload left it nothing else), gets the pending approval and can answer it."""
    server.enqueue(Reply(tool_calls=[shell("echo attached > attach.txt", "call_w")]), Reply(text="Done."))
    cell = kernel.submit("%%agent --wait --approval untrusted\nwrite attach.txt")
    view = kernel.wait_for_view(cell)
    kernel.wait_for(view.pending_approvals, what="the approval in the cell")
    check = kernel.kc.session.msg("execute_request", {
        "code": "", "silent": True, "store_history": False, "allow_stdin": False, "stop_on_error": False,
        "user_expressions": {"loaded": f"{COMMANDS!r} in get_ipython().kernel.comm_manager.targets"}})
    p = Panel(kernel, events_on_subshell=True)
    check["header"]["subshell_id"] = p.subshell
    kernel.kc.shell_channel.send(check)  # the front end's "is the agent loaded?" check
    reply = kernel.wait_for(lambda: kernel.replies.get(check["header"]["msg_id"]), what="the check on the subshell")
    assert reply["content"]["user_expressions"]["loaded"]["data"]["text/plain"] == "True"
    kernel.wait_for(p.pending, what="the pending approval in the panel")
    assert p.pending()[0]["call_id"] == "call_w" and not kernel.finished(cell)
    p.send({"type": "decision", "call_id": "call_w", "decision": "approved"})
    kernel.collect(cell, timeout=20)
    assert (work / "attach.txt").read_text() == "attached\n"


def test_notebook_edit_goes_through_the_panel_and_returns_its_answer(kernel, panel, server):  # noqa: F811
    edit = ToolCall("notebook_edit", {"action": "insert", "index": 0, "source": "x = 41 + 1\nx", "run": True}, "call_nb")
    server.enqueue(Reply(tool_calls=[edit]), Reply(text="Inserted and ran it."))
    panel.send({"type": "user_input", "text": "add a cell computing 42"})
    [request] = kernel.wait_for(lambda: panel.messages("notebook_edit_request"), what="the edit request")
    assert request["action"] == "insert" and request["index"] == 0 and request["source"] == "x = 41 + 1\nx"
    assert request["run"] is True and request["cell_type"] == "code"
    panel.send({"type": "notebook_edit_result", "request_id": request["request_id"], "status": "applied",
                "message": "Inserted cell 0; ran it.\noutputs:\nresult:\n42"})
    kernel.wait_for(lambda: panel.turn()["state"] == "done", what="the turn to end")
    assert "result:\n42" in outputs(server.requests[1])["call_nb"]
    assert panel.messages("notebook_edit_cancel")[-1]["request_id"] == request["request_id"]


def test_a_rejected_notebook_edit_tells_the_model(kernel, panel, server):  # noqa: F811
    edit = ToolCall("notebook_edit", {"action": "delete", "index": 2}, "call_del")
    server.enqueue(Reply(tool_calls=[edit]), Reply(text="Fine, I kept it."))
    panel.send({"type": "user_input", "text": "delete cell 2"})
    [request] = kernel.wait_for(lambda: panel.messages("notebook_edit_request"), what="the edit request")
    panel.send({"type": "notebook_edit_result", "request_id": request["request_id"], "status": "rejected"})
    kernel.wait_for(lambda: panel.turn()["state"] == "done", what="the turn to end")
    assert outputs(server.requests[1])["call_del"].startswith("notebook_edit rejected by user")


def test_a_notebook_edit_nobody_acknowledges_fails_fast(kernel, panel, server):  # noqa: F811
    """A panel whose tab is gone never closes its comm: without the panel's `received`, the
    tool gives up after EDIT_ACK_S instead of waiting for an Accept that cannot come."""
    kernel.run("import agent.frontends.notebook.panel_bridge as _pb; _pb.EDIT_ACK_S = 0.5")
    server.enqueue(Reply(tool_calls=[ToolCall("notebook_edit", {"action": "run", "index": 0}, "call_lost")]),
                   Reply(text="The panel did not answer."))
    panel.send({"type": "user_input", "text": "run cell 0"})
    kernel.wait_for(lambda: panel.turn()["state"] == "done", what="the turn to end")
    assert "no JupyterLab panel acknowledged the request" in outputs(server.requests[1])["call_lost"]


def test_notebook_edit_without_a_panel_explains_why(kernel, server):  # noqa: F811
    server.enqueue(Reply(tool_calls=[ToolCall("notebook_edit", {"action": "run", "index": 0}, "call_run")]),
                   Reply(text="I can't edit the notebook."))
    execution = kernel.run("%%agent\nrun the first cell")
    view = kernel.wait_for_view(execution.msg_id)
    kernel.wait_for(lambda: view.phase == "done", what="the turn to end")
    assert outputs(server.requests[1])["call_run"] == NO_FRONTEND


def test_new_session_resets_and_sessions_are_listed(kernel, panel, server):  # noqa: F811
    server.enqueue(Reply(text="first conversation"))
    panel.send({"type": "user_input", "text": "remember me"})
    kernel.wait_for(lambda: panel.turn()["state"] == "done", what="the turn to end")
    first = panel.status()["session_id"]
    panel.send({"type": "new_session"})
    kernel.wait_for(lambda: panel.status()["session_id"] is None and panel.blocks() == [], what="the reset")
    panel.send({"type": "list_sessions"})
    [listing] = kernel.wait_for(lambda: panel.messages("sessions"), what="the session list")
    assert [s["id"] for s in listing["sessions"]] == [first]
    panel.send({"type": "resume_session", "session_id": first})
    kernel.wait_for(lambda: panel.status()["session_id"] == first, what="the resumed session")
    assert any(b["kind"] == "agent" and b["text"] == "first conversation" for b in panel.blocks())


def test_the_panel_auto_loads_the_extension_silently(make_kernel):  # noqa: F811
    k = make_kernel()
    check = "'agent.panel.commands' in get_ipython().kernel.comm_manager.targets"
    msg_id = k.kc.execute("%load_ext agent", silent=True, store_history=False, user_expressions={"loaded": check})
    reply = k.collect(msg_id).reply["content"]
    assert reply["status"] == "ok" and reply["user_expressions"]["loaded"]["data"]["text/plain"] == "True"
    assert not [m for m in k.by_parent[msg_id] if m["msg_type"] in ("execute_input", "stream", "display_data")]
    assert k.run("1").reply["content"]["execution_count"] == 1  # a silent run takes no execution count


def test_unloading_unregisters_the_targets(kernel):  # noqa: F811
    check = "'agent.panel.events' in get_ipython().kernel.comm_manager.targets"
    assert kernel.run(check).result() == "True"
    kernel.run("%unload_ext agent")
    assert kernel.run(check).result() == "False"

