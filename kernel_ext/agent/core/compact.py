"""Compaction: replace a long conversation by a summary the model writes (spec §8.5).

    compact(host, ctx):
        input = normalised history + a user message with the compact prompt
        one request, NO tools (stream errors retried like a turn's; ContextWindowExceeded
        while more than one item is left: drop the oldest item and its call/output pair,
        retry, and report how many were dropped as a background event; a request retry
        of the client is shown as `stream_error`, as in a turn)
        summary = summary prefix + "\n" + the reply's last assistant text
        history := build_compacted_history(initial context, history, summary)
        -> token_count (estimated), rollout `compacted`, "Compact task completed", warning

Used by the compact op (its own task, `run_compact_task`) and inline by a regular task
whose last request went past the auto-compaction limit. An interrupt cancels it like any
task; the history is only replaced once the summary is in.
"""

from __future__ import annotations

from typing import Iterable

from agent.client.errors import ContextWindowExceeded, ModelError, StreamError
from agent.client.prompt import Prompt
from agent.client.stream import Completed, OutputItemDone, RateLimits, RequestRetry
from agent.protocol import events as ev
from agent.protocol.items import Message, ResponseItem, user_text
from agent.tools.truncate import TruncationPolicy, approx_tokens, truncate_text

from .environment import is_environment_context
from .history import last_assistant_text, remove_first_item
from .instructions import summary_prefix
from .project_docs import is_user_instructions
from .retry import request_retry_notice, retry_stream
from .task_context import TurnContext
from .turn_host import TurnHost

USER_MESSAGES_MAX_TOKENS = 20_000
NO_SUMMARY = "(no summary available)"
COMPLETED_MESSAGE = "Compact task completed"
WARNING_MESSAGE = (
    "Heads up: long conversations and multiple compactions can make the model less accurate. "
    "Start a new session when possible to keep conversations small and focused."
)
USER_SHELL_COMMAND_TAG = "<user_shell_command>"


def trimmed_message(count: int) -> str:
    return f"Trimmed {count} older conversation item(s) before compacting so the prompt fits the model context window."


# --- the new history -------------------------------------------------------------------------


def summary_text(reply_text: str | None) -> str:
    """The summary message text for a reply; "" when the model wrote nothing."""
    return f"{summary_prefix()}\n{reply_text}" if reply_text and reply_text.strip() else ""


def is_summary_message(text: str) -> bool:
    return text.startswith(f"{summary_prefix()}\n")


def is_real_user_message(item: ResponseItem) -> bool:
    """A message the user typed: not the environment context, AGENTS.md, a user shell
    command or an earlier compaction summary."""
    if not (isinstance(item, Message) and item.role == "user"):
        return False
    text = item.text()
    return not (
        is_environment_context(text) or is_user_instructions(text)
        or text.lstrip().startswith(USER_SHELL_COMMAND_TAG) or is_summary_message(text)
    )


def collect_user_messages(items: Iterable[ResponseItem]) -> list[str]:
    """The text of every real user message, in order."""
    return [item.text() for item in items if is_real_user_message(item)]


def select_recent(messages: list[str], max_tokens: int = USER_MESSAGES_MAX_TOKENS) -> list[str]:
    """The newest messages that fit `max_tokens` (approx); the one that overflows is
    middle-truncated to what is left. Returned in chronological order."""
    selected: list[str] = []
    remaining = max_tokens
    for message in reversed(messages):
        if remaining <= 0:
            break
        tokens = approx_tokens(message)
        if tokens <= remaining:
            selected.append(message)
            remaining -= tokens
        else:
            selected.append(truncate_text(message, TruncationPolicy("tokens", remaining)))
            break
    selected.reverse()
    return selected


def build_compacted_history(
    initial_context: list[ResponseItem], history_items: Iterable[ResponseItem], summary: str,
    max_tokens: int = USER_MESSAGES_MAX_TOKENS,
) -> list[ResponseItem]:
    """Initial context + the recent real user messages (≤ `max_tokens`) + the summary
    as a final user message ("(no summary available)" when `summary` is empty)."""
    recent = select_recent(collect_user_messages(history_items), max_tokens)
    return [*initial_context, *(user_text(text) for text in recent), user_text(summary or NO_SUMMARY)]


# --- running it ------------------------------------------------------------------------------


async def run_compact_task(host: TurnHost, ctx: TurnContext) -> None:
    """The compact op as its own task: task_started, compaction, task_complete."""
    await host.fanout.emit(ctx.turn_id, ev.TaskStarted(model_context_window=host.accounting.context_window(ctx)))
    try:
        await compact(host, ctx)
    except ModelError as err:
        await host.fanout.error(ctx.turn_id, err.message, err.info, err.status)
    host.conversation.flush()
    await host.fanout.emit(ctx.turn_id, ev.TaskComplete(last_agent_message=None))


async def compact(host: TurnHost, ctx: TurnContext) -> None:
    """Summarise the conversation and replace the history (raises ModelError)."""
    items = host.prompts.compaction_input()
    conversation = host.conversation
    conversation.record_turn_context(ctx)
    reply, trimmed = await _request_summary(host, ctx, items)
    if trimmed:
        await host.fanout.emit(ctx.turn_id, ev.BackgroundEvent(message=trimmed_message(trimmed)))
    summary = summary_text(last_assistant_text(reply))
    history = build_compacted_history(conversation.context.initial_context(ctx), conversation.history.items, summary)
    conversation.replace(ctx, history)
    await host.accounting.report(ctx.turn_id)
    conversation.record_compacted(summary)
    await host.fanout.emit(ctx.turn_id, ev.AgentMessage(message=COMPLETED_MESSAGE))
    await host.fanout.emit(ctx.turn_id, ev.Warning(message=WARNING_MESSAGE))


async def _request_summary(host: TurnHost, ctx: TurnContext, items: list[ResponseItem]) -> tuple[list[ResponseItem], int]:
    """The reply's items and how many old items had to be dropped to fit the window."""
    trimmed = 0
    while True:
        prompt = host.prompts.compaction(ctx, items)
        try:
            reply = await retry_stream(host.retry_policy, host.fanout, ctx.turn_id, lambda p=prompt: _drain(host, ctx, p))
            return reply, trimmed
        except ContextWindowExceeded:
            if len(items) <= 1:
                await host.accounting.mark_context_full(ctx)
                raise
            items = remove_first_item(items)
            trimmed += 1


async def _drain(host: TurnHost, ctx: TurnContext, prompt: Prompt) -> list[ResponseItem]:
    """Stream one request to completion; the output items (nothing is shown or run)."""
    items: list[ResponseItem] = []
    async for event in host.client.stream(prompt):
        if isinstance(event, OutputItemDone):
            items.append(event.item)
        elif isinstance(event, RateLimits):
            await host.accounting.rate_limits(ctx.turn_id, event.snapshot)
        elif isinstance(event, RequestRetry):
            await host.fanout.emit(ctx.turn_id, request_retry_notice(event))
        elif isinstance(event, Completed):
            await host.accounting.add_usage(ctx.turn_id, event.usage)
            return items
    raise StreamError("stream disconnected before completion: stream closed before response.completed")
