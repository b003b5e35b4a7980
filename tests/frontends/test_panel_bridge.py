"""The side panel's bridge without a kernel: it shows the turns' own transcripts (one
reduction per event), reduces nothing while no panel is attached, and patches each panel."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from agent.frontends.notebook import panel_bridge
from agent.frontends.notebook.panel_bridge import PanelBridge, PanelTurnView
from agent.frontends.notebook.widget import AgentView
from agent.frontends.transcript import reducer
from agent.protocol import events as ev

from .events import configured, event
from .patch_applier import Applier


class Comm:
    def __init__(self, comm_id: str):
        self.comm_id = comm_id
        self.sent: list[dict] = []

    def send(self, data: dict) -> None:
        self.sent.append(data)

    def patches(self) -> list[dict]:
        return [m for m in self.sent if m["type"] == "transcript"]


class CommManager:
    def __init__(self) -> None:
        self.targets: dict[str, object] = {}

    def register_target(self, name: str, fn: object) -> None:
        self.targets[name] = fn

    def unregister_target(self, name: str, fn: object) -> None:
        self.targets.pop(name)


def fake_session(history: list[ev.EventMsg]) -> SimpleNamespace:
    msg = configured()
    msg.initial_messages = history
    return SimpleNamespace(configured=event(msg, "0"), running=True, tools={})


def fake_agent(session: SimpleNamespace) -> SimpleNamespace:
    """The NotebookAgent's side the bridge uses; `decide` submits (here: records), then
    tells the listeners, as the real one does."""
    config = SimpleNamespace(model="gpt-5-codex", model_provider_id="openai", approval_policy="on-request",
                             sandbox_mode="workspace-write", cwd="/work/repo")
    agent = SimpleNamespace(session=session, listeners=[], views={}, last_view=None, config=lambda: config, decided=[],
                            this_turn=lambda: {}, queue=[])

    def decide(call_id: str, decision: str) -> None:
        agent.decided.append((call_id, decision))
        for listener in agent.listeners:
            listener.decision_made(call_id, decision)

    agent.decide = decide
    return agent


@pytest.fixture(autouse=True)
def _no_timed_flushes(monkeypatch):
    monkeypatch.setattr(panel_bridge, "FLUSH_INTERVAL_S", 60.0)  # only explicit and urgent flushes


@pytest.fixture
def applies(monkeypatch) -> list[str]:
    """Every `Transcript.apply`, by event type."""
    seen: list[str] = []
    original = reducer.Transcript.apply

    def counting(self, e):
        seen.append(e.msg.type)
        original(self, e)

    monkeypatch.setattr(reducer.Transcript, "apply", counting)
    return seen


def turn_view(bridge: PanelBridge, agent: SimpleNamespace, sub_id: str) -> AgentView:
    view = AgentView()
    view.send = lambda content, buffers=None: None  # type: ignore[method-assign]
    view.feed(agent.session.configured)
    agent.views[sub_id] = agent.last_view = view
    bridge.view_added(view)
    return view


async def test_without_a_panel_nothing_is_reduced_twice_and_the_history_waits(applies):
    session = fake_session([ev.UserMessage(message="earlier question"), ev.AgentMessage(message="earlier answer")])
    agent = fake_agent(session)
    bridge = PanelBridge(agent, CommManager())
    bridge.register()
    view = turn_view(bridge, agent, "1")
    deltas = [ev.AgentMessageDelta(delta=c) for c in "streamed answer"]
    for msg in [ev.TaskStarted(), ev.UserMessage(message="now"), *deltas, ev.TaskComplete()]:
        view.feed(event(msg, "1"))
    assert len(applies) == 1 + 3 + len(deltas)  # each event once (by the widget), no replay
    assert bridge.transcript is not None and bridge.transcript.turns == [view.transcript]

    comm = Comm("panel-1")
    bridge._add_event_comm(comm)  # a panel attaches: the history is replayed now, once
    assert applies[1 + 3 + len(deltas):] == ["session_configured", "user_message", "agent_message"]
    [status, reset] = comm.sent
    assert status["type"] == "status" and reset["reset"] is True
    front = Applier()
    front.apply(reset)
    texts = [(b["kind"], b.get("text")) for b in front.state()["blocks"]]
    assert texts == [("user", "earlier question"), ("agent", "earlier answer"), ("user", "now"),
                     ("agent", "streamed answer")]
    assert len({b["id"] for b in front.state()["blocks"]}) == 4  # ids unique across turns
    bridge.unregister()


async def test_an_attached_panel_gets_appends_and_decisions_from_the_cell_widget(applies):
    session = fake_session([])
    agent = fake_agent(session)
    bridge = PanelBridge(agent, CommManager())
    bridge.register()
    comm = Comm("panel-1")
    bridge._add_event_comm(comm)
    view = turn_view(bridge, agent, "1")
    view.feed(event(ev.AgentMessageDelta(delta="Hel"), "1"))
    bridge.flush()
    view.feed(event(ev.AgentMessageDelta(delta="lo"), "1"))
    bridge.flush()
    assert comm.patches()[-1].get("appends") == [{"id": "1.b0", "rev": 2, "text": "lo", "streaming": True}]
    view.feed(event(ev.ExecApprovalRequest(call_id="c1", turn_id="1", command=["ls"], cwd="/"), "1"))
    assert comm.patches()[-1]["status"]["state"] == "waiting_for_approval"  # approvals go out at once
    bridge.handle_command({"type": "decision", "call_id": "c1", "decision": "approved"})
    assert agent.decided == [("c1", "approved")]
    bridge.handle_command({"type": "decision", "call_id": "c1", "decision": "approved"})  # no longer pending
    assert agent.decided == [("c1", "approved")]
    front = Applier()
    for patch in comm.patches():
        front.apply(patch)
    assert front.state()["blocks"][-1]["decision"] == "approved"
    assert [b["text"] for b in front.state()["blocks"] if b["kind"] == "agent"] == ["Hello"]
    assert applies.count("agent_message_delta") == 2
    bridge.unregister()


async def test_a_panel_turn_is_reduced_once_and_is_the_panels_segment(applies):
    agent = fake_agent(fake_session([]))
    bridge = PanelBridge(agent, CommManager())
    bridge.register()
    own = PanelTurnView()
    bridge.view_added(own)
    own.feed(event(ev.AgentMessageDelta(delta="x"), "1"))
    assert applies == ["agent_message_delta"]
    assert bridge.transcript is not None and bridge.transcript.turns == [own.transcript]
    bridge.unregister()


def test_the_approval_menu_offers_what_the_requirements_allow_and_always_the_policy_in_force():
    requirements = SimpleNamespace(allowed_approval_policies=("untrusted", "on-request"))
    held = SimpleNamespace(requirements=requirements, managed={}, approval_policy="on-request")
    assert panel_bridge._offered_policies(held, "on-request") == ["untrusted", "on-request"]
    free = SimpleNamespace(requirements=None, managed={}, approval_policy="on-request")  # control: nothing required
    assert panel_bridge._offered_policies(free, "on-request") == ["untrusted", "on-failure", "on-request", "never"]
    managed = SimpleNamespace(requirements=None, managed={"approval_policy": "/etc/kernel-agent/managed_config.toml"},
                              approval_policy="untrusted")
    assert panel_bridge._offered_policies(managed, "untrusted") == ["untrusted"]
    assert panel_bridge._offered_policies(held, "never") == ["untrusted", "on-request", "never"]  # the truth, shown
