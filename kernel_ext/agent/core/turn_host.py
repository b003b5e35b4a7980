"""`TurnHost`: what the turn loop, compaction and retries need from the session.

The session implements it (core/session.py); the loop never sees the session itself, so
the dependency runs one way: session -> turn / compact -> these collaborators.

    client        the model endpoint: `stream(prompt)` yields stream events
    fanout        emits (redacted) events to the subscribers and the rollout
    conversation  history + rollout recording, pending user input
    accounting    token_count / rate limits, context window, auto-compaction limit
    prompts       the requests of a regular turn and of a compaction
    tool_runner   runs a tool call (locked, reported)
    retry_policy  how often a failed stream is tried again, and the backoff base
"""

from __future__ import annotations

from typing import Protocol

from agent.client import ModelClient

from .accounting import TokenAccounting
from .conversation import Conversation
from .event_fanout import EventFanout
from .prompt_assembly import PromptAssembler
from .retry import RetryPolicy
from .tool_context import ToolRunner


class TurnHost(Protocol):
    @property
    def client(self) -> ModelClient: ...

    @property
    def fanout(self) -> EventFanout: ...

    @property
    def conversation(self) -> Conversation: ...

    @property
    def accounting(self) -> TokenAccounting: ...

    @property
    def prompts(self) -> PromptAssembler: ...

    @property
    def tool_runner(self) -> ToolRunner: ...

    @property
    def retry_policy(self) -> RetryPolicy: ...
