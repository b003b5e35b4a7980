"""Running one command safely: the sandbox and the process runner (the tools issue).

This layer depends only on `agent.protocol` (and only for type hints) and the stdlib.

Modules:
* `roots`: `effective_writable_roots`, `is_path_writable`, `WritableRoot` (spec §7.1);
* `sandbox`: `probe_mechanism` -> `SandboxInfo`, `sandboxed_argv`, `network_disabled`;
* `bwrap`, `landlock`, `seccomp`, `landlock_launcher`: the mechanisms;
* `env`: `command_env` (spec §10.3);
* `runner`: `run_command` -> `ExecResult` (spec §6.1);
* `denial`: `sandbox_denial` (spec §6.3, evidence-based);
* `hidden`: `protected_read_paths`, `read_denial` (what nothing the model drives may read).

The names below are re-exported lazily: importing `agent.exec` imports nothing else.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ExecResult": "runner",
    "Mechanism": "sandbox",
    "SandboxInfo": "sandbox",
    "WritableRoot": "roots",
    "command_env": "env",
    "effective_writable_roots": "roots",
    "is_path_writable": "roots",
    "network_disabled": "sandbox",
    "probe_mechanism": "sandbox",
    "run_command": "runner",
    "sandbox_denial": "denial",
    "sandboxed_argv": "sandbox",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
