"""The live widget, constructed outside a kernel: coalescing, patches, front-end messages, threads, mimebundle."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time

import pytest
from agent.frontends.notebook.widget import STATIC, AgentView
from agent.protocol import events as ev
from IPython.core.interactiveshell import InteractiveShell

from .events import begin, configured, event
from .patch_applier import Applier

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


class Recorder:
    """Records what the widget sends (patches, `state` syncs) and callback invocations;
    `front` applies the patches as the front end does."""

    def __init__(self, view: AgentView):
        self.patches: list[dict] = []
        self.state_syncs = 0
        self.decisions: list[tuple[str, str, int]] = []
        self.stops = 0
        self.front = Applier()
        view.observe(self._on_state, "state")
        view.send = self._on_send  # type: ignore[method-assign]

    def _on_send(self, content, buffers=None) -> None:
        assert content["type"] == "transcript"
        self.patches.append(content)
        self.front.apply(content)

    def _on_state(self, _change) -> None:
        self.state_syncs += 1

    @property
    def syncs(self) -> int:
        return len(self.patches)

    def on_decision(self, call_id: str, decision: str) -> None:
        self.decisions.append((call_id, decision, threading.get_ident()))

    def on_stop(self) -> None:
        self.stops += 1


def make_view(**kwargs) -> tuple[AgentView, Recorder]:
    holder: dict[str, Recorder] = {}
    view = AgentView(on_decision=lambda c, d: holder["r"].on_decision(c, d), on_stop=lambda: holder["r"].on_stop(), **kwargs)
    holder["r"] = Recorder(view)
    return view, holder["r"]


def frontend_message(view: AgentView, content: dict) -> None:
    """What ipywidgets does with a comm_msg that anywidget's `model.send(content)` produced."""
    view._handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})


def approval(call_id: str = "c1") -> list[ev.EventMsg]:
    return [begin(call_id, ["make", "install"]),
            ev.ExecApprovalRequest(call_id=call_id, turn_id="1", command=["make", "install"], cwd="/work/repo", reason="writes /usr")]


async def test_a_burst_of_5000_deltas_sends_at_most_about_30_patches_per_second():
    view, rec = make_view()
    started = time.monotonic()
    for i in range(5000):
        view.feed(event(ev.AgentMessageDelta(delta="x")))
        if i % 100 == 99:
            await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)
    elapsed = time.monotonic() - started
    assert 1 <= rec.syncs <= 30 * elapsed + 2, (rec.syncs, elapsed)
    assert rec.front.state()["blocks"][0]["text"] == "x" * 5000
    assert rec.state_syncs == 0  # the full state is not re-sent while streaming


async def test_a_single_synchronous_burst_is_one_sync():
    view, rec = make_view()
    for _ in range(5000):
        view.feed(event(ev.AgentMessageDelta(delta="y")))
    assert rec.syncs == 0
    await asyncio.sleep(0.06)
    assert rec.syncs == 1 and len(rec.front.state()["blocks"][0]["text"]) == 5000


async def test_approval_requests_and_terminal_events_sync_at_once():
    view, rec = make_view()
    for msg in approval():
        view.feed(event(msg))
    assert rec.syncs == 1 and rec.front.state()["blocks"][-1]["kind"] == "approval"
    view.feed(event(ev.TaskComplete()))
    assert rec.syncs == 2 and rec.front.state()["status"]["state"] == "done"


async def test_a_decision_message_reaches_on_decision_once_and_disables_the_request():
    view, rec = make_view()
    for msg in approval():
        view.feed(event(msg))
    assert view.transcript.pending("c1")
    frontend_message(view, {"kind": "decision", "call_id": "c1", "decision": "approved"})
    frontend_message(view, {"kind": "decision", "call_id": "c1", "decision": "denied"})
    frontend_message(view, {"kind": "decision", "call_id": "nope", "decision": "approved"})
    frontend_message(view, {"kind": "decision", "call_id": "c1"})
    frontend_message(view, {"kind": "something else"})
    assert [(c, d) for c, d, _ in rec.decisions] == [("c1", "approved")]
    block = rec.front.state()["blocks"][-1]
    assert block["status"] == "decided" and block["decision"] == "approved"  # the JS disables non-pending buttons
    assert rec.front.state()["status"]["state"] == "running"


async def test_a_decision_from_another_thread_is_marshalled_to_the_loop():
    view, rec = make_view()
    for msg in approval():
        view.feed(event(msg))
    loop_thread = threading.get_ident()
    worker = threading.Thread(target=frontend_message, args=(view, {"kind": "decision", "call_id": "c1", "decision": "abort"}),
                              name="subshell-test")
    worker.start()
    worker.join()
    assert rec.decisions == []  # not handled on the subshell thread
    for _ in range(50):
        await asyncio.sleep(0.01)
        if rec.decisions:
            break
    assert rec.decisions == [("c1", "abort", loop_thread)]
    assert rec.front.state()["blocks"][0]["status"] == "aborted"


async def test_events_fed_from_another_thread_are_reduced_on_the_loop():
    view, rec = make_view()
    threading.Thread(target=view.feed, args=(event(ev.TaskComplete()),)).start()
    for _ in range(50):
        await asyncio.sleep(0.01)
        if rec.patches:
            break
    assert rec.front.state()["status"]["state"] == "done"


async def test_stop_calls_on_stop_once_per_turn():
    view, rec = make_view()
    frontend_message(view, {"kind": "stop"})
    frontend_message(view, {"kind": "stop"})
    assert rec.stops == 1 and rec.front.state()["status"]["stopping"] is True
    view.feed(event(ev.TurnAborted(reason="interrupted")))
    frontend_message(view, {"kind": "stop"})
    assert rec.stops == 1 and rec.front.state()["status"]["state"] == "aborted"


async def test_a_failing_callback_is_reported_in_the_transcript():
    def broken(call_id: str, decision: str) -> None:
        raise RuntimeError("session closed")

    view = AgentView(on_decision=broken)
    rec = Recorder(view)
    for msg in approval():
        view.feed(event(msg))
    frontend_message(view, {"kind": "decision", "call_id": "c1", "decision": "denied"})
    last = rec.front.state()["blocks"][-1]
    assert last["kind"] == "error" and "session closed" in last["message"]


async def test_record_decision_from_elsewhere_does_not_call_back():
    view, rec = make_view()
    for msg in approval():
        view.feed(event(msg))
    view.record_decision("c1", "approved_for_session")
    assert rec.decisions == [] and rec.front.state()["blocks"][-1]["decision"] == "approved_for_session"


async def test_the_mimebundle_has_the_widget_and_text_fallbacks():
    view, _ = make_view()
    for msg in [configured(), ev.UserMessage(message="hello"), ev.AgentMessage(message="**hi**")]:
        view.feed(event(msg))
    data, metadata = view._repr_mimebundle_()
    assert set(data) == {WIDGET_MIME, "text/markdown", "text/plain"}
    assert data[WIDGET_MIME]["model_id"] == view.model_id
    assert data["text/markdown"] == data["text/plain"] == view.to_markdown()
    assert "**You:** hello" in data["text/markdown"] and "**hi**" in data["text/markdown"]
    assert isinstance(metadata, dict)


def test_esm_and_css_come_from_the_static_files():
    view = AgentView()
    assert view._esm == (STATIC / "agent_view.js").read_text() and "export default" in view._esm
    assert ".jp-agent-view" in view._css


@pytest.fixture
def shell():
    """An in-process IPython shell whose display publisher records what would reach the notebook."""
    sh = InteractiveShell.instance()
    published: list[dict] = []
    original = sh.display_pub.publish
    sh.display_pub.publish = lambda data, metadata=None, **kw: published.append({"data": data, **kw})  # type: ignore[method-assign]
    yield published
    sh.display_pub.publish = original  # type: ignore[method-assign]
    InteractiveShell.clear_instance()


async def test_close_turn_replaces_the_widget_with_a_static_rendering_and_closes_it(shell):
    view, _ = make_view()
    view.show()
    for msg in [configured(), ev.TaskStarted(), ev.UserMessage(message="run it"), ev.AgentMessageDelta(delta="All **done**.")]:
        view.feed(event(msg))
    view.feed(event(ev.TaskComplete()))
    assert view.comm is not None
    view.close_turn()
    first, final = shell
    assert WIDGET_MIME in first["data"]
    display_id = first["transient"]["display_id"]
    assert final["transient"]["display_id"] == display_id and final["update"] is True
    assert set(final["data"]) == {"text/html", "text/markdown", "text/plain"}
    assert "All **done**." in final["data"]["text/markdown"] and "*Done · " in final["data"]["text/markdown"]
    assert "All <strong>done</strong>." in final["data"]["text/html"] and ">Done<" in final["data"]["text/html"]
    assert "All done." not in first["data"]["text/markdown"]
    assert view.comm is None  # closed: the saved notebook needs no widget state


async def test_close_turn_of_an_unfinished_turn_shows_it_aborted_and_a_closed_view_ignores_later_events(shell):
    view, _ = make_view()
    view.show()
    view.feed(event(ev.AgentMessage(message="Bye.")))
    view.close_turn()
    final = shell[-1]
    assert set(final["data"]) == {"text/html", "text/markdown", "text/plain"} and "Bye." in final["data"]["text/markdown"]
    assert "*Aborted (closed)" in final["data"]["text/markdown"]  # no task_complete arrived
    assert "Aborted (closed)" in final["data"]["text/html"]
    assert view.comm is None
    view.transcript.note("info", "after the end")  # the shared transcript may still change: no send on a closed comm
    view.close_turn()
    assert shell[-1]["data"]["text/html"].count("after the end") == 1 and len(shell) == 3


def test_without_a_running_loop_close_turn_still_publishes_everything():
    view, rec = make_view()
    for _ in range(10):
        view.feed(event(ev.AgentMessageDelta(delta="z")))
    view.close_turn()
    assert rec.front.state()["blocks"][0]["text"] == "z" * 10 and rec.syncs >= 1
    assert "z" * 10 in view.static_bundle()["text/plain"]


def test_the_transcript_module_stays_pure():
    code = (
        "import sys, agent.frontends.transcript.reducer, agent.frontends.transcript.markdown, agent.frontends.text.view;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'IPython', 'ipywidgets', 'anywidget', 'traitlets', 'ipykernel'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
