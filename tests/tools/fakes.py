"""A fake ToolContext for calling tools directly in tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.protocol.policy import ReadOnly
from agent.tools.base import ExecSettings
from agent.tools.turn_diff import TurnDiffTracker
from agent.tools.undo_journal import TurnJournal


@dataclass
class FakeCtx:
    cwd: Path
    turn_id: str = "t1"
    session_id: str = "s1"
    model: str = "test-model"
    provider: str = "test-provider"
    approval_policy: str = "never"
    sandbox_policy: Any = field(default_factory=ReadOnly)
    exec_settings: ExecSettings = field(default_factory=ExecSettings)
    session_approvals: set = field(default_factory=set)
    sandbox_mechanism: str = "none"
    hidden_paths: tuple = ()
    events: list = field(default_factory=list)
    pending: list = field(default_factory=list)
    decision: str = "denied"

    def __post_init__(self) -> None:
        self.diff_tracker = TurnDiffTracker(self.cwd)
        self.journal = TurnJournal(self.turn_id)

    async def emit(self, msg: Any) -> None:
        self.events.append(msg)

    async def request_approval(self, request: Any) -> str:
        self.events.append(request)
        return self.decision

    def add_pending_input(self, item: Any) -> None:
        self.pending.append(item)
