"""One session's live turns: every event of the session goes to the view of its turn.

A `TurnRouter` pumps the session's events (a task on the session loop) until its stream
ends; the views still open then are closed. Submission ids restart with each session, so
each session has its own router; after a switch the old router only finishes its own turns.
One turn belongs to one view: the controller queues a prompt sent while a turn runs.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable

if TYPE_CHECKING:
    from agent.protocol import events as ev

    from .interfaces import TurnView

TERMINAL = {"task_complete", "turn_aborted"}


class TurnRouter:
    def __init__(self, events: AsyncIterator[ev.Event], on_event: Callable[[ev.Event], None],
                 on_idle: Callable[[], None]):
        self.views: dict[str, TurnView] = {}
        self.last_view: TurnView | None = None
        """The latest view: shows events of no known turn while the session is current."""
        self.done: dict[str, asyncio.Future[str]] = {}
        self.current = True
        """False once the controller has switched to another session."""
        self._contexts: dict[str, contextvars.Context] = {}
        """The context of the cell that started each turn: ipykernel keeps the parent header
        in a ContextVar, so a view fed from the pump (a task of the session's *first* cell)
        would otherwise publish its updates, and the final Markdown fallback, as that cell's."""
        self._on_event = on_event
        self._on_idle = on_idle
        self.task = asyncio.get_running_loop().create_task(self._pump(events))

    def track(self, sub_id: str, view: TurnView, context: contextvars.Context | None = None) -> None:
        """Feed `view` the events of `sub_id`, in `context` (a queued prompt's cell), by
        default the current cell's."""
        self.views[sub_id] = self.last_view = view
        self._contexts[sub_id] = context if context is not None else contextvars.copy_context()

    def expect(self, sub_id: str) -> None:
        """`sub_id` runs now; `done[sub_id]` gets its outcome."""
        self.done[sub_id] = asyncio.get_running_loop().create_future()

    def running_turn(self) -> str | None:
        return next((sub_id for sub_id, done in self.done.items() if not done.done()), None)

    async def _pump(self, events: AsyncIterator[ev.Event]) -> None:
        async for event in events:
            self._route(event)
        for sub_id in list(self.views):
            self._finish([sub_id], [(self.views[sub_id], self._contexts.get(sub_id))], "turn_aborted")

    def _route(self, event: ev.Event) -> None:
        msg = event.msg
        if msg.type == "session_configured":  # the controller gave it to each view
            return
        if self.current:
            self._on_event(event)
        ids = [event.id]
        views = [(self.views[i], self._contexts.get(i)) for i in ids if i in self.views]
        if not views and self.current and self.last_view is not None:
            views = [(self.last_view, None)]
        for view, context in views:
            _in_context(context, view.feed, event)
        if msg.type in TERMINAL:
            self._finish(ids, views, msg.type)

    def _finish(self, sub_ids: list[str], views: list[tuple[TurnView, contextvars.Context | None]], outcome: str) -> None:
        for view, context in views:
            _in_context(context, view.close_turn)
        for sub_id in sub_ids:
            self.views.pop(sub_id, None)
            self._contexts.pop(sub_id, None)
            done = self.done.pop(sub_id, None)
            if done is not None and not done.done():
                done.set_result(outcome)
        if not self.done and self.current:
            self._on_idle()


def _in_context(context: contextvars.Context | None, fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args) if context is None else context.run(fn, *args)
