"""The notebook controller in-process, over real sessions against the scripted server and
a kernel-shaped shell: every way of replacing the session (`%agent new`, `resume`, `fork`,
the panel's commands) detaches the old one the same way, and the notebook_edit tool gets
its front end at construction."""

from __future__ import annotations

import asyncio
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
    """A TurnView that keeps what it was shown."""

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

    def view_added(self, view: TurnView, joined: str | None) -> None:
        self.seen.append(("view_added", view, joined))

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
