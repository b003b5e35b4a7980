"""Transcript patches: what one consumer (a cell widget, a side panel) needs to catch up.

    cursor = PatchCursor()
    patch = cursor.patch(transcript)   # a `TranscriptPatch` dict, or None if nothing changed

A cursor remembers, per block, the `rev` and the length of the `text` it has sent. The first
patch (and the first after `reset()`) is a reset carrying every block; later ones carry the
blocks that changed, except that a block whose only change is its text growing (a streamed
answer or reasoning) is sent as a `TextAppend` of the new characters, so the bytes sent for
a streamed answer stay linear in its length. The status is sent when it changed other than
by the clock, the order when it changed. A patch other than a reset leaves out every field
that says "unchanged" (see `TranscriptPatch`): a streamed answer's patch is its new text
plus about 80 bytes. Each consumer has its own cursor; the reduction (`Transcript`) is shared. The
wire format is `agent.protocol.panel.TranscriptPatch`.

A `PatchSource` is what a cursor reads: a `Transcript`, or a `SessionTranscript` (the side
panel's concatenation of a session's turns, see session_view.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

Patch = dict[str, Any]


class PatchSource(Protocol):
    @property
    def seq(self) -> int: ...

    @property
    def turn_diff(self) -> str | None: ...

    def status(self) -> dict[str, Any]: ...

    def patch_blocks(self) -> Iterable[tuple[str, dict[str, Any], int]]:
        """(wire id, live block, base rev) in display order; see `Transcript.base_rev`."""
        ...


_CLOCK = ("now", "elapsed_s")
_ALWAYS = ("type", "seq")
_UNCHANGED = (None, False, [])
"""Values a patch other than a reset leaves out: they mean "unchanged" (`session_id` is
only sent on a reset: a new session always starts with one)."""


class PatchCursor:
    """One consumer's position in a patch source."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget what was sent: the next patch is a reset with every block."""
        self._sent: dict[str, tuple[int, int]] = {}
        self._turn_diff: str | None = None
        self._status: dict[str, Any] | None = None
        self._seq: int | None = None
        self._order: list[str] = []

    def patch(self, source: PatchSource, session_id: str | None = None,
              adjust_status: Callable[[dict[str, Any]], None] | None = None) -> Patch | None:
        """The patch bringing this consumer up to date; None if nothing changed since the
        last. `adjust_status` may change the status in place before it is compared and sent."""
        full = self._seq is None
        seq = source.seq
        if not full and seq == self._seq:
            return None
        order, blocks, appends = self._blocks(source, full)
        self._seq = seq
        status = source.status()
        if adjust_status is not None:
            adjust_status(status)
        changed_order = full or order != self._order
        self._order = order
        patch: Patch = {
            "type": "transcript", "session_id": session_id if session_id is not None else status.get("session_id"),
            "reset": full, "seq": seq, "order": order if changed_order else None, "blocks": blocks,
            "appends": appends, "turn_diff": self._diff(source.turn_diff, full),
            "status": self._changed_status(status, full),
        }
        if full:
            return patch
        return {k: v for k, v in patch.items() if k in _ALWAYS or (k != "session_id" and v not in _UNCHANGED)}

    def _blocks(self, source: PatchSource, full: bool) -> tuple[list[str], list[dict[str, Any]], list[dict[str, Any]]]:
        order: list[str] = []
        blocks: list[dict[str, Any]] = []
        appends: list[dict[str, Any]] = []
        sent = {} if full else self._sent
        for wire_id, block, base in source.patch_blocks():
            order.append(wire_id)
            rev = block["rev"]
            held = sent.get(wire_id)
            if held is not None and held[0] == rev:
                continue
            text = block.get("text")
            length = len(text) if isinstance(text, str) else 0
            if held is not None and held[0] >= base and length >= held[1] and "streaming" in block:
                appends.append({"id": wire_id, "rev": rev, "text": text[held[1]:], "streaming": block["streaming"]})  # type: ignore[index]
            else:
                blocks.append({**block, "id": wire_id})
            sent[wire_id] = (rev, length)
        self._sent = sent
        return order, blocks, appends

    def _diff(self, current: str | None, full: bool) -> str | None:
        """None when unchanged since the last patch; "" when the diff went away."""
        previous, self._turn_diff = self._turn_diff, current
        if full:
            return current
        if current == previous:
            return None
        return "" if current is None else current

    def _changed_status(self, status: dict[str, Any], full: bool) -> dict[str, Any] | None:
        """None when only the clock moved since the last status sent."""
        previous = self._status
        self._status = status
        if full or previous is None or any(previous[k] != v for k, v in status.items() if k not in _CLOCK):
            return status
        self._status = previous
        return None
