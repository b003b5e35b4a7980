"""The session's undo stack: one entry per regular turn, undone latest first (spec §12.4).

`UndoStack.begin(turn_id, cwd, journal)` starts the turn's before-snapshot of the workspace
at once (in a thread; tools wait for it through `TurnChanges.before_ready()`, the first
model request does not) and pushes the turn. `TurnChanges.finish()` starts its
after-snapshot when the task ends (done, failed or aborted). Snapshots run one at a time,
each reusing the previous one's hashes for unchanged files (tools/workspace_snapshot.py).

`diff(n)` is the n-th latest turn's git-style diff (1: the latest) plus its notes
(skipped files, caps). `undo()` pops the latest turn that changed something — files or
its `TurnJournal` (variables, notebook cells) — refuses, changing nothing, when any file
it changed no longer equals its after-snapshot or the journal reports conflicts, and
otherwise restores the files to the before-snapshot, reverts the journal and says what
was restored and what could not be.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

from agent.tools.snapshot_store import ObjectStore
from agent.tools.undo_journal import RevertReport, TurnJournal
from agent.tools.workspace_snapshot import (
    RestoreOutcome,
    Snapshot,
    SnapshotLimits,
    changed_paths,
    conflicts,
    restore,
    snapshot_diff,
    take_snapshot,
)

log = logging.getLogger(__name__)
MAX_TURNS = 50
PRUNE_AFTER_S = 30 * 86400
"""Snapshot objects unused for this long are deleted (by the first session of the day)."""
PRUNE_EVERY_S = 86400
KEEP_VARIABLES_TURNS = 10
"""Turns whose kernel variables (old objects, copies) undo keeps; older turns' are released."""


@dataclass
class TurnChanges:
    """One turn's entry: its before/after snapshots (tasks) and its journal."""

    turn_id: str
    journal: TurnJournal
    before: asyncio.Task[Snapshot]
    _stack: UndoStack = field(repr=False)
    after: Optional[asyncio.Task[Snapshot]] = None
    tools_ran: bool = False
    """A turn whose tools never ran changed nothing: its after-snapshot is its before."""

    async def before_ready(self) -> None:
        """Called by every tool call before it runs: wait for the before-snapshot."""
        self.tools_ran = True
        await asyncio.shield(self.before)

    def finish(self) -> asyncio.Task[Snapshot]:
        """Start the after-snapshot (once); the returned task completes with it."""
        if self.after is None:
            self.after = (asyncio.get_running_loop().create_task(self._stack._snapshot(self.before))
                          if self.tools_ran else self.before)
        return self.after

    async def snapshots(self) -> tuple[Snapshot, Snapshot]:
        """(before, after); while the task has not ended, `after` is the workspace now."""
        before = await asyncio.shield(self.before)
        if self.after is None:
            return before, await self._stack._take(before.root)
        return before, await asyncio.shield(self.after)

    def finished(self) -> Optional[tuple[Snapshot, Snapshot]]:
        """(before, after) when both are taken, else None."""
        if self.after is None or not self.after.done() or not self.before.done():
            return None
        return self.before.result(), self.after.result()

    async def diff(self) -> str:
        before, after = await self.snapshots()
        return await asyncio.to_thread(self.render, before, after)

    def render(self, before: Snapshot, after: Snapshot) -> str:
        text = snapshot_diff(before, after, self._stack.store)
        notes = list(dict.fromkeys(before.notes + after.notes))
        return text + "".join(f"# note: {n}\n" for n in notes)


class UndoStack:
    def __init__(self, store_dir: Path, *, hidden: tuple[Path, ...] = (), limits: SnapshotLimits = SnapshotLimits()):
        self.store = ObjectStore(store_dir)
        self.hidden = hidden
        self.limits = limits
        self._turns: list[TurnChanges] = []
        self._last: Optional[Snapshot] = None
        self._lock = asyncio.Lock()
        self._undo_lock = asyncio.Lock()

    def begin(self, turn_id: str, cwd: Path, journal: TurnJournal) -> TurnChanges:
        """Push a turn and start its before-snapshot (call on the event loop)."""
        before = asyncio.get_running_loop().create_task(self._take(cwd))
        turn = TurnChanges(turn_id, journal, before, self)
        self._turns.append(turn)
        del self._turns[:-MAX_TURNS]
        for older in self._turns[:-KEEP_VARIABLES_TURNS]:  # old objects and copies are not pinned for ever
            older.journal.release("variables", f"only the last {KEEP_VARIABLES_TURNS} turns' variables are kept")
        return turn

    async def _snapshot(self, before: asyncio.Task[Snapshot]) -> Snapshot:
        first = await asyncio.shield(before)
        return await self._take(first.root)

    async def _take(self, cwd: Path) -> Snapshot:
        async with self._lock:
            await asyncio.to_thread(self._prune_daily)
            try:
                snap = await asyncio.to_thread(take_snapshot, cwd, self.store, self._last, limits=self.limits,
                                               hidden=self.hidden)
            except Exception as err:  # a bug must not stop the turn's tools (they wait for it)
                log.exception("workspace snapshot failed")
                return Snapshot(Path(cwd), error=f"the snapshot failed: {err!r}")
            last = self._last
            if last is not None and (last.root, last.cutoff, last.entries) == (snap.root, snap.cutoff, snap.entries):
                last.started_ns = snap.started_ns  # its entries were just verified again
                return last  # unchanged since: share it (a turn's after is the next one's before)
            if not snap.error:
                self._last = snap
            return snap

    def _prune_daily(self) -> None:
        """Delete objects unused for PRUNE_AFTER_S, at most once per PRUNE_EVERY_S (marker file)."""
        marker = self.store.directory.parent / "last-prune"
        try:
            if marker.exists() and time.time() - marker.stat().st_mtime < PRUNE_EVERY_S:
                return
            self.keep_alive()
            removed = self.store.prune(PRUNE_AFTER_S)
            if marker.parent.is_dir():
                marker.touch(mode=0o600)
            if removed:
                log.info("pruned %d snapshot objects unused for %d days", removed, PRUNE_AFTER_S // 86400)
        except OSError as err:
            log.warning("could not prune the snapshot store: %s", err)

    def keep_alive(self) -> None:
        """Touch the objects this session may still restore (its turns' before-snapshots and
        the latest snapshot), so a long-lived session's undo never meets a pruned object."""
        snaps = [t.before.result() for t in self._turns if t.before.done() and not t.before.cancelled()]
        digests = {e.digest for snap in [*snaps, *([self._last] if self._last else [])]
                   for e in snap.entries.values() if e.kind == "file"}
        self.store.touch(sorted(digests))

    async def diff(self, n: int = 1) -> Optional[str]:
        """The n-th latest turn's diff ("" when it changed no file); None when there is no such turn."""
        if n < 1 or n > len(self._turns):
            return None
        return await self._turns[-n].diff()

    def finished_diff(self, n: int = 1) -> tuple[bool, Optional[str]]:
        """`diff(n)` without waiting: (True, diff or None) when that turn's snapshots are
        taken (or there is no such turn), (False, None) while they are not."""
        if n < 1 or n > len(self._turns):
            return True, None
        snapshots = self._turns[-n].finished()
        return (False, None) if snapshots is None else (True, self._turns[-n].render(*snapshots))

    async def undo(self) -> tuple[bool, str]:
        """Undo the latest turn that changed something: (success, message for the user)."""
        async with self._undo_lock:  # one at a time: each pops what it undid
            while self._turns:
                turn = self._turns[-1]
                before, after = await turn.snapshots()
                failed = before.error or after.error
                paths = [] if failed else changed_paths(before, after)
                if failed and not turn.journal.entries:
                    self._turns.pop()
                    return False, f"Turn {turn.turn_id}'s files cannot be undone: {failed}."
                if not failed and not paths and not turn.journal.entries:
                    self._turns.pop()  # changed nothing: look further down
                    continue
                return await self._undo(turn, before, after, paths, failed)
            return False, "Nothing to undo."

    async def _undo(self, turn: TurnChanges, before: Snapshot, after: Snapshot, paths: list[str],
                    failed: str) -> tuple[bool, str]:
        edited = await asyncio.to_thread(conflicts, after, paths)
        journal_conflicts = await turn.journal.conflicts()
        if edited or journal_conflicts:
            return False, refusal_message(turn.turn_id, edited, journal_conflicts)
        self._turns.pop()
        outcome = await asyncio.to_thread(restore, before, after, self.store, paths, _inside(after.root, self.hidden))
        if failed:
            outcome.not_restored.append(("the files", failed))
        report = await turn.journal.revert()
        return not outcome.not_restored and not report.not_restored, undo_message(turn.turn_id, outcome, report)


def open_notebook(cwd: Path, env: Mapping[str, str] | None = None) -> tuple[Path, ...]:
    """The notebook this kernel serves (Jupyter's `JPY_SESSION_NAME`), if any: kept out of
    snapshots, so saving it never blocks an undo and an undo never overwrites it on disk
    (its cells are undone through the journal, in the live notebook)."""
    name = (os.environ if env is None else env).get("JPY_SESSION_NAME", "").strip()
    if not name:
        return ()
    path = Path(name)
    return (path,) if path.is_absolute() else (cwd / path, cwd / path.name)


def _inside(root: Path, hidden: tuple[Path, ...]):
    hidden_text = [os.path.normpath(str(p)) for p in hidden]

    def permitted(path: Path) -> bool:
        text = os.path.normpath(str(path))
        if not text.startswith(str(root) + "/"):
            return False
        return not any(text == h or text.startswith(h + "/") for h in hidden_text)

    return permitted


def refusal_message(turn_id: str, edited: list[str], journal: list[str]) -> str:
    parts = []
    if edited:
        parts.append("files changed since the turn: " + ", ".join(edited))
    if journal:
        parts.append("changed since the turn: " + ", ".join(journal))
    return f"Turn {turn_id} was not undone (nothing was changed): " + "; ".join(parts) + "."


def undo_message(turn_id: str, outcome: RestoreOutcome, report: RevertReport) -> str:
    parts = []
    if outcome.restored:
        parts.append("restored " + ", ".join(outcome.restored))
    if outcome.removed:
        parts.append("removed " + ", ".join(outcome.removed))
    if report.restored:
        parts.append("put back " + ", ".join(report.restored))
    message = f"Turn {turn_id}: " + ("; ".join(parts) or "nothing needed restoring")
    missed = outcome.not_restored + report.not_restored
    if missed:
        message += ". Not restored: " + "; ".join(f"{label} ({why})" for label, why in missed)
    return message + "."
