"""`managed_config.toml`: values the admin fixes, over everything the user can set.

* `managed_keys(files)`: dotted key -> the managed file, for every key the file sets (a
  `[model_providers.<id>]` table counts per id: `model_providers.<id>`).
* `refuse_conflicts(...)`: a DIFFERENT value for a managed key. Typed for this run (a `-c`
  override, a CLI flag, `--add-dir`) it is refused: `ConfigError` with one line, `'model'
  is managed by <file> (value 'x'); it cannot be changed`. Written in the user's files
  (config.toml, the selected profile, a `[model_providers.<id>]` table) the managed value
  wins and the returned warnings say so, one line each, shown at session start (`%agent
  status`, `kernel-agent status`): a stale user file must not lock a user out of a hub, and
  nothing is replaced silently. The same value is fine. (Runtime changes from a cell, the
  panel or an ACP client are refused by `enforce`.)
* `merged_raw(user, managed)`: the user's raw table with the managed values on top.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping, Sequence

from .errors import ConfigError
from .file_schema import ConfigProfile, ConfigToml
from .overrides import COMMAND_LINE, Sources
from .system_files import SystemFiles

PROVIDERS = "model_providers"


def managed_keys(files: SystemFiles) -> dict[str, str]:
    """Dotted key -> the file that manages it (empty without a managed file)."""
    if files.managed is None:
        return {}
    source = str(files.managed_path)
    keys: dict[str, str] = {}
    for key, value in files.managed_raw.items():
        if key == PROVIDERS and isinstance(value, dict):
            keys.update({f"{PROVIDERS}.{pid}": source for pid in value})
        else:
            keys[key] = source
    return keys


def managed_line(key: str, value: Any, source: str) -> str:
    """The one line refusing a change of managed `key` (its value shown when it is a scalar)."""
    shown = f" (value {value!r})" if isinstance(value, (str, int, float, bool)) else ""
    return f"'{key}' is managed by {source}{shown}; it cannot be changed"


def refuse_conflicts(files: SystemFiles, user: ConfigToml, sources: Sources, profile_name: str | None,
                     profile: ConfigProfile | None, flags: Mapping[str, Any], add_dirs: Sequence[Any]) -> list[str]:
    """Raise ConfigError for a typed attempt; return the warnings for file values (module docstring)."""
    managed = files.managed
    if managed is None:
        return []
    source = str(files.managed_path)
    warnings: list[str] = []
    for key in files.managed_raw:
        if key == PROVIDERS:
            warnings += _overridden_providers(managed, user, sources, source)
            continue
        want = getattr(managed, key)
        typed = sources.override_text([key]) is not None
        attempts = [(getattr(user, key), sources.of([key]), typed),
                    (getattr(profile, key, None) if profile is not None else None,
                     f"{sources.file} (profile '{profile_name}')", False),
                    (flags.get(key), COMMAND_LINE, True)]
        for value, where, refuse in attempts:
            if value is None or value == want:
                continue
            if refuse:
                raise ConfigError(managed_line(key, want, source), key=key, source=where)
            warnings.append(overridden_line(key, value, want, where, source))
    if add_dirs and "sandbox_workspace_write" in files.managed_raw:
        raise ConfigError(managed_line("sandbox_workspace_write", None, source) + " (--add-dir)",
                          key="sandbox_workspace_write", source=COMMAND_LINE)
    return warnings


def overridden_line(key: str, value: Any, want: Any, where: str, source: str) -> str:
    """The warning for a user file's value that the managed one replaces."""
    shown = f" {value!r}" if isinstance(value, (str, int, float, bool)) else ""
    used = f" {want!r}" if isinstance(want, (str, int, float, bool)) else ""
    return f"{where}: '{key}' ={shown} is not used: it is managed by {source}, which sets it to{used or ' its own value'}"


def _overridden_providers(managed: ConfigToml, user: ConfigToml, sources: Sources, source: str) -> list[str]:
    mine = user.model_providers or {}
    warnings = []
    for pid, info in (managed.model_providers or {}).items():
        if pid in mine and mine[pid] != info:
            key = f"{PROVIDERS}.{pid}"
            if sources.override_text([PROVIDERS, pid]) is not None:
                raise ConfigError(managed_line(key, None, source), key=key, source=sources.of([PROVIDERS, pid]))
            warnings.append(f"{sources.of([PROVIDERS, pid])}: [{key}] is not used: it is managed by {source}")
    return warnings


def merged_raw(user: Mapping[str, Any], managed: Mapping[str, Any]) -> dict[str, Any]:
    """`user` with each managed top-level key replaced (providers: per id)."""
    merged = copy.deepcopy(dict(user))
    for key, value in managed.items():
        if key == PROVIDERS and isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **copy.deepcopy(value)}
        else:
            merged[key] = copy.deepcopy(value)
    return merged
