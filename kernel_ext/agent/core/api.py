"""The core's public API: everything a front end uses, in one module.

Front ends (`agent.frontends`) import this module and `agent.protocol`, nothing else of
the agent; an import-linter contract in pyproject.toml holds them to it. Importing it is
cheap: each name is imported from its module on first use (`import agent`, `%load_ext
agent` must stay fast).

Configuration  `load_config(CliOverrides(...)) -> Config`, `ConfigError`, `CONFIG_FILE`,
               `parse_cli_override`, `agent_home()`, `login_refusal()` (the admin's
               `allow_user_login = false`, else None); `read_rules_file(path)` (the
               rules of one `.rules` file; `Config.exec_rules.evaluate(argv)` decides).
Sessions       `open_session`, `resume_session`, `fork_session` (each raises `SetupError`,
               whose message says what to fix), `submit_user_text(session, text)` for
               anything a person types, `startup_warnings(session)`,
               `turn_diff(session, n)` (a coroutine), `finished_turn_diff`; the `Session` type.
Recordings     `list_sessions` (-> `SessionSummary` rows), `latest_session`,
               `locate_session`, `load_rollout` + `initial_messages` (a recorded
               conversation), `fork_recording` (a fork, without opening a session).
Credentials    `save_api_key`, `stored_api_key`, `delete_auth`, `auth_path`,
               `resolve_api_key`, `mask_key` (the only form a key is ever shown in),
               `AuthFileError`, `AGENT_API_KEY_ENV` / `API_KEY_FIELD` (the env names),
               `Redactor` (masks known secrets and anything shaped like an API key).
Notebooks      `add_kernel_tools(session, shell, notebook)`: the kernel-aware tools,
               with `notebook` (a `NotebookFrontend`) as the front end of notebook_edit;
               `sandbox_mechanism()`.
MCP            `mcp_servers(session)`: each configured MCP server's state, error, sandbox
               and tools (`McpServerView`; empty without `[mcp_servers.*]`);
               `add_mcp_servers(config, servers)`: servers a front end was given.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Mapping, Sequence

if TYPE_CHECKING:
    from pathlib import Path

    from agent.tools.notebook_edit import NotebookFrontend

    from .auth import (
        AGENT_API_KEY_ENV,
        API_KEY_FIELD,
        AuthFileError,
        auth_path,
        delete_auth,
        mask_key,
        resolve_api_key,
        save_api_key,
        stored_api_key,
    )
    from .config import CONFIG_FILE, CliOverrides, Config, ConfigError, load_config, login_refusal, parse_cli_override
    from .config.rules_files import read_rules_file
    from .errors import SetupError
    from .factory import fork_session, locate_session, open_session, resume_session, startup_warnings, submit_user_text
    from .home import agent_home
    from .redact import Redactor
    from .rollout import SessionSummary, initial_messages, latest_session, list_sessions, load_rollout
    from .session import Session

_HOMES = {
    "auth": ["AGENT_API_KEY_ENV", "API_KEY_FIELD", "AuthFileError", "auth_path", "delete_auth", "mask_key",
             "resolve_api_key", "save_api_key", "stored_api_key"],
    "config": ["CONFIG_FILE", "CliOverrides", "Config", "ConfigError", "load_config", "login_refusal",
               "parse_cli_override"],
    "config.rules_files": ["read_rules_file"],
    "errors": ["SetupError"],
    "factory": ["fork_session", "locate_session", "open_session", "resume_session", "startup_warnings",
                "submit_user_text"],
    "home": ["agent_home"],
    "redact": ["Redactor"],
    "rollout": ["SessionSummary", "initial_messages", "latest_session", "list_sessions", "load_rollout"],
    "session": ["Session"],
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted([*_MODULE_OF, "add_kernel_tools", "add_mcp_servers", "fork_recording", "finished_turn_diff", "mcp_servers",
                  "sandbox_mechanism", "turn_diff"])


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__package__}.{module}"), name)
    globals()[name] = value
    return value


def add_kernel_tools(session: Session, shell: Any, notebook: NotebookFrontend) -> list[str]:
    """Register the kernel-aware tools (kernel_variables, last_error, notebook_history,
    run_python, notebook_edit) the session lacks; returns their names. The tools reach the
    kernel through IPython's `shell` (duck-typed) and the live notebook through `notebook`,
    the front end that carries out notebook_edit's requests."""
    from agent.tools.kernel_tools import notebook_tools

    added = []
    for tool in notebook_tools(shell, notebook, unmasked=session.config.kernel_variables_unmasked):
        if session.tools.get(tool.name) is None:
            session.tools.register(tool)
            added.append(tool.name)
    return added


def mcp_servers(session: Session) -> list[Any]:
    """What `%agent mcp` shows: one `McpServerView` (name, state, error, sandboxed,
    sandbox_opt_out, tools) per configured server; disabled ones have state `disabled`."""
    if session.mcp is None:
        from .mcp_connections import McpServerView

        refused = dict(session.config.mcp_refused)
        return [McpServerView(name=s.name, state="disabled", error=refused.get(s.name), sandbox_opt_out=not s.sandbox)
                for s in session.config.mcp_servers]
    return list(session.mcp.views())


def add_mcp_servers(config: Config, servers: Sequence[Mapping[str, Any]]) -> tuple[Config, list[str]]:
    """`config` plus the MCP servers a front end was given (ACP's `mcpServers`): each a
    stdio `{name, command, args, env}` or a streamable HTTP `{name, url, headers}`, with
    the defaults of a `[mcp_servers.*]` table: stdio ones sandboxed, no network, an
    environment of only `env` (secret-looking values redacted like the config's). A name
    config.toml already has keeps the user's server: the given one is left out with a
    notice (the returned list). A name with characters outside `[a-zA-Z0-9_-]` (Jupyter AI
    calls its own server "Jupyter MCP Server") is used with each of them replaced by `_`
    (a suffix `_2`, `_3`... if that name is taken), with a notice: names become part of tool
    names. Raises ConfigError for an empty name, a name given twice, an empty command or a
    URL that is not http(s)."""
    import dataclasses

    from .config import ConfigError

    known, added, notices = {s.name for s in config.mcp_servers}, [], []
    given = [str(entry["name"]) for entry in servers]
    for entry in servers:
        raw = str(entry["name"])
        if not raw.strip() or given.count(raw) > 1:
            raise ConfigError(f"MCP server name {raw[:80]!r} is {'empty' if not raw.strip() else 'given twice'} "
                              "(each server needs a name of its own)")
        name = _tool_safe_name(raw, {s.name for s in added})
        if name != raw:
            notices.append(f"MCP server {raw[:80]!r} from the client is called {name!r} here (tool names allow letters, digits, '_' and '-')")
        server = _given_server(name, entry)
        if name in known:
            notices.append(f"MCP server {name!r} from the client is not used: config.toml has a server of that name")
            continue
        added.append(server)
    servers_now = tuple(sorted((*config.mcp_servers, *added), key=lambda s: s.name))
    from .config.enforce import refuse_mcp_servers  # the admin's allowlist holds for given servers too

    checked = refuse_mcp_servers(dataclasses.replace(config, mcp_servers=servers_now))
    notices += [f"{line}; it is not started" for line in (line for _, line in checked.mcp_refused[len(config.mcp_refused):])]
    return dataclasses.replace(checked, warnings=config.warnings), notices


def _tool_safe_name(raw: str, taken: set[str]) -> str:
    """`raw` with characters outside `[a-zA-Z0-9_-]` replaced by `_` (at most 48 of them), unique in `taken`."""
    import re

    base = re.sub(r"[^a-zA-Z0-9_-]", "_", raw.strip())[:48]
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    return name


def _given_server(name: str, entry: Mapping[str, Any]) -> Any:
    from urllib.parse import urlsplit

    from .config import ConfigError
    from .config.schema import McpServer

    if "url" in entry:
        url = str(entry["url"]).strip()
        try:
            valid = urlsplit(url).scheme in ("http", "https") and bool(urlsplit(url).hostname)
        except ValueError:
            valid = False
        if not valid:
            raise ConfigError(f"MCP server {name!r}: invalid url {url[:200]!r} (expected an http:// or https:// URL)")
        return McpServer(name=name, command="", url=url, http_headers=tuple(sorted(dict(entry.get("headers") or {}).items())))
    if not entry.get("command"):
        raise ConfigError(f"MCP server {name!r} has no command")
    return McpServer(name=name, command=str(entry["command"]), args=tuple(entry.get("args") or ()),
                     env=tuple(sorted(dict(entry.get("env") or {}).items())))


def sandbox_mechanism() -> str:
    """The mechanism commands would run under here: `bubblewrap`, `landlock` or `none`."""
    from agent.exec.sandbox import probe_mechanism

    return probe_mechanism().mechanism


async def turn_diff(session: Session, n: int = 1) -> str | None:
    """The unified diff of what the n-th latest turn changed in the workspace (1: the
    latest), whatever tool changed it, with notes on files not snapshotted; "" when it
    changed no file, None when the session has no such turn. Call on the session's loop."""
    return await session.turn_diff(n)


def finished_turn_diff(session: Session, n: int = 1) -> tuple[bool, str | None]:
    """`turn_diff` without waiting, for a turn that has ended: (True, diff or None);
    (False, None) while its snapshots are still being taken (then await `turn_diff`)."""
    return session.finished_turn_diff(n)


def fork_recording(config: Config, path: Path, nth_user_message: int | None, *, source: str = "cli") -> tuple[str, Path, int]:
    """A new recorded session holding `path`'s history before its n-th real user message
    (0-based; None keeps everything), written with every known secret redacted, without
    opening it. Returns (new id, new path, number of lines kept). Raises OSError."""
    from .rollout import default_redact, fork_rollout

    new_id, new_path, kept = fork_rollout(config.home, path, nth_user_message, redact=default_redact(config.home),
                                          source=source, cwd=config.cwd, model_provider=config.model_provider_id)
    return new_id, new_path, len(kept)
