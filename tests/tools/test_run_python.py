"""`run_python` with the threaded runner: results, streaming, errors, interrupts, approvals."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

from agent.protocol.events import (
    ExecApprovalRequest,
    ExecCommandBegin,
    ExecCommandEnd,
    ExecCommandOutputDelta,
)
from agent.protocol.policy import DangerFullAccess, ReadOnly, WorkspaceWrite
from agent.tools.base import ExecSettings, ToolCall, ToolResult
from agent.tools.kernel_access import NamespaceKernelAccess, RunOutcome
from agent.tools.kernel_tools import kernel_tools
from agent.tools.run_python import (
    APPROVAL_REASON,
    CAPTURE_CHARS,
    NEVER_REFUSED,
    PENDING_CHARS,
    REJECTED,
    REQUIRED_REFUSED,
    Capture,
    RunPythonTool,
    ThreadedPythonRunner,
    model_text,
)

from .fakes import FakeCtx


def make_tool(ns: dict[str, Any] | None = None, **access: Any) -> tuple[RunPythonTool, dict[str, Any]]:
    namespace = {} if ns is None else ns
    kernel = NamespaceKernelAccess(namespace, **access)
    tools = {tool.name: tool for tool in kernel_tools(kernel)}
    return tools["run_python"], namespace  # type: ignore[return-value]


async def run(tool: RunPythonTool, ctx: FakeCtx | None = None, **args: Any) -> tuple[ToolResult, FakeCtx]:
    ctx = ctx or FakeCtx(cwd=Path.cwd(), sandbox_policy=DangerFullAccess())
    call = ToolCall(call_id="c1", name="run_python", kind="function", payload=json.dumps(args))
    return await tool.handle(call, ctx), ctx


def deltas(ctx: FakeCtx, stream: str = "stdout") -> str:
    return "".join(base64.b64decode(e.chunk).decode() for e in ctx.events if isinstance(e, ExecCommandOutputDelta) and e.stream == stream)


async def test_result_value_and_variables_persist() -> None:
    tool, ns = make_tool({"base": 40})
    result, ctx = await run(tool, code="answer = base + 2\nanswer")
    assert result.success
    assert result.output.startswith("result:\n42\nWall time: ")
    assert ns["answer"] == 42
    second, _ = await run(tool, code="def twice(v):\n    return 2 * v\ntwice(answer)")
    assert "result:\n84" in second.output and callable(ns["twice"])
    begin, end = ctx.events[0], ctx.events[-1]
    assert isinstance(begin, ExecCommandBegin) and begin.command == ["run_python", "answer = base + 2\nanswer"]
    assert isinstance(end, ExecCommandEnd) and end.exit_code == 0 and end.formatted_output == result.output


async def test_statements_only_and_none_results_give_no_result_section() -> None:
    tool, _ = make_tool()
    result, _ = await run(tool, code="x = 1\nNone")
    assert result.output.startswith("(no output)\nWall time:")


async def test_stdout_streams_while_running() -> None:
    tool, _ = make_tool()
    ctx = FakeCtx(cwd=Path.cwd(), sandbox_policy=DangerFullAccess())
    arrivals: list[float] = []
    original_emit = ctx.emit

    async def timed_emit(msg: Any) -> None:
        if isinstance(msg, ExecCommandOutputDelta):
            arrivals.append(time.monotonic())
        await original_emit(msg)

    ctx.emit = timed_emit  # type: ignore[method-assign]
    started = time.monotonic()
    code = "import time, sys\nfor i in range(3):\n    print('tick', i)\n    time.sleep(0.3)\nprint('oops', file=sys.stderr)"
    result, _ = await run(tool, ctx, code=code)
    finished = time.monotonic()
    assert deltas(ctx) == "tick 0\ntick 1\ntick 2\n" and deltas(ctx, "stderr") == "oops\n"
    assert len(arrivals) >= 3 and arrivals[0] - started < 0.5 and finished - arrivals[0] > 0.4
    assert result.output.startswith("stdout:\ntick 0\ntick 1\ntick 2\nstderr:\noops\nWall time:")
    assert type(sys.stdout).__name__ != "_RoutedStream" and type(sys.stderr).__name__ != "_RoutedStream"


async def test_exception_gives_traceback_of_user_frames() -> None:
    tool, ns = make_tool()
    result, ctx = await run(tool, code="def inner(d):\n    return d['missing']\nprint('before')\ninner({})")
    assert not result.success
    assert "stdout:\nbefore\n" in result.output
    error = result.output.split("error:\n", 1)[1]
    assert error.startswith("Traceback (most recent call last):\n  File \"<run_python-")
    assert "    return d['missing']" in error and "KeyError: 'missing'" in error
    assert "run_python.py" not in error
    assert callable(ns["inner"])
    assert ctx.events[-1].exit_code == 1


async def test_syntax_error_is_reported_without_running() -> None:
    tool, _ = make_tool()
    result, _ = await run(tool, code="x = (")
    assert not result.success and "SyntaxError" in result.output


async def test_cancel_interrupts_the_worker_quickly() -> None:
    tool, ns = make_tool()
    code = "try:\n    while True:\n        pass\nexcept KeyboardInterrupt:\n    stopped = True"
    task = asyncio.ensure_future(run(tool, code=code))
    await asyncio.sleep(0.3)
    assert not task.done()
    cancelled_at = time.monotonic()
    task.cancel()
    while "stopped" not in ns and time.monotonic() - cancelled_at < 1.0:
        await asyncio.sleep(0.02)
    assert ns.get("stopped") is True
    assert task.cancelled() or task.done()


async def test_timeout_interrupts_a_busy_loop() -> None:
    tool, _ = make_tool()
    started = time.monotonic()
    result, ctx = await run(tool, code="n = 0\nwhile True:\n    n += 1", timeout_ms=300)
    assert time.monotonic() - started < 2.0
    assert not result.success
    assert "KeyboardInterrupt" in result.output and "interrupted: timed out after 0.3 seconds" in result.output
    assert ctx.events[-1].exit_code == 1


async def test_code_stuck_in_native_call_is_reported_as_still_running() -> None:
    tool, _ = make_tool()
    result, _ = await run(tool, code="import time\ntime.sleep(2.6)", timeout_ms=100)
    assert "still running in a background thread" in result.output
    assert "interrupted: timed out" in result.output
    for thread in [t for t in threading.enumerate() if t.name == "run_python"]:
        thread.join(timeout=3)
    assert type(sys.stdout).__name__ != "_RoutedStream"


async def test_approval_is_asked_and_never_runs_only_with_full_access() -> None:
    """Invariant: in-process code obeys the sandbox the user chose — under `never` with a
    confining sandbox policy run_python is refused (nobody can approve it); with
    danger-full-access it runs without asking (control)."""
    tool, ns = make_tool()
    ctx = FakeCtx(cwd=Path.cwd(), approval_policy="on-request", decision="approved")
    result, _ = await run(tool, ctx, code="flag = 1")
    assert result.success and ns["flag"] == 1
    request = next(e for e in ctx.events if isinstance(e, ExecApprovalRequest))
    assert request.command == ["run_python", "flag = 1"] and request.reason == APPROVAL_REASON
    assert request.cwd == str(Path.cwd())
    for policy in (ReadOnly(), WorkspaceWrite()):
        confined = FakeCtx(cwd=Path.cwd(), approval_policy="never", sandbox_policy=policy)
        result, _ = await run(tool, confined, code="flag = 3")
        assert result == ToolResult(NEVER_REFUSED, success=False) and ns["flag"] == 1
        assert not any(isinstance(e, ExecApprovalRequest) for e in confined.events)
    never = FakeCtx(cwd=Path.cwd(), approval_policy="never", sandbox_policy=DangerFullAccess())
    await run(tool, never, code="flag = 2")
    assert ns["flag"] == 2 and not any(isinstance(e, ExecApprovalRequest) for e in never.events)


async def test_admin_requirement_makes_run_python_always_ask() -> None:
    """requirements.toml `run_python_requires_approval = true`: under `never` (even with full
    access) it is denied with that reason; otherwise every call asks, even code approved for
    the session. Control: without the requirement the old behaviour holds."""
    tool, ns = make_tool({"count": 0})
    required = ExecSettings(run_python_requires_approval=True)
    never = FakeCtx(cwd=Path.cwd(), approval_policy="never", sandbox_policy=DangerFullAccess(), exec_settings=required)
    result, _ = await run(tool, never, code="count += 1")
    assert result == ToolResult(REQUIRED_REFUSED, success=False) and ns["count"] == 0
    assert [e.refused for e in never.events if isinstance(e, ExecCommandEnd)] == [True]  # a policy's, not a failure
    assert "run_python_requires_approval = true" in REQUIRED_REFUSED
    asked = FakeCtx(cwd=Path.cwd(), approval_policy="on-request", decision="approved_for_session", exec_settings=required)
    await run(tool, asked, code="count += 1")
    await run(tool, asked, code="count += 1")
    assert ns["count"] == 2 and sum(isinstance(e, ExecApprovalRequest) for e in asked.events) == 2
    free = FakeCtx(cwd=Path.cwd(), approval_policy="never", sandbox_policy=DangerFullAccess())  # control
    await run(tool, free, code="count += 1")
    assert ns["count"] == 3 and not any(isinstance(e, ExecApprovalRequest) for e in free.events)


async def test_denied_run_does_not_execute() -> None:
    tool, ns = make_tool()
    ctx = FakeCtx(cwd=Path.cwd(), approval_policy="untrusted", decision="denied")
    result, _ = await run(tool, ctx, code="flag = 1")
    assert result == ToolResult(REJECTED, success=False)
    assert "flag" not in ns
    assert isinstance(ctx.events[-1], ExecCommandEnd) and ctx.events[-1].exit_code == -1
    assert not ctx.events[-1].refused  # the user declined it: not a policy refusal


async def test_approved_for_session_is_remembered_per_code() -> None:
    tool, ns = make_tool({"count": 0})
    ctx = FakeCtx(cwd=Path.cwd(), approval_policy="on-failure", decision="approved_for_session")
    await run(tool, ctx, code="count += 1")
    ctx.decision = "denied"
    again, _ = await run(tool, ctx, code="count += 1")
    assert again.success and ns["count"] == 2
    other, _ = await run(tool, ctx, code="count += 10")
    assert other.output == REJECTED and ns["count"] == 2
    assert sum(isinstance(e, ExecApprovalRequest) for e in ctx.events) == 2


async def test_results_use_the_kernels_rich_formatter() -> None:
    def formatter(value: Any) -> dict[str, str]:
        return {"text/plain": f"<plain {value}>", "image/png": "<image/png data>"}

    tool, _ = make_tool(format_rich=formatter)
    result, _ = await run(tool, code="7")
    assert "result:\n<plain 7>\n[rich output also available as: image/png]" in result.output


async def test_failing_result_repr_is_reported() -> None:
    tool, _ = make_tool()
    result, _ = await run(tool, code="class R:\n    def __repr__(self):\n        raise ValueError('no')\nR()")
    assert result.success and "repr() raised ValueError: no" in result.output


async def test_large_output_is_bounded_for_the_model() -> None:
    tool, _ = make_tool()
    result, ctx = await run(tool, code="for i in range(20_000):\n    print('line', i)")
    assert len(result.output.encode()) < 11_000
    assert "chars truncated" in result.output and "line 19999" in result.output
    assert isinstance(ctx.events[-1], ExecCommandEnd) and ctx.events[-1].stdout.endswith("line 19999\n")


def test_capture_keeps_head_and_tail_of_a_flood() -> None:
    capture = Capture()
    for i in range(3_000):
        capture.write("stdout", f"{i:04d}" + "x" * 996)
    text = capture.text("stdout")
    assert text.startswith("0000x") and text.endswith("2999" + "x" * 996)
    assert "chars dropped…" in text and len(text) <= CAPTURE_CHARS + 100
    assert text.count("x" * 996) == CAPTURE_CHARS // 1000
    streamed = capture.drain()
    assert [s for s, _ in streamed] == ["stdout"] and len(streamed[0][1]) == PENDING_CHARS
    assert capture.drain() == []


async def test_other_threads_output_is_not_captured(capsys: Any) -> None:
    tool, _ = make_tool()
    task = asyncio.ensure_future(run(tool, code="import time\ntime.sleep(0.3)"))
    await asyncio.sleep(0.1)
    print("from the event loop thread")
    result, _ = await task
    assert "from the event loop thread" in capsys.readouterr().out
    assert "event loop" not in result.output


async def test_runner_can_be_used_directly() -> None:
    runner = ThreadedPythonRunner({"x": 3})
    chunks: list[tuple[str, str]] = []

    async def on_output(stream: str, text: str) -> None:
        chunks.append((stream, text))

    outcome = await runner.run("print(x)\nx * 2", on_output, None)
    assert outcome.stdout == "3\n" and outcome.result_text == "6" and outcome.error is None
    assert chunks == [("stdout", "3\n")] and not outcome.interrupted


def test_model_text_sections() -> None:
    outcome = RunOutcome(stdout="a\n", stderr="b\n", result_text="1", displays=["<d>"], error="Trace", duration_s=1.25)
    assert model_text(outcome, 1000, 5.0) == "stdout:\na\nstderr:\nb\nresult:\n1\ndisplays:\n<d>\nerror:\nTrace\nWall time: 1.2 seconds"


async def test_kernel_tools_factory() -> None:
    tools = kernel_tools(NamespaceKernelAccess())
    assert [(t.name, t.supports_parallel) for t in tools] == [
        ("kernel_variables", True), ("last_error", True), ("notebook_history", True), ("run_python", False),
    ]
    assert all(t.spec()["name"] == t.name for t in tools)
    assert tools[3].spec()["parameters"]["required"] == ["code"]
