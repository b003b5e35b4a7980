"""The turn loop: one user task becomes model requests and tool calls (spec §2.1-2.2).

    run_task:  task_started -> record environment diff, user input -> loop {
                   take pending input -> sample (with stream retries) -> record the outputs
                   -> last request at or over the auto-compact limit? compact, continue
                   -> no tool outputs and no pending input? break }  -> task_complete
    sample:    stream events -> deltas out as events (a request retry -> `stream_error`);
               each completed item is recorded
               (history + rollout) at once, so a tool call is in the session file before
               its tool runs (a `kill -9` mid-tool keeps it; resume answers it "aborted");
               each tool call then starts at once (RW lock: parallel tools share, others
               run alone); Completed -> await calls in order -> record their outputs

The request in flight is kept on the task (`ActiveTask.sample`) from its first item until
the outputs of its calls are recorded; an interrupt answers those calls from it
(`interrupted_items`). The loop reaches the session only through `TurnHost`.

Tool calls that cannot be answered by call_id are never run: one without a call_id, or
one repeating a call_id already used in the same response, gets a fresh local id and an
error output telling the model why (so the history stays valid: one output per call),
and the user gets a `warning`. Responses made only of such calls end the turn with an
error after `MAX_REFUSED_RESPONSES` in a row (a provider that strips call ids must not
loop forever).

Fatal errors end the task with an `error` event; a failed request (retried or not)
first cancels its running calls and records an output for each (the real one when the
call had finished), so a retry continues from what the failed attempt completed (as
Codex HEAD does: it also records each item as it arrives). Cancellation (interrupt)
records an output for every unfinished call and re-raises. A request still over the
limit right after an automatic compaction ends the task with an error instead of
compacting again (no compaction loop).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, replace
from typing import Callable

from agent.client.errors import ModelError, StreamError
from agent.client.stream import (
    Completed,
    OutputItemDone,
    OutputTextDelta,
    RateLimits,
    ReasoningContentDelta,
    ReasoningSummaryDelta,
    ReasoningSummaryPartAdded,
    RequestRetry,
)
from agent.protocol import events as ev
from agent.protocol.items import (
    CustomToolCall,
    CustomToolCallOutput,
    FunctionCall,
    FunctionCallOutput,
    LocalShellCall,
    Message,
    Reasoning,
    ResponseItem,
)
from agent.tools import ToolCall, ToolFatal, ToolResult

from .compact import compact
from .history import last_assistant_text
from .retry import request_retry_notice, retry_stream
from .sample_state import CallSlot, SampleState
from .task_context import ActiveTask, TurnContext
from .turn_host import TurnHost

MAX_REFUSED_RESPONSES = 3
TURN_FAILED = "aborted: the turn failed before this call finished; it may have partly run"


def as_tool_call(item: ResponseItem) -> ToolCall | None:
    if isinstance(item, FunctionCall):
        return ToolCall(item.call_id, item.name, "function", item.arguments)
    if isinstance(item, CustomToolCall):
        return ToolCall(item.call_id, item.name, "custom", item.input)
    if isinstance(item, LocalShellCall):
        return ToolCall(item.call_id or "", "local_shell", "local_shell", item.action.model_dump_json())
    return None


def output_item(call: ToolCall, text: str) -> ResponseItem:
    if call.kind == "custom":
        return CustomToolCallOutput(call_id=call.call_id, output=text)
    return FunctionCallOutput(call_id=call.call_id, output=text)


@dataclass(frozen=True)
class Refusal:
    """Why a call is answered without being run: for the model, and for the user."""

    model_text: str
    warning: str


def refusal_for(call: ToolCall, state: SampleState) -> Refusal | None:
    name = call.name or "unnamed"
    if not call.call_id:
        return Refusal(
            f"error: this `{name}` call was not run because it arrived without a call_id (a malformed response). "
            "If you still need it, call the tool again.",
            f"The model's `{name}` call had no call_id: it was not run, and the model was told.",
        )
    if call.call_id in state.calls:
        return Refusal(
            f"error: this `{name}` call was not run because its call_id `{call.call_id}` was already used by "
            "another call in the same response. If you still need it, call the tool again.",
            f"The model sent more than one call with call_id `{call.call_id}`: only the first was run "
            f"(this `{name}` call was not), and the model was told.",
        )
    return None


def with_local_call_id(item: ResponseItem, call: ToolCall) -> tuple[ResponseItem, ToolCall]:
    """`item` and `call` under a fresh call id of ours (for a call we answer without running)."""
    call_id = f"{call.call_id or 'missing_call_id'}_local_{uuid.uuid4().hex[:8]}"
    return item.model_copy(update={"call_id": call_id}), replace(call, call_id=call_id)


def answered(result: ToolResult) -> asyncio.Future[ToolResult]:
    future: asyncio.Future[ToolResult] = asyncio.get_running_loop().create_future()
    future.set_result(result)
    return future


def aborted_text(shell_like: bool, started: float) -> str:
    secs = max(time.monotonic() - started, 0.1)
    if shell_like:
        return f"Wall time: {secs:.1f} seconds\naborted by user"
    return f"aborted by user after {secs:.1f}s"


async def run_task(host: TurnHost, task: ActiveTask, user_items: list[ResponseItem]) -> None:
    """A regular task. Emits task_complete unless cancelled."""
    ctx = task.ctx
    await host.fanout.emit(ctx.turn_id, ev.TaskStarted(model_context_window=host.accounting.context_window(ctx)))
    await host.conversation.record(ctx.turn_id, host.conversation.context.environment_update(ctx))
    await host.conversation.record(ctx.turn_id, user_items, echo_user=True)
    last_message: str | None = None
    try:
        last_message = await _loop(host, task)
    except ModelError as err:
        await host.fanout.error(ctx.turn_id, err.message, err.info, err.status)
    except ToolFatal as err:
        await host.fanout.error(ctx.turn_id, err.message, "other", None)
    host.conversation.flush()
    await emit_workspace_diff(host, ctx)
    await host.fanout.emit(ctx.turn_id, ev.TaskComplete(last_agent_message=last_message))


async def _loop(host: TurnHost, task: ActiveTask) -> str | None:
    """Requests until the model stops calling tools; the last assistant text."""
    ctx = task.ctx
    last_message: str | None = None
    just_compacted = False
    refused_in_a_row = 0
    while True:
        await host.conversation.record(ctx.turn_id, host.conversation.take_pending(), echo_user=True)
        state = await sample_with_retries(host, task)
        outputs = [output_item(s.call, s.task.result().output) for s in state.calls.values()]
        await host.conversation.record(ctx.turn_id, outputs)
        task.sample = None  # recorded: an interrupt from here on must not record it again
        last_message = last_assistant_text(state.items) or last_message
        refused_in_a_row = refused_in_a_row + 1 if state.only_refused else 0
        if refused_in_a_row >= MAX_REFUSED_RESPONSES:
            message = (f"The model's last {refused_in_a_row} responses held only tool calls that could not be run "
                       "(missing or duplicate call_id); the turn was stopped. Check the model provider.")
            await host.fanout.error(ctx.turn_id, message, "other", None)
            return last_message
        if host.accounting.over_compact_limit(ctx, state.usage):
            if just_compacted:
                await _still_over_limit(host, ctx, state.usage)
                return last_message
            just_compacted = True
            await compact(host, ctx)
            continue
        just_compacted = False
        if not outputs and not host.conversation.has_pending():
            return last_message


async def _still_over_limit(host: TurnHost, ctx: TurnContext, usage: ev.TokenUsage | None) -> None:
    current = usage.total_tokens if usage is not None else "unknown"
    message = (
        f"The conversation is still above the token limit after automatic compaction "
        f"(limit {host.accounting.auto_compact_limit(ctx)}, current {current}). Start a new session or trim your input."
    )
    await host.fanout.error(ctx.turn_id, message, "context_window_exceeded", None)


async def sample_with_retries(host: TurnHost, task: ActiveTask) -> SampleState:
    """One model request, replayed from scratch after a retryable error (tools cancelled)."""
    ctx = task.ctx

    async def attempt() -> SampleState:
        state = task.sample = SampleState()
        try:
            await sample(host, ctx, state)
        except (ModelError, ToolFatal):
            # The request's items are recorded already: answer every call it started.
            await state.cancel_calls()
            await host.conversation.record(ctx.turn_id, settled_outputs(state, failed_text))
            task.sample = None
            raise
        return state

    return await retry_stream(host.retry_policy, host.fanout, ctx.turn_id, attempt)


async def sample(host: TurnHost, ctx: TurnContext, state: SampleState) -> None:
    host.conversation.record_turn_context(ctx)
    prompt = host.prompts.regular(ctx)
    fanout = host.fanout
    async for event in host.client.stream(prompt):
        if isinstance(event, OutputItemDone):
            await _on_item_done(host, ctx, state, event.item)
        elif isinstance(event, OutputTextDelta):
            await fanout.emit(ctx.turn_id, ev.AgentMessageDelta(delta=event.delta))
        elif isinstance(event, ReasoningSummaryDelta):
            await fanout.reasoning(ctx.turn_id, ev.AgentReasoningDelta(delta=event.delta))
        elif isinstance(event, ReasoningContentDelta):
            await fanout.raw_reasoning(ctx.turn_id, ev.AgentReasoningRawContentDelta(delta=event.delta))
        elif isinstance(event, ReasoningSummaryPartAdded):
            await fanout.reasoning(ctx.turn_id, ev.AgentReasoningSectionBreak(summary_index=event.summary_index))
        elif isinstance(event, RateLimits):
            await host.accounting.rate_limits(ctx.turn_id, event.snapshot)
        elif isinstance(event, RequestRetry):
            await fanout.emit(ctx.turn_id, request_retry_notice(event))
        elif isinstance(event, Completed):
            state.usage = event.usage
            await host.accounting.add_usage(ctx.turn_id, event.usage)
            for slot in state.calls.values():
                await slot.task
            if state.calls:
                await emit_turn_diff(host, ctx)
            return
    # Clients raise StreamError themselves; this guards a client that just stops.
    raise StreamError("stream disconnected before completion: stream closed before response.completed")


async def emit_turn_diff(host: TurnHost, ctx: TurnContext) -> None:
    if ctx.diff is not None and ctx.diff.paths:
        diff = await asyncio.to_thread(ctx.diff.unified_diff)
        if diff:
            await host.fanout.emit(ctx.turn_id, ev.TurnDiff(unified_diff=diff))


async def emit_workspace_diff(host: TurnHost, ctx: TurnContext) -> None:
    """At the turn's end: everything it changed in the workspace, whatever tool changed it
    (before vs after snapshot; replaces apply_patch's live diffs in front ends)."""
    if ctx.workspace is None or not ctx.workspace.tools_ran:
        return  # no tool ran: nothing to show, and no need to wait for the snapshots
    ctx.workspace.finish()
    diff = await ctx.workspace.diff()
    if diff:
        await host.fanout.emit(ctx.turn_id, ev.TurnDiff(unified_diff=diff))


async def _on_item_done(host: TurnHost, ctx: TurnContext, state: SampleState, item: ResponseItem) -> None:
    call = as_tool_call(item)
    refusal = refusal_for(call, state) if call is not None else None
    if call is not None and refusal is not None:
        item, call = with_local_call_id(item, call)
    await host.conversation.record(ctx.turn_id, [item])  # before its tool runs: a crash must not lose it
    state.items.append(item)
    if call is not None:
        if refusal is not None:
            state.refused += 1
            task = answered(ToolResult(refusal.model_text, success=False))
        else:
            task = asyncio.create_task(host.tool_runner.run(ctx, call))
        state.calls[call.call_id] = CallSlot(item, call, task, time.monotonic())
        if refusal is not None:
            await host.fanout.emit(ctx.turn_id, ev.Warning(message=refusal.warning))
    elif isinstance(item, Message) and item.role == "assistant":
        await host.fanout.emit(ctx.turn_id, ev.AgentMessage(message=item.text()))
    elif isinstance(item, Reasoning):
        for part in item.summary:
            await host.fanout.reasoning(ctx.turn_id, ev.AgentReasoning(text=part.text))
        for raw in item.content or []:
            await host.fanout.raw_reasoning(ctx.turn_id, ev.AgentReasoningRawContent(text=raw.text))


def interrupted_items(state: SampleState | None, shell_like: Callable[[str], bool]) -> list[ResponseItem]:
    """What an interrupted request still has to record: an output for each of its calls
    (its items were recorded as they arrived)."""
    if state is None:
        return []
    return settled_outputs(state, lambda slot: aborted_text(shell_like(slot.call.name), slot.started))


def failed_text(slot: CallSlot) -> str:
    """The output of a call left unfinished by a failed request (or its own fatal error)."""
    task = slot.task
    if task.done() and not task.cancelled() and isinstance(task.exception(), ToolFatal):
        return f"error: {task.exception()}"
    return TURN_FAILED


def settled_outputs(state: SampleState, unfinished: Callable[[CallSlot], str]) -> list[ResponseItem]:
    """One output per call, in call order: its result if it finished, else `unfinished(slot)`."""
    outputs: list[ResponseItem] = []
    for slot in state.calls.values():
        task = slot.task
        if task.done() and not task.cancelled() and task.exception() is None:
            outputs.append(output_item(slot.call, task.result().output))
        else:
            outputs.append(output_item(slot.call, unfinished(slot)))
    return outputs
