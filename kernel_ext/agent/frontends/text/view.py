"""The non-widget front end (terminal IPython, plain Python): text out, approvals on stdin.

    view = TextView(on_decision=lambda call_id, decision: session.submit(...))
    await view.consume(session.events())     # or view.handle(event) per event

It is also the notebook controller's `TurnView` outside a kernel (`feed`, `close_turn`,
`record_decision`); with `show_session=False` it leaves out the session line that every
turn's view is fed first.

Events are rendered by `TextRenderer`. For an approval request the view prints exactly what
is asked (argv and cwd, or every file's diff, plus the model's reason), asks with
`ask(prompt) -> str` (default `input`), maps the answer to a `ReviewDecision` and passes
it to `on_decision(call_id, decision)`. `consume` runs the blocking `ask` in a worker
thread so the event loop keeps running while the user thinks.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterable, Callable
from typing import Any, TextIO

from agent.protocol import events as ev
from agent.protocol.policy import ReviewDecision

from .render import TextRenderer

EXEC_PROMPT = "[a]pprove / approve for [s]ession / [d]eny / a[b]ort: "
PATCH_PROMPT = "[a]pprove / approve for [s]ession / [d]eny / a[b]ort: "
ANSWERS: dict[str, ReviewDecision] = {
    "a": "approved", "approve": "approved", "y": "approved", "yes": "approved",
    "s": "approved_for_session", "session": "approved_for_session",
    "d": "denied", "deny": "denied", "n": "denied", "no": "denied",
    "b": "abort", "abort": "abort",
}
MAX_ATTEMPTS = 3

ApprovalRequest = ev.ExecApprovalRequest | ev.ApplyPatchApprovalRequest


class TextView:
    transcript = None
    """A text view prints as it goes: it keeps no transcript (see `TurnView`)."""

    def __init__(
        self,
        out: TextIO | None = None,
        *,
        ask: Callable[[str], str] = input,
        on_decision: Callable[[str, ReviewDecision], Any] | None = None,
        show_reasoning: bool = True,
        show_session: bool = True,
    ):
        self.renderer = TextRenderer(out if out is not None else sys.stdout, show_reasoning=show_reasoning)
        self.ask = ask
        self.on_decision = on_decision
        self.show_session = show_session

    def handle(self, event: ev.Event) -> ReviewDecision | None:
        """Render one event; for an approval request, ask now and return the decision."""
        self.renderer.handle(event)
        if not isinstance(event.msg, (ev.ExecApprovalRequest, ev.ApplyPatchApprovalRequest)):
            return None
        return self._deliver(event.msg, self.decide(event.msg))

    def feed(self, event: ev.Event) -> None:
        """TurnView: `handle`, without the session line unless `show_session`."""
        if self.show_session or not isinstance(event.msg, ev.SessionConfigured):
            self.handle(event)

    def record_decision(self, call_id: str, decision: str) -> None:
        """TurnView: nothing to show, a text view's requests are decided by its own prompt."""

    def close_turn(self) -> None:
        """TurnView: the renderer has printed everything already."""

    async def consume(self, events: AsyncIterable[ev.Event]) -> None:
        """Render a whole event stream; questions are asked off the loop's thread."""
        async for event in events:
            self.renderer.handle(event)
            if isinstance(event.msg, (ev.ExecApprovalRequest, ev.ApplyPatchApprovalRequest)):
                self._deliver(event.msg, await asyncio.to_thread(self.decide, event.msg))

    def decide(self, request: ApprovalRequest) -> ReviewDecision:
        """Ask until the answer is valid (at most MAX_ATTEMPTS; then deny). End of input aborts."""
        prompt = EXEC_PROMPT if isinstance(request, ev.ExecApprovalRequest) else PATCH_PROMPT
        for _ in range(MAX_ATTEMPTS):
            try:
                answer = self.ask(prompt).strip().lower()
            except (EOFError, KeyboardInterrupt):
                return "abort"
            decision = ANSWERS.get(answer)
            if decision is not None:
                return decision
            self.renderer.out.write(f"please answer with one of: {prompt.rstrip(': ')}\n")
        return "denied"

    def _deliver(self, request: ApprovalRequest, decision: ReviewDecision) -> ReviewDecision:
        self.renderer.out.write(f"decision: {decision}\n")
        self.renderer.out.flush()
        if self.on_decision is not None:
            self.on_decision(request.call_id, decision)
        return decision
