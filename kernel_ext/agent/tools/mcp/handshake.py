"""The MCP session start and paged listings over a `StdioConnection` (models: mcp_types).

* `initialize(conn)` sends `initialize` (our newest handshake protocol version, no client
  capabilities: roots, sampling and elicitation are not offered), checks the server's
  version is one mcp-types knows, then sends `notifications/initialized`.
* `list_all(conn, method, model, field)` follows `nextCursor` (at most `MAX_PAGES`; a
  repeated cursor is an error) and returns every item.
* `mcp_types_module()` -> mcp_types, or McpError when the `mcp` extra is missing.
* `validated(model, data, what)` -> the model, or McpError naming what was invalid.
"""

from __future__ import annotations

from typing import Any, TypeVar

from .connection import StdioConnection
from .errors import McpError, one_line

__all__ = ["CLIENT_NAME", "MAX_PAGES", "initialize", "list_all", "mcp_types_module", "validated"]

CLIENT_NAME = "kernel-agent"
MAX_PAGES = 100
M = TypeVar("M")


def mcp_types_module() -> Any:
    """The `mcp_types` module, or McpError saying how to install it."""
    try:
        import mcp_types
    except ImportError:
        raise McpError("MCP servers need the mcp-types package: pip install 'kernel-agent[mcp]'") from None
    return mcp_types


def validated(model: type[M], data: dict[str, Any], what: str) -> M:
    from pydantic import ValidationError

    try:
        return model.model_validate(data)  # type: ignore[attr-defined, no-any-return]
    except ValidationError as err:
        first = err.errors()[0] if err.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise McpError(f"{what}: {where or 'result'}: {first.get('msg', 'invalid')}") from None


async def initialize(conn: StdioConnection) -> Any:
    """The server's mcp_types.InitializeResult (module docstring)."""
    mcp_types = mcp_types_module()
    from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION

    from agent._version import __version__

    params = {"protocolVersion": LATEST_HANDSHAKE_VERSION, "capabilities": {},
              "clientInfo": {"name": CLIENT_NAME, "version": __version__}}
    raw = await conn.request("initialize", params, None)
    result = validated(mcp_types.InitializeResult, raw, f"MCP server {conn.name} sent an invalid initialize result")
    if result.protocol_version not in HANDSHAKE_PROTOCOL_VERSIONS:
        version = one_line(result.protocol_version, 40)
        raise McpError(f"MCP server {conn.name} speaks protocol version {version!r}, which this client does not")
    await conn.notify("notifications/initialized")
    return result


async def list_all(conn: StdioConnection, method: str, model: type[Any], field: str,
                   timeout_s: float | None = None) -> list[Any]:
    """Every item of a paged listing (module docstring)."""
    items: list[Any] = []
    cursor: str | None = None
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        raw = await conn.request(method, {"cursor": cursor} if cursor else None, timeout_s)
        page = validated(model, raw, f"MCP server {conn.name} sent an invalid {method} result")
        items += getattr(page, field)
        cursor = page.next_cursor
        if not cursor:
            return items
        if cursor in seen:
            raise McpError(f"MCP server {conn.name}: {method} repeated a page cursor")
        seen.add(cursor)
    raise McpError(f"MCP server {conn.name}: {method} has more than {MAX_PAGES} pages")
