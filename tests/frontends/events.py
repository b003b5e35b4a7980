"""Builders for realistic session events used by the front-end tests."""

from __future__ import annotations

import base64
import typing

from agent.protocol import events as ev
from agent.protocol.policy import WorkspaceWrite


def event(msg: ev.EventMsg, turn: str = "1") -> ev.Event:
    return ev.Event(id=turn, msg=msg)


def configured() -> ev.SessionConfigured:
    return ev.SessionConfigured(
        session_id="sess-1", model="gpt-5-codex", model_provider_id="openai", approval_policy="on-request",
        sandbox_policy=WorkspaceWrite(), cwd="/work/repo", sandbox_mechanism="bubblewrap",
    )


def chunk(call_id: str, data: bytes, stream: str = "stdout") -> ev.ExecCommandOutputDelta:
    return ev.ExecCommandOutputDelta(call_id=call_id, stream=stream, chunk=base64.b64encode(data).decode())  # type: ignore[arg-type]


def begin(call_id: str, argv: list[str], cwd: str = "/work/repo") -> ev.ExecCommandBegin:
    return ev.ExecCommandBegin(call_id=call_id, turn_id="1", command=argv, cwd=cwd,
                               parsed_cmd=[ev.ParsedCommand(type="unknown", cmd=" ".join(argv))])


def end(call_id: str, argv: list[str], exit_code: int, seconds: float = 0.5, output: str = "",
        refused: bool = False) -> ev.ExecCommandEnd:
    return ev.ExecCommandEnd(
        call_id=call_id, turn_id="1", command=argv, cwd="/work/repo", stdout=output, stderr="", aggregated_output=output,
        exit_code=exit_code, duration=ev.Duration.from_seconds(seconds), formatted_output=output, refused=refused,
    )


def tokens(total: int, last: int, window: int = 200_000) -> ev.TokenCount:
    return ev.TokenCount(info=ev.TokenUsageInfo(
        total_token_usage=ev.TokenUsage(total_tokens=total), last_token_usage=ev.TokenUsage(total_tokens=last),
        model_context_window=window,
    ))


UPDATE = ev.FileUpdate(unified_diff="@@ -1,2 +1,2 @@\n def f():\n-    return 1\n+    return 2\n")


def minimal_instances() -> list[ev.EventMsg]:
    """One instance of every EventMsg type in the union (the test fails if one is missing)."""
    duration = ev.Duration(secs=1, nanos=0)
    samples: list[ev.EventMsg] = [
        configured(), ev.TaskStarted(), ev.TaskComplete(), ev.TurnAborted(reason="interrupted"), ev.ShutdownComplete(),
        ev.Error(message="boom"), ev.Warning(message="careful"), ev.StreamError(message="Reconnecting... 1/5"),
        ev.BackgroundEvent(message="bg"), ev.AgentMessageDelta(delta="d"), ev.AgentMessage(message="m"),
        ev.AgentReasoningDelta(delta="r"), ev.AgentReasoning(text="r"), ev.AgentReasoningRawContentDelta(delta="raw"),
        ev.AgentReasoningRawContent(text="raw"), ev.AgentReasoningSectionBreak(), ev.UserMessage(message="u"),
        ev.TokenCount(), begin("c", ["ls"]), chunk("c", b"x"), end("c", ["ls"], 0),
        ev.ExecApprovalRequest(call_id="c", turn_id="1", command=["ls"], cwd="/"),
        ev.ApplyPatchApprovalRequest(call_id="p", turn_id="1", changes={"a": ev.FileAdd(content="x")}),
        ev.PatchApplyBegin(call_id="p", turn_id="1", auto_approved=True, changes={"a": ev.FileDelete(content="x")}),
        ev.PatchApplyEnd(call_id="p", turn_id="1", stdout="", stderr="", success=True),
        ev.TurnDiff(unified_diff=""), ev.PlanUpdate(plan=[]), ev.UndoStarted(), ev.UndoCompleted(success=True),
        ev.ToolCallBegin(call_id="t", name="view_image", arguments="{}"),
        ev.ToolCallEnd(call_id="t", name="view_image", output="", success=True, duration=duration),
        ev.McpStartupUpdate(server="s", status=ev.McpStartupStatus(state="failed", error="gone")),
        ev.McpStartupComplete(ready=["r"], failed=[ev.McpStartupFailure(server="s", error="gone")]),
        ev.McpToolCallBegin(call_id="m", invocation=ev.McpInvocation(server="s", tool="t")),
        ev.McpToolCallEnd(call_id="m", invocation=ev.McpInvocation(server="s", tool="t"), duration=duration,
                          result={"Ok": {"content": [{"type": "text", "text": "hi"}]}}),
    ]
    union = typing.get_args(typing.get_args(ev.EventMsg)[0])
    assert {type(s) for s in samples} == set(union), set(union) - {type(s) for s in samples}
    return samples
