"""Tools the model may call, and the registry that dispatches them.

This layer depends on `agent.protocol` and `agent.exec` only.
"""

from __future__ import annotations

from .base import Tool, ToolCall, ToolContext, ToolResult
from .errors import RespondToModel, ToolError, ToolFatal
from .registry import ToolRegistry

__all__ = [
    "RespondToModel",
    "Tool",
    "ToolCall",
    "ToolContext",
    "ToolError",
    "ToolFatal",
    "ToolRegistry",
    "ToolResult",
    "default_tools",
]


def default_tools() -> list[Tool]:
    """The tools a new session offers."""
    from .plan import UpdatePlanTool

    return [UpdatePlanTool()]
