"""The conversation as recorded: what goes into the history and the rollout file, and the
user input waiting for the running task's next request.

* `record(turn_id, items, echo_user=)`: history (API items, tool outputs truncated to the
  history policy) and rollout; with `echo_user`, each user message is also shown
  (`user_message` event). `record_now(items)` records without events and flushes (an
  interrupted task's last outputs).
* Pending input: `queue(item)` while a task runs; the turn loop takes it
  (`take_pending`) before each request; an abort drops it.
* `replace(ctx, items)`: compaction's new history; then `record_compacted(summary)`.
"""

from __future__ import annotations

from agent.protocol import events as ev
from agent.protocol.items import Message, ResponseItem

from .context import ConversationContext
from .event_fanout import EventFanout
from .history import ConversationHistory, is_api_item
from .rollout.sink import RolloutSink
from .task_context import TurnContext


class Conversation:
    def __init__(self, context: ConversationContext, rollout: RolloutSink, events: EventFanout):
        self.context = context
        self.rollout = rollout
        self._events = events
        self._pending: list[ResponseItem] = []

    @property
    def history(self) -> ConversationHistory:
        return self.context.history

    def use_model(self, model: str) -> None:
        """Tool outputs recorded from now on are cut to `model`'s history budget."""
        self.history.output_policy = self.context.output_policy(model)

    async def record(self, turn_id: str, items: list[ResponseItem], *, echo_user: bool = False) -> None:
        self.history.record(items)
        self.rollout.items([i for i in items if is_api_item(i)])
        if echo_user:
            for item in items:
                if isinstance(item, Message) and item.role == "user":
                    await self._events.emit(turn_id, ev.UserMessage(message=item.text()))

    def record_now(self, items: list[ResponseItem]) -> None:
        self.history.record(items)
        self.rollout.items(items)
        self.rollout.flush()

    def record_turn_context(self, ctx: TurnContext) -> None:
        """The settings of the request about to be made (rollout `turn_context`)."""
        self.rollout.turn_context(
            {"cwd": str(ctx.cwd), "approval_policy": ctx.approval_policy, "sandbox_policy": ctx.sandbox_policy.model_dump(mode="json"),
             "model": ctx.model, "effort": ctx.effort, "summary": ctx.summary}
        )

    def replace(self, ctx: TurnContext, items: list[ResponseItem]) -> None:
        """Compaction's new history; the token estimate follows it (core/context.py)."""
        self.context.replace(ctx, items)

    def record_compacted(self, summary: str) -> None:
        self.rollout.compacted(summary, None)

    def queue(self, item: ResponseItem) -> None:
        """Add an item to the next model request of the running task."""
        self._pending.append(item)

    def take_pending(self) -> list[ResponseItem]:
        items, self._pending = self._pending, []
        return items

    def has_pending(self) -> bool:
        return bool(self._pending)

    def drop_pending(self) -> None:
        self._pending.clear()

    def flush(self) -> None:
        self.rollout.flush()
