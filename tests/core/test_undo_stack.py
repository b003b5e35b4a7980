"""The session's undo stack (core/undo_stack.py) through a real Session and real sandboxed commands."""

from __future__ import annotations

import threading
import time

from agent.client.scripted import text_reply
from agent.core import undo_stack
from agent.protocol import ops
from agent.tools.undo_journal import RevertReport

from ..tools.test_tools_in_session import make, shell
from .conftest import collect_until


async def undo(session, stream):
    session.submit(ops.Undo())
    return (await collect_until(stream, {"undo_completed"}))[-1].msg


async def test_first_request_does_not_wait_for_the_snapshot_but_tools_do(tmp_path, monkeypatch):
    """Invariant: the before-snapshot runs alongside the first model request, and no tool
    runs until it is complete (so it holds the files as they were before the turn)."""
    session, client, work = make(tmp_path, "on-request", script=[])
    (work / "f.txt").write_text("before\n")
    client.add(*[shell("bash", "-c", "echo after > f.txt")], *[])
    client.add(text_reply("done"))
    seen: list[str] = []
    real = undo_stack.take_snapshot

    def slow_first(root, *args, **kw):
        if not seen:
            deadline = time.monotonic() + 5
            while not client.prompts and time.monotonic() < deadline:  # the request starts meanwhile
                time.sleep(0.01)
            seen.append(f"request started: {bool(client.prompts)}")
            threading.Event().wait(0.3)  # a tool that did not wait would run now
            seen.append((work / "f.txt").read_text())
        return real(root, *args, **kw)

    monkeypatch.setattr(undo_stack, "take_snapshot", slow_first)
    stream = session.events()
    session.submit(ops.text_turn("change f"))
    events = await collect_until(stream, {"task_complete"})
    assert seen == ["request started: True", "before\n"]
    [diff] = [e.msg.unified_diff for e in events if e.msg.type == "turn_diff"]
    assert "-before\n+after\n" in diff


class FakeEntry:
    kind = "variables"

    def __init__(self, conflicts: list[str]):
        self._conflicts = conflicts
        self.reverted = False

    async def conflicts(self) -> list[str]:
        return self._conflicts

    async def revert(self) -> RevertReport:
        self.reverted = True
        return RevertReport(restored=["x"], not_restored=[("model", "not copyable within the budget")])


async def test_journal_conflicts_refuse_everything_and_its_report_is_shown(tmp_path):
    session, client, work = make(tmp_path, "on-request", script=[])
    client.add(shell("bash", "-c", "echo new > made.txt"), text_reply("done"))
    stream = session.events()
    session.submit(ops.text_turn("go"))
    await collect_until(stream, {"task_complete"})
    turn = session.undo_stack._turns[-1]
    blocked = FakeEntry(["variable `x`"])
    turn.journal.add(blocked)
    done = await undo(session, stream)
    assert not done.success and "variable `x`" in done.message and "nothing was changed" in done.message
    assert (work / "made.txt").exists() and not blocked.reverted

    blocked._conflicts = []
    done = await undo(session, stream)
    assert blocked.reverted and not (work / "made.txt").exists()
    assert not done.success  # something could not be put back, and the message says what
    assert "removed made.txt" in done.message and "put back x" in done.message
    assert "Not restored: model (not copyable within the budget)" in done.message


async def test_turns_that_changed_nothing_are_skipped_and_a_running_turn_refuses(tmp_path):
    session, client, work = make(tmp_path, "on-request", script=[])
    client.add(shell("bash", "-c", "echo one > one.txt"), text_reply("wrote"), text_reply("just talking"))
    stream = session.events()
    session.submit(ops.text_turn("write"))
    await collect_until(stream, {"task_complete"})
    session.submit(ops.text_turn("talk"))
    await collect_until(stream, {"task_complete"})
    assert await session.turn_diff(1) == "" and "+one" in await session.turn_diff(2)
    assert await session.turn_diff(3) is None
    done = await undo(session, stream)
    assert done.success and "removed one.txt" in done.message and not (work / "one.txt").exists()
    assert (await undo(session, stream)).message == "Nothing to undo."


async def test_a_failing_snapshot_does_not_stop_the_turn_and_undo_says_why(tmp_path, monkeypatch):
    def broken(*args, **kw):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(undo_stack, "take_snapshot", broken)
    session, client, work = make(tmp_path, "on-request", script=[])
    client.add(shell("bash", "-c", "echo x > x.txt"), text_reply("done"))
    stream = session.events()
    session.submit(ops.text_turn("go"))
    await collect_until(stream, {"task_complete"})
    assert (work / "x.txt").read_text() == "x\n"  # the tool ran
    assert "no snapshot: the snapshot failed: RuntimeError('disk on fire')" in await session.turn_diff(1)
    done = await undo(session, stream)
    assert not done.success and done.message == "Turn 1's files cannot be undone: the snapshot failed: RuntimeError('disk on fire')."
    assert (work / "x.txt").exists()


async def test_only_the_last_turns_keep_their_variables(tmp_path):
    """Old turns release what their variables entries pin (old objects, copies); undoing such
    a turn says so instead of restoring half of it."""
    from agent.tools.undo_journal import TurnJournal

    class Held:
        kind = "variables"

        async def conflicts(self):
            return []

        async def revert(self):
            return RevertReport(restored=["x"])

    stack = undo_stack.UndoStack(tmp_path / "objects")
    work = tmp_path / "w"
    work.mkdir()
    journals = []
    for n in range(undo_stack.KEEP_VARIABLES_TURNS + 1):
        journal = TurnJournal(str(n), [Held()])
        journals.append(journal)
        stack.begin(str(n), work, journal).finish()
    assert isinstance(journals[-1].entries[0], Held)
    report = await journals[0].revert()
    assert report.restored == [] and report.not_restored[0][0] == "variables"
    assert "last 10 turns" in report.not_restored[0][1]
    for turn in stack._turns:
        await turn.finish()
