"""The suite-wide guard against non-loopback connections (tests/network_guard.py).

Every refused address here is refused before any packet leaves (192.0.2.1 is TEST-NET-1,
the name `example.org` is never looked up), so these tests need no network either way.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import threading

import pytest

from tests.network_guard import NetworkGuard, NonLoopbackConnection, is_loopback_host

TEST_NET = ("192.0.2.1", 9)


def test_connect_to_a_non_loopback_address_is_refused_and_named(no_remote_network: NetworkGuard):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.05)
        with pytest.raises(NonLoopbackConnection, match=r"192\.0\.2\.1"):
            sock.connect(TEST_NET)
        assert sock.connect_ex(TEST_NET) == errno.ENETUNREACH
    assert len(no_remote_network.violations) == 2
    no_remote_network.violations.clear()  # handled here: the fixture would fail this test


def test_asyncio_and_name_lookups_are_refused(no_remote_network: NetworkGuard):
    async def open_remote() -> None:
        await asyncio.wait_for(asyncio.open_connection(*TEST_NET), timeout=1)

    with pytest.raises(NonLoopbackConnection):
        asyncio.run(open_remote())
    with pytest.raises(NonLoopbackConnection, match="example.org"):
        socket.create_connection(("example.org", 80), timeout=0.05)
    assert len(no_remote_network.violations) == 2
    no_remote_network.violations.clear()


def test_invalid_names_fail_like_a_resolver_without_a_lookup(no_remote_network: NetworkGuard):
    with pytest.raises(socket.gaierror) as info:
        socket.getaddrinfo("wrong-host.invalid", 80)
    assert info.value.errno == socket.EAI_NONAME

    async def lookup() -> None:
        await asyncio.get_running_loop().getaddrinfo(b"api.example.invalid.", 443)

    with pytest.raises(socket.gaierror):
        asyncio.run(lookup())
    assert no_remote_network.violations == []


def test_loopback_and_unix_sockets_pass(no_remote_network: NetworkGuard, tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        accepted = threading.Thread(target=lambda: server.accept()[0].close())
        accepted.start()
        with socket.create_connection(("localhost", port), timeout=5):
            pass
        accepted.join(5)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(tmp_path / "s"))
        listener.listen()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(str(tmp_path / "s"))
    assert no_remote_network.violations == []


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1", "localhost", "LOCALHOST.", "a.localhost", None])
def test_loopback_hosts(host):
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", ["192.0.2.1", "10.0.0.1", "::", "0.0.0.0", "2001:db8::1", "example.com", "localhost.example.com"])
def test_non_loopback_hosts(host):
    assert not is_loopback_host(host)


def test_a_test_that_swallows_the_refusal_still_fails(pytester: pytest.Pytester):
    pytester.makeconftest("from tests.conftest import no_remote_network\n")
    pytester.makepyfile(
        """
        import socket

        def test_swallows():
            try:
                socket.create_connection(("192.0.2.1", 9), timeout=0.05)
            except OSError:
                pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:asyncio")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*non-loopback network connections*", "*192.0.2.1*"])
