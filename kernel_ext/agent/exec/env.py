"""The environment a command runs with (spec §10.3 `shell_environment_policy`, §6.1).

`command_env(base, ...)` builds it from `base` (normally `os.environ`) in this order:
1. `inherit`: `all` keeps everything; `core` keeps only HOME, LOGNAME, PATH, SHELL,
   USER, USERNAME, TMPDIR, TEMP and TMP; `none` starts empty;
2. unless `ignore_default_excludes`, drops every variable whose name matches
   `*KEY*`, `*SECRET*` or `*TOKEN*` (case-insensitive globs);
3. drops the names matching the `exclude` globs (case-insensitive);
4. applies the `set` overrides (a mapping or (name, value) pairs);
5. if `include_only` is not empty, keeps only the names matching one of its globs;
6. drops every variable whose value contains one of `secret_values` (non-empty strings,
   e.g. the kernel's HMAC key from `hidden.jupyter_secrets()`), even one set in step 4:
   a key that controls a Jupyter kernel or server never reaches a command;
7. when `network_disabled`, adds `KERNEL_AGENT_SANDBOX_NETWORK_DISABLED=1` and, for
   tools written for Codex, `CODEX_SANDBOX_NETWORK_DISABLED=1`.
Pure: `base` is not modified; the result is a new dict.
"""

from __future__ import annotations

import fnmatch
from typing import Iterable, Literal, Mapping, Union

__all__ = ["CORE_VARIABLES", "DEFAULT_EXCLUDES", "NETWORK_DISABLED_MARKERS", "command_env"]

CORE_VARIABLES = ("HOME", "LOGNAME", "PATH", "SHELL", "USER", "USERNAME", "TMPDIR", "TEMP", "TMP")
DEFAULT_EXCLUDES = ("*KEY*", "*SECRET*", "*TOKEN*")
NETWORK_DISABLED_MARKERS = ("KERNEL_AGENT_SANDBOX_NETWORK_DISABLED", "CODEX_SANDBOX_NETWORK_DISABLED")

EnvSet = Union[Mapping[str, str], Iterable[tuple[str, str]]]


def _matches(name: str, patterns: Iterable[str]) -> bool:
    folded = name.casefold()
    return any(fnmatch.fnmatchcase(folded, pattern.casefold()) for pattern in patterns)


def command_env(
    base: Mapping[str, str],
    *,
    inherit: Literal["all", "core", "none"] = "all",
    ignore_default_excludes: bool = False,
    exclude: Iterable[str] = (),
    set: EnvSet | None = None,  # noqa: A002 - the config key's name
    include_only: Iterable[str] = (),
    network_disabled: bool,
    secret_values: Iterable[str] = (),
) -> dict[str, str]:
    """The command's environment (see the module docstring)."""
    if inherit == "all":
        env = dict(base)
    elif inherit == "core":
        env = {k: v for k, v in base.items() if k in CORE_VARIABLES}
    elif inherit == "none":
        env = {}
    else:
        raise ValueError(f"unknown inherit value: {inherit!r}")
    if not ignore_default_excludes:
        env = {k: v for k, v in env.items() if not _matches(k, DEFAULT_EXCLUDES)}
    exclude = tuple(exclude)
    if exclude:
        env = {k: v for k, v in env.items() if not _matches(k, exclude)}
    if set is not None:
        pairs = set.items() if isinstance(set, Mapping) else set
        for key, value in pairs:
            env[str(key)] = str(value)
    include_only = tuple(include_only)
    if include_only:
        env = {k: v for k, v in env.items() if _matches(k, include_only)}
    secrets = [v for v in secret_values if v]
    if secrets:
        env = {k: v for k, v in env.items() if not any(secret in v for secret in secrets)}
    if network_disabled:
        for marker in NETWORK_DISABLED_MARKERS:
            env[marker] = "1"
    return env
