"""The session and turn loop, driven through the ModelClient seam with a scripted client."""

from __future__ import annotations

import asyncio
import json
import time

from agent.client.errors import ContextWindowExceeded, StreamError, UnexpectedStatus
from agent.client.scripted import Pause, reasoning_reply, text_reply, tool_reply
from agent.client.stream import OutputTextDelta
from agent.protocol import ops
from agent.protocol.items import FunctionCall, FunctionCallOutput, Message
from agent.tools import RespondToModel, ToolFatal, ToolRegistry, ToolResult
from agent.tools.base import function_spec

from .conftest import collect_until, make_session, types, wait_for


class SleepTool:
    """Sleeps for `seconds` (from the arguments); notes when it starts, ends or is cancelled."""

    def __init__(self, name: str = "sleep", parallel: bool = False):
        self.name = name
        self.supports_parallel = parallel
        self.log: list[tuple[str, str, float]] = []

    def spec(self):
        return function_spec(self.name, "sleep", {"seconds": {"type": "number"}, "tag": {"type": "string"}}, ["seconds"])

    async def handle(self, call, ctx):
        args = call.json_arguments()
        tag = args.get("tag", call.call_id)
        self.log.append(("start", tag, time.monotonic()))
        try:
            await asyncio.sleep(args["seconds"])
        except asyncio.CancelledError:
            self.log.append(("cancelled", tag, time.monotonic()))
            raise
        self.log.append(("end", tag, time.monotonic()))
        return ToolResult(f"slept {tag}")


class FailingTool:
    name = "fail"
    supports_parallel = False

    def __init__(self, fatal: bool):
        self.fatal = fatal

    def spec(self):
        return function_spec(self.name, "fails", {}, [])

    async def handle(self, call, ctx):
        if self.fatal:
            raise ToolFatal("the disk is on fire")
        raise RespondToModel("try another path")


class ApprovalTool:
    name = "guarded"
    supports_parallel = False

    def __init__(self):
        self.ran = 0

    def spec(self):
        return function_spec(self.name, "needs approval", {}, [])

    async def handle(self, call, ctx):
        from agent.protocol.events import ExecApprovalRequest

        request = ExecApprovalRequest(call_id=call.call_id, turn_id=ctx.turn_id, command=["rm", "x"], cwd=str(ctx.cwd))
        decision = await ctx.request_approval(request)
        if decision in ("approved", "approved_for_session"):
            self.ran += 1
            return ToolResult("done")
        return ToolResult("exec command rejected by user", success=False)


async def test_text_turn_event_sequence(config, client):
    client.add(text_reply("Hello there"))
    session = make_session(config, client)
    stream = session.events()
    session.submit(ops.text_turn("hi"))
    events = await collect_until(stream, {"task_complete"})
    kinds = types(events)
    assert kinds[0] == "session_configured"
    assert kinds[1:3] == ["task_started", "user_message"]
    assert "".join(e.msg.delta for e in events if e.msg.type == "agent_message_delta") == "Hello there"
    assert kinds[-3:] == ["agent_message", "token_count", "task_complete"]
    assert events[-1].msg.last_agent_message == "Hello there"
    assert events[-1].id == events[1].id  # every event of the turn carries its submission id
    prompt = client.prompts[0]
    assert [type(i).__name__ for i in prompt.input] == ["Message", "Message"]
    assert prompt.input[0].text().startswith("<environment_context>")  # the initial context
    assert prompt.input[-1].text() == "hi"
    names = [t["name"] for t in prompt.tools]
    assert names == ["shell", "update_plan", "apply_patch", "read_file", "list_dir", "grep_files", "view_image"]
    assert prompt.tools[2]["type"] == "custom"  # gpt-5.1-codex on the Responses API: freeform apply_patch
    assert "kernel-agent" in prompt.instructions


async def test_multi_turn_conversation_keeps_history(config, client):
    client.add(text_reply("first answer"), text_reply("second answer"))
    session = make_session(config, client)
    stream = session.events()
    session.submit(ops.text_turn("one"))
    await collect_until(stream, {"task_complete"})
    session.submit(ops.text_turn("two"))
    await collect_until(stream, {"task_complete"})
    texts = [(i.role, i.text()) for i in client.prompts[1].input[1:] if isinstance(i, Message)]
    assert texts == [("user", "one"), ("assistant", "first answer"), ("user", "two")]


async def test_tool_loop_records_call_and_output_then_finishes(config, client):
    plan = {"plan": [{"step": "look", "status": "in_progress"}, {"step": "fix", "status": "pending"}]}
    client.add(tool_reply(("update_plan", plan, "c1")), text_reply("done"))
    session = make_session(config, client)
    stream = session.events()
    session.submit(ops.text_turn("plan it"))
    events = await collect_until(stream, {"task_complete"})
    plan_events = [e.msg for e in events if e.msg.type == "plan_update"]
    assert [p.step for p in plan_events[0].plan] == ["look", "fix"]
    second = client.prompts[1].input
    assert isinstance(second[-2], FunctionCall) and second[-2].call_id == "c1"
    assert isinstance(second[-1], FunctionCallOutput) and second[-1].output == "Plan updated"
    assert events[-1].msg.last_agent_message == "done"


async def test_unknown_tool_and_bad_arguments_go_back_to_the_model(config, client):
    from agent.client.stream import Completed, OutputItemDone

    bad = OutputItemDone(FunctionCall(name="update_plan", arguments="{not json", call_id="c2"))
    client.add(tool_reply(("nope", {}, "c1")), [bad, Completed()], text_reply("ok"))
    session = make_session(config, client)
    stream = session.events()
    session.submit(ops.text_turn("go"))
    await collect_until(stream, {"task_complete"})
    assert client.prompts[1].input[-1].output == "unsupported call: nope"
    assert client.prompts[2].input[-1].output.startswith("failed to parse function arguments:")


async def test_respond_to_model_error_continues_and_fatal_error_ends_turn(config, client):
    client.add(tool_reply(("fail", {}, "c1")), text_reply("recovered"))
    session = make_session(config, client, ToolRegistry([FailingTool(fatal=False)]))
    stream = session.events()
    session.submit(ops.text_turn("go"))
    events = await collect_until(stream, {"task_complete"})
    assert client.prompts[1].input[-1].output == "try another path"
    assert events[-1].msg.last_agent_message == "recovered"

    client.add(tool_reply(("fail", {}, "c9")))
    session2 = make_session(config, client, ToolRegistry([FailingTool(fatal=True)]))
    stream2 = session2.events()
    session2.submit(ops.text_turn("go"))
    events2 = await collect_until(stream2, {"task_complete"})
    errors = [e.msg for e in events2 if e.msg.type == "error"]
    assert errors and errors[0].message == "the disk is on fire"


async def test_interrupt_during_tool_aborts_fast_and_next_turn_works(config, client):
    sleeper = SleepTool()
    client.add(tool_reply(("sleep", {"seconds": 30}, "c1")), text_reply("after"))
    session = make_session(config, client, ToolRegistry([sleeper]))
    stream = session.events()
    session.submit(ops.text_turn("wait"))
    await wait_for(lambda: sleeper.log)
    t0 = time.monotonic()
    session.submit(ops.Interrupt())
    events = await collect_until(stream, {"turn_aborted"})
    elapsed = time.monotonic() - t0
    assert elapsed < 0.2, elapsed
    assert events[-1].msg.reason == "interrupted"
    assert "task_complete" not in types(events)
    assert [entry[0] for entry in sleeper.log] == ["start", "cancelled"]
    outputs = [i for i in session.history.items if isinstance(i, FunctionCallOutput)]
    assert outputs[0].call_id == "c1" and outputs[0].output.startswith("aborted by user after ")

    session.submit(ops.text_turn("again"))
    events = await collect_until(stream, {"task_complete"})
    assert events[-1].msg.last_agent_message == "after"
    prompt = client.prompts[-1].input
    assert any(isinstance(i, FunctionCallOutput) and i.call_id == "c1" for i in prompt)


async def test_interrupt_while_streaming(config, client):
    client.add([OutputTextDelta("par"), Pause(30)])
    session = make_session(config, client)
    stream = session.events()
    session.submit(ops.text_turn("go"))
    await collect_until(stream, {"agent_message_delta"})
    t0 = time.monotonic()
    session.submit(ops.Interrupt())
    await collect_until(stream, {"turn_aborted"})
    assert time.monotonic() - t0 < 0.2
    assert not session.running


async def test_stream_errors_are_retried_with_reconnecting_events(config, client):
    client.add(StreamError("cut"), StreamError("cut again"), text_reply("finally"))
    session = make_session(config, client)
    stream = session.events()
    session.submit(ops.text_turn("go"))
    events = await collect_until(stream, {"task_complete"})
    retries = [e.msg.message for e in events if e.msg.type == "stream_error"]
    assert retries == ["Reconnecting... 1/5", "Reconnecting... 2/5"]
    assert events[-1].msg.last_agent_message == "finally"
    assert len(client.prompts) == 3


async def test_retry_limit_ends_turn_with_error(config, client):
    client.add(*[StreamError("down") for _ in range(6)])
    session = make_session(config, client)
    stream = session.events()
    session.submit(ops.text_turn("go"))
    events = await collect_until(stream, {"task_complete"})
    assert len([e for e in events if e.msg.type == "stream_error"]) == 5
    error = [e.msg for e in events if e.msg.type == "error"][0]
    assert error.message == "down" and error.codex_error_info == "response_stream_disconnected"


async def test_fatal_model_errors_are_not_retried(config, client):
    client.add(ContextWindowExceeded(), UnexpectedStatus(400, "bad field"))
    session = make_session(config, client)
    stream = session.events()
    session.submit(ops.text_turn("go"))
    events = await collect_until(stream, {"task_complete"})
    assert "stream_error" not in types(events)
    assert [e.msg.codex_error_info for e in events if e.msg.type == "error"] == ["context_window_exceeded"]
    session.submit(ops.text_turn("go"))
    events = await collect_until(stream, {"task_complete"})
    assert [e.msg.message for e in events if e.msg.type == "error"] == ["unexpected status 400: bad field"]


async def test_input_sent_during_a_task_joins_that_task(config, client):
    sleeper = SleepTool()
    client.add(tool_reply(("sleep", {"seconds": 0.2}, "c1")), text_reply("saw both"))
    session = make_session(config, client, ToolRegistry([sleeper]))
    stream = session.events()
    session.submit(ops.text_turn("first"))
    await wait_for(lambda: sleeper.log)
    session.submit(ops.UserInputOp(items=[ops.TextInput(text="also this")]))
    events = await collect_until(stream, {"task_complete"})
    assert types(events).count("task_started") == 1
    last_prompt = client.prompts[-1].input
    assert isinstance(last_prompt[-1], Message) and last_prompt[-1].text() == "also this"


async def test_parallel_tools_overlap_and_outputs_keep_call_order(config, client):
    fast, slow = SleepTool("fast", parallel=True), SleepTool("slow", parallel=True)
    client.add(tool_reply(("slow", {"seconds": 0.3, "tag": "s"}, "c1"), ("fast", {"seconds": 0.05, "tag": "f"}, "c2")), text_reply("ok"))
    session = make_session(config, client, ToolRegistry([fast, slow]))
    stream = session.events()
    session.submit(ops.text_turn("go"))
    await collect_until(stream, {"task_complete"})
    slow_start, slow_end = slow.log[0][2], slow.log[-1][2]
    fast_start = fast.log[0][2]
    assert slow_start <= fast_start < slow_end  # ran at the same time
    outputs = [i.call_id for i in client.prompts[1].input if isinstance(i, FunctionCallOutput)]
    assert outputs == ["c1", "c2"]


async def test_non_parallel_tools_run_alone(config, client):
    a, b = SleepTool("a"), SleepTool("b")
    client.add(tool_reply(("a", {"seconds": 0.1}, "c1"), ("b", {"seconds": 0.01}, "c2")), text_reply("ok"))
    session = make_session(config, client, ToolRegistry([a, b]))
    stream = session.events()
    session.submit(ops.text_turn("go"))
    await collect_until(stream, {"task_complete"})
    assert a.log[-1][2] <= b.log[0][2]


async def test_approval_round_trip(config, client):
    tool = ApprovalTool()
    client.add(tool_reply(("guarded", {}, "c1")), text_reply("ran"), tool_reply(("guarded", {}, "c2")), text_reply("told"))
    session = make_session(config, client, ToolRegistry([tool]))
    stream = session.events()
    session.submit(ops.text_turn("go"))
    request = (await collect_until(stream, {"exec_approval_request"}))[-1].msg
    assert request.command == ["rm", "x"] and request.call_id == "c1"
    session.submit(ops.Approval(call_id="c1", decision="approved"))
    await collect_until(stream, {"task_complete"})
    assert tool.ran == 1

    session.submit(ops.text_turn("again"))
    await collect_until(stream, {"exec_approval_request"})
    session.submit(ops.Approval(call_id="c2", decision="denied"))
    await collect_until(stream, {"task_complete"})
    assert tool.ran == 1
    assert client.prompts[-1].input[-1].output == "exec command rejected by user"


async def test_abort_decision_ends_the_turn(config, client):
    tool = ApprovalTool()
    client.add(tool_reply(("guarded", {}, "c1")))
    session = make_session(config, client, ToolRegistry([tool]))
    stream = session.events()
    session.submit(ops.text_turn("go"))
    await collect_until(stream, {"exec_approval_request"})
    session.submit(ops.Approval(call_id="c1", decision="abort"))
    events = await collect_until(stream, {"turn_aborted"})
    assert tool.ran == 0 and events[-1].msg.reason == "interrupted"


async def test_reasoning_events_and_usage(config, client):
    client.add(reasoning_reply("Thinking about it", "Answer"))
    session = make_session(config, client)
    stream = session.events()
    session.submit(ops.text_turn("q"))
    events = await collect_until(stream, {"task_complete"})
    assert [e.msg.text for e in events if e.msg.type == "agent_reasoning"] == ["Thinking about it"]
    counts = [e.msg for e in events if e.msg.type == "token_count"]
    assert counts[-1].info.total_token_usage.total_tokens == len("Answer")
    assert counts[-1].info.model_context_window == 272_000


async def test_secrets_are_redacted_from_events(config, client):
    secret = "sk-test-abcdefghijklmnopqrstuvwxyz"
    client.add(text_reply(f"your key is {secret}", chunk=1000))
    session = make_session(config, client, secrets=[secret])
    stream = session.events()
    session.submit(ops.text_turn("leak it"))
    events = await collect_until(stream, {"task_complete"})
    dumped = json.dumps([e.model_dump(mode="json") for e in events])
    assert secret not in dumped and "[REDACTED]" in dumped


async def test_shutdown_ends_the_event_stream(config, client):
    session = make_session(config, client)
    stream = session.events()
    session.submit(ops.Shutdown())
    kinds = [e.msg.type async for e in stream]
    assert kinds == ["session_configured", "shutdown_complete"]


async def test_secrets_inside_command_output_chunks_are_redacted(config, client):
    import base64

    from agent.protocol import events as ev

    secret = "sk-test-abcdefghijklmnopqrstuvwxyz"
    session = make_session(config, client, secrets=[secret])
    stream = session.events()
    await stream.next(1)
    raw = f"token={secret}\n".encode()
    await session.emit("1", ev.ExecCommandOutputDelta(call_id="c", stream="stdout", chunk=base64.b64encode(raw).decode()))
    shown = base64.b64decode((await stream.next(1)).msg.chunk).decode()
    assert shown == "token=[REDACTED]\n"


async def test_a_user_turns_settings_hold_for_later_turns_until_overridden(config, client):
    """Codex's rule (spec §1.1): a `user_turn` updates the settings for this and later turns;
    `override_turn_context` changes them too. (A notebook cell's flags are its turn's only:
    the notebook front end sends its defaults again when such a turn ends.)"""
    client.add([Pause(0.2), *text_reply("under untrusted")], text_reply("still untrusted"), text_reply("back"))
    session = make_session(config, client)
    stream = session.events()
    session.submit(ops.text_turn("one", approval_policy="untrusted", model="gpt-4.1"))
    assert (session.turn_settings.approval_policy, session.turn_settings.model) == ("untrusted", "gpt-4.1")
    await collect_until(stream, {"task_complete"})
    session.submit(ops.text_turn("two"))
    assert session.turn_settings.approval_policy == "untrusted"
    await collect_until(stream, {"task_complete"})
    session.submit(ops.OverrideTurnContext(approval_policy="on-request", model="gpt-5.1-codex"))
    session.submit(ops.text_turn("three"))
    assert session.turn_settings.approval_policy == "on-request"
    await collect_until(stream, {"task_complete"})
    assert [p.model for p in client.prompts] == ["gpt-4.1", "gpt-4.1", "gpt-5.1-codex"]
