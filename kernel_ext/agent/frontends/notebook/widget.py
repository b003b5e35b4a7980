"""The live `%%agent` transcript widget: one anywidget fed with a session's events.

    view = AgentView(on_decision=lambda call_id, decision: ..., on_stop=lambda: ...)
    view.show()                      # display with a display id (needed for the final update)
    async for event in session.events():
        view.feed(event)
    view.close_turn()                # last patch; the output becomes static HTML + Markdown; widget closed

The wire (anywidget custom messages on the widget's comm, plus the synced trait `state`):
- kernel -> front end: `TranscriptPatch` dicts (`{"type": "transcript", "reset", "seq",
  "order", "blocks", "appends", "turn_diff", "status", "session_id"}`, see
  agent.protocol.panel; applied in that order: reset, blocks replace by id, appends extend a
  held block's `text`, `order` lists every block; `turn_diff` None = unchanged, "" = gone).
  The first patch, and the answer to every `sync`, is a reset holding the whole transcript.
  While text streams, patches carry only the new characters (`appends`).
- kernel -> front end: the trait `state` (a full `Transcript.state()`) is synced at
  construction, never while streaming; the front end may treat a `state` change to a valid
  state as a reset to it. When the turn ends it is emptied (`{}`, ignored by the front end)
  just before the widget closes, so a client that stores widget state keeps nothing.
- front end -> kernel: `{"type": "sync"}` (a view rendered, e.g. after a page reload: answer
  with a reset patch), `{"kind": "decision", "call_id", "decision"}` and `{"kind": "stop"}`.

Contract:
- `feed(event)` reduces the event into a `Transcript` (shared with the side panel, which
  watches it too) and sends a patch at most `max_syncs_per_second` times per second (one
  `loop.call_later` flush per window, on the asyncio loop captured at construction);
  approval requests, terminal events and the view's own changes (decisions, stop, notes)
  are sent at once. Called from another thread, `feed` hops to that loop. Without a running
  loop it sends when a window has passed, and `flush()`/`close_turn()` publish whatever is left.
- A decision is accepted once per pending request (it is recorded in the transcript, which
  disables its buttons, then `on_decision(call_id, decision)` runs); a stop runs `on_stop()`
  once per turn. Messages handled off the loop's thread (kernel subshells) are marshalled
  to the loop with `call_soon_threadsafe`; callbacks always run on the loop.
- While the turn runs, `_repr_mimebundle_` holds the widget view plus `text/markdown` and
  `text/plain` renderings of the transcript. `close_turn()` replaces the output shown by
  `show()` (same display id) with `static_bundle()`: HTML (transcript/html.py) + Markdown +
  plain text, no widget view, and closes the widget. A saved notebook thus shows every
  finished turn in any front end (JupyterLab after a kernel restart, Notebook 7, nbconvert,
  GitHub, VS Code) without widget state; the live widget exists only while its turn runs.
- `provenance` (provenance.TurnProvenance) is fed the same events and decisions; the static
  output carries its record as `metadata["kernel-agent"]`.
"""

from __future__ import annotations

import asyncio
import pathlib
import time
from collections.abc import Callable
from typing import Any

import anywidget
import traitlets

from agent.protocol.events import Event

from ..transcript.patches import PatchCursor
from ..transcript.reducer import URGENT, Transcript
from .provenance import TurnProvenance

STATIC = pathlib.Path(__file__).parent / "static"

DecisionCallback = Callable[[str, str], Any]
StopCallback = Callable[[], Any]


class AgentView(anywidget.AnyWidget):
    """The transcript widget. Construct it on the kernel's loop (inside a cell or magic)."""

    _esm = STATIC / "agent_view.js"
    _css = STATIC / "agent_view.css"
    state = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        *,
        on_decision: DecisionCallback | None = None,
        on_stop: StopCallback | None = None,
        transcript: Transcript | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        max_syncs_per_second: float = 30.0,
        **kwargs: Any,
    ):
        self._transcript = transcript if transcript is not None else Transcript()
        self.provenance = TurnProvenance()
        """What the turn did, saved with the final output as `metadata["kernel-agent"]`."""
        super().__init__(state=self._transcript.state(), **kwargs)
        self._cursor = PatchCursor()
        self._on_decision = on_decision
        self._on_stop = on_stop
        self._loop = loop if loop is not None else _running_loop()
        self._interval = 1.0 / max_syncs_per_second
        self._last_flush = time.monotonic()
        self._timer: asyncio.TimerHandle | None = None
        self._handle: Any = None
        self.on_msg(self._on_custom_msg)
        self._transcript.watch(self._changed)

    # --- feeding ------------------------------------------------------------------------

    @property
    def transcript(self) -> Transcript:
        return self._transcript

    def feed(self, event: Event) -> None:
        """Reduce one session event; a patch follows within one rate window (at once if urgent)."""
        if not self._on_loop_thread():
            self._loop.call_soon_threadsafe(self.feed, event)  # type: ignore[union-attr]
            return
        self.provenance.apply(event)
        self._transcript.apply(event)

    def record_decision(self, call_id: str, decision: str) -> None:
        """Show a decision made elsewhere (e.g. the side panel); `on_decision` is not called."""
        self._call_on_loop(self._record_decision_elsewhere, call_id, decision)

    def _record_decision_elsewhere(self, call_id: str, decision: str) -> None:
        if self._transcript.record_decision(call_id, decision):
            self.provenance.record_decision(call_id, decision)

    def flush(self) -> None:
        """Send the front end what changed since the last patch (nothing if nothing did)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._last_flush = time.monotonic()
        patch = self._cursor.patch(self._transcript)
        if patch is not None:
            self.send(patch)

    def close_turn(self) -> None:
        """The turn is over: finish the transcript, send the last patch, then make the displayed output static for good: the same display id gets a bundle of
        HTML, Markdown and plain text (no widget view; see `static_bundle`) and the widget is
        closed, so the saved notebook needs no widget state or kernel to show the turn. A
        second call publishes the bundle again."""
        self._transcript.close()
        self._transcript.unwatch(self._changed)
        if self.comm is not None:
            self.flush()
        if self._handle is not None:
            self._handle.update(self.static_bundle(), metadata={"kernel-agent": self.provenance.metadata()}, raw=True)
        if self.comm is not None:
            self.state = {}  # what a client that stores widget state (nbclient) keeps: nothing
            self.close()

    def static_bundle(self) -> dict[str, str]:
        """The transcript as it is now: `text/html` (self-contained, inline styles),
        `text/markdown` and `text/plain` (the same Markdown)."""
        from ..transcript.html import render_html
        from ..transcript.markdown import render_markdown

        state = self._transcript.state()
        text = render_markdown(state)
        return {"text/html": render_html(state), "text/markdown": text, "text/plain": text}

    def show(self) -> Any:
        """Display the view with a display id and keep the handle (used by `close_turn`)."""
        from IPython.display import display

        self._handle = display(self, display_id=True)
        return self._handle

    def to_markdown(self) -> str:
        return self._transcript.to_markdown()

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle or {}, {})
        text = self._transcript.to_markdown()
        return {**data, "text/markdown": text, "text/plain": text}, metadata

    # --- coalescing ---------------------------------------------------------------------

    def _changed(self, kind: str) -> None:
        """The transcript changed (here, or through the side panel): send it now or soon."""
        if kind in URGENT:
            self.flush()
        else:
            self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._timer is not None:
            return
        delay = max(0.0, self._last_flush + self._interval - time.monotonic())
        if self._loop is None or self._loop.is_closed():
            if delay == 0.0:
                self.flush()
            return
        self._timer = self._loop.call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self.flush()

    # --- messages from the front end ----------------------------------------------------

    def _on_custom_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict):
            self._call_on_loop(self._dispatch, content)

    def _dispatch(self, content: dict[str, Any]) -> None:
        if content.get("type") == "sync":
            self._cursor.reset()
            self.flush()
            return
        kind = content.get("kind")
        if kind == "decision":
            call_id, decision = content.get("call_id"), content.get("decision")
            if isinstance(call_id, str) and isinstance(decision, str) and self._transcript.record_decision(call_id, decision):
                self.provenance.record_decision(call_id, decision)
                self._run_callback(self._on_decision, call_id, decision)
        elif kind == "stop" and self._transcript.request_stop():
            self._run_callback(self._on_stop)

    def _run_callback(self, callback: Callable[..., Any] | None, *args: Any) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception as err:  # noqa: BLE001 - a broken callback must not break the comm handler
            self._transcript.note("error", f"could not deliver the action to the session: {err!r}")

    # --- threads ------------------------------------------------------------------------

    def _on_loop_thread(self) -> bool:
        return self._loop is None or not self._loop.is_running() or _running_loop() is self._loop

    def _call_on_loop(self, fn: Callable[..., Any], *args: Any) -> None:
        if self._on_loop_thread():
            fn(*args)
        else:
            self._loop.call_soon_threadsafe(fn, *args)  # type: ignore[union-attr]


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
