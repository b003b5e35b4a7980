"""Prompt assembly: the one place model input is put together, and secrets replaced.

* `regular(ctx)`: the next request of a regular turn: the base instructions, the
  normalised history, every advertised tool, parallel tool calls when the config asks and
  the model family supports them, the turn's output schema.
* `compaction(ctx, items)`: a compaction request: `items` as input, no tools.
* `compaction_input()`: those items: the history and the compact prompt as a user message.

The instructions and every input item pass through `ModelInputRedactor` (see
core/model_input_redaction.py). The clients turn the `Prompt` into request bytes,
encoding each history item's JSON once (agent.client.wire_json).
"""

from __future__ import annotations

from typing import Any, Iterable

from agent.client.prompt import Prompt
from agent.protocol.items import ResponseItem, user_text
from agent.tools import ToolRegistry

from .config import Config
from .context import ConversationContext
from .instructions import compact_prompt
from .model_family import find_family
from .model_input_redaction import ModelInputRedactor
from .task_context import TurnContext


class PromptAssembler:
    def __init__(self, config: Config, tools: ToolRegistry, context: ConversationContext, conversation_id: str,
                 secrets: Iterable[str] = ()):
        self._config = config
        self._tools = tools
        self._context = context
        self._conversation_id = conversation_id
        self._redactor = ModelInputRedactor(secrets)

    def regular(self, ctx: TurnContext) -> Prompt:
        parallel = self._config.parallel_tool_calls and find_family(ctx.model).supports_parallel_tool_calls
        return self._prompt(ctx, self._context.history.for_prompt(), self._tools.specs(), parallel, ctx.output_schema)

    def compaction(self, ctx: TurnContext, items: list[ResponseItem]) -> Prompt:
        return self._prompt(ctx, items, [], False, None)

    def compaction_input(self) -> list[ResponseItem]:
        return [*self._context.history.for_prompt(), user_text(compact_prompt(self._config))]

    def _prompt(self, ctx: TurnContext, items: list[ResponseItem], tools: list[dict[str, Any]], parallel: bool,
                schema: dict[str, Any] | None) -> Prompt:
        family = find_family(ctx.model)
        config = self._config
        instructions, items = self._redactor.prompt(self._context.instructions, items)
        return Prompt(
            model=ctx.model,
            instructions=instructions,
            input=items,
            tools=tools,
            parallel_tool_calls=parallel,
            effort=ctx.effort,  # type: ignore[arg-type]
            summary=ctx.summary,  # type: ignore[arg-type]
            reasoning=family.supports_reasoning or config.model_supports_reasoning_summaries,
            verbosity=config.model_verbosity if family.supports_verbosity else None,
            output_schema=schema,
            conversation_id=self._conversation_id,
        )
