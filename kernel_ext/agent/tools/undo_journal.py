"""What a turn changed outside the workspace files, and how to put it back.

Files are undone from workspace snapshots (the session's undo stack). Everything else a
turn changes — the kernel's variables (run_python), the live notebook's cells
(notebook_edit) — is recorded by the tool that changed it as a `Revertible` in the
turn's `TurnJournal` (`ToolContext.journal`). `%agent undo` pops turns latest first:
it asks every entry of the popped turn for `conflicts()` first (something changed since
that the undo would silently overwrite) and refuses the whole undo, naming them, if
any; otherwise it calls `revert()` on the entries in reverse order and reports what was
restored and what could not be (with the reason).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class RevertReport:
    restored: list[str] = field(default_factory=list)
    """What was put back, as short labels (`x`, `cell 3`)."""
    not_restored: list[tuple[str, str]] = field(default_factory=list)
    """(label, why) for each thing that could not be put back."""

    def extend(self, other: RevertReport) -> None:
        self.restored += other.restored
        self.not_restored += other.not_restored


class Revertible(Protocol):
    kind: str
    """What it reverts, for messages: `variables`, `notebook cells`."""

    async def conflicts(self) -> list[str]:
        """Labels of what changed since the turn and would be overwritten by `revert()`."""

    async def revert(self) -> RevertReport:
        """Put back what the turn changed; never raises for an expected failure (report it)."""


@dataclass
class TurnJournal:
    """The revertible changes of one turn, in the order they were made."""

    turn_id: str
    entries: list[Revertible] = field(default_factory=list)

    def add(self, entry: Revertible) -> None:
        self.entries.append(entry)

    def release(self, kind: str, why: str) -> None:
        """Drop the entries of `kind` (and what they hold: old objects, copies); undoing the
        turn then reports them as not restored, with `why`."""
        self.entries = [Released(kind, why) if e.kind == kind else e for e in self.entries]

    async def conflicts(self) -> list[str]:
        found: list[str] = []
        for entry in self.entries:
            found += await entry.conflicts()
        return found

    async def revert(self) -> RevertReport:
        report = RevertReport()
        for entry in reversed(self.entries):
            report.extend(await entry.revert())
        return report


@dataclass
class Released:
    """What is left of an entry the session no longer keeps (see `TurnJournal.release`)."""

    kind: str
    why: str

    async def conflicts(self) -> list[str]:
        return []

    async def revert(self) -> RevertReport:
        return RevertReport(not_restored=[(self.kind, self.why)])
