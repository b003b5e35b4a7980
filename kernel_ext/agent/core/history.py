"""The conversation history: only API items, normalised before every request (spec §8.1-8.2).

Invariants restored by `for_prompt()`: every tool call has an output (a synthetic
"aborted" output is inserted right after a call that has none) and outputs without a
matching call are dropped. Recording is append-only (compaction replaces the whole list)
and truncates tool outputs to the history policy (1.2x the turn's policy) when one is set.

Cost: `record()` is O(new items): it keeps the sets of open calls and orphan outputs up
to date, so `for_prompt()` is a plain list copy unless one of them is non-empty, which
only happens after something went wrong (then it runs the full `normalize`).
"""

from __future__ import annotations

from typing import Iterable

from agent.protocol.items import (
    ContentItem,
    CustomToolCall,
    CustomToolCallOutput,
    FunctionCallOutput,
    InputImage,
    InputText,
    Message,
    ResponseItem,
)
from agent.tools.truncate import (
    TruncationPolicy,
    approx_tokens_for_bytes,
    truncate_text,
)

ABORTED = "aborted"


def is_api_item(item: ResponseItem) -> bool:
    return not (item.type == "message" and item.role == "system")  # type: ignore[union-attr]


class ConversationHistory:
    def __init__(self, items: Iterable[ResponseItem] = (), *, output_policy: TruncationPolicy | None = None):
        """`output_policy`: the budget tool outputs are cut to when recorded (None: kept)."""
        self.output_policy = output_policy
        self._reset([])
        self.record(items)

    def _reset(self, items: list[ResponseItem]) -> None:
        self._items: list[ResponseItem] = items
        self._call_ids: dict[str, set[str]] = {"function": set(), "custom": set()}
        self._answered: set[str] = set()
        self._unanswered: set[str] = set()
        self._orphans: set[tuple[str, str]] = set()

    def record(self, items: Iterable[ResponseItem]) -> None:
        """Append the API items among `items` (tool outputs truncated to the policy)."""
        policy = self.output_policy
        for item in items:
            if is_api_item(item):
                kept = truncate_output(item, policy) if policy is not None else item
                self._items.append(kept)
                self._track(kept)

    def replace(self, items: Iterable[ResponseItem]) -> None:
        """Replace the whole history (compaction); the items are recorded as given."""
        policy, self.output_policy = self.output_policy, None
        self._reset([])
        self.record(items)
        self.output_policy = policy

    def _track(self, item: ResponseItem) -> None:
        kind = _call_kind(item)
        if kind is not None:
            call_id = item.call_id  # type: ignore[union-attr]
            self._call_ids[kind].add(call_id)
            self._orphans.discard((kind, call_id))
            if call_id not in self._answered:
                self._unanswered.add(call_id)
            return
        kind = _output_kind(item)
        if kind is not None:
            call_id = item.call_id  # type: ignore[union-attr]
            self._answered.add(call_id)
            self._unanswered.discard(call_id)
            if call_id not in self._call_ids[kind]:
                self._orphans.add((kind, call_id))

    @property
    def items(self) -> list[ResponseItem]:
        return list(self._items)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def is_normal(self) -> bool:
        """True when every call has an output and every output has its call."""
        return not self._unanswered and not self._orphans

    def for_prompt(self) -> list[ResponseItem]:
        """The items to send: a copy, normalised (O(n) copy when already normal)."""
        return list(self._items) if self.is_normal else normalize(self._items)

    def last_assistant_text(self) -> str | None:
        return last_assistant_text(self._items)


def last_assistant_text(items: list[ResponseItem]) -> str | None:
    """The text of the last assistant message in `items`."""
    for item in reversed(items):
        if isinstance(item, Message) and item.role == "assistant":
            return item.text()
    return None


# Dispatch on the `type` tag: isinstance() on pydantic model classes is several times slower.
_CALL_KINDS = {"function_call": "function", "local_shell_call": "function", "custom_tool_call": "custom"}
_OUTPUT_KINDS = {"function_call_output": "function", "custom_tool_call_output": "custom"}


def _call_kind(item: ResponseItem) -> str | None:
    """"function" or "custom" for a call that needs an output (a local shell call only
    when it has a call_id); None for anything else."""
    kind = _CALL_KINDS.get(item.type)
    return kind if kind is not None and item.call_id else None  # type: ignore[union-attr]


def _output_kind(item: ResponseItem) -> str | None:
    return _OUTPUT_KINDS.get(item.type)


def _call_id(item: ResponseItem) -> str | None:
    return item.call_id if item.type in _CALL_KINDS else None  # type: ignore[union-attr]


def normalize(items: list[ResponseItem]) -> list[ResponseItem]:
    """Pair every call with an output and drop orphan outputs (a full pass)."""
    call_ids: dict[str, set[str]] = {"function": set(), "custom": set()}
    answered: set[str] = set()
    for item in items:
        kind = _call_kind(item)
        if kind is not None:
            call_ids[kind].add(item.call_id)  # type: ignore[union-attr]
        elif item.type in _OUTPUT_KINDS:
            answered.add(item.call_id)  # type: ignore[union-attr]
    out: list[ResponseItem] = []
    for item in items:
        output_kind = _OUTPUT_KINDS.get(item.type)
        if output_kind is not None and item.call_id not in call_ids[output_kind]:  # type: ignore[union-attr]
            continue
        out.append(item)
        if _call_kind(item) is not None and item.call_id not in answered:  # type: ignore[union-attr]
            out.append(synthetic_output(item, ABORTED))
    return out


def synthetic_output(call: ResponseItem, text: str) -> ResponseItem:
    call_id = _call_id(call) or ""
    if isinstance(call, CustomToolCall):
        return CustomToolCallOutput(call_id=call_id, output=text)
    return FunctionCallOutput(call_id=call_id, output=text)


def remove_first_item(items: list[ResponseItem]) -> list[ResponseItem]:
    """`items` without its first item and that item's partner call or output (spec §8.2.4)."""
    if not items:
        return []
    first, rest = items[0], items[1:]
    call_id = _call_id(first)
    if call_id:
        return [i for i in rest if _output_kind(i) is None or i.call_id != call_id]  # type: ignore[union-attr]
    if _output_kind(first) is not None:
        return [i for i in rest if _call_id(i) != first.call_id]  # type: ignore[union-attr]
    return rest


# --- record-time truncation ------------------------------------------------------------------


def truncate_output(item: ResponseItem, policy: TruncationPolicy) -> ResponseItem:
    """A tool output cut to `policy` (middle truncation); other items unchanged."""
    if item.type not in _OUTPUT_KINDS:
        return item
    if isinstance(item, CustomToolCallOutput):
        text = truncate_text(item.output, policy)
        return item if text is item.output else CustomToolCallOutput(call_id=item.call_id, output=text)
    if not isinstance(item, FunctionCallOutput):
        return item
    if isinstance(item.output, str):
        text = truncate_text(item.output, policy)
        return item if text is item.output else FunctionCallOutput(call_id=item.call_id, output=text)
    return FunctionCallOutput(call_id=item.call_id, output=truncate_content_items(item.output, policy))


def truncate_content_items(items: list[ContentItem], policy: TruncationPolicy) -> list[ContentItem]:
    """Text parts kept while the shared byte budget lasts, the first one over it cut, the
    rest dropped and counted in an `[omitted N text items ...]` part; images always kept."""
    out: list[ContentItem] = []
    remaining = policy.byte_budget()
    omitted = 0
    for part in items:
        if isinstance(part, InputImage):
            out.append(part)
            continue
        if remaining == 0:
            omitted += 1
            continue
        size = len(part.text.encode("utf-8"))
        if size <= remaining:
            out.append(part)
            remaining -= size
            continue
        snippet = truncate_text(part.text, _budget_policy(policy, remaining))
        if snippet:
            out.append(InputText(text=snippet))
        else:
            omitted += 1
        remaining = 0
    if omitted:
        out.append(InputText(text=f"[omitted {omitted} text items ...]"))
    return out


def _budget_policy(policy: TruncationPolicy, byte_budget: int) -> TruncationPolicy:
    if policy.mode == "bytes":
        return TruncationPolicy("bytes", byte_budget)
    return TruncationPolicy("tokens", approx_tokens_for_bytes(byte_budget))
