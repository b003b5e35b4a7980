"""Landlock through raw syscalls (ctypes). STDLIB ONLY: the launcher loads this file by path.

Contract:
* `abi_version()` -> the kernel's Landlock ABI (1..), or 0 when Landlock is unavailable
  (unsupported architecture, kernel without Landlock, or Landlock disabled at boot).
  Probes with `landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)`, never
  with /sys/kernel/security/lsm (that file can be empty; notes gotcha 1).
* `restrict_self(writable, *, deny_tcp, scope_abstract_unix)` restricts the calling
  thread (and everything it later executes) and returns the ABI used:
  - the handled filesystem rights are all rights the ABI knows (v1: bits 0-12, v2 adds
    REFER, v3 TRUNCATE, v5 IOCTL_DEV); ABIs newer than 7 are used as 7;
  - `/` gets EXECUTE | READ_FILE | READ_DIR (read and run anywhere), `/dev` also
    IOCTL_DEV (terminal ioctls), `/dev/null` and every `writable` path get every handled
    right; rights that only make sense on directories are masked off for non-directory
    paths (otherwise `landlock_add_rule` fails with EINVAL; notes gotcha 2);
  - with `deny_tcp` and ABI >= 4, TCP bind and connect are handled with no port rule:
    all TCP is denied (UDP is not covered by Landlock; see seccomp.py);
  - with ABI >= 6, signals to processes outside the sandbox are denied (SIGNAL scope),
    and with `scope_abstract_unix` so are connections to abstract unix sockets bound
    outside it;
  - it sets `no_new_privs` (required by Landlock) first.
  Raises `LandlockError` (an OSError) when anything fails; the caller must then not run
  the command (fail closed).

Not covered by Landlock (ABI <= 7): chmod/chown/utime/xattr on existing files, and
unix-socket connects by path; `.git` subpaths can't be carved out of a writable root
(rules only add rights), so under Landlock `.git` inside a writable root stays writable.
"""

from __future__ import annotations

import ctypes
import os

__all__ = ["LandlockError", "abi_version", "restrict_self"]

_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
"""The same numbers on every architecture that uses the generic syscall table."""
_GENERIC_SYSCALL_ARCHES = frozenset(
    {"x86_64", "amd64", "aarch64", "arm64", "riscv64", "ppc64le", "ppc64", "s390x", "loongarch64"}
)

CREATE_RULESET_VERSION = 1 << 0
RULE_PATH_BENEATH = 1
RULE_NET_PORT = 2
PR_SET_NO_NEW_PRIVS = 38

ACCESS_FS_EXECUTE = 1 << 0
ACCESS_FS_WRITE_FILE = 1 << 1
ACCESS_FS_READ_FILE = 1 << 2
ACCESS_FS_READ_DIR = 1 << 3
ACCESS_FS_REMOVE_DIR = 1 << 4
ACCESS_FS_REMOVE_FILE = 1 << 5
ACCESS_FS_MAKE_CHAR = 1 << 6
ACCESS_FS_MAKE_DIR = 1 << 7
ACCESS_FS_MAKE_REG = 1 << 8
ACCESS_FS_MAKE_SOCK = 1 << 9
ACCESS_FS_MAKE_FIFO = 1 << 10
ACCESS_FS_MAKE_BLOCK = 1 << 11
ACCESS_FS_MAKE_SYM = 1 << 12
ACCESS_FS_REFER = 1 << 13
ACCESS_FS_TRUNCATE = 1 << 14
ACCESS_FS_IOCTL_DEV = 1 << 15

ACCESS_NET_BIND_TCP = 1 << 0
ACCESS_NET_CONNECT_TCP = 1 << 1

SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0
SCOPE_SIGNAL = 1 << 1

MAX_KNOWN_ABI = 7

_FS_V1 = (1 << 13) - 1
FILE_RIGHTS = ACCESS_FS_EXECUTE | ACCESS_FS_WRITE_FILE | ACCESS_FS_READ_FILE | ACCESS_FS_TRUNCATE | ACCESS_FS_IOCTL_DEV
"""The only rights a rule on a non-directory may carry."""
READ_RIGHTS = ACCESS_FS_EXECUTE | ACCESS_FS_READ_FILE | ACCESS_FS_READ_DIR


class LandlockError(OSError):
    """Landlock could not be set up; the command must not run."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    libc.prctl.restype = ctypes.c_int
    return libc


def _check(result: int, what: str) -> int:
    if result < 0:
        err = ctypes.get_errno()
        raise LandlockError(err, f"{what}: {os.strerror(err)}")
    return result


def _arch_supported() -> bool:
    return os.uname().machine.lower() in _GENERIC_SYSCALL_ARCHES


def abi_version() -> int:
    """The kernel's Landlock ABI version, or 0 when Landlock can't be used."""
    if not _arch_supported():
        return 0
    libc = _libc()
    ctypes.set_errno(0)
    result = libc.syscall(ctypes.c_long(_SYS_CREATE_RULESET), None, ctypes.c_size_t(0),
                          ctypes.c_uint32(CREATE_RULESET_VERSION))
    return int(result) if result > 0 else 0


def handled_fs_rights(abi: int) -> int:
    """Every filesystem right the given ABI can handle."""
    rights = _FS_V1
    if abi >= 2:
        rights |= ACCESS_FS_REFER
    if abi >= 3:
        rights |= ACCESS_FS_TRUNCATE
    if abi >= 5:
        rights |= ACCESS_FS_IOCTL_DEV
    return rights


def _add_path_rule(libc: ctypes.CDLL, ruleset_fd: int, path: str, access: int, handled_fs: int) -> None:
    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        if not os.path.isdir(path):
            access &= FILE_RIGHTS
        attr = _PathBeneathAttr(access & handled_fs, fd)
        ctypes.set_errno(0)
        _check(libc.syscall(ctypes.c_long(_SYS_ADD_RULE), ctypes.c_int(ruleset_fd), ctypes.c_int(RULE_PATH_BENEATH),
                            ctypes.byref(attr), ctypes.c_uint32(0)), f"landlock_add_rule({path})")
    finally:
        os.close(fd)


def restrict_self(writable: list[str], *, deny_tcp: bool, scope_abstract_unix: bool) -> int:
    """Restrict this thread and its future children (see the module docstring); returns the ABI."""
    abi = abi_version()
    if abi < 1:
        raise LandlockError(95, "Landlock is not supported by this kernel")  # EOPNOTSUPP
    abi = min(abi, MAX_KNOWN_ABI)
    handled_fs = handled_fs_rights(abi)
    attr = _RulesetAttr(handled_fs, 0, 0)
    size = 8
    if abi >= 4:
        size = 16
        if deny_tcp:
            attr.handled_access_net = ACCESS_NET_BIND_TCP | ACCESS_NET_CONNECT_TCP
    if abi >= 6:
        size = 24
        attr.scoped = SCOPE_SIGNAL | (SCOPE_ABSTRACT_UNIX_SOCKET if scope_abstract_unix else 0)
    libc = _libc()
    ctypes.set_errno(0)
    ruleset_fd = _check(libc.syscall(ctypes.c_long(_SYS_CREATE_RULESET), ctypes.byref(attr), ctypes.c_size_t(size),
                                     ctypes.c_uint32(0)), "landlock_create_ruleset")
    try:
        _add_path_rule(libc, ruleset_fd, "/", READ_RIGHTS, handled_fs)
        if os.path.isdir("/dev"):
            _add_path_rule(libc, ruleset_fd, "/dev", READ_RIGHTS | ACCESS_FS_IOCTL_DEV, handled_fs)
        for path in ["/dev/null", *writable]:
            if os.path.exists(path):
                _add_path_rule(libc, ruleset_fd, path, handled_fs, handled_fs)
        ctypes.set_errno(0)
        _check(libc.prctl(ctypes.c_int(PR_SET_NO_NEW_PRIVS), ctypes.c_ulong(1), ctypes.c_ulong(0),
                          ctypes.c_ulong(0), ctypes.c_ulong(0)), "prctl(PR_SET_NO_NEW_PRIVS)")
        ctypes.set_errno(0)
        _check(libc.syscall(ctypes.c_long(_SYS_RESTRICT_SELF), ctypes.c_int(ruleset_fd), ctypes.c_uint32(0)),
               "landlock_restrict_self")
    finally:
        os.close(ruleset_fd)
    return abi
