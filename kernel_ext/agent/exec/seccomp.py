"""A hand-built seccomp BPF filter that denies network sockets. STDLIB ONLY (loaded by path).

The filter (`program(arch)`; installed by `install_network_filter()`):
1. the syscall's architecture must be the native one (x86_64 or aarch64); any other
   (i386 `int 0x80`, AArch32 compat) kills the process, so no foreign syscall table
   (e.g. i386 `socketcall`) can be used to get around it;
2. on x86_64, x32-ABI syscall numbers (bit 30 set) are denied;
3. `socket` and `socketpair` are allowed only when the domain (args[0], an int) is
   AF_UNIX; `io_uring_setup` is always denied (io_uring could open sockets without the
   `socket` syscall);
4. everything else is allowed.
A denied call fails with EPERM, as in Codex's network filter.

`install_network_filter()` sets `no_new_privs` and installs the filter on the calling
thread (inherited across fork and exec); it raises `SeccompError` (an OSError) on an
unsupported architecture or when the kernel refuses, so the caller can fail closed.
`available()` tells cheaply whether installing can work (architecture + PR_GET_SECCOMP).
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct

__all__ = ["SeccompError", "available", "install_network_filter", "program"]

_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_RET_K = 0x06

RET_ALLOW = 0x7FFF0000
RET_KILL_PROCESS = 0x80000000
RET_ERRNO = 0x00050000
AF_UNIX = 1

_OFFSET_NR, _OFFSET_ARCH, _OFFSET_ARG0 = 0, 4, 16
"""struct seccomp_data: int nr; u32 arch; u64 ip; u64 args[6] (args[0]'s low word, little-endian)."""

PR_SET_NO_NEW_PRIVS = 38
PR_GET_SECCOMP = 21
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2

# machine -> (AUDIT_ARCH, socket, socketpair, io_uring_setup, has_x32)
_ARCHES: dict[str, tuple[int, int, int, int, bool]] = {
    "x86_64": (0xC000003E, 41, 53, 425, True),
    "aarch64": (0xC00000B7, 198, 199, 425, False),
}
_ALIASES = {"amd64": "x86_64", "arm64": "aarch64"}


class SeccompError(OSError):
    """The network filter could not be installed; the command must not run."""


def native_arch() -> str | None:
    """`x86_64`, `aarch64`, or None when this filter doesn't support the machine."""
    machine = os.uname().machine.lower()
    machine = _ALIASES.get(machine, machine)
    return machine if machine in _ARCHES else None


def program(arch: str) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) instructions for `arch` (see the module docstring)."""
    audit, nr_socket, nr_socketpair, nr_io_uring, has_x32 = _ARCHES[arch]
    deny = RET_ERRNO | errno.EPERM
    prog = [
        (_LD_W_ABS, 0, 0, _OFFSET_ARCH),
        (_JEQ_K, 1, 0, audit),
        (_RET_K, 0, 0, RET_KILL_PROCESS),
        (_LD_W_ABS, 0, 0, _OFFSET_NR),
    ]
    if has_x32:
        prog += [(_JGE_K, 0, 1, 0x40000000), (_RET_K, 0, 0, deny)]
    prog += [
        (_JEQ_K, 3, 0, nr_socket),        # -> load domain
        (_JEQ_K, 2, 0, nr_socketpair),    # -> load domain
        (_JEQ_K, 4, 0, nr_io_uring),      # -> deny
        (_RET_K, 0, 0, RET_ALLOW),
        (_LD_W_ABS, 0, 0, _OFFSET_ARG0),
        (_JEQ_K, 0, 1, AF_UNIX),
        (_RET_K, 0, 0, RET_ALLOW),
        (_RET_K, 0, 0, deny),
    ]
    return prog


def program_bytes(arch: str) -> bytes:
    """The filter as the raw `struct sock_filter` array (e.g. for `bwrap --seccomp FD`)."""
    return b"".join(struct.pack("=HBBI", *insn) for insn in program(arch))


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.restype = ctypes.c_int
    return libc


def available() -> bool:
    """True when the architecture is supported and the kernel has seccomp."""
    if native_arch() is None:
        return False
    libc = _libc()
    ctypes.set_errno(0)
    return libc.prctl(ctypes.c_int(PR_GET_SECCOMP), ctypes.c_ulong(0), ctypes.c_ulong(0),
                      ctypes.c_ulong(0), ctypes.c_ulong(0)) >= 0


def install_network_filter() -> None:
    """Install the filter on this thread (see the module docstring)."""
    arch = native_arch()
    if arch is None:
        raise SeccompError(errno.EOPNOTSUPP, f"seccomp network filter: unsupported architecture {os.uname().machine}")
    code = program_bytes(arch)
    buf = ctypes.create_string_buffer(code, len(code))
    fprog = _SockFprog(len(code) // 8, ctypes.cast(buf, ctypes.c_void_p))
    libc = _libc()
    for args, what in [
        ((PR_SET_NO_NEW_PRIVS, 1, 0), "prctl(PR_SET_NO_NEW_PRIVS)"),
        ((PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog)), "prctl(PR_SET_SECCOMP)"),
    ]:
        ctypes.set_errno(0)
        if libc.prctl(ctypes.c_int(args[0]), ctypes.c_ulong(args[1]), ctypes.c_ulong(args[2]),
                      ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
            err = ctypes.get_errno()
            raise SeccompError(err, f"{what}: {os.strerror(err)}")
