"""What the turn loop asks a model client for: one request, wire-neutral."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.protocol.items import ResponseItem
from agent.protocol.policy import ReasoningEffort, ReasoningSummary, Verbosity


@dataclass
class Prompt:
    model: str
    instructions: str
    input: list[ResponseItem]
    tools: list[dict[str, Any]] = field(default_factory=list)
    """Tool specs in the Responses API shape (`{"type":"function","name",...}` or custom)."""
    parallel_tool_calls: bool = False
    effort: ReasoningEffort | None = None
    summary: ReasoningSummary | None = None
    reasoning: bool = False
    """Whether to send the `reasoning` field (families that support it)."""
    verbosity: Verbosity | None = None
    output_schema: dict[str, Any] | None = None
    conversation_id: str = ""
