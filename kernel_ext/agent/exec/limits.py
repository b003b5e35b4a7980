"""Resource limits of sandboxed commands, so a fork or memory bomb can't take the agent down.

The rlimits themselves are set by rlimits.py (loaded by path in the Landlock launcher,
and the fallback launcher when util-linux's `prlimit` is missing).

* `ResourceLimits(max_processes, max_memory_mb, max_file_size_mb, cpu_seconds)`; None
  means "no limit". `DEFAULT_LIMITS`: 512 processes, 2048 MB of memory, files of at most
  2048 MB, no CPU limit (config table `[sandbox_limits]`, 0 = no limit).
* How each limit holds, for every process of the command:
  - memory: RLIMIT_DATA per process (heap and private writable mappings; unlike
    RLIMIT_AS, address space merely reserved by V8, the JVM or wasm doesn't count), and
    the command's total where a memory cgroup is writable (`CommandCgroup`; in practice
    as root): past it the kernel's OOM killer kills inside the command, never the agent;
  - file size: RLIMIT_FSIZE (a bigger write fails with EFBIG / SIGXFSZ);
  - CPU: RLIMIT_CPU, seconds of CPU per process (off by default);
  - processes (threads count as processes): RLIMIT_NPROC counts every task of the real
    uid and root is exempt from it (uid 0 in any user namespace mapped to it), so:
    bubblewrap as non-root sets it inside its own user namespace, where the count is that
    namespace's, i.e. only the sandbox's own tasks; the Landlock launcher as non-root sets
    it to the tasks the uid already has plus the limit; as root only a pids cgroup
    (`CommandCgroup`) bounds processes — without a writable one `limit_notes` says the
    process limit does not hold.
* `rlimit_prefix(limits)` -> the argv prefix that sets the rlimits and execs the rest
  (`prlimit --nproc=N --data=B --fsize=B [--cpu=S] --`, or `python -I -S rlimits.py
  --limits-json J --`); bwrap.py puts it inside the sandbox. `rlimit_spec(limits)` -> the
  JSON-able dict `rlimits.apply_rlimits(spec, count_existing)` takes.
* `CommandCgroup.create(limits)` -> a fresh per-command cgroup (cgroup v1 `pids` and
  `memory` hierarchies, or a v2 cgroup whose `cgroup.subtree_control` already enables
  them) with `pids.max` and the memory limit set, or None when no cgroup is writable.
  The command joins it before it starts: `join_prefix()` (a `/bin/sh` that writes its
  pid to each `cgroup.procs`, then execs; exit 126 if it can't) or, in the Landlock
  launcher, `procs_files`. `remove()` SIGKILLs whatever is left in it and removes it;
  `create` also removes the empty cgroups of agent processes that died without doing so
  (e.g. `kill -9` mid-command).
  Cost: moving a process between cgroups waits for an RCU grace period once the cgroup
  machinery has been idle (measured +10-25 ms per command on a 2-core VM with cgroup v1
  when commands are spaced out, ~0.5 ms back to back); small next to a model round trip.
* `limit_notes(limits, mechanism)` -> one line per limit saying how it holds here.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import NamedTuple

__all__ = [
    "DEFAULT_LIMITS",
    "CommandCgroup",
    "ResourceLimits",
    "limit_notes",
    "rlimit_prefix",
    "rlimit_spec",
]

MB = 1 << 20
RLIMITS_PATH = str(Path(__file__).with_name("rlimits.py"))
_JOIN_SCRIPT = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 126; shift; n=$((n-1)); done; exec "$@"'
_CGROUP_CONTROLLERS = ("pids", "memory")
_REMOVE_WAIT_S = 2.0


class ResourceLimits(NamedTuple):
    """Per-command limits; None = no limit (see the module docstring)."""

    max_processes: int | None = 512
    max_memory_mb: int | None = 2048
    max_file_size_mb: int | None = 2048
    cpu_seconds: int | None = None

    def any(self) -> bool:
        return any(v is not None for v in self)


DEFAULT_LIMITS = ResourceLimits()


def rlimit_spec(limits: ResourceLimits) -> dict[str, int]:
    """{"nproc"|"data"|"fsize"|"cpu": value} for the limits that are set (bytes, seconds)."""
    spec = {}
    if limits.max_processes is not None:
        spec["nproc"] = limits.max_processes
    if limits.max_memory_mb is not None:
        spec["data"] = limits.max_memory_mb * MB
    if limits.max_file_size_mb is not None:
        spec["fsize"] = limits.max_file_size_mb * MB
    if limits.cpu_seconds is not None:
        spec["cpu"] = limits.cpu_seconds
    return spec


def rlimit_prefix(limits: ResourceLimits) -> list[str]:
    """The argv prefix that applies `limits` as rlimits, then execs the rest ([] if none)."""
    spec = rlimit_spec(limits)
    if not spec:
        return []
    prlimit = shutil.which("prlimit")
    if prlimit:
        return [prlimit, *(f"--{name}={value}" for name, value in spec.items()), "--"]
    return [sys.executable, "-I", "-S", RLIMITS_PATH, "--limits-json", json.dumps(spec), "--"]


def _mountinfo() -> list[tuple[str, str, str, str]]:
    """(mount root, mount point, fs type, super options) of every mount."""
    mounts = []
    with open("/proc/self/mountinfo") as info:
        for line in info:
            left, _, right = line.partition(" - ")
            fields, tail = left.split(), right.split()
            if len(fields) >= 5 and len(tail) >= 3:
                mounts.append((fields[3], fields[4].replace("\\040", " "), tail[0], tail[2]))
    return mounts


def _own_cgroups() -> dict[str, Path]:
    """controller -> the directory of this process's cgroup that has it (v1, or v2 delegated)."""
    v1: dict[str, str] = {}
    v2 = None
    with open("/proc/self/cgroup") as groups:
        for line in groups:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            if controllers:
                for name in controllers.split(","):
                    v1[name] = path
            else:
                v2 = path
    found: dict[str, Path] = {}
    for root, point, fstype, options in _mountinfo():
        if fstype == "cgroup":
            for name in set(options.split(",")) & set(_CGROUP_CONTROLLERS):
                if name in v1 and (v1[name] + "/").startswith(root.rstrip("/") + "/"):
                    found.setdefault(name, Path(point) / os.path.relpath(v1[name], root))
        elif fstype == "cgroup2" and v2 is not None and (v2 + "/").startswith(root.rstrip("/") + "/"):
            base = Path(point) / os.path.relpath(v2, root)
            try:
                enabled = (base / "cgroup.subtree_control").read_text().split()
            except OSError:
                continue
            for name in set(enabled) & set(_CGROUP_CONTROLLERS):
                found.setdefault(name, base)
    return found


_counter = itertools.count(1)


class CommandCgroup:
    """One command's cgroup(s) (see the module docstring)."""

    def __init__(self, dirs: list[Path], controllers: list[str]):
        self.dirs = dirs
        self.controllers = controllers

    @property
    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def join_prefix(self) -> list[str]:
        """`/bin/sh` joining every cgroup, then exec'ing the rest (exit 126 if it can't join)."""
        return ["/bin/sh", "-c", _JOIN_SCRIPT, "sh", str(len(self.dirs)), *self.procs_files]

    @classmethod
    def create(cls, limits: ResourceLimits) -> CommandCgroup | None:
        wanted = {"pids": limits.max_processes, "memory": limits.max_memory_mb}
        wanted = {k: v for k, v in wanted.items() if v is not None}
        if not wanted:
            return None
        try:
            bases = _own_cgroups()
        except OSError:
            return None
        for base in set(bases.values()):
            _sweep_stale(base)
        name = f"kernel-agent-{os.getpid()}-{next(_counter)}"
        made: dict[Path, list[str]] = {}
        for controller in wanted:
            if controller in bases:
                made.setdefault(bases[controller] / name, []).append(controller)
        group = cls([], [])
        try:
            for directory, controllers in made.items():
                try:
                    directory.mkdir()
                except OSError:
                    continue
                group.dirs.append(directory)
                for controller in controllers:
                    if _set_limit(directory, controller, wanted[controller]):
                        group.controllers.append(controller)
        except OSError:
            group.remove()
            return None
        if not group.controllers:
            group.remove()
            return None
        return group

    def remove(self) -> None:
        """SIGKILL what is left in the cgroup(s), then remove them (bounded wait)."""
        deadline = time.monotonic() + _REMOVE_WAIT_S
        for directory in self.dirs:
            while True:
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    _kill_members(directory)
                    time.sleep(0.01)
        self.dirs = []


def _sweep_stale(base: Path) -> None:
    """Remove empty `kernel-agent-<pid>-<n>` cgroups whose agent process is gone."""
    try:
        names = [n for n in os.listdir(base) if n.startswith("kernel-agent-")]
    except OSError:
        return
    for name in names:
        pid = name.split("-")[2]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            try:
                (base / name).rmdir()
            except OSError:
                pass


def _set_limit(directory: Path, controller: str, value: int) -> bool:
    """Write the limit; False when this hierarchy lacks the files (raises on other errors)."""
    if controller == "pids":
        files = [("pids.max", value)]
    elif (directory / "memory.max").exists():
        files = [("memory.max", value * MB), ("memory.swap.max", 0)]
    else:
        files = [("memory.limit_in_bytes", value * MB), ("memory.memsw.limit_in_bytes", value * MB)]
    first, *optional = files
    if not (directory / first[0]).exists():
        return False
    (directory / first[0]).write_text(str(first[1]))
    for filename, number in optional:
        try:
            (directory / filename).write_text(str(number))
        except OSError:
            pass
    return True


def _kill_members(directory: Path) -> None:
    try:
        pids = (directory / "cgroup.procs").read_text().split()
    except OSError:
        return
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (OSError, ValueError):
            pass


def limit_notes(limits: ResourceLimits, mechanism: str, cgroup_controllers: tuple[str, ...] | None = None) -> list[str]:
    """One line per limit: what is enforced for sandboxed commands on `mechanism`.

    `cgroup_controllers`: the controllers a per-command cgroup gets here (probed with a
    throwaway cgroup when None).
    """
    if mechanism not in ("bubblewrap", "landlock"):
        return []
    if cgroup_controllers is None:
        group = CommandCgroup.create(limits)
        cgroup_controllers = tuple(group.controllers) if group else ()
        if group:
            group.remove()
    notes = []
    if limits.max_processes is not None:
        if "pids" in cgroup_controllers:
            notes.append(f"at most {limits.max_processes} processes per command (pids cgroup)")
        elif os.getuid() != 0:
            notes.append(f"at most {limits.max_processes} processes per command (RLIMIT_NPROC)")
        else:
            notes.append("process limit NOT enforced: root is exempt from RLIMIT_NPROC and no pids cgroup is writable")
    if limits.max_memory_mb is not None:
        total = " and per command (memory cgroup)" if "memory" in cgroup_controllers else ""
        notes.append(f"at most {limits.max_memory_mb} MB of memory per process (RLIMIT_DATA){total}")
    if limits.max_file_size_mb is not None:
        notes.append(f"files of at most {limits.max_file_size_mb} MB (RLIMIT_FSIZE)")
    if limits.cpu_seconds is not None:
        notes.append(f"at most {limits.cpu_seconds} s of CPU per process (RLIMIT_CPU)")
    return notes
