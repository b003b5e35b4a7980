"""The turn loop: one user task becomes model requests and tool calls (spec §2.1-2.2).

    run_task:  task_started -> record user input -> loop {
                   take pending input -> sample (with stream retries) -> record items + outputs
                   -> no tool outputs and no pending input? break }  -> task_complete
    sample:    stream events -> deltas out as events; each tool call starts at once
               (RW lock: parallel tools share, others run alone); Completed -> await calls in order

Fatal errors end the task with an `error` event; cancellation (interrupt) records what
was produced, with a synthetic output for every unfinished call, and re-raises.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from agent.client.backoff import backoff_delay
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

if TYPE_CHECKING:
    from .session import Session, TurnContext


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
    await session.record(ctx.turn_id, user_items, echo_user=True)
    last_message: str | None = None
    try:
        while True:
            await session.record(ctx.turn_id, session.take_pending_input(), echo_user=True)
            state = await sample_with_retries(session, ctx)
            outputs = [output_item(s.call, s.task.result().output) for s in state.calls.values()]
            await session.record(ctx.turn_id, state.items + outputs)
            last_message = _last_assistant_text(state.items) or last_message
            if not outputs and not session.has_pending_input():
                break
    except ModelError as err:
        await session.emit_error(ctx.turn_id, err.message, err.info, err.status)
    except ToolFatal as err:
        await session.emit_error(ctx.turn_id, err.message, "other", None)
    session.rollout.flush()
    await session.emit(ctx.turn_id, ev.TaskComplete(last_agent_message=last_message))


async def sample_with_retries(session: Session, ctx: TurnContext) -> SampleState:
    max_retries = session.stream_max_retries()
    attempt = 0
    while True:
        state = SampleState()
        ctx.current = state
        try:
            await sample(session, ctx, state)
            return state
        except RetryableModelError as err:
            await state.cancel_calls()
            attempt += 1
            if attempt > max_retries:
                raise
            delay = err.retry_after if err.retry_after is not None else backoff_delay(attempt, base_s=session.retry_base_s)
            message = f"Reconnecting... {attempt}/{max_retries}"
            await session.emit(ctx.turn_id, ev.StreamError(message=message, retry_in_ms=int(delay * 1000)))
            await asyncio.sleep(delay)


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


def _last_assistant_text(items: list[ResponseItem]) -> str | None:
    for item in reversed(items):
        if isinstance(item, Message) and item.role == "assistant":
            return item.text()
    return None


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
