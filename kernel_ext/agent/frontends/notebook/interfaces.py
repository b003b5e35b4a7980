"""What the notebook controller (notebook_agent.py) talks to.

* `TurnView`: shows one turn. The cell widget (widget.AgentView), the terminal's
  text view (text/view.TextView) and a panel-started turn's view
  (panel_bridge.PanelTurnView) implement it.
* `MakeView`: builds a `TurnView` wired to the controller's decide / stop.
* `SessionListener`: observes the kernel's session (the side panel's bridge implements it).

All are called on the session's event loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Protocol

if TYPE_CHECKING:
    from agent.core.api import Session
    from agent.protocol.events import Event

    from ..transcript.reducer import Transcript

Decide = Callable[[str, str], None]
"""`decide(call_id, decision)`: a `ReviewDecision` for a pending approval request."""
Stop = Callable[[], None]


class TurnView(Protocol):
    @property
    def transcript(self) -> Transcript | None:
        """The turn's reduction, which the side panel shows too (each event is reduced
        once); None for a view that keeps none (the text view)."""

    def feed(self, event: Event) -> None:
        """Show one event of the turn (the session's `session_configured` comes first)."""

    def record_decision(self, call_id: str, decision: str) -> None:
        """Show a decision made elsewhere (another view, the panel) on this view's request."""

    def close_turn(self) -> None:
        """The turn is over (completed, aborted, or its session closed)."""


class MakeView(Protocol):
    def __call__(self, *, on_decision: Decide, on_stop: Stop) -> TurnView:
        """A new view; its approval buttons call `on_decision`, its stop button `on_stop`."""


class SessionListener(Protocol):
    def session_changed(self, session: Session | None) -> None:
        """A new, resumed or forked session is the kernel's now, or none (after new / close)."""

    def view_added(self, view: TurnView) -> None:
        """`view` shows a turn from now on (a queued prompt's view: from when it is queued)."""

    def decision_made(self, call_id: str, decision: str) -> None:
        """A view decided an approval request (after the decision was submitted)."""

    def defaults_changed(self) -> None:
        """The model or a policy of the later turns changed (`%agent approvals`, the panel)."""
