"""The turn loop: one user task becomes model requests and tool calls (spec §2.1-2.2).

    run_task:  task_started -> record environment diff, user input -> loop {
                   take pending input -> sample (with stream retries) -> record items + outputs
                   -> last request at or over the auto-compact limit? compact, continue
                   -> no tool outputs and no pending input? break }  -> task_complete
    sample:    stream events -> deltas out as events; each tool call starts at once
               (RW lock: parallel tools share, others run alone); Completed -> await calls in order

Fatal errors end the task with an `error` event; cancellation (interrupt) records what
was produced, with a synthetic output for every unfinished call, and re-raises.
A request still over the limit right after an automatic compaction ends the task with
an error instead of compacting again (no compaction loop).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from agent.client.errors import ModelError, RetryableModelError, StreamError
from agent.client.stream import (
    Completed,
    OutputItemDone,
    OutputTextDelta,
    RateLimits,
    ReasoningContentDelta,
    ReasoningSummaryDelta,
    ReasoningSummaryPartAdded,
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
from .retry import retry_stream

if TYPE_CHECKING:
    from .session import Session
    from .task_context import TurnContext


@dataclass
class CallSlot:
    item: ResponseItem
    call: ToolCall
    task: asyncio.Task[ToolResult]
    started: float


@dataclass
class SampleState:
    """What one model request produced so far, in stream order."""

    items: list[ResponseItem] = field(default_factory=list)
    calls: dict[str, CallSlot] = field(default_factory=dict)
    usage: ev.TokenUsage | None = None

    async def cancel_calls(self, grace_s: float = 0.1) -> None:
        running = [slot.task for slot in self.calls.values() if not slot.task.done()]
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running, timeout=grace_s)


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


def aborted_text(session: Session, call: ToolCall, started: float) -> str:
    secs = max(time.monotonic() - started, 0.1)
    if session.tool_is_shell_like(call.name):
        return f"Wall time: {secs:.1f} seconds\naborted by user"
    return f"aborted by user after {secs:.1f}s"


async def run_task(session: Session, ctx: TurnContext, user_items: list[ResponseItem]) -> None:
    """A regular task. Emits task_complete unless cancelled."""
    await session.emit(ctx.turn_id, ev.TaskStarted(model_context_window=session.context_window(ctx)))
    await session.record(ctx.turn_id, session.context.environment_update(ctx))
    await session.record(ctx.turn_id, user_items, echo_user=True)
    last_message: str | None = None
    try:
        last_message = await _loop(session, ctx)
    except ModelError as err:
        await session.emit_error(ctx.turn_id, err.message, err.info, err.status)
    except ToolFatal as err:
        await session.emit_error(ctx.turn_id, err.message, "other", None)
    session.rollout.flush()
    await session.emit(ctx.turn_id, ev.TaskComplete(last_agent_message=last_message))


async def _loop(session: Session, ctx: TurnContext) -> str | None:
    """Requests until the model stops calling tools; the last assistant text."""
    last_message: str | None = None
    just_compacted = False
    while True:
        await session.record(ctx.turn_id, session.take_pending_input(), echo_user=True)
        state = await sample_with_retries(session, ctx)
        outputs = [output_item(s.call, s.task.result().output) for s in state.calls.values()]
        await session.record(ctx.turn_id, state.items + outputs)
        ctx.current = None  # recorded: an interrupt from here on must not record it again
        last_message = last_assistant_text(state.items) or last_message
        if session.over_compact_limit(ctx, state.usage):
            if just_compacted:
                await _still_over_limit(session, ctx, state.usage)
                return last_message
            just_compacted = True
            await compact(session, ctx)
            continue
        just_compacted = False
        if not outputs and not session.has_pending_input():
            return last_message


async def _still_over_limit(session: Session, ctx: TurnContext, usage: ev.TokenUsage | None) -> None:
    current = usage.total_tokens if usage is not None else "unknown"
    message = (
        f"The conversation is still above the token limit after automatic compaction "
        f"(limit {session.auto_compact_limit(ctx)}, current {current}). Start a new session or trim your input."
    )
    await session.emit_error(ctx.turn_id, message, "context_window_exceeded", None)


async def sample_with_retries(session: Session, ctx: TurnContext) -> SampleState:
    """One model request, replayed from scratch after a retryable error (tools cancelled)."""

    async def attempt() -> SampleState:
        state = SampleState()
        ctx.current = state
        try:
            await sample(session, ctx, state)
        except RetryableModelError:
            await state.cancel_calls()
            raise
        return state

    return await retry_stream(session, ctx.turn_id, attempt)


async def sample(session: Session, ctx: TurnContext, state: SampleState) -> None:
    prompt = session.build_prompt(ctx)
    async for event in session.client.stream(prompt):
        if isinstance(event, OutputItemDone):
            await _on_item_done(session, ctx, state, event.item)
        elif isinstance(event, OutputTextDelta):
            await session.emit(ctx.turn_id, ev.AgentMessageDelta(delta=event.delta))
        elif isinstance(event, ReasoningSummaryDelta):
            await session.emit_reasoning(ctx.turn_id, ev.AgentReasoningDelta(delta=event.delta))
        elif isinstance(event, ReasoningContentDelta):
            await session.emit_raw_reasoning(ctx.turn_id, ev.AgentReasoningRawContentDelta(delta=event.delta))
        elif isinstance(event, ReasoningSummaryPartAdded):
            await session.emit_reasoning(ctx.turn_id, ev.AgentReasoningSectionBreak(summary_index=event.summary_index))
        elif isinstance(event, RateLimits):
            await session.update_rate_limits(ctx.turn_id, event.snapshot)
        elif isinstance(event, Completed):
            state.usage = event.usage
            await session.add_usage(ctx.turn_id, event.usage)
            for slot in state.calls.values():
                await slot.task
            if state.calls:
                await session.emit_turn_diff(ctx)
            return
    # Clients raise StreamError themselves; this guards a client that just stops.
    raise StreamError("stream disconnected before completion: stream closed before response.completed")


async def _on_item_done(session: Session, ctx: TurnContext, state: SampleState, item: ResponseItem) -> None:
    state.items.append(item)
    call = as_tool_call(item)
    if call is not None:
        task = asyncio.create_task(session.run_tool(ctx, call))
        state.calls[call.call_id or f"call_{len(state.calls)}"] = CallSlot(item, call, task, time.monotonic())
    elif isinstance(item, Message) and item.role == "assistant":
        await session.emit(ctx.turn_id, ev.AgentMessage(message=item.text()))
    elif isinstance(item, Reasoning):
        for part in item.summary:
            await session.emit_reasoning(ctx.turn_id, ev.AgentReasoning(text=part.text))
        for raw in item.content or []:
            await session.emit_raw_reasoning(ctx.turn_id, ev.AgentReasoningRawContent(text=raw.text))


def interrupted_items(session: Session, state: SampleState | None) -> list[ResponseItem]:
    """What an interrupted request leaves in history: its items, each call answered."""
    if state is None:
        return []
    outputs: list[ResponseItem] = []
    for slot in state.calls.values():
        task = slot.task
        if task.done() and not task.cancelled() and task.exception() is None:
            outputs.append(output_item(slot.call, task.result().output))
        else:
            outputs.append(output_item(slot.call, aborted_text(session, slot.call, slot.started)))
    return state.items + outputs


def describe_arguments(call: ToolCall) -> str:
    """A compact one-line rendering of a call's arguments for display events."""
    try:
        return json.dumps(json.loads(call.payload), ensure_ascii=False)
    except (json.JSONDecodeError, TypeError):
        return call.payload
