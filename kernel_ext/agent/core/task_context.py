"""The settings of one task (`TurnContext`) and the session's handle on the running task
(`ActiveTask`), which also carries the model request in flight (`sample`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from agent.protocol.policy import AskForApproval, SandboxPolicy
from agent.tools.turn_diff import TurnDiffTracker
from agent.tools.undo_journal import TurnJournal

from .sample_state import SampleState

if TYPE_CHECKING:
    from .undo_stack import TurnChanges

TaskKind = Literal["regular", "compact"]


@dataclass
class TurnContext:
    """Settings for one task: the session's defaults (which override_turn_context
    changes) with the user_turn's overrides for this task only."""

    turn_id: str
    cwd: Path
    approval_policy: AskForApproval
    sandbox_policy: SandboxPolicy
    model: str
    effort: str | None = None
    summary: str | None = None
    output_schema: dict[str, Any] | None = None
    diff: TurnDiffTracker | None = field(default=None, repr=False)
    journal: TurnJournal | None = field(default=None, repr=False)
    """What the task's tools changed outside the files (undo_journal.py)."""
    workspace: TurnChanges | None = field(default=None, repr=False)
    """The turn's entry on the undo stack (undo_stack.py): tools wait for its before-snapshot."""


@dataclass
class ActiveTask:
    """The running task. `sample` is the model request in flight: its items are recorded,
    the outputs of its calls not yet (None between requests); the turn loop sets and
    clears it, and an interrupt answers its calls."""

    ctx: TurnContext
    kind: TaskKind = "regular"
    task: asyncio.Task[None] = field(init=False, repr=False)
    sample: SampleState | None = field(default=None, repr=False)

    @property
    def sub_id(self) -> str:
        return self.ctx.turn_id
