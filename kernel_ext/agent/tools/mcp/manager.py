"""`McpManager`: the MCP servers of one session.

* Transport: a stdio server (`command`) is spawned here (spawn.py, connection.py); a
  streamable HTTP server (`url`) is opened by the injected `http_connect(config)`, which
  returns a connection with the same surface (the session passes agent.client.mcp_http's;
  this package never touches the network). Without it a `url` server fails to start.

* `start(on_update)` starts every enabled server concurrently, each within its
  `startup_timeout_sec`: spawn (spawn.py), `initialize`, `tools/list` (all pages; the
  `enabled_tools` / `disabled_tools` filters applied). `on_update` gets a `ServerStatus`
  "starting", then "ready", "failed" (error: one line, name + reason) or "cancelled" (the
  start was cancelled). A server's failure never raises; a failed server has no tools.
* `call_tool(server, tool, arguments, timeout_s=None)` -> mcp_types.CallToolResult, or
  McpError (one line): unknown server or tool (a tool filtered out is unknown), timeout
  (`tool_timeout_sec` unless given), crash, protocol error. A server whose connection
  dropped is restarted on its next use, at most `MAX_RESTARTS` times per session, and its
  tools re-listed. Cancelling the awaiting task cancels the request on the server.
* `list_resources` / `list_resource_templates` (one server, or every ready server that
  offers resources when `server` is None) and `read_resource(server, uri)`.
* `close()` stops every server (its whole process group); idempotent.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Awaitable, Callable, Literal, Sequence

from agent.protocol.policy import SandboxPolicy

from .connection import StdioConnection
from .errors import McpError
from .server_config import McpServerConfig
from .handshake import initialize, list_all, mcp_types_module, validated
from .spawn import prepare_launch, sandbox_label

__all__ = ["MAX_RESTARTS", "McpError", "McpManager", "ServerStatus"]

MAX_RESTARTS = 3
OnUpdate = Callable[["ServerStatus"], "Awaitable[None] | None"]
HttpConnect = Callable[[McpServerConfig], Awaitable[Any]]
HTTP_LABEL = "none (streamable HTTP)"


@dataclass
class ServerStatus:
    name: str
    state: Literal["starting", "ready", "failed", "cancelled"]
    error: str | None = None
    tools: list[Any] = field(default_factory=list)
    """mcp_types.Tool as listed (enabled/disabled filters applied)."""
    sandboxed: str = "none"
    """The mechanism the server runs under, or "none (sandbox = false)" etc."""


@dataclass
class _Server:
    config: McpServerConfig
    status: ServerStatus
    conn: Any = None
    """StdioConnection, or the connection `http_connect` returned."""
    init: Any = None
    restarts: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def _filtered(tools: list[Any], config: McpServerConfig) -> list[Any]:
    allowed = set(config.enabled_tools) if config.enabled_tools is not None else None
    denied = set(config.disabled_tools)
    return [t for t in tools if (allowed is None or t.name in allowed) and t.name not in denied]


class McpManager:
    """See the module docstring."""

    def __init__(self, servers: list[McpServerConfig], *, cwd: Path, sandbox_policy: SandboxPolicy,
                 mechanism: str, hidden_paths: Sequence[Path] = (), http_connect: HttpConnect | None = None) -> None:
        self._http_connect = http_connect
        self._cwd = Path(cwd)
        self._policy = sandbox_policy
        self._mechanism = mechanism
        self._hidden = tuple(hidden_paths)
        self._servers = {c.name: _Server(c, ServerStatus(c.name, "starting")) for c in servers if c.enabled}
        self._closed = False

    def statuses(self) -> list[ServerStatus]:
        return [replace(s.status, tools=list(s.status.tools)) for s in self._servers.values()]

    # -- starting -------------------------------------------------------------------------

    async def start(self, on_update: OnUpdate) -> None:
        await asyncio.gather(*(self._start_one(s, on_update) for s in self._servers.values()))

    async def _start_one(self, server: _Server, on_update: OnUpdate) -> None:
        name = server.config.name
        label = HTTP_LABEL if server.config.url else sandbox_label(server.config, self._policy, self._mechanism)
        server.status = ServerStatus(name, "starting", sandboxed=label)
        await _call(on_update, replace(server.status))
        try:
            await self._connect_within(server, "failed to start")
            server.status = replace(server.status, state="ready", error=None)
        except asyncio.CancelledError:
            await self._stop(server)
            server.status = replace(server.status, state="cancelled", error=f"MCP server {name}: start cancelled")
            await _call(on_update, replace(server.status))
            raise
        except McpError as err:
            server.status = replace(server.status, state="failed", error=str(err), tools=[])
        await _call(on_update, replace(server.status, tools=list(server.status.tools)))

    async def _connect_within(self, server: _Server, failure: str) -> None:
        """Spawn + handshake + tools within the startup timeout; on failure the server is stopped."""
        timeout = server.config.startup_timeout_sec
        try:
            await asyncio.wait_for(self._connect(server), timeout)
        except asyncio.TimeoutError:
            tail = server.conn.stderr_tail() if server.conn else ""
            await self._stop(server)
            raise McpError(f"MCP server {server.config.name} {failure}: no answer within {timeout:g} s"
                           + (f" ({tail})" if tail else "")) from None
        except McpError as err:
            await self._stop(server)
            raise McpError(_named(server.config.name, failure, str(err))) from None
        except asyncio.CancelledError:
            await self._stop(server)
            raise
        except Exception as err:  # noqa: BLE001 - a server's failure never escapes as a traceback
            await self._stop(server)
            raise McpError(f"MCP server {server.config.name} {failure}: {type(err).__name__}: {err}") from None

    async def _connect(self, server: _Server) -> None:
        mcp_types = mcp_types_module()

        config = server.config
        if config.url:
            if self._http_connect is None:
                raise McpError(f"MCP server {config.name}: streamable HTTP servers are not available here")
            server.conn = await self._http_connect(config)
        else:
            launch = prepare_launch(config, workspace=self._cwd, sandbox_policy=self._policy,
                                    mechanism=self._mechanism, hidden=self._hidden)
            server.status = replace(server.status, sandboxed=launch.sandboxed)
            server.conn = await StdioConnection.spawn(config.name, launch)
        server.init = await initialize(server.conn)
        tools = await list_all(server.conn, "tools/list", mcp_types.ListToolsResult, "tools")
        server.status = replace(server.status, tools=_filtered(tools, config))

    async def _stop(self, server: _Server) -> None:
        conn, server.conn = server.conn, None
        if conn is not None:
            await conn.close()

    # -- using ----------------------------------------------------------------------------

    async def _running(self, name: str) -> tuple[_Server, Any]:
        server = self._servers.get(name)
        if server is None or self._closed:
            raise McpError(f"unknown MCP server {name!r}")
        async with server.lock:
            if server.status.state != "ready":
                raise McpError(server.status.error or f"MCP server {name} is not running ({server.status.state})")
            if server.conn is None or not server.conn.alive:
                await self._restart(server)
            assert server.conn is not None
            return server, server.conn

    async def _restart(self, server: _Server) -> None:
        name = server.config.name
        reason = server.conn.dropped_reason if server.conn is not None else None
        if server.restarts >= MAX_RESTARTS:
            raise McpError(f"MCP server {name} stopped and was already restarted {MAX_RESTARTS} times"
                           + (f" (last: {reason})" if reason else ""))
        server.restarts += 1
        await self._stop(server)
        await self._connect_within(server, f"stopped and failed to restart (restart {server.restarts})")

    async def call_tool(self, server: str, tool: str, arguments: dict[str, Any] | None, *,
                        timeout_s: float | None = None) -> Any:
        mcp_types = mcp_types_module()

        srv, conn = await self._running(server)
        if not any(t.name == tool for t in srv.status.tools):
            raise McpError(f"MCP server {server} has no tool {tool!r}")
        timeout = timeout_s if timeout_s is not None else srv.config.tool_timeout_sec
        raw = await conn.request("tools/call", {"name": tool, "arguments": arguments or {}}, timeout)
        return validated(mcp_types.CallToolResult, raw, f"MCP server {server} sent an invalid result for {tool}")

    async def list_resources(self, server: str | None, cursor: str | None = None) -> dict[str, Any]:
        """{server: mcp_types.ListResourcesResult} (one page per server)."""
        mcp_types = mcp_types_module()

        return await self._resource_pages(server, cursor, "resources/list", mcp_types.ListResourcesResult)

    async def list_resource_templates(self, server: str | None, cursor: str | None = None) -> dict[str, Any]:
        """{server: mcp_types.ListResourceTemplatesResult} (one page per server)."""
        mcp_types = mcp_types_module()

        return await self._resource_pages(server, cursor, "resources/templates/list",
                                          mcp_types.ListResourceTemplatesResult)

    async def read_resource(self, server: str, uri: str) -> Any:
        """mcp_types.ReadResourceResult."""
        mcp_types = mcp_types_module()

        srv, conn = await self._resource_server(server)
        raw = await conn.request("resources/read", {"uri": uri}, srv.config.tool_timeout_sec)
        return validated(mcp_types.ReadResourceResult, raw, f"MCP server {server} sent an invalid resource")

    async def _resource_server(self, name: str) -> tuple[_Server, Any]:
        srv, conn = await self._running(name)
        if srv.init is None or srv.init.capabilities.resources is None:
            raise McpError(f"MCP server {name} offers no resources")
        return srv, conn

    async def _resource_pages(self, server: str | None, cursor: str | None, method: str, model: type[Any]) -> dict[str, Any]:
        if server is None and cursor:
            raise McpError("a cursor needs the server it came from")
        names = [server] if server is not None else [
            n for n, s in self._servers.items()
            if s.status.state == "ready" and s.init is not None and s.init.capabilities.resources is not None]
        pages: dict[str, Any] = {}
        for name in names:
            srv, conn = await self._resource_server(name)
            raw = await conn.request(method, {"cursor": cursor} if cursor else None, srv.config.tool_timeout_sec)
            pages[name] = validated(model, raw, f"MCP server {name} sent an invalid {method} result")
        return pages

    # -- stopping -------------------------------------------------------------------------

    async def close(self) -> None:
        self._closed = True
        await asyncio.gather(*(self._stop(s) for s in self._servers.values()))


def _named(name: str, failure: str, message: str) -> str:
    """`message` (which may already start with "MCP server <name>") as "MCP server <name> <failure>: ..."."""
    for prefix in (f"MCP server {name}: ", f"MCP server {name} "):
        if message.startswith(prefix):
            message = message[len(prefix):]
            break
    return f"MCP server {name} {failure}: {message}"


async def _call(callback: OnUpdate, status: ServerStatus) -> None:
    result = callback(status)
    if inspect.isawaitable(result):
        await result
