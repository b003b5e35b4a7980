"""A guard that records and refuses network connections to anything but loopback.

Installed for every test by the autouse fixture `no_remote_network` (tests/conftest.py).
Patched at the Python level, where asyncio, httpx/httpcore, anyio, urllib and ssl all pass:

* `socket.socket.connect`, `connect_ex` and `sendto` (TCP, and UDP datagrams);
* `socket.getaddrinfo` (also what `socket.create_connection` and asyncio use): a host
  *name* other than `localhost` would be looked up over the network. Numeric addresses
  pass here (binding a server to 0.0.0.0 is not a connection); `connect` checks them.

A name under `.invalid` (RFC 6761: never resolves) fails at once the way a resolver
fails it, `socket.gaierror(EAI_NONAME)`, without a lookup or a violation: tests of "host
not found" use such names.

Allowed: 127.0.0.0/8, ::1 (and ::ffff:127.x.y.z), the names `localhost` and
`*.localhost`, AF_UNIX and every other non-IP family. Anything else is recorded, refused
with `NonLoopbackConnection` (an OSError, ENETUNREACH, naming the address), and the
fixture fails the test at teardown, so a caller that swallows the error cannot hide it.

Not guarded: subprocesses (a command the agent runs, `python -m agent exec`, a Jupyter
kernel: each has its own unpatched `socket` module), and C libraries that open sockets
without going through Python's `socket` module.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from typing import Any

import pytest

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_IP_FAMILIES = (socket.AF_INET, socket.AF_INET6)


class NonLoopbackConnection(OSError):
    """A test tried to reach a non-loopback address."""


def is_loopback_host(host: Any) -> bool:
    """Whether `host` (an address, a name, or None for "this machine") stays on loopback."""
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    name = str(host).split("%", 1)[0].rstrip(".").lower()
    if name in LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def is_invalid_name(host: Any) -> bool:
    """A name under the reserved `.invalid` TLD (RFC 6761: it never resolves)."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    return isinstance(host, str) and host.rstrip(".").lower().endswith(".invalid")


def _is_numeric(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


class NetworkGuard:
    """Records every refused attempt in `violations` (one message each)."""

    def __init__(self) -> None:
        self.violations: list[str] = []

    def report(self) -> str:
        lines = "\n".join(f"  - {v}" for v in self.violations)
        return f"the test opened non-loopback network connections (tests must stay on loopback):\n{lines}"

    def refuse(self, what: str, target: Any) -> NonLoopbackConnection:
        message = f"{what} {target!r}: not a loopback address (allowed: 127.0.0.0/8, ::1, localhost, AF_UNIX)"
        self.violations.append(message)
        return NonLoopbackConnection(errno.ENETUNREACH, message)

    def check_address(self, what: str, family: int, address: Any) -> None:
        if family not in _IP_FAMILIES:
            return
        host = address[0] if isinstance(address, tuple) and address else address
        if not is_loopback_host(host):
            raise self.refuse(what, address)

    def check_lookup(self, host: Any) -> None:
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if host is None or _is_numeric(str(host)) or is_loopback_host(host):
            return
        raise self.refuse("name lookup of", host)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Patch the socket module for the duration of `monkeypatch`."""
        real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
        real_sendto, real_getaddrinfo = socket.socket.sendto, socket.getaddrinfo
        guard = self

        def connect(sock: socket.socket, address: Any) -> None:
            guard.check_address("connect to", sock.family, address)
            return real_connect(sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> int:
            try:
                guard.check_address("connect_ex to", sock.family, address)
            except NonLoopbackConnection:
                return errno.ENETUNREACH
            return real_connect_ex(sock, address)

        def sendto(sock: socket.socket, data: Any, *rest: Any) -> int:
            guard.check_address("sendto", sock.family, rest[-1] if rest else None)
            return real_sendto(sock, data, *rest)

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            if is_invalid_name(host):
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            guard.check_lookup(host)
            return real_getaddrinfo(host, *args, **kwargs)

        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
        monkeypatch.setattr(socket.socket, "sendto", sendto)
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
