"""`McpError`: an MCP server failed (start, timeout, crash, protocol error); one line."""

from __future__ import annotations

__all__ = ["McpError", "one_line"]


def one_line(text: str, limit: int = 300) -> str:
    """`text` on one line (whitespace runs collapsed), at most `limit` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class McpError(Exception):
    """A one-line message naming the server and the reason."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))
