"""Codex permission profiles: `default_permissions` and `[permissions.<name>]` -> a sandbox policy.

Contract:
* `resolve_permissions(name, source, tables, cwd, env, add_dirs)` -> `ResolvedPermissions`
  (raises `ConfigError` naming the key). `name` is one of the built-ins or a key of
  `tables` (the `[permissions]` table):
  - `:read-only` -> `ReadOnly`; `:workspace` -> `WorkspaceWrite` (the cwd, /tmp and
    $TMPDIR writable, no network); `:danger-full-access` -> `DangerFullAccess`.
  - a named profile starts from its `extends` (`:read-only`, the default, or
    `:workspace`) and applies `[permissions.<name>.filesystem]`: `"<path>" = "read" |
    "write" | "none"` (`~` and `${cwd}` expanded; absolute after expansion; normalised),
    the special keys `":tmpdir"` / `":slash_tmp"` (`"read"` or `"write"`) and
    `":project_roots" = { "<subpath>" = access }` (relative to the cwd, `"."` is the cwd,
    no `..`), and `[permissions.<name>.network] enabled`. A `write` grant adds a writable
    root; on a `:read-only` base only the listed paths become writable (the cwd and the
    temporary folders stay read-only unless listed): `WorkspaceWrite(include_cwd=False)`.
    Network on a `:read-only` base is such a policy with no writable roots. `read` of
    the cwd, /tmp or $TMPDIR makes it read-only; `read` elsewhere is what every path
    already has, except inside a writable root, which is refused (a read-only hole in a
    writable root is not supported). `none` denies reading and writing (denied wins):
    the path joins the session's hidden paths; a denied path containing a writable root,
    or `/`, is refused. Reads are never restricted to an allow-list (`:root`,
    `:minimal`): neither mechanism nor the in-process tools enforce one, so such a
    profile is refused.
  - `add_dirs` (`--add-dir`) become writable roots when the result is workspace-write.
* `workspace_of(policy)` -> the `SandboxWorkspaceWrite` settings of a resolved policy.
* `session_enforcement(config, mechanism)` -> a warning for the start of the session, or
  None; raises `SetupError` when the mechanism cannot enforce the profile's denied paths
  (Landlock only grants access, and reading `/` is granted, so it can hide nothing).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from agent.protocol.policy import DangerFullAccess, ReadOnly, SandboxMode, SandboxPolicy, WorkspaceWrite

from .errors import ConfigError
from .file_schema import SandboxWorkspaceWrite

BUILTINS = (":read-only", ":workspace", ":danger-full-access")
EXTENDABLE = (":read-only", ":workspace")
ACCESS = ("read", "write", "none")
SPECIAL_KEYS = (":tmpdir", ":slash_tmp", ":project_roots")
READ_ALLOWLIST = (":root", ":minimal")
_READ_ALLOWLIST_REFUSED = ("restricting reads to an allow-list is not supported (neither bubblewrap, Landlock nor "
                           "the file tools can enforce it here): reads are allowed everywhere except paths set to \"none\"")


@dataclass(frozen=True)
class ResolvedPermissions:
    """The profile's name, sandbox policy and denied paths (absolute, normalised)."""

    name: str
    policy: SandboxPolicy
    denied: tuple[str, ...] = ()

    @property
    def mode(self) -> SandboxMode:
        return self.policy.type


@dataclass
class _Grants:
    """What a named profile's entries grant, built entry by entry."""

    include_cwd: bool
    slash_tmp: bool
    tmpdir: bool
    network: bool = False
    writes: list[str] = field(default_factory=list)
    reads: list[tuple[str, str]] = field(default_factory=list)
    denied: list[tuple[str, str]] = field(default_factory=list)


def resolve_permissions(name: str, source: str | None, tables: Mapping[str, Any], cwd: Path,
                        env: Mapping[str, str], add_dirs: Sequence[str] = ()) -> ResolvedPermissions:
    """See the module docstring."""
    if name == ":danger-full-access":
        return ResolvedPermissions(name, DangerFullAccess())
    if name == ":read-only":
        return ResolvedPermissions(name, ReadOnly())
    if name == ":workspace":
        return ResolvedPermissions(name, _with_dirs(WorkspaceWrite(), cwd, add_dirs))
    if name not in tables:
        known = ", ".join([*BUILTINS, *sorted(tables)])
        raise ConfigError(f"unknown permission profile '{name}' for 'default_permissions' (known profiles: {known})",
                          key="default_permissions", source=source)
    grants = _grants(name, tables[name], source, cwd, env)
    policy = _policy(grants, cwd, env)
    if isinstance(policy, WorkspaceWrite):
        policy = _with_dirs(policy, cwd, add_dirs)
    _check_denied(name, grants, policy, cwd, env, source)
    return ResolvedPermissions(name, policy, tuple(dict.fromkeys(path for path, _ in grants.denied)))


def workspace_of(policy: SandboxPolicy) -> SandboxWorkspaceWrite:
    """The `[sandbox_workspace_write]` settings a resolved policy amounts to (`Config.sandbox_workspace_write`)."""
    if not isinstance(policy, WorkspaceWrite):
        return SandboxWorkspaceWrite()
    return SandboxWorkspaceWrite(writable_roots=policy.writable_roots, network_access=policy.network_access,
                                 exclude_tmpdir_env_var=policy.exclude_tmpdir_env_var,
                                 exclude_slash_tmp=policy.exclude_slash_tmp)


def _with_dirs(policy: WorkspaceWrite, cwd: Path, add_dirs: Sequence[str]) -> WorkspaceWrite:
    roots = list(policy.writable_roots)
    for entry in add_dirs:
        path = os.path.normpath(os.path.join(cwd, os.path.expanduser(entry)))
        if path not in roots:
            roots.append(path)
    return policy.model_copy(update={"writable_roots": tuple(roots)})


def _grants(name: str, table: Any, source: str | None, cwd: Path, env: Mapping[str, str]) -> _Grants:
    key = f"permissions.{name}"
    base = table.extends if table.extends is not None else ":read-only"
    if base in READ_ALLOWLIST:
        raise ConfigError(f"invalid value for '{key}.extends': {base!r}: {_READ_ALLOWLIST_REFUSED}", key=f"{key}.extends", source=source)
    if base not in EXTENDABLE:
        raise ConfigError(f"invalid value for '{key}.extends': {base!r} (expected one of: {', '.join(EXTENDABLE)})",
                          key=f"{key}.extends", source=source)
    workspace = base == ":workspace"
    grants = _Grants(include_cwd=workspace, slash_tmp=workspace, tmpdir=workspace,
                     network=bool(table.network and table.network.enabled))
    for entry, value in table.filesystem.items():
        entry_key = f"{key}.filesystem.{_quoted(entry)}"
        if entry.startswith(":"):
            _special(grants, entry, value, entry_key, source, cwd)
        else:
            _add(grants, _expand(entry, entry_key, source, cwd, env), _access(value, entry_key, source), entry_key)
    return grants


def _quoted(entry: str) -> str:
    return f'"{entry}"' if not entry.replace("_", "").replace("-", "").isalnum() else entry


def _access(value: Any, key: str, source: str | None) -> str:
    if not isinstance(value, str) or value not in ACCESS:
        raise ConfigError(f"invalid value for '{key}': {value!r} (expected one of: {', '.join(ACCESS)})", key=key, source=source)
    return value


def _special(grants: _Grants, entry: str, value: Any, key: str, source: str | None, cwd: Path) -> None:
    if entry in READ_ALLOWLIST:
        raise ConfigError(f"unsupported key '{key}': {_READ_ALLOWLIST_REFUSED}", key=key, source=source)
    if entry == ":project_roots":
        if not isinstance(value, Mapping):
            raise ConfigError(f"invalid value for '{key}': expected a table of subpath = access", key=key, source=source)
        for sub, access in value.items():
            sub_key = f"{key}.{_quoted(sub)}"
            parts = Path(sub).parts
            if os.path.isabs(sub) or ".." in parts or not sub:
                raise ConfigError(f"invalid key '{sub_key}': a project subpath must be relative to the cwd, without '..'",
                                  key=sub_key, source=source)
            _add(grants, os.path.normpath(os.path.join(cwd, sub)), _access(access, sub_key, source), sub_key)
        return
    if entry not in (":tmpdir", ":slash_tmp"):
        raise ConfigError(f"unknown special path '{key}' (supported: {', '.join(SPECIAL_KEYS)})", key=key, source=source)
    access = _access(value, key, source)
    if access == "none":
        raise ConfigError(f"invalid value for '{key}': 'none' (expected read or write: the temporary folder can be "
                          "made read-only, not hidden)", key=key, source=source)
    setattr(grants, entry[1:], access == "write")


def _expand(entry: str, key: str, source: str | None, cwd: Path, env: Mapping[str, str]) -> str:
    text = entry.replace("${cwd}", str(cwd))
    if "${" in text:
        raise ConfigError(f"invalid key '{key}': only ~ and ${{cwd}} are expanded in a path", key=key, source=source)
    if text == "~" or text.startswith("~/"):
        home = env.get("HOME", "").strip() or str(Path.home())
        text = home + text[1:]
    if not os.path.isabs(text):
        raise ConfigError(f"invalid key '{key}': the path must be absolute after expanding ~ and ${{cwd}}",
                          key=key, source=source)
    return os.path.normpath(text)


def _add(grants: _Grants, path: str, access: str, key: str) -> None:
    if access == "write":
        if path not in grants.writes:
            grants.writes.append(path)
    elif access == "read":
        grants.reads.append((path, key))
    else:
        grants.denied.append((path, key))


def _policy(grants: _Grants, cwd: Path, env: Mapping[str, str]) -> SandboxPolicy:
    """Apply the `read` entries (module docstring) and build the policy."""
    tmpdir = env.get("TMPDIR", "")
    for path, _ in grants.reads:
        if path == str(cwd):
            grants.include_cwd = False
            grants.writes = [w for w in grants.writes if w != path]
        elif path == "/tmp":
            grants.slash_tmp = False
        elif tmpdir and path == os.path.normpath(tmpdir):
            grants.tmpdir = False
    writes = tuple(grants.writes)
    if not (grants.include_cwd or grants.slash_tmp or grants.tmpdir or writes or grants.network):
        return ReadOnly()
    return WorkspaceWrite(writable_roots=writes, network_access=grants.network, include_cwd=grants.include_cwd,
                          exclude_slash_tmp=not grants.slash_tmp, exclude_tmpdir_env_var=not grants.tmpdir)


def _within(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _writable_paths(policy: SandboxPolicy, cwd: Path, env: Mapping[str, str]) -> list[str]:
    """The policy's writable roots, lexically and resolved (nothing needs to exist)."""
    if not isinstance(policy, WorkspaceWrite):
        return []
    roots = list(policy.writable_roots) + ([str(cwd)] if policy.include_cwd else [])
    if not policy.exclude_slash_tmp:
        roots.append("/tmp")
    tmpdir = env.get("TMPDIR", "")
    if tmpdir and os.path.isabs(tmpdir) and not policy.exclude_tmpdir_env_var:
        roots.append(os.path.normpath(tmpdir))
    return list(dict.fromkeys([*roots, *(os.path.realpath(r) for r in roots)]))


def _check_denied(name: str, grants: _Grants, policy: SandboxPolicy, cwd: Path, env: Mapping[str, str],
                  source: str | None) -> None:
    """Refuse `read` holes in writable roots, and denials of `/` or of a writable root's parent."""
    writable = _writable_paths(policy, cwd, env)
    for path, key in grants.reads:
        inside = next((r for r in writable if _within(path, r) and path != r), None)
        if inside is not None:
            raise ConfigError(f"invalid entry '{key}': {path} lies inside the writable root {inside}; a read-only "
                              "part of a writable root is not supported (use \"none\" to deny it)", key=key, source=source)
    for path, key in grants.denied:
        if path == "/":
            raise ConfigError(f"invalid entry '{key}': {_READ_ALLOWLIST_REFUSED}", key=key, source=source)
        for candidate in dict.fromkeys((path, os.path.realpath(path))):
            inner = next((r for r in writable if _within(r, candidate)), None)
            if inner is not None:
                raise ConfigError(f"invalid entry '{key}': the denied path {path} contains the writable root {inner} "
                                  f"of permission profile '{name}' (a path can't be both: narrow the denial or drop the "
                                  "write grant)", key=key, source=source)


LANDLOCK_DENIAL_REFUSED = (
    "permission profile '{name}' denies {path}, but the Landlock sandbox cannot hide a path from commands "
    "(it can only grant access, and reading / is granted); commands would read it, so the session does not start: "
    "use bubblewrap (it needs unprivileged user namespaces) or remove the \"none\" entries"
)
NO_SANDBOX_DENIAL_WARNING = (
    "permission profile '{name}' denies {paths}, but no sandbox runs here, so commands are not kept from them; "
    "every command asks for your approval first (the file tools still refuse them)"
)


def session_enforcement(config: Any, mechanism: str) -> str | None:
    """See the module docstring; `config` is the session's `Config`."""
    denied = tuple(getattr(config, "permission_denied_paths", ()) or ())
    name = getattr(config, "permission_profile", None)
    if not denied or isinstance(config.sandbox_policy, DangerFullAccess):
        return None
    from agent.core.errors import SetupError

    if mechanism == "landlock":
        raise SetupError(LANDLOCK_DENIAL_REFUSED.format(name=name, path=denied[0]))
    if mechanism == "none":
        return NO_SANDBOX_DENIAL_WARNING.format(name=name, paths=", ".join(denied))
    missing = [p for p in denied if not os.path.lexists(p)]
    if missing:
        return (f"permission profile '{name}': {', '.join(missing)} does not exist yet, so bubblewrap cannot hide it; "
                "a command could create it (the file tools refuse it)")
    return None
