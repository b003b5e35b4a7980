"""The core's public API: everything a front end uses, in one module.

Front ends (`agent.frontends`) import this module and `agent.protocol`, nothing else of
the agent; an import-linter contract in pyproject.toml holds them to it. Importing it is
cheap: each name is imported from its module on first use (`import agent`, `%load_ext
agent` must stay fast).

Configuration  `load_config(CliOverrides(...)) -> Config`, `ConfigError`, `CONFIG_FILE`,
               `parse_cli_override`, `agent_home()`.
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
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
    from .config import CONFIG_FILE, CliOverrides, Config, ConfigError, load_config, parse_cli_override
    from .errors import SetupError
    from .factory import fork_session, locate_session, open_session, resume_session, startup_warnings, submit_user_text
    from .home import agent_home
    from .redact import Redactor
    from .rollout import SessionSummary, initial_messages, latest_session, list_sessions, load_rollout
    from .session import Session

_HOMES = {
    "auth": ["AGENT_API_KEY_ENV", "API_KEY_FIELD", "AuthFileError", "auth_path", "delete_auth", "mask_key",
             "resolve_api_key", "save_api_key", "stored_api_key"],
    "config": ["CONFIG_FILE", "CliOverrides", "Config", "ConfigError", "load_config", "parse_cli_override"],
    "errors": ["SetupError"],
    "factory": ["fork_session", "locate_session", "open_session", "resume_session", "startup_warnings",
                "submit_user_text"],
    "home": ["agent_home"],
    "redact": ["Redactor"],
    "rollout": ["SessionSummary", "initial_messages", "latest_session", "list_sessions", "load_rollout"],
    "session": ["Session"],
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted([*_MODULE_OF, "add_kernel_tools", "fork_recording", "finished_turn_diff", "sandbox_mechanism", "turn_diff"])


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
