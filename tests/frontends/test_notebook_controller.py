"""The notebook controller in-process, over real sessions against the scripted server and
a kernel-shaped shell: every way of replacing the session (`%agent new`, `resume`, `fork`,
the panel's commands) detaches the old one the same way, and the notebook_edit tool gets
its front end at construction."""

from __future__ import annotations

import asyncio
import json
import re
import signal
from types import SimpleNamespace
from typing import Any, Callable

import pytest
from agent.frontends.notebook.interfaces import TurnView
from agent.frontends.notebook.line_commands import run_line_command
from agent.frontends.notebook.notebook_agent import NotebookAgent, TurnOptions
from agent.frontends.notebook.panel_bridge import attach_panel, detach_panel
from agent.frontends.notebook.usage import CELL_USAGE, LINE_USAGE
from agent.frontends.text.view import TextView
from agent.protocol.events import Event
from agent.protocol.policy import APPROVAL_POLICIES, SANDBOX_MODES

from tests.scripted_server import Reply, ScriptedServer, ToolCall

KEY = "sk-controller-test-0123456789abcdef"


class RecordingView:
    """A TurnView that keeps what it was shown (and reduces nothing)."""

    transcript: Any = None

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.decisions: list[tuple[str, str]] = []
        self.closed = False

    def feed(self, event: Event) -> None:
        self.events.append(event)

    def record_decision(self, call_id: str, decision: str) -> None:
        self.decisions.append((call_id, decision))

    def close_turn(self) -> None:
        self.closed = True

    def types(self) -> list[str]:
        return [e.msg.type for e in self.events]


class CommManager:
    def __init__(self) -> None:
        self.targets: dict[str, object] = {}

    def register_target(self, name: str, fn: object) -> None:
        self.targets[name] = fn

    def unregister_target(self, name: str, fn: object) -> None:
        self.targets.pop(name)


@pytest.fixture
def kernel(home, work, monkeypatch) -> SimpleNamespace:
    """The kernel's side a NotebookAgent touches; its idle SIGINT handler is SIG_IGN."""
    monkeypatch.setenv("KERNEL_AGENT_HOME", str(home))
    monkeypatch.setenv("SCRIPTED_API_KEY", KEY)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.chdir(work)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    yield SimpleNamespace(saved_sigint_handler=signal.SIG_IGN, comm_manager=CommManager())
    signal.signal(signal.SIGINT, previous)


@pytest.fixture
async def agent(kernel):
    agent = NotebookAgent(SimpleNamespace(kernel=kernel, user_ns={}))
    yield agent
    await agent.close()


async def until(condition: Callable[[], Any], what: str) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def turn_waiting_for_approval(agent: NotebookAgent, server: ScriptedServer) -> tuple[str, RecordingView]:
    server.enqueue(Reply(tool_calls=[ToolCall("shell", {"command": ["bash", "-c", "touch made.txt"]}, "call_1")]))
    view = RecordingView()
    sub_id = agent.start_turn("make a file", TurnOptions(approval_policy="untrusted"), make_view=lambda **_: view)
    await until(lambda: "exec_approval_request" in view.types(), "the approval request")
    return sub_id, view


@pytest.mark.parametrize("line", ["new", "fork", "resume"])
async def test_replacing_the_session_from_a_line_command_detaches_the_old_one(agent, kernel, server, recorded, line):
    if line == "resume":  # the earlier recorded session
        line = f"resume {recorded}"
    sub_id, view = await turn_waiting_for_approval(agent, server)
    old = agent.session
    assert kernel.saved_sigint_handler is not signal.SIG_IGN  # a running turn watches SIGINT
    run_line_command(agent, line)
    assert agent.session is not old and (agent.session is None) == (line == "new")
    # Detached at once: SIGINT is the kernel's again and the old turn is no longer routed here.
    assert kernel.saved_sigint_handler is signal.SIG_IGN and signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    assert sub_id not in agent.views and agent.last_view is not view
    await agent.close()  # waits for the old session's background shutdown too
    assert view.closed and not old.running  # its pump ran to the end of its stream and closed the view
    assert "exec_approval_request" in view.types() and "task_complete" not in view.types()


@pytest.fixture
async def recorded(agent, server) -> str:
    """A finished, recorded session in this folder (then no session)."""
    server.enqueue(Reply(text="An earlier answer."))
    view = RecordingView()
    sub_id = agent.start_turn("an earlier question", TurnOptions(), make_view=lambda **_: view)
    assert await agent.wait(sub_id) == "task_complete"
    session_id = agent.session.conversation_id
    await agent.close()
    return session_id


async def test_resume_by_line_or_panel_continues_this_notebooks_latest_session(agent, kernel, server, recorded, monkeypatch):
    monkeypatch.setenv("JPY_SESSION_NAME", "analysis.ipynb")
    server.enqueue(Reply(text="The notebook's answer."))
    sub_id = agent.start_turn("the notebook's question", TurnOptions(), make_view=lambda **_: RecordingView())
    assert await agent.wait(sub_id) == "task_complete"
    notebook_session = agent.session.conversation_id
    agent.new()
    monkeypatch.delenv("JPY_SESSION_NAME")
    server.enqueue(Reply(text="A later answer."))
    sub_id = agent.start_turn("a later question elsewhere", TurnOptions(), make_view=lambda **_: RecordingView())
    assert await agent.wait(sub_id) == "task_complete"
    later = agent.session.conversation_id
    monkeypatch.setenv("JPY_SESSION_NAME", "analysis.ipynb")

    run_line_command(agent, "resume")
    assert agent.session.conversation_id == notebook_session  # the notebook's, though not the newest

    bridge = attach_panel(SimpleNamespace(kernel=kernel), agent)
    notices: list[dict] = []
    bridge.notice = lambda level, message: notices.append({"level": level, "message": message})
    agent.new()
    bridge.handle_command({"type": "resume_session", "session_id": None})
    assert agent.session.conversation_id == notebook_session
    bridge.handle_command({"type": "resume_session", "session_id": later})
    assert agent.session.conversation_id == later
    assert [n["level"] for n in notices] == ["info", "info"]
    detach_panel(bridge)


async def test_nothing_to_resume_is_said_the_same_way_by_line_and_panel(agent, kernel, capsys):
    run_line_command(agent, "resume")
    assert agent.session is None
    bridge = attach_panel(SimpleNamespace(kernel=kernel), agent)
    notices: list[tuple[str, str]] = []
    bridge.notice = lambda level, message: notices.append((level, message))
    bridge.handle_command({"type": "resume_session", "session_id": None})
    assert notices == [("warning", "No recorded session to resume for this notebook or folder.")]
    detach_panel(bridge)


async def test_the_notebook_edit_tool_is_built_with_the_relay_the_panel_attaches_to(agent, kernel):
    session = agent.ensure_session()
    tool = session.tools.get("notebook_edit")
    assert tool.frontend is agent.notebook_edit and not agent.notebook_edit.connected
    bridge = attach_panel(SimpleNamespace(kernel=kernel), agent)
    assert not agent.notebook_edit.connected  # a bridge, but no panel yet
    bridge.event_comms["panel-1"] = SimpleNamespace(comm_id="panel-1", send=lambda data: None)
    assert agent.notebook_edit.connected
    detach_panel(bridge)
    assert not agent.notebook_edit.connected
    answer = await agent.notebook_edit.request_edit({"action": "delete", "index": 0}, 1.0)
    assert answer["status"] == "failed" and "no JupyterLab side panel" in answer["message"]


async def test_a_decision_reaches_the_session_and_every_listener(agent, server):
    sub_id, view = await turn_waiting_for_approval(agent, server)
    listener = Listener()
    agent.listeners.append(listener)
    server.enqueue(Reply(text="Made it."))
    agent.decide("call_1", "approved")
    assert listener.seen == [("decision_made", "call_1", "approved")]
    assert await agent.wait(sub_id) == "task_complete"
    assert "exec_command_end" in view.types() and view.closed
    agent.new()
    assert listener.seen[-1] == ("session_changed", None)


class Listener:
    """A SessionListener that keeps what it was told."""

    def __init__(self) -> None:
        self.seen: list[tuple[Any, ...]] = []

    def session_changed(self, session: Any) -> None:
        self.seen.append(("session_changed", session))

    def view_added(self, view: TurnView) -> None:
        self.seen.append(("view_added", view))

    def decision_made(self, call_id: str, decision: str) -> None:
        self.seen.append(("decision_made", call_id, decision))

    def defaults_changed(self) -> None:
        self.seen.append(("defaults_changed",))


def test_the_text_view_is_a_turn_view_that_prints_the_session_line_once(capsys):
    from .events import configured, event

    views: list[TurnView] = [TextView(show_session=True), TextView(show_session=False)]
    for view in views:
        view.feed(event(configured(), "0"))
        view.record_decision("c1", "approved")  # a terminal has no other view to decide in
        view.close_turn()
    assert capsys.readouterr().out.count("kernel-agent | model:") == 1


def test_the_help_texts_list_the_protocols_policies_and_modes():
    assert f"--approval POLICY  {' | '.join(APPROVAL_POLICIES)}" in CELL_USAGE
    assert f"--sandbox MODE     {' | '.join(SANDBOX_MODES)}" in CELL_USAGE
    assert "resume [ID|--last]" in LINE_USAGE


# --- one turn per cell: the queue ------------------------------------------------------------


class TranscriptView(RecordingView):
    """A RecordingView that also reduces its events, as the cell widget and the panel do."""

    def __init__(self) -> None:
        super().__init__()
        from agent.frontends.transcript.reducer import Transcript

        self.transcript = Transcript()

    def feed(self, event: Event) -> None:
        super().feed(event)
        self.transcript.apply(event)

    def close_turn(self) -> None:
        super().close_turn()
        self.transcript.close()

    def notices(self) -> list[str]:
        return [b["message"] for b in self.transcript.state()["blocks"] if b["kind"] in ("notice", "error")]

    def users(self) -> list[str]:
        return [b["text"] for b in self.transcript.state()["blocks"] if b["kind"] == "user"]


def sent(request: Any) -> str:
    return json.dumps(request.json)


async def test_a_prompt_sent_while_a_turn_waits_is_queued_and_runs_as_its_own_turn(agent, server):
    agent.shell.execution_count = 4  # cell [3] runs
    a_id, a_view = await turn_waiting_for_approval(agent, server)
    agent.shell.execution_count = 5  # cell [4] runs
    stops: list[Callable[[], None]] = []
    b_view = TranscriptView()

    def make_b(*, on_decision: Any, on_stop: Any) -> TranscriptView:
        stops.append(on_stop)
        return b_view

    ticket = agent.start_turn("second question", TurnOptions(approval_policy="never"), make_view=make_b)
    assert ticket.startswith("queued-") and [q.ticket for q in agent.queue] == [ticket]
    assert b_view.transcript.status()["state"] == "queued"
    assert b_view.notices() == ["queued behind cell [3]"] and b_view.users() == ["second question"]
    assert not b_view.events  # nothing of A's turn reaches B's view

    server.enqueue(Reply(text="Made it."), Reply(text="The second answer."))
    agent.decide("call_1", "approved")
    assert await agent.wait(a_id) == "task_complete"
    assert await agent.wait(ticket) == "task_complete"
    requests = server.wait_for_requests(3)
    assert "second question" not in sent(requests[0]) + sent(requests[1])  # A never holds B's prompt
    assert "make a file" in sent(requests[2]) and "second question" in sent(requests[2])
    assert sent(requests[2]).index("make a file") < sent(requests[2]).index("second question")
    assert "second question" not in json.dumps([e.model_dump() for e in a_view.events])
    # B ran as its own turn, with its own approval policy, and showed its prompt once.
    configured = [e.msg for e in b_view.events if e.msg.type == "session_configured"]
    assert configured[0].approval_policy == "never" and "task_complete" in b_view.types()
    assert b_view.users() == ["second question"] and b_view.transcript.status()["state"] == "done"
    assert agent.config().approval_policy == "on-request" and not agent.queue


async def test_status_says_how_many_prompts_are_queued(agent, server, monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr("agent.frontends.notebook.line_commands.show", lambda _agent, text: shown.append(text))
    agent.shell.execution_count = 4
    await turn_waiting_for_approval(agent, server)
    run_line_command(agent, "status")
    agent.shell.execution_count = 7
    agent.start_turn("later", TurnOptions(), make_view=lambda **_: TranscriptView())
    run_line_command(agent, "status")
    assert "queued" not in shown[0]
    assert "- **queued:** 1 prompt(s), each its own turn after the running one: cell [6]" in shown[1]


async def test_status_names_the_permission_profile(agent, home, monkeypatch):
    """`%agent status` names the `default_permissions` profile; a cell's `--sandbox` next to
    it is refused with one line (Codex: one or the other). Control: without it, no row."""
    shown: list[str] = []
    monkeypatch.setattr("agent.frontends.notebook.line_commands.show", lambda _agent, text: shown.append(text))
    run_line_command(agent, "status")
    config = home / "config.toml"
    config.write_text('default_permissions = ":read-only"\n' + config.read_text())
    run_line_command(agent, "status")
    assert "permission profile" not in shown[0]
    assert "- **sandbox:** read-only" in shown[1] and "- **permission profile:** `:read-only`" in shown[1]
    from agent.core.api import ConfigError

    with pytest.raises(ConfigError, match="set either default_permissions or sandbox_mode, not both"):
        agent.config(TurnOptions(sandbox_mode="workspace-write"))
    errors: list[str] = []
    monkeypatch.setattr("agent.frontends.notebook.views.show_config_error", lambda _k, err: errors.append(str(err)))
    run_line_command(agent, "sandbox workspace-write")
    assert "not both" in errors[0] and agent.defaults.sandbox_mode is None  # refused, defaults unchanged
    assert agent.config().permission_profile == ":read-only"


async def test_a_queued_prompts_stop_removes_it_and_an_interrupt_cancels_the_rest(agent, server):
    a_id, a_view = await turn_waiting_for_approval(agent, server)
    views = [TranscriptView() for _ in range(3)]
    stops: list[Callable[[], None]] = []

    def maker(view: TranscriptView) -> Any:
        def make(*, on_decision: Any, on_stop: Any) -> TranscriptView:
            stops.append(on_stop)
            return view
        return make

    tickets = [agent.start_turn(f"queued {i}", TurnOptions(), make_view=maker(v)) for i, v in enumerate(views)]
    assert views[1].notices() == ["queued behind a cell"]  # behind the one queued before it
    assert views[1].transcript.request_stop()  # its Stop button
    stops[1]()
    assert [q.ticket for q in agent.queue] == [tickets[0], tickets[2]]
    assert views[1].closed and views[1].transcript.status()["state"] == "aborted"
    assert views[1].notices()[-1] == "removed from the queue (Stop): it will not run"
    assert a_id in agent.views and agent.session.running  # the running turn goes on

    agent.interrupt()  # the kernel's stop button
    assert await agent.wait(a_id) == "turn_aborted"
    assert not agent.queue and all(v.closed for v in views)
    for view in (views[0], views[2]):
        assert view.notices()[-1] == "cancelled: the kernel was interrupted"
        assert view.transcript.status()["state"] == "aborted" and not view.events
    assert await agent.wait(tickets[0]) == "turn_aborted" and tickets[0] in agent.interrupted
    assert len(server.requests) == 1  # no queued prompt reached the model


async def test_a_stopped_turn_lets_the_queued_one_run_and_a_new_session_cancels_the_queue(agent, server):
    a_id, _ = await turn_waiting_for_approval(agent, server)
    b_view = TranscriptView()
    b = agent.start_turn("after the stop", TurnOptions(), make_view=lambda **_: b_view)
    server.enqueue(Reply(text="B's answer."))
    agent.stop()  # `%agent stop`: the running turn only
    assert await agent.wait(a_id) == "turn_aborted"
    assert await agent.wait(b) == "task_complete"
    assert b_view.transcript.status()["state"] == "done" and "after the stop" in sent(server.requests[-1])

    await turn_waiting_for_approval(agent, server)
    c_view = TranscriptView()
    agent.start_turn("never runs", TurnOptions(), make_view=lambda **_: c_view)
    run_line_command(agent, "new")
    assert c_view.closed and c_view.notices()[-1].startswith("cancelled: the session changed")
    assert not agent.queue


async def test_a_prompt_from_the_panel_while_a_turn_runs_is_queued_and_shown_in_the_panel(agent, kernel, server):
    agent.shell.execution_count = 4
    bridge = attach_panel(SimpleNamespace(kernel=kernel), agent)
    comm = SimpleNamespace(comm_id="panel-1", sent=[])
    comm.send = comm.sent.append
    bridge._add_event_comm(comm)
    a_id, _ = await turn_waiting_for_approval(agent, server)
    bridge.handle_command({"type": "user_input", "text": "from the panel"})
    assert len(agent.queue) == 1 and agent.queue[0].origin == "the panel"
    statuses = [m for m in comm.sent if m.get("type") == "status"]
    assert statuses[-1]["queued"] == 1
    queued = bridge.transcript.turns[-1]
    blocks = queued.state()["blocks"]
    assert queued.status()["state"] == "queued"
    assert [b.get("text") or b.get("message") for b in blocks] == ["from the panel", "queued behind cell [3]"]
    server.enqueue(Reply(text="Made it."), Reply(text="The panel's answer."))
    agent.decide("call_1", "approved")
    await agent.wait(a_id)
    await until(lambda: queued.status()["state"] == "done", "the panel's turn")
    assert [m for m in comm.sent if m.get("type") == "status"][-1]["queued"] == 0
    assert "from the panel" not in sent(server.requests[1]) and "from the panel" in sent(server.requests[2])
    detach_panel(bridge)


# --- the session follows the notebook ----------------------------------------------------------


async def notebook_turn(agent: NotebookAgent, server: ScriptedServer, text: str) -> TranscriptView:
    server.enqueue(Reply(text=f"answer to {text}"))
    view = TranscriptView()
    assert await agent.wait(agent.start_turn(text, TurnOptions(), make_view=lambda **_: view)) == "task_complete"
    return view


async def test_a_notebook_continues_its_session_in_a_new_kernel_unless_new(kernel, server, monkeypatch):
    monkeypatch.setenv("JPY_SESSION_NAME", "analysis.ipynb")
    first = NotebookAgent(SimpleNamespace(kernel=kernel, user_ns={}))
    await notebook_turn(first, server, "the first question")
    session_id = first.session.conversation_id
    await first.close()

    second = NotebookAgent(SimpleNamespace(kernel=kernel, user_ns={}))  # the notebook reopened
    view = await notebook_turn(second, server, "a follow-up")
    assert second.session.conversation_id == session_id
    assert re.fullmatch(rf"continuing session {session_id} from \d{{4}}-\d\d-\d\d \d\d:\d\d; `--new` starts fresh",
                        view.notices()[0])
    assert "the first question" in sent(server.requests[-1])
    later = await notebook_turn(second, server, "another")
    assert not any(n.startswith("continuing") for n in later.notices())  # said once

    second.new()  # `%agent new` (and `%%agent --new`)
    fresh = await notebook_turn(second, server, "zq-fresh-start")
    assert second.session.conversation_id != session_id and not fresh.notices()
    assert "the first question" not in sent(server.requests[-1])
    await second.close()

    monkeypatch.setenv("JPY_SESSION_NAME", "other.ipynb")
    other = NotebookAgent(SimpleNamespace(kernel=kernel, user_ns={}))
    view = await notebook_turn(other, server, "zq-other-notebook")
    assert other.session.conversation_id != session_id and not view.notices()
    await other.close()

    monkeypatch.delenv("JPY_SESSION_NAME")  # outside a notebook: nothing is continued
    plain = NotebookAgent(SimpleNamespace(kernel=kernel, user_ns={}))
    await notebook_turn(plain, server, "no notebook")
    assert "zq-other-notebook" not in sent(server.requests[-1]) and "zq-fresh-start" not in sent(server.requests[-1])
    await plain.close()


async def test_a_notebook_session_that_cannot_be_resumed_falls_back_to_a_new_one(kernel, server, monkeypatch):
    from agent.core.api import list_sessions

    monkeypatch.setenv("JPY_SESSION_NAME", "analysis.ipynb")
    first = NotebookAgent(SimpleNamespace(kernel=kernel, user_ns={}))
    await notebook_turn(first, server, "the first question")
    session_id = first.session.conversation_id
    config = first.config()
    await first.close()
    [row] = list_sessions(config.home, notebook="analysis.ipynb")
    monkeypatch.setattr("agent.core.api.resume_session", _broken_resume)

    second = NotebookAgent(SimpleNamespace(kernel=kernel, user_ns={}))
    view = await notebook_turn(second, server, "a follow-up")
    assert second.session.conversation_id != session_id
    assert view.notices() == [f"could not continue session {row.id} (unreadable); started a new one"]
    assert "the first question" not in sent(server.requests[-1])
    await second.close()


def _broken_resume(*_args: Any, **_kw: Any) -> Any:
    from agent.core.api import SetupError

    raise SetupError("unreadable")
