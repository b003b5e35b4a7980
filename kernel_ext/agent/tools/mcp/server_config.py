"""`McpServerConfig`: one `[mcp_servers.<name>]` server (stdio or streamable HTTP), as parsed from config.toml."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["McpServerConfig"]


@dataclass(frozen=True)
class McpServerConfig:
    """An MCP server (field meanings: docs/mcp.md; names are checked by config parsing):
    stdio when `url` is None, else streamable HTTP (`command` and the stdio keys unused)."""

    name: str
    command: str = ""
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    """Variables set for the server: the only way a secret reaches it."""
    env_vars: tuple[str, ...] = ()
    """Names passed through from the kernel's environment."""
    cwd: str | None = None
    """Where the server runs; default: the session's cwd."""
    enabled: bool = True
    enabled_tools: tuple[str, ...] | None = None
    disabled_tools: tuple[str, ...] = ()
    startup_timeout_sec: float = 30.0
    tool_timeout_sec: float = 120.0
    sandbox: bool = True
    """Run under the session's sandbox mechanism (False: the explicit opt-out)."""
    network: bool = False
    """Network access for a sandboxed server."""
    url: str | None = None
    bearer_token_env_var: str | None = None
    http_headers: tuple[tuple[str, str], ...] = ()
    env_http_headers: tuple[tuple[str, str], ...] = ()
    """Header name -> the environment variable holding its value (read at connect time)."""
