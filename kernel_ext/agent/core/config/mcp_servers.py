"""`[mcp_servers.<name>]` tables (top level and the selected profile) -> `McpServer`s.

A profile's table replaces the top-level one of the same name. Names must match
`^[a-zA-Z0-9_-]+$` (they become part of tool names, spec §11). A stdio server needs a
`command`; a streamable HTTP server a `url` (http or https) instead, never both. The
HTTP keys (`bearer_token_env_var`, `http_headers`, `env_http_headers`) need a `url`;
variables are read when the server starts, not here.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from .errors import ConfigError
from .file_schema import McpServerToml
from .schema import McpServer

NAME = re.compile(r"^[a-zA-Z0-9_-]+$")
HTTP_ONLY_KEYS = ("bearer_token_env_var", "http_headers", "env_http_headers")


def resolve_mcp_servers(tables: Mapping[str, tuple[McpServerToml, str]], cwd: Path) -> tuple[tuple[McpServer, ...], list[str]]:
    """`tables`: name -> (table, where it came from). Returns the servers sorted by name
    and warnings (none yet). Raises ConfigError for a bad name, a table with neither or
    both of `command` and `url`, a bad `url`, or HTTP keys on a stdio server."""
    servers, warnings = [], []
    for name in sorted(tables):
        table, source = tables[name]
        key = f"mcp_servers.{name}"
        if not NAME.match(name):
            raise ConfigError(f"invalid server name in '{key}': {name!r} (allowed: letters, digits, '_' and '-')",
                              key=key, source=source)
        if table.url is not None:
            servers.append(_http_server(name, table, key, source))
            continue
        if not table.command:
            raise ConfigError(f"missing required key '{key}.command' (the program that starts the server)"
                              f" or '{key}.url' (a streamable HTTP server)",
                              key=f"{key}.command", source=source)
        for k in HTTP_ONLY_KEYS:
            if getattr(table, k) is not None:
                raise ConfigError(f"'{key}.{k}' needs '{key}.url' (it is for streamable HTTP servers)",
                                  key=f"{key}.{k}", source=source)
        servers.append(_server(name, table, cwd))
    return tuple(servers), warnings


def _server(name: str, table: McpServerToml, cwd: Path) -> McpServer:
    return McpServer(
        name=name, command=table.command or "", args=tuple(table.args), env=tuple(sorted(table.env.items())),
        env_vars=tuple(table.env_vars),
        cwd=os.path.normpath(os.path.join(cwd, os.path.expanduser(table.cwd))) if table.cwd else None,
        enabled=table.enabled,
        enabled_tools=None if table.enabled_tools is None else tuple(table.enabled_tools),
        disabled_tools=tuple(table.disabled_tools), startup_timeout_sec=float(table.startup_timeout_sec),
        tool_timeout_sec=float(table.tool_timeout_sec), sandbox=table.sandbox, network=table.network,
    )


def _http_server(name: str, table: McpServerToml, key: str, source: str) -> McpServer:
    url = (table.url or "").strip()
    if table.command:
        raise ConfigError(f"'{key}' sets both 'command' and '{key}.url': a server is stdio or streamable HTTP, not both",
                          key=f"{key}.url", source=source)
    try:
        parsed = urlsplit(url)
        valid = parsed.scheme in ("http", "https") and bool(parsed.hostname)
    except ValueError:
        valid = False
    if not valid:
        raise ConfigError(f"invalid '{key}.url': {url!r} (expected an http:// or https:// URL)",
                          key=f"{key}.url", source=source)
    return McpServer(
        name=name, command="", url=url, bearer_token_env_var=table.bearer_token_env_var or None,
        http_headers=tuple(sorted((table.http_headers or {}).items())),
        env_http_headers=tuple(sorted((table.env_http_headers or {}).items())),
        enabled=table.enabled, enabled_tools=None if table.enabled_tools is None else tuple(table.enabled_tools),
        disabled_tools=tuple(table.disabled_tools), startup_timeout_sec=float(table.startup_timeout_sec),
        tool_timeout_sec=float(table.tool_timeout_sec),
    )
