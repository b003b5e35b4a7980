"""The environment decides the network path: HTTP_PROXY and SSL_CERT_FILE are honoured."""

from __future__ import annotations

import asyncio
import ssl
from urllib.parse import urlsplit

import pytest
import trustme

from agent.client.errors import TransportError
from agent.client.stream import Completed, OutputItemDone
from tests.scripted_server import Reply, ScriptedServer

pytestmark = pytest.mark.timeout(20)


class ForwardProxy:
    """A minimal HTTP forward proxy: absolute-form requests relayed to the origin."""

    def __init__(self) -> None:
        self.request_lines: list[str] = []
        self.port = 0
        self._tasks: set[asyncio.Task] = set()

    async def __aenter__(self) -> ForwardProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, rest = head.split(b"\r\n", 1)
            method, target, version = request_line.decode().split(" ")
            self.request_lines.append(request_line.decode())
            url = urlsplit(target)
            up_reader, up_writer = await asyncio.open_connection(url.hostname, url.port)
            origin_form = url.path + (f"?{url.query}" if url.query else "")
            up_writer.write(f"{method} {origin_form} {version}\r\n".encode() + rest)
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def test_http_proxy_from_environment(srv, make_client, prompt, collect, monkeypatch):
    srv.enqueue(Reply(text="via proxy"))
    async with ForwardProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        client = make_client(srv.url, "responses")
        events = await collect(client, prompt())
        await client.aclose()
    assert isinstance(events[-1], Completed)
    assert [e.item.text() for e in events if isinstance(e, OutputItemDone)] == ["via proxy"]
    assert proxy.request_lines == [f"POST {srv.url}/responses HTTP/1.1"]
    assert srv.requests[0].path == "/v1/responses"


async def test_without_proxy_variables_the_proxy_is_not_used(srv, make_client, prompt, collect):
    srv.enqueue(Reply(text="direct"))
    async with ForwardProxy() as proxy:
        await collect(make_client(srv.url, "chat"), prompt())
    assert proxy.request_lines == [] and len(srv.requests) == 1


@pytest.fixture(scope="module")
def tls_material(tmp_path_factory):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return ca_file, context


@pytest.fixture
def tls_srv(tls_material):
    with ScriptedServer(ssl_context=tls_material[1]) as server:
        yield server


async def test_custom_ca_from_ssl_cert_file(tls_srv, tls_material, make_client, prompt, collect, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_material[0]))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    assert tls_srv.url.startswith("https://127.0.0.1:")
    tls_srv.enqueue(Reply(text="secure"))
    events = await collect(make_client(tls_srv.url, "responses"), prompt())
    assert [e.item.text() for e in events if isinstance(e, OutputItemDone)] == ["secure"]


async def test_unknown_ca_is_a_transport_error(tls_srv, make_client, prompt, collect, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    tls_srv.enqueue(Reply(text="never"))
    with pytest.raises(TransportError) as info:
        await collect(make_client(tls_srv.url, "chat", request_max_retries=1), prompt())
    assert "CERTIFICATE_VERIFY_FAILED" in info.value.message
    assert tls_srv.pending == 1
