"""The tool registry: name -> tool, the request's tool specs, and call dispatch.

`dispatch` turns every outcome into a `ToolResult`: unknown tools and `RespondToModel`
become text for the model (spec §4.3); `ToolFatal` propagates and ends the turn.
"""

from __future__ import annotations

from typing import Any, Iterable

from .base import Tool, ToolCall, ToolContext, ToolResult
from .errors import RespondToModel


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool] = ()):
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.register(tool)

    def register(self, tool: Tool) -> None:
        if tool.name in self._tools:
            raise ValueError(f"tool {tool.name!r} is registered twice")
        self._tools[tool.name] = tool

    def names(self) -> list[str]:
        return list(self._tools)

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def specs(self) -> list[dict[str, Any]]:
        """The tools offered to the model (handler-only aliases such as `local_shell` are not)."""
        return [tool.spec() for tool in self._tools.values() if getattr(tool, "advertised", True)]

    def supports_parallel(self, name: str) -> bool:
        tool = self._tools.get(name)
        return bool(tool and tool.supports_parallel)

    async def dispatch(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        tool = self._tools.get(call.name)
        if tool is None:
            kind = "custom tool call" if call.kind == "custom" else "call"
            return ToolResult(f"unsupported {kind}: {call.name}", success=False)
        try:
            return await tool.handle(call, ctx)
        except RespondToModel as err:
            return ToolResult(err.message, success=False)
