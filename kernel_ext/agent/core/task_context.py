"""The settings of one task (`TurnContext`) and the session's handle on the running task."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agent.protocol.policy import AskForApproval, SandboxPolicy
from agent.tools.turn_diff import TurnDiffTracker

from .turn import SampleState

TaskKind = Literal["regular", "compact"]


@dataclass
class TurnContext:
    """Settings for one task; a user_turn's overrides update the session's copy."""

    turn_id: str
    cwd: Path
    approval_policy: AskForApproval
    sandbox_policy: SandboxPolicy
    model: str
    effort: str | None = None
    summary: str | None = None
    output_schema: dict[str, Any] | None = None
    current: SampleState | None = field(default=None, repr=False)
    diff: TurnDiffTracker | None = field(default=None, repr=False)


@dataclass
class ActiveTask:
    sub_id: str
    ctx: TurnContext
    task: asyncio.Task[None]
    kind: TaskKind = "regular"
