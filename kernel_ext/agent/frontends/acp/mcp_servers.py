"""The MCP servers an ACP client passes in session/new and session/load (`mcpServers`).

Stdio and (streamable) HTTP servers join the session's config through `add_mcp_servers`
with the defaults of a `[mcp_servers.*]` table: stdio ones sandboxed, no network, an
environment of only the given `env`; HTTP ones with the given headers. config.toml wins a
name clash (the user's own server, with its settings, stays; the client's is left out
with a notice). SSE servers are refused with a notice each: `mcpCapabilities` says
http true, sse false. A name with other characters than `[a-zA-Z0-9_-]` (it becomes part
of tool names) is used with them replaced by `_`, with a notice; an empty name, a name
given twice, an empty command or a non-http(s) URL is a JSON-RPC error.
Notices are one stderr line each; they name servers, never their env values.
"""

from __future__ import annotations

import logging
from typing import Any

from acp import RequestError

from agent.core.api import ConfigError, add_mcp_servers

log = logging.getLogger(__name__)


def with_client_servers(config: Any, servers: list[Any]) -> Any:
    """`config` plus the client's stdio and HTTP servers; raises RequestError for a bad entry."""
    given = [entry for entry in map(_entry, servers) if entry is not None]
    if not given:
        return config
    try:
        config, notices = add_mcp_servers(config, given)
    except ConfigError as err:
        raise RequestError.invalid_params({"details": str(err)}) from None
    for notice in notices:
        log.warning("%s", notice)
    return config


def _entry(server: Any) -> dict[str, Any] | None:
    name = str(getattr(server, "name", ""))
    if getattr(server, "command", None) is not None:
        return {"name": name, "command": server.command, "args": list(server.args or []),
                "env": {variable.name: variable.value for variable in server.env or []}}
    if getattr(server, "type", None) == "http":
        return {"name": name, "url": server.url, "headers": {h.name: h.value for h in server.headers or []}}
    log.warning("MCP server %r from the client is not used: SSE servers are not supported (stdio and HTTP are)",
                name[:80])
    return None
