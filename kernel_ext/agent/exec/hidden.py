"""What nothing the model drives may read: credentials and the Jupyter control files.

One list serves both enforcement points: the sandbox hides these paths from commands
(where the mechanism can; see sandbox.py), and the in-process file tools (read_file,
list_dir, grep_files, view_image) refuse them with `read_denial`.

* `protected_read_paths(agent_home, env, extra)` -> absolute paths, `~` expanded, not
  resolved (both the given and the resolved form are checked by `read_denial`):
  - credentials: `<agent home>/auth.json`, `~/.ssh`, `~/.aws`, `~/.netrc`,
    `~/.config/gcloud`, `~/.docker/config.json`, `~/.kube/config`, `~/.git-credentials`,
    `~/.pypirc` (`DEFAULT_CREDENTIAL_PATHS`) and the user's `extra` paths (config key
    `sandbox_hidden_paths`; relative entries are taken against the home directory);
  - Jupyter: every runtime directory (connection files, server tokens) and this
    kernel's own connection file, wherever it lives (`jupyter_control_paths`).
* `read_denial(path, protected)` -> None when an in-process tool may read `path`
  (absolute), else a one-line reason. Denied: anything at or under a protected path
  (checked on the path as given and after `realpath`, so neither a symlink nor `..` nor
  `/proc/self/root/...` gets around it), any per-process entry of `/proc`
  (`/proc/<pid>/...`, `/proc/self/...`, `/proc/thread-self/...`: environ, mem, fds) and
  device files under `/dev`.
* `kernel_connection_key()` -> this kernel's HMAC key (bytes) or None, so command
  environments can be scrubbed of it; `kernel_signs_messages()` -> False only when this
  process is a kernel whose connection file has an empty key (messages unsigned: anyone
  who reaches its ports controls it, so sandboxed commands get no network).
* `jupyter_secrets(env)` -> the strings that grant control of a Jupyter kernel or server
  of this user: this kernel's key, and the `key`/`token` of every connection and server
  file in the runtime directories (for `env.command_env(secret_values=...)`).
Pure apart from reading the kernel's connection file and `stat`/`realpath`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Iterable, Mapping, Sequence

__all__ = [
    "DEFAULT_CREDENTIAL_PATHS",
    "jupyter_control_paths",
    "jupyter_secrets",
    "kernel_connection_file",
    "kernel_connection_key",
    "kernel_signs_messages",
    "protected_read_paths",
    "read_denial",
]

DEFAULT_CREDENTIAL_PATHS = (
    "~/.ssh",
    "~/.aws",
    "~/.netrc",
    "~/.config/gcloud",
    "~/.docker/config.json",
    "~/.kube/config",
    "~/.git-credentials",
    "~/.pypirc",
)
_PROC_SHARED = frozenset({"self", "thread-self"})


def _home(env: Mapping[str, str]) -> Path:
    home = env.get("HOME", "").strip()
    return Path(home) if home else Path.home()


def _expand(entry: str, home: Path) -> Path:
    if entry == "~" or entry.startswith("~/"):
        entry = str(home) + entry[1:]
    path = Path(entry)
    return Path(os.path.normpath(path if path.is_absolute() else home / path))


def kernel_connection_file() -> Path | None:
    """The connection file of the kernel this process is, when it is one."""
    app_module = sys.modules.get("ipykernel.kernelapp")
    app_cls = getattr(app_module, "IPKernelApp", None)
    if app_cls is not None and app_cls.initialized():
        name = getattr(app_cls.instance(), "abs_connection_file", None) or getattr(app_cls.instance(), "connection_file", "")
        if name:
            return Path(os.path.abspath(name))
    return None


def _connection_key() -> str | None:
    """This kernel's key as written in its connection file ("" for none); None when this
    process is not a kernel or the file cannot be read."""
    path = kernel_connection_file()
    if path is None:
        return None
    try:
        key = json.loads(path.read_text(encoding="utf-8")).get("key", "")
    except (OSError, ValueError, AttributeError):
        return None
    return key if isinstance(key, str) else None


def kernel_connection_key() -> bytes | None:
    """This kernel's HMAC key, or None (not a kernel, no file, or an empty key)."""
    key = _connection_key()
    return key.encode() if key else None


def kernel_signs_messages() -> bool:
    """False when this process is a kernel whose connection file has an empty HMAC key."""
    return _connection_key() != ""


def jupyter_secrets(env: Mapping[str, str] | None = None) -> list[str]:
    """See the module docstring; reads at most 200 small JSON files."""
    env = os.environ if env is None else env
    found: list[str] = []
    own = kernel_connection_key()
    if own:
        found.append(own.decode())
    files = [p for d in _runtime_dirs(env, _home(env)) if d.is_dir() for p in d.glob("*.json")]
    for path in files[:200]:
        try:
            data = json.loads(path.read_text(encoding="utf-8")) if path.stat().st_size < 65536 else {}
        except (OSError, ValueError):
            continue
        for name in ("key", "token"):
            value = data.get(name) if isinstance(data, dict) else None
            if isinstance(value, str) and len(value) >= 8 and value not in found:
                found.append(value)
    return found


def _runtime_dirs(env: Mapping[str, str], home: Path) -> list[Path]:
    dirs: list[Path] = []
    if env.get("JUPYTER_RUNTIME_DIR"):
        dirs.append(Path(env["JUPYTER_RUNTIME_DIR"]))
    data = env.get("JUPYTER_DATA_DIR") or os.path.join(env.get("XDG_DATA_HOME") or str(home / ".local/share"), "jupyter")
    dirs.append(Path(data) / "runtime")
    if env.get("XDG_RUNTIME_DIR"):
        dirs.append(Path(env["XDG_RUNTIME_DIR"]) / "jupyter")
    return dirs


def jupyter_control_paths(env: Mapping[str, str] | None = None) -> list[Path]:
    """Jupyter runtime directories (existing or not) and this kernel's connection file."""
    env = os.environ if env is None else env
    paths = _runtime_dirs(env, _home(env))
    own = kernel_connection_file()
    if own is not None:
        paths.append(own)
    return paths


def protected_read_paths(agent_home: Path, env: Mapping[str, str] | None = None,
                         extra: Sequence[str] = ()) -> tuple[Path, ...]:
    """See the module docstring; deduplicated, in a stable order."""
    env = os.environ if env is None else env
    home = _home(env)
    entries = [Path(os.path.abspath(agent_home)) / "auth.json"]
    entries += [_expand(p, home) for p in (*DEFAULT_CREDENTIAL_PATHS, *extra)]
    entries += [Path(os.path.normpath(os.path.abspath(p))) for p in jupyter_control_paths(env)]
    out: list[Path] = []
    for path in entries:
        if path not in out:
            out.append(path)
    return tuple(out)


def _within(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def _proc_or_dev(path: Path) -> str | None:
    parts = path.parts
    if len(parts) >= 3 and parts[1] == "proc" and (parts[2].isdigit() or parts[2] in _PROC_SHARED):
        return "per-process /proc entries (environment, memory, open files) are not readable by the agent"
    if len(parts) >= 3 and parts[1] == "dev":
        return "device files are not readable by the agent"
    return None


def read_denial(path: str | os.PathLike[str], protected: Iterable[Path]) -> str | None:
    """None when `path` may be read by an in-process tool, else why not (module docstring)."""
    given = Path(os.path.normpath(os.fspath(path)))
    resolved = Path(os.path.realpath(given))
    for candidate in (given, resolved):
        reason = _proc_or_dev(candidate)
        if reason:
            return f"{path}: {reason}"
    protected = [Path(os.path.normpath(p)) for p in protected]
    resolved_protected = [Path(os.path.realpath(p)) for p in protected]
    for candidate in (given, resolved):
        for hidden in (*protected, *resolved_protected):
            if _within(candidate, hidden):
                return f"{path}: protected path ({hidden}); credentials and Jupyter connection files are hidden from the agent"
    return None
