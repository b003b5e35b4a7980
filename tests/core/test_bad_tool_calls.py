"""Tool calls the turn loop must not run blindly or lose: missing and duplicate call ids,
calls recorded before their tool runs, and calls left behind by a failed request.

Driven through the ModelClient seam (scripted client) with a spy rollout sink."""

from __future__ import annotations

import asyncio
import json

from agent.client.errors import StreamError, UnexpectedStatus
from agent.client.scripted import Pause, text_reply
from agent.client.stream import Completed, OutputItemDone
from agent.core.history import normalize
from agent.core.turn import MAX_REFUSED_RESPONSES
from agent.protocol import ops
from agent.protocol.events import TokenUsage
from agent.protocol.items import FunctionCall, FunctionCallOutput, LocalShellCall, LocalShellExecAction
from agent.tools import ToolRegistry, ToolResult
from agent.tools.base import function_spec

from .conftest import collect_until, make_session, wait_for


class SpySink:
    """A rollout sink that keeps every item written, in order."""

    path = None

    def __init__(self) -> None:
        self.written: list = []

    def items(self, items) -> None:
        self.written.extend(items)

    def event(self, msg) -> None:
        return None

    def turn_context(self, context) -> None:
        return None

    def compacted(self, message, replacement_history=None) -> None:
        return None

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    def call_ids(self, kind: type) -> list[str]:
        return [i.call_id for i in self.written if isinstance(i, kind)]


class EchoTool:
    """Records each run; optionally sleeps; notes what the rollout held when it started."""

    name = "echo"
    supports_parallel = False

    def __init__(self, sink: SpySink | None = None, seconds: float = 0.0):
        self.runs: list[str] = []
        self.sink = sink
        self.seconds = seconds
        self.recorded_at_start: list[list[str]] = []
        self.cancelled: list[str] = []

    def spec(self):
        return function_spec(self.name, "echo", {"text": {"type": "string"}}, [])

    async def handle(self, call, ctx):
        if self.sink is not None:
            self.recorded_at_start.append(self.sink.call_ids(FunctionCall))
        self.runs.append(call.json_arguments().get("text", ""))
        try:
            await asyncio.sleep(self.seconds)
        except asyncio.CancelledError:
            self.cancelled.append(call.call_id)
            raise
        return ToolResult(f"echoed {call.call_id}")


def calls(*entries: tuple[str, str]) -> list:
    """One response holding `echo` calls: (call_id, text) each."""
    items = [OutputItemDone(FunctionCall(name="echo", arguments=json.dumps({"text": text}), call_id=cid)) for cid, text in entries]
    return [*items, Completed("r", TokenUsage(total_tokens=5))]


def assert_valid_for_api(items) -> None:
    """Each call exactly once, with exactly one output, and no output without its call."""
    call_ids = [i.call_id for i in items if isinstance(i, (FunctionCall, LocalShellCall))]
    outputs = [i.call_id for i in items if isinstance(i, FunctionCallOutput)]
    assert len(call_ids) == len(set(call_ids)), call_ids
    assert sorted(call_ids) == sorted(outputs), (call_ids, outputs)


async def run_turn(session, text: str = "go"):
    stream = session.events()
    session.submit(ops.text_turn(text))
    return await collect_until(stream, {"task_complete", "turn_aborted"})


async def test_duplicate_call_ids_run_once_and_the_model_is_told(config, client):
    """Invariant: two calls sharing a call_id in one response: only the first runs; the
    second gets a fresh local id and an error output naming the duplicate, so the next
    request has exactly one output per call; the user gets a warning."""
    tool = EchoTool()
    client.add(calls(("c1", "first"), ("c1", "second")), text_reply("ok"))
    session = make_session(config, client, ToolRegistry([tool]))
    events = await run_turn(session)
    assert tool.runs == ["first"]
    sent = client.prompts[1].input
    assert_valid_for_api(sent)
    outputs = {i.call_id: i.output for i in sent if isinstance(i, FunctionCallOutput)}
    assert outputs["c1"] == "echoed c1"
    (other,) = [cid for cid in outputs if cid != "c1"]
    assert other.startswith("c1_local_") and "call_id `c1` was already used" in outputs[other]
    warnings = [e.msg.message for e in events if e.msg.type == "warning"]
    assert len(warnings) == 1 and "`c1`" in warnings[0]
    assert events[-1].msg.last_agent_message == "ok"


async def test_control_distinct_call_ids_all_run(config, client):
    """Control: normal call ids are untouched and every call runs."""
    tool = EchoTool()
    client.add(calls(("c1", "a"), ("c2", "b")), text_reply("ok"))
    session = make_session(config, client, ToolRegistry([tool]))
    events = await run_turn(session)
    assert tool.runs == ["a", "b"]
    outputs = [(i.call_id, i.output) for i in client.prompts[1].input if isinstance(i, FunctionCallOutput)]
    assert outputs == [("c1", "echoed c1"), ("c2", "echoed c2")]
    assert not [e for e in events if e.msg.type in ("warning", "error")]


async def test_a_call_without_call_id_is_not_run_and_the_model_is_told(config, client):
    """Invariant: a call without a call_id (function or local shell) is never run; it is
    kept in history under a local id with an error output, and the turn goes on."""
    tool = EchoTool()
    shell = LocalShellCall(status="completed", action=LocalShellExecAction(command=["touch", "pwned"]))
    client.add([OutputItemDone(FunctionCall(name="echo", arguments="{}", call_id="")), OutputItemDone(shell),
                Completed("r", TokenUsage(total_tokens=5))], text_reply("ok"))
    session = make_session(config, client, ToolRegistry([tool]))
    events = await run_turn(session)
    assert tool.runs == []
    assert not (config.cwd / "pwned").exists()
    sent = client.prompts[1].input
    assert_valid_for_api(sent)
    refused = [i for i in sent if isinstance(i, FunctionCallOutput)]
    assert len(refused) == 2 and all("arrived without a call_id" in o.output for o in refused)
    assert all(o.call_id.startswith("missing_call_id_local_") for o in refused)
    assert len([e for e in events if e.msg.type == "warning"]) == 2
    assert events[-1].msg.last_agent_message == "ok"


async def test_responses_made_only_of_refused_calls_stop_the_turn(config, client):
    """Invariant: a provider that keeps sending calls without ids can't loop forever."""
    bad = [OutputItemDone(FunctionCall(name="echo", arguments="{}", call_id="")), Completed("r", TokenUsage(total_tokens=5))]
    client.add(*[list(bad) for _ in range(MAX_REFUSED_RESPONSES)], text_reply("never reached"))
    session = make_session(config, client, ToolRegistry([EchoTool()]))
    events = await run_turn(session)
    errors = [e.msg.message for e in events if e.msg.type == "error"]
    assert len(errors) == 1 and "could not be run (missing or duplicate call_id)" in errors[0]
    assert len(client.prompts) == MAX_REFUSED_RESPONSES
    assert_valid_for_api(session.history.items)


async def test_each_call_is_in_the_rollout_before_its_tool_runs(config, client):
    """Invariant: a completed call is written to the session file before its tool starts
    (a kill -9 mid-tool must not lose it); its output follows when it finishes."""
    sink = SpySink()
    tool = EchoTool(sink)
    client.add(calls(("c1", "a"), ("c2", "b")), text_reply("ok"))
    session = make_session(config, client, ToolRegistry([tool]), rollout=sink)
    await run_turn(session)
    assert "c1" in tool.recorded_at_start[0] and "c2" in tool.recorded_at_start[1]
    assert sink.call_ids(FunctionCallOutput) == ["c1", "c2"]
    assert_valid_for_api(sink.written)


async def test_a_failed_request_answers_the_calls_it_started(config, client):
    """Invariant: when a request fails after a call was recorded (stream cut, retried),
    the call is cancelled and answered, so the retry's history is valid; a call that had
    already finished keeps its real output."""
    sink = SpySink()
    tool = EchoTool(sink, seconds=30)
    quick = EchoTool()
    quick.name = "quick"
    cut = [OutputItemDone(FunctionCall(name="quick", arguments="{}", call_id="q1")),
           OutputItemDone(FunctionCall(name="echo", arguments="{}", call_id="s1")), Pause(0.2)]
    client.add(cut, text_reply("ok"))  # no Completed: "stream closed before response.completed"
    session = make_session(config, client, ToolRegistry([tool, quick]), rollout=sink)
    events = await run_turn(session)
    assert events[-1].msg.type == "task_complete" and events[-1].msg.last_agent_message == "ok"
    second = client.prompts[1].input
    assert_valid_for_api(second)
    outputs = {i.call_id: i.output for i in second if isinstance(i, FunctionCallOutput)}
    assert outputs["q1"] == "echoed q1"
    assert outputs["s1"].startswith("aborted: the turn failed before this call finished")
    assert tool.cancelled == ["s1"]
    assert_valid_for_api(sink.written)


async def test_a_fatal_model_error_leaves_no_call_running(config, client):
    """Invariant: a fatal error after a call started cancels it (no tool keeps running
    after the turn ended) and the history stays valid."""
    tool = EchoTool(seconds=30)

    async def stream_then_fatal(prompt, _orig=client.stream):
        async for event in _orig(prompt):
            yield event
        raise UnexpectedStatus(400, "bad")

    client.add([OutputItemDone(FunctionCall(name="echo", arguments="{}", call_id="s1")), Pause(0.1)])
    client.stream = stream_then_fatal  # type: ignore[method-assign]
    session = make_session(config, client, ToolRegistry([tool]))
    events = await run_turn(session)
    assert [e.msg.message for e in events if e.msg.type == "error"] == ["unexpected status 400: bad"]
    await wait_for(lambda: tool.cancelled == ["s1"])
    assert_valid_for_api(session.history.items)
    assert normalize(session.history.items) == session.history.items
