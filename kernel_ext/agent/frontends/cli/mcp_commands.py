"""`kernel-agent mcp list | get NAME | add NAME ... -- COMMAND [ARGS...] | remove NAME`.

`list` and `get` show the servers of the effective configuration (profile and `-c`
overrides applied): command, args, cwd, the names of `env` (values are never shown) and of
`env_vars`, sandbox/network, enabled, tool filters; `--json` for scripts. `add` and
`remove` edit `[mcp_servers.NAME]` in `$KERNEL_AGENT_HOME/config.toml`, keeping the rest
of the file (mcp_toml.py); `add` refuses an existing name unless `--replace`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from agent.core.api import CONFIG_FILE, CliOverrides, ConfigError, agent_home, load_config

from .mcp_toml import NAME, TomlEditError, read_document, configured_names, remove_server, set_server

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MASK = "*****"


def add_mcp_commands(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    mcp = sub.add_parser("mcp", help="list, show, add and remove MCP servers")
    actions = mcp.add_subparsers(dest="mcp_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", parents=[parent], help="list the configured MCP servers")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=run_list)
    get = actions.add_parser("get", parents=[parent], help="show one MCP server")
    get.add_argument("name")
    get.add_argument("--json", action="store_true", help="print JSON")
    get.set_defaults(func=run_get)
    add = actions.add_parser("add", help="add a stdio MCP server to config.toml",
                             usage="kernel-agent mcp add NAME [--env K=V]... [--no-sandbox] [--network] [--replace] -- COMMAND [ARGS...]")
    add.add_argument("name")
    add.add_argument("--env", action="append", default=[], metavar="K=V", help="a variable the server gets (repeatable)")
    add.add_argument("--no-sandbox", action="store_true", help="run the server outside the sandbox (sandbox = false)")
    add.add_argument("--network", action="store_true", help="let the sandboxed server use the network (network = true)")
    add.add_argument("--replace", action="store_true", help="replace a server of the same name")
    add.add_argument("command_line", nargs="+", metavar="COMMAND", help="the program and its arguments, after --")
    add.set_defaults(func=run_add)
    remove = actions.add_parser("remove", help="remove an MCP server from config.toml")
    remove.add_argument("name")
    remove.set_defaults(func=run_remove)


def _fail(message: str) -> int:
    print(f"Error: {message}", file=sys.stderr)
    return 1


def _servers(args: argparse.Namespace) -> Any:
    return load_config(CliOverrides(profile=args.profile, raw=list(args.raw_overrides))).mcp_servers


def describe(server: Any) -> dict[str, Any]:
    """What list/get show of a server: env values are masked."""
    return {
        "name": server.name, "command": server.command, "args": list(server.args), "cwd": server.cwd,
        "url": server.url, "http_headers": {key: MASK for key, _ in server.http_headers},
        "env": {key: MASK for key, _ in server.env}, "env_vars": list(server.env_vars),
        "sandbox": server.sandbox, "network": server.network, "enabled": server.enabled,
        "enabled_tools": None if server.enabled_tools is None else list(server.enabled_tools),
        "disabled_tools": list(server.disabled_tools),
        "startup_timeout_sec": server.startup_timeout_sec, "tool_timeout_sec": server.tool_timeout_sec,
    }


def run_list(args: argparse.Namespace) -> int:
    try:
        servers = [describe(s) for s in _servers(args)]
    except ConfigError as err:
        return _fail(str(err))
    if args.json:
        print(json.dumps(servers, indent=2))
    elif not servers:
        print("No MCP servers configured. Add one with: kernel-agent mcp add NAME -- COMMAND [ARGS...]")
    else:
        rows = [("Name", "Command", "Env", "Sandbox", "Enabled")] + [
            (s["name"], s["url"] or " ".join([s["command"], *s["args"]]), _env_text(s["env"]) or "-", _sandbox_text(s),
             "yes" if s["enabled"] else "no") for s in servers]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        for row in rows:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])
    return 0


def run_get(args: argparse.Namespace) -> int:
    try:
        found = [describe(s) for s in _servers(args) if s.name == args.name]
    except ConfigError as err:
        return _fail(str(err))
    if not found:
        return _fail(f"no MCP server named '{args.name}'")
    server = found[0]
    if args.json:
        print(json.dumps(server, indent=2))
        return 0
    tools = server["enabled_tools"]
    for key, value in [
        ("name", server["name"]), ("enabled", "yes" if server["enabled"] else "no"),
        ("url", server["url"]) if server["url"] else ("command", server["command"]),
        ("args", " ".join(server["args"]) or "-"), ("cwd", server["cwd"] or "-"), ("env", _env_text(server["env"]) or "-"),
        ("env_vars", ", ".join(server["env_vars"]) or "-"), ("sandbox", _sandbox_text(server)),
        ("enabled_tools", "all" if tools is None else ", ".join(tools) or "none"),
        ("disabled_tools", ", ".join(server["disabled_tools"]) or "-"),
        ("startup_timeout", f"{server['startup_timeout_sec']:g} s"), ("tool_timeout", f"{server['tool_timeout_sec']:g} s"),
    ]:
        print(f"{key + ':':<17}{value}")
    return 0


def _env_text(env: dict[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in env.items())


def _sandbox_text(server: dict[str, Any]) -> str:
    if server["url"]:
        return "n/a (HTTP)"
    if not server["sandbox"]:
        return "off"
    return "on, network" if server["network"] else "on"


def run_add(args: argparse.Namespace) -> int:
    if not NAME.match(args.name):
        return _fail(f"invalid server name {args.name!r} (allowed: letters, digits, '_' and '-')")
    env: dict[str, str] = {}
    for pair in args.env:
        key, sep, value = pair.partition("=")
        if not sep or not ENV_NAME.match(key):
            return _fail(f"--env expects KEY=VALUE with KEY a variable name, got {key!r}")
        env[key] = value
    path = agent_home() / CONFIG_FILE
    try:
        if args.name in configured_names(read_document(path)[1]) and not args.replace:
            return _fail(f"an MCP server named '{args.name}' already exists in {path}; use --replace to replace it")
        set_server(path, args.name, _table(args, env))
    except (TomlEditError, OSError) as err:
        return _fail(str(err))
    print(f"Added MCP server '{args.name}' to {path}")
    return 0


def _table(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    command, *rest = args.command_line
    table: dict[str, Any] = {"command": command, "args": rest}
    if env:
        table["env"] = env
    if args.no_sandbox:
        table["sandbox"] = False
    if args.network:
        table["network"] = True
    return table


def run_remove(args: argparse.Namespace) -> int:
    path = agent_home() / CONFIG_FILE
    try:
        remove_server(path, args.name)
    except (TomlEditError, OSError) as err:
        return _fail(str(err))
    print(f"Removed MCP server '{args.name}' from {path}")
    return 0
