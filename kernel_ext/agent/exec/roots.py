"""Writable roots of a sandbox policy, and the "may this path be written?" check (spec §7.1).

Pure functions, no I/O beyond `stat`/`realpath` of the paths involved and the bounded `.git`
scan of each root (`git_dirs_under`).

* `effective_writable_roots(policy, cwd, env)` lists, in Codex's order and deduplicated:
  the configured `writable_roots` (relative ones are taken against `cwd`), the cwd, `/tmp`
  (unless `exclude_slash_tmp`) and `$TMPDIR` from `env` when it is an absolute path (unless
  `exclude_tmpdir_env_var`); the cwd is left out when `include_cwd` is False (a permission
  profile that grants only the paths it lists).
  Every root is resolved with `os.path.realpath`, so a symlink can't point a root (or a
  later check) somewhere else; roots that don't exist are dropped (nothing can be bound or
  ruled there). Read-only subpaths of a root (realpath-resolved): every `.git` (directory,
  or the `gitdir:` file of a submodule or worktree) found by `git_dirs_under` — the
  root's own and nested ones, breadth-first, without following symlinks or entering
  `.git`, `node_modules`, `__pycache__` or the agent's install, listing at most
  `MAX_GIT_SCAN_DIRS` (1000) directories of the cwd and configured roots and
  `MAX_TMP_GIT_SCAN_DIRS` (200) of the shared scratch roots `/tmp` and $TMPDIR (so a
  `.git` deeper in a bigger tree stays writable; ~7-15 µs per directory with a warm
  cache) — and the agent's own install (`agent_install_paths`) when it lies inside the
  root.
  - `read-only` has no writable roots.
  - `danger-full-access` has one root, `/`, with no read-only subpaths.
* `is_path_writable(path, roots)`: the path (absolute) is resolved with `realpath` — every
  existing component's symlinks are followed and the non-existing rest is normalised
  lexically, so neither `..` nor a symlink (dangling or not) can lead out of a root — and is
  writable when it lies under some root and under no read-only subpath of *any* root (a
  `.git` that is protected by one root stays protected even when an enclosing root, such as
  `/tmp`, also contains it; this matches the bubblewrap mounts).

`policy` is any object with the `SandboxPolicy` attributes (`type`, and for
workspace-write `writable_roots`, `exclude_slash_tmp`, `exclude_tmpdir_env_var`), so
this module does not import pydantic.
"""

from __future__ import annotations

import collections
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping

if TYPE_CHECKING:
    from agent.protocol.policy import SandboxPolicy

__all__ = [
    "MAX_GIT_SCAN_DIRS", "MAX_TMP_GIT_SCAN_DIRS", "WritableRoot", "effective_writable_roots", "git_dirs_under", "is_path_writable", "resolve_path",
]


@dataclass(frozen=True)
class WritableRoot:
    """A directory (or file) the sandboxed command may write, minus its read-only subpaths."""

    root: Path
    read_only_subpaths: tuple[Path, ...] = ()
    git_scan_truncated: bool = field(default=False, compare=False)
    """The `.git` scan stopped at its directory limit: deeper `.git` entries stay writable."""


def resolve_path(path: str | os.PathLike[str]) -> Path:
    """`realpath` of an absolute path: symlinks followed, `..` and the missing tail normalised.

    Raises ValueError for a relative path: the caller must say what it is relative to.
    """
    text = os.fspath(path)
    if not os.path.isabs(text):
        raise ValueError(f"path must be absolute: {text!r}")
    return Path(os.path.realpath(text))


def _is_within(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def agent_install_paths() -> list[Path]:
    """Where the agent itself lives: the interpreter's prefix (its venv) and the `agent`
    package (an editable install's source). A sandboxed command must never be able to
    change code that later runs unsandboxed, so these stay read-only inside any root."""
    package = Path(os.path.realpath(__file__)).parent.parent
    return [Path(os.path.realpath(sys.prefix)), package]


MAX_GIT_SCAN_DIRS = 1000
MAX_TMP_GIT_SCAN_DIRS = 200
_SCAN_SKIP = frozenset({".git", "node_modules", "__pycache__"})


def git_dirs_under(root: Path, skip: Iterable[Path] = (), limit: int = MAX_GIT_SCAN_DIRS) -> tuple[list[Path], bool]:
    """Every `.git` entry under `root` (breadth-first, at most `limit` directories listed,
    symlinks not followed, `skip` and `_SCAN_SKIP` names not entered) and whether the
    scan stopped early."""
    found: list[Path] = []
    skipped = {os.fspath(p) for p in skip}
    queue = collections.deque([os.fspath(root)])
    listed = 0
    while queue and listed < limit:
        directory = queue.popleft()
        listed += 1
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    if entry.name == ".git":
                        found.append(Path(entry.path))
                    elif (entry.name not in _SCAN_SKIP and entry.path not in skipped
                          and entry.is_dir(follow_symlinks=False)):
                        queue.append(entry.path)
        except OSError:
            continue
    return found, bool(queue)


def _root_for(path: Path, scan_limit: int = MAX_GIT_SCAN_DIRS) -> WritableRoot:
    subpaths: list[Path] = []
    installs = agent_install_paths()
    found, truncated = git_dirs_under(path, skip=installs, limit=scan_limit)
    for git in found:
        resolved = Path(os.path.realpath(git))
        if _is_within(resolved, path) and resolved not in subpaths:
            subpaths.append(resolved)
    for protected in installs:
        if protected != path and _is_within(protected, path) and protected not in subpaths:
            subpaths.append(protected)
    return WritableRoot(path, tuple(subpaths), truncated)


def effective_writable_roots(policy: SandboxPolicy, cwd: Path, env: Mapping[str, str]) -> list[WritableRoot]:
    """The policy's writable roots for a command running in `cwd` (see the module docstring)."""
    kind = policy.type
    if kind == "danger-full-access":
        return [WritableRoot(Path("/"))]
    if kind == "read-only":
        return []
    if kind != "workspace-write":
        raise ValueError(f"unknown sandbox policy type: {kind!r}")
    cwd_text = os.fspath(cwd)
    if not os.path.isabs(cwd_text):
        raise ValueError(f"cwd must be absolute: {cwd_text!r}")
    candidates = [(os.path.join(cwd_text, os.fspath(r)), MAX_GIT_SCAN_DIRS) for r in policy.writable_roots]
    if getattr(policy, "include_cwd", True):
        candidates.append((cwd_text, MAX_GIT_SCAN_DIRS))
    if not policy.exclude_slash_tmp and os.path.isdir("/tmp"):
        candidates.append(("/tmp", MAX_TMP_GIT_SCAN_DIRS))
    tmpdir = env.get("TMPDIR", "")
    if tmpdir and not policy.exclude_tmpdir_env_var and os.path.isabs(tmpdir):
        candidates.append((tmpdir, MAX_TMP_GIT_SCAN_DIRS))
    seen: set[Path] = set()
    roots: list[WritableRoot] = []
    for candidate, scan_limit in candidates:
        resolved = Path(os.path.realpath(candidate))
        if resolved in seen or not os.path.exists(resolved):
            continue
        seen.add(resolved)
        roots.append(_root_for(resolved, scan_limit))
    return roots


def read_only_subpaths(roots: Iterable[WritableRoot]) -> list[Path]:
    """Every root's read-only subpaths, deduplicated, in order."""
    out: list[Path] = []
    for root in roots:
        for sub in root.read_only_subpaths:
            if sub not in out:
                out.append(sub)
    return out


def is_path_writable(path: str | os.PathLike[str], roots: Iterable[WritableRoot]) -> bool:
    """True when the absolute `path` may be written under these roots (see the module docstring)."""
    target = resolve_path(path)
    roots = list(roots)
    if not any(_is_within(target, root.root) for root in roots):
        return False
    return not any(_is_within(target, sub) for sub in read_only_subpaths(roots))
