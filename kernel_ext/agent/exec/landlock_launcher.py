"""Landlock launcher: sandbox this process, then exec the command. STDLIB ONLY.

Usage (built by `sandbox.sandboxed_argv`):

    python -I -S landlock_launcher.py --policy-json JSON -- CMD [ARGS...]

JSON is `{"writable_roots": ["/abs/path", ...], "network": false}` (resolved paths), with
optionally `"rlimits": {"nproc"|"data"|"fsize"|"cpu": int}` (limits.rlimit_spec) and
`"cgroup_procs": ["/sys/fs/cgroup/.../cgroup.procs", ...]`; no other keys. In order, the
launcher:
0. writes its pid to every `cgroup_procs` file (the per-command cgroup,
   limits.CommandCgroup) and sets the `rlimits` (rlimits.py: soft = hard; the process
   limit counted on top of the tasks the uid already has when not root, see limits.py);
1. drops every capability: the bounding set (when it holds CAP_SETPCAP, i.e. as root),
   the ambient set, and the effective/permitted/inheritable sets, so a root agent's
   command can't load modules, reboot, remount or override file permissions; as root it
   then checks that the bounding set is empty (otherwise exec would restore capabilities);
2. applies Landlock (landlock.py) with the writable roots plus `/dev/null`, read and
   execute everywhere else, and — when the network is off — TCP bind/connect denied
   (ABI >= 4) and abstract unix sockets scoped (ABI >= 6); signals are always scoped;
3. when the network is off, installs the seccomp filter (seccomp.py): only AF_UNIX
   sockets, no io_uring;
4. `execvp`s the command with the inherited environment.
Any failure before the exec is fatal: a one-line `kernel-agent sandbox: ...` message on
stderr and exit 126 (127 when the command is not found). It never runs the command
unsandboxed. landlock.py and seccomp.py are loaded by file path from this directory, so
`-I -S` (no site, no environment, no cwd on sys.path) is enough.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys

EXIT_SANDBOX_FAILED = 126
EXIT_NOT_FOUND = 127

_PR_CAPBSET_DROP = 24
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_CAP_SETPCAP = 8
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


def _fail(message: str, code: int = EXIT_SANDBOX_FAILED) -> None:
    sys.stderr.write(f"kernel-agent sandbox: {message}\n")
    sys.stderr.flush()
    os._exit(code)


def _load(name: str) -> dict:
    """Run `<name>.py` from this directory in a fresh namespace (no import machinery)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{name}.py")
    with open(path, encoding="utf-8") as source:
        code = compile(source.read(), path, "exec")
    namespace = {"__name__": f"_kernel_agent_sandbox_{name}", "__file__": path}
    exec(code, namespace)
    return namespace


def _status_caps() -> dict[str, int]:
    caps = {}
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("Cap"):
                key, value = line.split(":", 1)
                caps[key] = int(value.strip(), 16)
    return caps


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> None:
    """Step 1 of the module docstring; raises OSError when the result isn't capability-free."""
    libc = ctypes.CDLL(None, use_errno=True)
    caps = _status_caps()
    if caps.get("CapEff", 0) & (1 << _CAP_SETPCAP):
        try:
            with open("/proc/sys/kernel/cap_last_cap") as f:
                last_cap = int(f.read().strip())
        except (OSError, ValueError):
            last_cap = 63
        for cap in range(last_cap + 1):
            if libc.prctl(ctypes.c_int(_PR_CAPBSET_DROP), ctypes.c_ulong(cap), ctypes.c_ulong(0),
                          ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
                err = ctypes.get_errno()
                raise OSError(err, f"dropping capability {cap} from the bounding set: {os.strerror(err)}")
    libc.prctl(ctypes.c_int(_PR_CAP_AMBIENT), ctypes.c_ulong(_PR_CAP_AMBIENT_CLEAR_ALL), ctypes.c_ulong(0),
               ctypes.c_ulong(0), ctypes.c_ulong(0))
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    if libc.capset(ctypes.byref(header), data) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"capset: {os.strerror(err)}")
    caps = _status_caps()
    left = {k: v for k, v in caps.items() if k in ("CapEff", "CapPrm", "CapInh", "CapAmb") and v}
    if os.geteuid() == 0 and caps.get("CapBnd", 0):
        left["CapBnd"] = caps["CapBnd"]
    if left:
        raise OSError(1, "capabilities left after dropping: " + ", ".join(f"{k}={v:x}" for k, v in left.items()))


_REQUIRED, _OPTIONAL = {"writable_roots", "network"}, {"rlimits", "cgroup_procs"}
_RLIMIT_NAMES = {"nproc", "data", "fsize", "cpu"}


def parse_args(args: list[str]) -> tuple[dict, list[str]]:
    """(policy, argv) from the command line; raises ValueError (module docstring)."""
    if len(args) < 4 or args[0] != "--policy-json" or args[2] != "--":
        raise ValueError("usage: landlock_launcher.py --policy-json JSON -- CMD [ARGS...]")
    policy = json.loads(args[1])
    if not isinstance(policy, dict) or not _REQUIRED <= set(policy) <= _REQUIRED | _OPTIONAL:
        raise ValueError("policy JSON must have the keys writable_roots and network (and optionally "
                         "rlimits and cgroup_procs), nothing else")
    roots, network = policy["writable_roots"], policy["network"]
    if not isinstance(network, bool) or not isinstance(roots, list):
        raise ValueError("policy JSON: writable_roots must be a list and network a boolean")
    for path in [*roots, *policy.setdefault("cgroup_procs", [])]:
        if not isinstance(path, str) or not os.path.isabs(path):
            raise ValueError(f"policy JSON: {path!r} is not an absolute path")
    limits = policy.setdefault("rlimits", {})
    if not isinstance(limits, dict) or not set(limits) <= _RLIMIT_NAMES or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in limits.values()):
        raise ValueError(f"policy JSON: rlimits must map {sorted(_RLIMIT_NAMES)} to non-negative integers")
    return policy, args[3:]


def main(args: list[str]) -> None:
    try:
        policy, argv = parse_args(args)
    except ValueError as err:
        _fail(str(err), 2)
        return
    roots, network = policy["writable_roots"], policy["network"]
    try:
        for procs in policy["cgroup_procs"]:
            with open(procs, "w") as group:
                group.write(str(os.getpid()))
        if policy["rlimits"]:
            _load("rlimits")["apply_rlimits"](policy["rlimits"], count_existing=True)
        landlock = _load("landlock")
        seccomp = _load("seccomp")
        drop_capabilities()
        landlock["restrict_self"](roots, deny_tcp=not network, scope_abstract_unix=not network)
        if not network:
            seccomp["install_network_filter"]()
    except Exception as err:  # noqa: BLE001 - any failure means "don't run the command"
        _fail(f"cannot enforce the Landlock sandbox, refusing to run the command: {err}")
        return
    try:
        os.execvp(argv[0], argv)
    except FileNotFoundError:
        _fail(f"{argv[0]}: command not found", EXIT_NOT_FOUND)
    except OSError as err:
        _fail(f"{argv[0]}: {err.strerror or err}")


if __name__ == "__main__":
    main(sys.argv[1:])
