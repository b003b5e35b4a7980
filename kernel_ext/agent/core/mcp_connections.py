"""The MCP servers of one session: started with the session, their tools registered before
the first model request, closed at shutdown (spec §11).

`McpConnections.start()` starts every enabled server concurrently as soon as the session
has an event loop (at creation, when made on a running loop, as `open_session` does), so
start-up overlaps with the user typing. `ready()` is awaited before a turn's first request:
the request's tool list must hold the servers' tools, so it waits for start-up to end, which
the manager bounds per server by its `startup_timeout_sec` (a server that fails or hangs is
reported once and left out). When start-up ended before the turn, nothing waits.

Events: `mcp_startup_update` per server state, then one `mcp_startup_complete`, under the
submission id `mcp_startup`, and a `warning` per server that failed (shown by every front end). Imported only when a server is configured; `mcp_types` is
imported by the manager only when a server starts.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

from agent.protocol import events as ev
from agent.tools import ToolRegistry

from .config import Config
from .config.schema import McpServer

log = logging.getLogger(__name__)
TURN_ID = "mcp_startup"
Emit = Callable[[str, ev.EventMsg], Awaitable[None]]


@dataclass(frozen=True)
class McpServerView:
    """What `%agent mcp` shows of one server."""

    name: str
    state: str
    """starting | ready | failed | cancelled | disabled"""
    error: str | None = None
    sandboxed: str = "none"
    """The sandbox mechanism, or `none` with `sandbox = false`."""
    sandbox_opt_out: bool = False
    tools: list[str] = field(default_factory=list)


class McpConnections:
    def __init__(self, config: Config, tools: ToolRegistry, emit: Emit, *, sandbox_mechanism: str,
                 hidden_paths: tuple[Path, ...], accepts_images: bool = True):
        self._config = config
        self._servers = [s for s in config.mcp_servers if s.enabled]
        self._tools = tools
        self._emit = emit
        self._mechanism = sandbox_mechanism
        self._hidden = hidden_paths
        self._accepts_images = accepts_images
        self._manager: Any = None
        self._task: asyncio.Task[None] | None = None
        self._register_resource_tools()

    def start(self) -> None:
        """Start the servers on the running loop (no loop yet: `ready()` starts them)."""
        if self._task is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._task = loop.create_task(self._start())

    async def ready(self) -> None:
        """Wait until start-up has ended and the ready servers' tools are registered."""
        self.start()
        if self._task is not None:
            await asyncio.shield(self._task)

    def views(self) -> list[McpServerView]:
        statuses = {s.name: s for s in self._manager.statuses()} if self._manager is not None else {}
        views, refused = [], dict(self._config.mcp_refused)
        for server in self._config.mcp_servers:
            status = statuses.get(server.name)
            state = "disabled" if not server.enabled else (status.state if status else "starting")
            views.append(McpServerView(
                name=server.name, state=state, error=status.error if status else refused.get(server.name),
                sandboxed=status.sandboxed if status else "none", sandbox_opt_out=not server.sandbox,
                tools=sorted(t.name for t in _allowed(server, status.tools)) if status and state == "ready" else [],
            ))
        return views

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._manager is not None:
            try:
                await self._manager.close()
            except Exception:  # closing must never fail a shutdown
                log.debug("closing the MCP servers failed", exc_info=True)

    async def _start(self) -> None:
        from agent.tools.mcp.manager import McpManager

        self._manager = McpManager([_server_config(s) for s in self._servers], cwd=Path(self._config.cwd),
                                   sandbox_policy=self._config.sandbox_policy, mechanism=self._mechanism,
                                   hidden_paths=self._hidden, http_connect=_http_connect)
        await self._manager.start(self._on_update)
        await self._register()
        complete = _complete(self._manager.statuses())
        await self._emit(TURN_ID, complete)
        for failure in complete.failed:  # every front end shows warnings; reported once
            await self._emit(TURN_ID, ev.Warning(message=f"MCP server '{failure.server}' is not available: {failure.error}"))

    async def _on_update(self, status: Any) -> None:
        error = status.error if status.state == "failed" else None
        await self._emit(TURN_ID, ev.McpStartupUpdate(server=status.name, status=ev.McpStartupStatus(state=status.state, error=error)))

    def _register_resource_tools(self) -> None:
        """list_mcp_resources, list_mcp_resource_templates, read_mcp_resource (spec §4.2)."""
        from agent.tools.mcp.resource_tools import resource_tools

        for tool in resource_tools(lambda: self._manager):
            if self._tools.get(tool.name) is None:
                self._tools.register(tool)

    async def _register(self) -> None:
        from agent.tools.mcp.naming import qualify_tools
        from agent.tools.mcp.tool import McpTool

        by_name = {s.name: s for s in self._servers}
        pairs = [(st.name, tool) for st in self._manager.statuses() if st.state == "ready"
                 for tool in _allowed(by_name[st.name], st.tools)]
        qualified, warnings = qualify_tools(pairs)
        for q in qualified:
            if self._tools.get(q.name) is not None:
                warnings.append(f"MCP tool '{q.tool.name}' of server '{q.server}' is skipped: {q.name} is already a tool")
                continue
            self._tools.register(McpTool(q, self._manager, timeout_s=by_name[q.server].tool_timeout_sec,
                                         accepts_images=self._accepts_images))
        for warning in warnings:
            await self._emit(TURN_ID, ev.Warning(message=warning))


def _allowed(server: McpServer, tools: list[Any]) -> list[Any]:
    """`enabled_tools` (an allow-list when set) minus `disabled_tools`."""
    return [t for t in tools if (server.enabled_tools is None or t.name in server.enabled_tools)
            and t.name not in server.disabled_tools]


def _complete(statuses: list[Any]) -> ev.McpStartupComplete:
    return ev.McpStartupComplete(
        ready=[s.name for s in statuses if s.state == "ready"],
        failed=[ev.McpStartupFailure(server=s.name, error=s.error or "failed") for s in statuses if s.state == "failed"],
        cancelled=[s.name for s in statuses if s.state == "cancelled"],
    )


def _server_config(server: McpServer) -> Any:
    """The tools layer's copy of a server's settings (the same fields: core's config may not
    import the tools layer, which costs ~80 ms to import, and tools may not import core)."""
    from dataclasses import asdict

    from agent.tools.mcp.server_config import McpServerConfig

    return McpServerConfig(**asdict(server))


async def _http_connect(config: Any) -> Any:
    """A streamable HTTP server's connection (agent.client.mcp_http); headers from the
    environment now, a missing variable is a one-line McpError naming it."""
    import os

    from agent.client.mcp_http import HttpMcpConnection, http_headers
    from agent.tools.mcp.errors import McpError

    headers, secrets = http_headers(config.name, static=dict(config.http_headers),
                                    from_env=dict(config.env_http_headers),
                                    bearer_env_var=config.bearer_token_env_var, env=os.environ, error=McpError)
    return HttpMcpConnection(config.name, config.url, headers, secrets=secrets, error=McpError)
