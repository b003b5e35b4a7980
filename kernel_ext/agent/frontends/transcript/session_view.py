"""A whole session as one transcript, made of the transcripts its turns already have.

The side panel shows every turn of the session; each turn is reduced once, by the view
that shows it (a cell widget, or the panel's own turn view), and `SessionTranscript`
concatenates those `Transcript`s instead of reducing the events a second time:

    view = SessionTranscript(history=lambda: replayed)   # built on first use only
    view.add(turn_transcript)                            # each turn, in order
    cursor.patch(view)                                   # a `PatchSource`

Block ids are namespaced by segment (`"2.b5"`: block b5 of the third segment), so they stay
unique across turns. The history segment (a resumed session's earlier messages) comes
first and is reduced only when something reads the view, i.e. when a panel is attached.
The status and the turn diff are the latest turn's (the turn diff: the latest one there is).
Blocks made from `session_configured` (a sandbox warning) are shown once, not per turn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .reducer import Transcript


class SessionTranscript:
    def __init__(self, history: Callable[[], Transcript] | None = None):
        self._make_history = history
        self._history: Transcript | None = None
        self._turns: list[Transcript] = []

    @property
    def turns(self) -> list[Transcript]:
        return self._turns

    def add(self, transcript: Transcript) -> None:
        """Show `transcript` (a turn's) after the others; adding it again changes nothing."""
        if not any(turn is transcript for turn in self._turns):
            self._turns.append(transcript)

    def segments(self) -> list[Transcript]:
        """The history (reduced now if it was not yet), then each turn's transcript."""
        if self._make_history is not None:
            self._history, self._make_history = self._make_history(), None
        return self._turns if self._history is None else [self._history, *self._turns]

    # --- a PatchSource -----------------------------------------------------------------

    @property
    def seq(self) -> int:
        segments = self.segments()
        return sum(segment.seq for segment in segments) + len(segments)

    @property
    def turn_diff(self) -> str | None:
        return next((s.turn_diff for s in reversed(self.segments()) if s.turn_diff is not None), None)

    def status(self) -> dict[str, Any]:
        segments = self.segments()
        return segments[-1].status() if segments else Transcript().status()

    def patch_blocks(self) -> list[tuple[str, dict[str, Any], int]]:
        out: list[tuple[str, dict[str, Any], int]] = []
        shown_header = False
        for index, segment in enumerate(self.segments()):
            header = segment.header_ids if shown_header else set()
            shown_header = shown_header or bool(segment.header_ids)
            out.extend((f"{index}.{block_id}", block, base)
                       for block_id, block, base in segment.patch_blocks() if block_id not in header)
        return out

    # --- actions on the turns ------------------------------------------------------------

    def pending(self, call_id: str) -> bool:
        return any(turn.pending(call_id) for turn in self._turns)

    def request_stop(self) -> bool:
        """Ask the latest active turn to stop (see `Transcript.request_stop`)."""
        active = [turn for turn in self._turns if turn.active]
        return bool(active) and active[-1].request_stop()
