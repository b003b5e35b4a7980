"""What the model sees of a session, apart from the tools (spec §8): the history, the
initial context, the environment last told to the model, and the token accounting.

    initial_context(ctx)     [developer instructions?] [AGENTS.md message?] [environment]
    environment_update(ctx)  [] or [environment diff] when cwd/approval/sandbox changed
    replace(ctx, items)      compaction: new history, estimated tokens, environment = ctx's

The AGENTS.md message is read once, when the context is created; the base instructions
once, on first use (so a missing instructions file fails the first task, not the session).
"""

from __future__ import annotations

from agent.protocol.items import InputText, Message, ResponseItem
from agent.tools.truncate import TruncationPolicy

from .config import Config
from .environment import EnvironmentContext, diff
from .history import ConversationHistory
from .instructions import base_instructions
from .model_family import history_policy, truncation_policy
from .project_docs import user_instructions_message
from .task_context import TurnContext
from .tokens import TokenTracker, estimate_tokens


class ConversationContext:
    def __init__(self, config: Config, defaults: TurnContext, resumed_history: list[ResponseItem] | None = None):
        """`defaults`: the session's turn settings at creation or resume."""
        self.config = config
        self.tokens = TokenTracker()
        self._user_instructions = user_instructions_message(config)
        self._base_instructions: str | None = None
        initial = resumed_history if resumed_history is not None else self.initial_context(defaults)
        self.history = ConversationHistory(initial, output_policy=self.output_policy(defaults.model))
        self._last_env = EnvironmentContext.from_turn(defaults)

    @property
    def instructions(self) -> str:
        if self._base_instructions is None:
            self._base_instructions = base_instructions(self.config)
        return self._base_instructions

    def output_policy(self, model: str) -> TruncationPolicy:
        """The 1.2x history budget for tool outputs of `model`'s family."""
        return history_policy(truncation_policy(model, self.config))

    def initial_context(self, ctx: TurnContext) -> list[ResponseItem]:
        items: list[ResponseItem] = []
        developer = self.config.developer_instructions
        if developer:
            items.append(Message(role="developer", content=[InputText(text=developer)]))
        if self._user_instructions is not None:
            items.append(self._user_instructions)
        items.append(EnvironmentContext.from_turn(ctx).message())
        return items

    def environment_update(self, ctx: TurnContext) -> list[ResponseItem]:
        """The diff message to record before a task's input (empty when nothing changed)."""
        current = EnvironmentContext.from_turn(ctx)
        previous, self._last_env = self._last_env, current
        changed = diff(previous, current)
        return [changed.message()] if changed is not None else []

    def replace(self, ctx: TurnContext, items: list[ResponseItem]) -> int:
        """Replace the history (compaction); returns and records the estimated tokens."""
        self.history.replace(items)
        self._last_env = EnvironmentContext.from_turn(ctx)
        estimate = estimate_tokens(self.instructions, items)
        self.tokens.set_estimate(estimate)
        return estimate
