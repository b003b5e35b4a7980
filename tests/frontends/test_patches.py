"""Transcript patches: a reference applier rebuilds the exact state from any patch stream;
the cell widget streams text as appends (bytes linear in the text) and answers `sync`."""

from __future__ import annotations

import json
import random

import pytest
from agent.frontends.notebook.widget import AgentView
from agent.frontends.transcript.patches import PatchCursor
from agent.frontends.transcript.reducer import Transcript
from agent.frontends.transcript.session_view import SessionTranscript
from agent.protocol import events as ev
from agent.protocol.panel import transcript_state_adapter

from .events import UPDATE, begin, chunk, configured, end, event, tokens
from .patch_applier import Applier


def still() -> Transcript:
    """A transcript whose clock never moves, so two snapshots compare equal."""
    return Transcript(clock=lambda: 1000.0)


def recorded_turn(call: str = "c1") -> list[ev.EventMsg | str]:
    """A turn with every kind of change; strings are view actions (decision, stop, note)."""
    argv = ["pytest", "-q"]
    return [
        configured(), ev.TaskStarted(model_context_window=200_000), ev.UserMessage(message="fix the tests"),
        ev.AgentReasoningSectionBreak(), *[ev.AgentReasoningDelta(delta=w) for w in ["**Look** ", "at ", "it"]],
        ev.AgentReasoningSectionBreak(summary_index=1), ev.AgentReasoningDelta(delta="**Then**"),
        ev.AgentReasoning(text="**Look** at it"), *[ev.AgentMessageDelta(delta=c) for c in "Running the tests."],
        ev.AgentMessage(message="Running the tests."), begin(call, argv),
        ev.ExecApprovalRequest(call_id=call, turn_id="1", command=argv, cwd="/work/repo", reason="runs code"),
        f"decision:{call}:approved", *[chunk(call, f"line {i}\r\n".encode()) for i in range(6)],
        chunk(call, b"\x1b[31mFAILED\x1b[0m\n"), end(call, argv, 1, 1.5), tokens(1200, 800),
        ev.PatchApplyBegin(call_id="p1", turn_id="1", auto_approved=True, changes={"src/f.py": UPDATE}),
        ev.PatchApplyEnd(call_id="p1", turn_id="1", stdout="ok", stderr="", success=True),
        ev.TurnDiff(unified_diff="--- a/src/f.py\n+++ b/src/f.py\n"),
        ev.PlanUpdate(plan=[ev.PlanItem(step="fix", status="in_progress")]),
        ev.PlanUpdate(plan=[ev.PlanItem(step="fix", status="completed")]),
        *[ev.AgentMessageDelta(delta=c) for c in "Retrying"], ev.StreamError(message="Reconnecting... 1/5", retry_in_ms=200),
        *[ev.AgentMessageDelta(delta=w) for w in ["Fixed ", "the ", "return ", "value."]],
        ev.ToolCallBegin(call_id="t1", name="view_image", arguments="{}"),
        ev.ApplyPatchApprovalRequest(call_id="p2", turn_id="1", changes={"a.txt": ev.FileAdd(content="x\n")}),
        ev.Warning(message="careful"), ev.TurnDiff(unified_diff=""), "note:watch out", "stop",
        ev.Error(message="boom", http_status_code=500), ev.TurnAborted(reason="interrupted"),
        ev.TaskStarted(), *[ev.AgentMessageDelta(delta=c) for c in "again"], "close",
    ]


def step(transcript: Transcript, item: ev.EventMsg | str) -> None:
    if not isinstance(item, str):
        transcript.apply(event(item))
    elif item.startswith("decision:"):
        _, call_id, decision = item.split(":")
        assert transcript.record_decision(call_id, decision)
    elif item.startswith("note:"):
        transcript.note("warning", item[len("note:"):])
    elif item == "stop":
        assert transcript.request_stop()
    else:
        transcript.close()


@pytest.mark.parametrize("seed", range(12))
def test_applying_the_patches_rebuilds_the_state_exactly_at_every_step(seed):
    rng = random.Random(seed)
    transcript, cursor, front = still(), PatchCursor(), Applier()
    for item in recorded_turn():
        step(transcript, item)
        if rng.random() < 0.1:
            cursor.reset()  # a view asked for a sync
        if rng.random() < 0.4:
            patch = cursor.patch(transcript)
            if patch is not None:
                front.apply(json.loads(json.dumps(patch)))  # what crosses the wire
                assert front.state() == transcript.state()
    patch = cursor.patch(transcript)
    if patch is not None:
        front.apply(patch)
    assert front.state() == transcript.state()
    transcript_state_adapter.validate_python(front.state())


def test_streamed_text_goes_out_as_appends_and_other_changes_as_blocks():
    transcript, cursor = still(), PatchCursor()
    step(transcript, ev.AgentMessageDelta(delta="Hel"))
    first = cursor.patch(transcript)
    assert first is not None and first["reset"] and first["blocks"][0]["text"] == "Hel"
    step(transcript, ev.AgentMessageDelta(delta="lo"))
    step(transcript, ev.AgentMessageDelta(delta=" there"))
    second = cursor.patch(transcript)
    assert second is not None and not second.get("reset") and "blocks" not in second
    assert second["appends"] == [{"id": "b0", "rev": 3, "text": "lo there", "streaming": True}]
    assert "status" not in second and "order" not in second and "session_id" not in second  # unchanged
    assert cursor.patch(transcript) is None  # nothing changed
    step(transcript, ev.AgentMessage(message="Hello there!"))  # the final text extends the streamed one
    third = cursor.patch(transcript)
    assert third is not None and "blocks" not in third
    assert third["appends"] == [{"id": "b0", "rev": 4, "text": "!", "streaming": False}]
    step(transcript, ev.AgentMessageDelta(delta="Hm"))
    step(transcript, ev.AgentMessage(message="Something else"))  # a different final text replaces the block
    fourth = cursor.patch(transcript)
    assert fourth is not None and "appends" not in fourth and fourth["blocks"][0]["text"] == "Something else"
    assert fourth["blocks"][0]["streaming"] is False


def test_turn_diff_is_sent_when_it_changes_only():
    transcript, cursor = still(), PatchCursor()
    assert cursor.patch(transcript).get("turn_diff") is None  # type: ignore[index]
    step(transcript, ev.TurnDiff(unified_diff="diff 1"))
    assert cursor.patch(transcript)["turn_diff"] == "diff 1"  # type: ignore[index]
    step(transcript, ev.Warning(message="w"))
    assert cursor.patch(transcript).get("turn_diff") is None  # type: ignore[index]
    step(transcript, ev.TurnDiff(unified_diff=""))
    assert cursor.patch(transcript)["turn_diff"] == ""  # type: ignore[index]  # gone


# --- the cell widget -----------------------------------------------------------------------


def widget() -> tuple[AgentView, list[dict], Applier]:
    view = AgentView(transcript=still())
    sent: list[dict] = []
    front = Applier()

    def send(content, buffers=None):
        sent.append(content)
        front.apply(content)

    view.send = send  # type: ignore[method-assign]
    return view, sent, front


def frontend_message(view: AgentView, content: dict) -> None:
    view._handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})


def stream_answer(chars: int, flush_every: int = 50) -> tuple[list[dict], AgentView]:
    """A streamed answer of `chars` one-character deltas, a patch every `flush_every`."""
    view, sent, front = widget()
    view.feed(event(ev.UserMessage(message="write a long answer")))
    for i in range(chars):
        view.feed(event(ev.AgentMessageDelta(delta="x")))
        if i % flush_every == flush_every - 1:
            view.flush()
    view.feed(event(ev.TaskComplete()))
    assert front.state() == view.transcript.state()
    return sent, view


def wire_bytes(patches: list[dict]) -> int:
    return sum(len(json.dumps(p).encode()) for p in patches)


def test_the_widget_streams_appends_and_its_bytes_grow_linearly():
    short, _ = stream_answer(2_000)
    long, view = stream_answer(4_000)
    agent_id = view.transcript.state()["blocks"][1]["id"]
    streaming = long[1:-1]  # after the first patch, before the final one
    assert streaming and all(agent_id not in {b["id"] for b in p.get("blocks", [])} for p in streaming)
    assert sum(len(a["text"]) for p in long for a in p.get("appends", [])) >= 4_000 - 50
    assert wire_bytes(long) / wire_bytes(short) < 2.05  # linear (a resend of the text would be ~4x)
    assert wire_bytes(long) - wire_bytes(short) < 2_000 + (2_000 / 50) * 250  # the text + a small envelope per patch


def test_the_status_is_sent_when_it_changes_other_than_by_the_clock():
    ticks = iter(range(1000, 2000))
    transcript, cursor = Transcript(clock=lambda: float(next(ticks))), PatchCursor()
    assert cursor.patch(transcript)["status"] is not None  # type: ignore[index]  # a reset has it
    step(transcript, ev.AgentMessageDelta(delta="a"))
    assert cursor.patch(transcript).get("status") is None  # type: ignore[index]  # only `now` moved
    step(transcript, tokens(1200, 800))
    status = cursor.patch(transcript)["status"]  # type: ignore[index]
    assert status is not None and status["tokens_used"] == 1200
    step(transcript, ev.TaskComplete())
    assert cursor.patch(transcript)["status"]["state"] == "done"  # type: ignore[index]


def test_the_state_trait_is_not_synced_while_streaming_and_is_emptied_at_the_end():
    """The patches carry the turn; at its end the trait is emptied before the widget closes,
    so a client that stores widget state (nbclient) keeps no second copy of the transcript."""
    view, sent, front = widget()
    initial = dict(view.state)
    for c in "streaming":
        view.feed(event(ev.AgentMessageDelta(delta=c)))
        view.flush()
    assert view.state == initial and len(sent) == len("streaming")
    view.feed(event(ev.TaskComplete()))
    view.close_turn()
    assert view.state == {} and front.state() == view.transcript.state()
    assert front.state()["blocks"][0]["text"] == "streaming"


def test_a_sync_request_is_answered_with_a_reset_equal_to_the_full_state():
    view, sent, _ = widget()
    for msg in [configured(), ev.UserMessage(message="hi"), begin("c1", ["ls"]), chunk("c1", b"a\n"),
                ev.AgentMessageDelta(delta="Hello")]:
        view.feed(event(msg))
    view.flush()
    frontend_message(view, {"type": "sync"})
    reset = sent[-1]
    assert reset["reset"] is True and len(sent) == 2
    fresh = Applier()
    fresh.apply(reset)
    assert fresh.state() == view.transcript.state()
    assert reset["session_id"] == "sess-1"


# --- the side panel's session view ---------------------------------------------------------


def expected_session_state(history: Transcript, turns: list[Transcript]) -> list[dict]:
    blocks = []
    for index, segment in enumerate([history, *turns]):
        for block in segment.state()["blocks"]:
            if index == 0 or block["id"] not in segment.header_ids:
                blocks.append({**block, "id": f"{index}.{block['id']}"})
    return blocks


@pytest.mark.parametrize("seed", range(4))
def test_the_session_view_concatenates_the_turns_without_reducing_again(seed):
    rng = random.Random(seed)
    history = still()
    history.apply(event(ev.SessionConfigured(**{**configured().model_dump(), "sandbox_warning": "no sandbox"})))
    history.apply(event(ev.UserMessage(message="earlier")))
    built: list[Transcript] = []
    view = SessionTranscript(lambda: built.append(history) or history)
    turns = [still(), still()]
    cursor, front = PatchCursor(), Applier()
    for n, turn in enumerate(turns):
        view.add(turn)
        view.add(turn)  # a second add changes nothing
        for item in recorded_turn(call=f"c{n}"):
            if isinstance(item, ev.SessionConfigured):
                item = ev.SessionConfigured(**{**item.model_dump(), "sandbox_warning": "no sandbox"})
            step(turn, item)
            if rng.random() < 0.3:
                patch = cursor.patch(view)
                if patch is not None:
                    front.apply(patch)
                    assert front.state()["blocks"] == expected_session_state(history, turns[: n + 1])
    front.apply(cursor.patch(view) or {"type": "transcript", "reset": False, "blocks": [], "order": front.order,
                                       "turn_diff": None, "status": front.status, "seq": front.seq})
    assert front.state()["blocks"] == expected_session_state(history, turns)
    assert built == [history]  # the history was reduced once, when first read
    assert sum(b["kind"] == "notice" and b["message"] == "no sandbox" for b in front.state()["blocks"]) == 1
    assert front.status == turns[-1].state()["status"]


def test_the_session_view_reads_no_history_until_asked():
    calls: list[int] = []
    view = SessionTranscript(lambda: calls.append(1) or still())
    turn = still()
    view.add(turn)
    step(turn, ev.AgentMessageDelta(delta="x"))
    assert calls == [] and view.turns == [turn]
    assert view.pending("nope") is False and view.request_stop() is True
    assert turn.state()["status"]["stopping"] is True
    PatchCursor().patch(view)
    assert calls == [1]


def test_exec_output_chunks_are_not_sent_as_appends():
    transcript, cursor = still(), PatchCursor()
    step(transcript, begin("c1", ["ls"]))
    cursor.patch(transcript)
    step(transcript, chunk("c1", b"one\n"))
    patch = cursor.patch(transcript)
    assert patch is not None and "appends" not in patch and patch["blocks"][0]["output"] == "one\n"
