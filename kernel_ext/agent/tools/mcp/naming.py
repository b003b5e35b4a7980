"""Model-facing names of MCP tools (spec §11): `mcp__<server>__<tool>`. Pure.

Characters outside `[a-zA-Z0-9_-]` in a tool's name become `_` (the Responses API rejects
them; the server still gets the original name). A name longer than 64 characters keeps its
first 24 and appends the 40-hex SHA-1 of the full name. A duplicate is skipped with a
warning; the result is sorted by qualified name.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Iterable

MAX_NAME = 64
_SHA1_HEX = 40
_INVALID = re.compile(r"[^a-zA-Z0-9_-]")


@dataclass(frozen=True)
class QualifiedTool:
    name: str
    """What the model calls."""
    server: str
    tool: Any
    """The server's `mcp_types.Tool` (its `name` is what the server is called with)."""


def qualified_name(server: str, tool: str) -> str:
    name = f"mcp__{server}__{_INVALID.sub('_', tool)}"
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()
    return name[: MAX_NAME - _SHA1_HEX] + digest


def qualify_tools(tools: Iterable[tuple[str, Any]]) -> tuple[list[QualifiedTool], list[str]]:
    """(server, tool) pairs -> the tools sorted by qualified name, and a warning per duplicate."""
    seen: dict[str, QualifiedTool] = {}
    warnings = []
    for server, tool in tools:
        name = qualified_name(server, tool.name)
        if name in seen:
            warnings.append(f"MCP tool '{tool.name}' of server '{server}' is skipped: its name {name} "
                            f"is already used by tool '{seen[name].tool.name}' of server '{seen[name].server}'")
            continue
        seen[name] = QualifiedTool(name, server, tool)
    return [seen[name] for name in sorted(seen)], warnings
