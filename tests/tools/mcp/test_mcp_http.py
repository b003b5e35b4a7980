"""Streamable HTTP MCP servers: a real `mcp` SDK server (MCPServer over uvicorn on
127.0.0.1, behind a bearer-token check), plus raw ASGI fault servers."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from agent.client.mcp_http import http_headers
from agent.core.mcp_connections import _http_connect
from agent.protocol.policy import WorkspaceWrite
from agent.tools.mcp.manager import McpManager
from agent.tools.mcp.server_config import McpServerConfig

TOKEN = "tok-3f9a8c71e2"


def sdk_app() -> Any:
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("http-test")

    @server.tool()
    def echo(text: str) -> str:
        """Echo the text."""
        return f"echo: {text}"

    @server.tool()
    def point(x: int) -> dict[str, int]:
        """A structured result."""
        return {"x": x, "double": 2 * x}

    @server.tool()
    def fail() -> str:
        """Always fails."""
        raise ValueError("this tool always fails")

    return server.streamable_http_app()


class Recorder:
    """ASGI middleware: refuses requests without the bearer token, records what came."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[tuple[str, dict[str, str]]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.seen.append((scope["method"], headers))
        if headers.get("authorization") != f"Bearer {TOKEN}":
            await send({"type": "http.response.start", "status": 401,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": b'{"error":"invalid_token"}'})
            return
        await self.app(scope, receive, send)


async def not_mcp(scope: Any, receive: Any, send: Any) -> None:
    """A web page, not an MCP endpoint."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
    await send({"type": "http.response.body", "body": b"<html>hello</html>"})


def serve(app: Any) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.02)
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="module")
def recorder() -> Recorder:
    return Recorder(sdk_app())


@pytest.fixture(scope="module")
def sdk_url(recorder: Recorder) -> Iterator[str]:
    yield from serve(recorder)


@pytest.fixture(scope="module")
def html_url() -> Iterator[str]:
    yield from serve(not_mcp)


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCP_HTTP_TEST_TOKEN", TOKEN)


async def started(*configs: McpServerConfig, work: Any) -> McpManager:
    manager = McpManager(list(configs), cwd=work, sandbox_policy=WorkspaceWrite(), mechanism="none",
                         http_connect=_http_connect)
    await manager.start(lambda status: None)
    return manager


def web(url: str, name: str = "web", **fields: Any) -> McpServerConfig:
    fields.setdefault("bearer_token_env_var", "MCP_HTTP_TEST_TOKEN")
    fields.setdefault("tool_timeout_sec", 20)
    return McpServerConfig(name=name, url=url, startup_timeout_sec=20, **fields)


async def test_tools_over_streamable_http(sdk_url: str, recorder: Recorder, token: None, tmp_path: Any) -> None:
    recorder.seen.clear()
    manager = await started(web(sdk_url, http_headers=(("X-Static", "s"),)), work=tmp_path)
    try:
        (status,) = manager.statuses()
        assert (status.state, status.error, status.sandboxed) == ("ready", None, "none (streamable HTTP)")
        assert sorted(t.name for t in status.tools) == ["echo", "fail", "point"]
        text = await manager.call_tool("web", "echo", {"text": "hi"})
        assert (text.is_error, text.content[0].text) == (False, "echo: hi")
        point = await manager.call_tool("web", "point", {"x": 4})
        assert point.structured_content == {"x": 4, "double": 8}
        failed = await manager.call_tool("web", "fail", {})
        assert failed.is_error and failed.content[0].text == "Error executing tool fail"
    finally:
        await manager.close()
    methods = [m for m, _ in recorder.seen]
    assert methods[0] == "POST" and methods[-1] == "DELETE"
    first, later = recorder.seen[0][1], recorder.seen[1][1]
    assert "mcp-session-id" not in first and "mcp-protocol-version" not in first
    assert first["accept"] == "application/json, text/event-stream" and first["x-static"] == "s"
    assert later["mcp-session-id"] and later["mcp-protocol-version"]
    assert all(h["mcp-session-id"] == later["mcp-session-id"] for _, h in recorder.seen[1:])


async def test_a_missing_token_variable_is_one_line_naming_it(sdk_url: str, monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Any) -> None:
    monkeypatch.delenv("MCP_HTTP_TEST_TOKEN", raising=False)
    manager = await started(web(sdk_url), work=tmp_path)
    (status,) = manager.statuses()
    assert status.state == "failed"
    assert status.error == ("MCP server web failed to start: environment variable MCP_HTTP_TEST_TOKEN "
                            "(bearer_token_env_var) is not set")
    await manager.close()


async def test_a_wrong_token_is_refused_in_one_line_without_the_token(sdk_url: str, monkeypatch: pytest.MonkeyPatch,
                                                                       tmp_path: Any) -> None:
    monkeypatch.setenv("MCP_HTTP_TEST_TOKEN", "wrong-token-123456")
    manager = await started(web(sdk_url), work=tmp_path)
    (status,) = manager.statuses()
    assert status.state == "failed" and status.error is not None
    assert "HTTP 401" in status.error and "\n" not in status.error and "wrong-token" not in status.error
    await manager.close()


async def test_a_url_that_is_not_mcp_fails_in_one_line(html_url: str, token: None, tmp_path: Any) -> None:
    manager = await started(web(html_url), work=tmp_path)
    (status,) = manager.statuses()
    assert status.state == "failed"
    assert status.error == (f"MCP server web failed to start: {html_url} is not an MCP endpoint: "
                            "it answered with content-type 'text/html'")
    await manager.close()


async def test_nothing_listening_fails_in_one_line(token: None, tmp_path: Any) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    manager = await started(web(f"http://127.0.0.1:{port}/mcp"), work=tmp_path)
    (status,) = manager.statuses()
    assert status.state == "failed" and "could not reach" in (status.error or "")
    await manager.close()


async def test_without_a_transport_a_url_server_fails(sdk_url: str, tmp_path: Any) -> None:
    manager = McpManager([web(sdk_url)], cwd=tmp_path, sandbox_policy=WorkspaceWrite(), mechanism="none")
    await manager.start(lambda status: None)
    (status,) = manager.statuses()
    assert status.state == "failed" and "not available here" in (status.error or "")
    await manager.close()


def test_headers_come_from_the_environment_and_are_secrets() -> None:
    headers, secrets = http_headers("w", static={"A": "1"}, from_env={"X-Key": "KEY_VAR"}, bearer_env_var="TOK",
                                    env={"KEY_VAR": "key-value-1", "TOK": "token-value"})
    assert headers == {"A": "1", "X-Key": "key-value-1", "Authorization": "Bearer token-value"}
    assert set(secrets) == {"key-value-1", "token-value"}
    with pytest.raises(Exception) as info:
        http_headers("w", static={}, from_env={"X-Key": "NOPE"}, bearer_env_var=None, env={})
    assert str(info.value) == "MCP server w: environment variable NOPE (env_http_headers) is not set"


async def test_a_slow_tool_times_out_and_is_cancelled_on_the_server(tmp_path: Any, token: None) -> None:
    received: list[dict[str, Any]] = []
    app = slow_app(received)
    for url in serve(Recorder(app)):
        manager = await started(web(url, tool_timeout_sec=0.5), work=tmp_path)
        try:
            assert manager.statuses()[0].state == "ready"
            with pytest.raises(Exception) as info:
                await manager.call_tool("web", "slow", {})
            assert str(info.value) == "MCP server web: tools/call timed out after 0.5 s"
            for _ in range(200):
                if any(m.get("method") == "notifications/cancelled" for m in received):
                    break
                await asyncio.sleep(0.02)
            cancel = next(m for m in received if m.get("method") == "notifications/cancelled")
            call = next(m for m in received if m.get("method") == "tools/call")
            assert cancel["params"]["requestId"] == call["id"]
        finally:
            await manager.close()


async def read_message(receive: Any, received: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON-RPC message of one ASGI request (recorded in `received`)."""
    import json

    body = b""
    while True:
        event = await receive()
        body += event.get("body", b"")
        if not event.get("more_body"):
            break
    message = json.loads(body) if body else {}
    received.append(message)
    return message


async def accepted(send: Any) -> None:
    """202 with no body: a notification, a response, or the session's DELETE."""
    await send({"type": "http.response.start", "status": 202, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def slow_app(received: list[dict[str, Any]]) -> Any:
    """A minimal JSON-answering MCP server whose tools/call never answers in time."""
    import json

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        message = await read_message(receive, received)
        method = message.get("method")
        if scope["method"] == "DELETE" or "id" not in message:
            await accepted(send)
            return
        if method == "tools/call":  # answers only once the client cancelled (or after 5 s)
            for _ in range(250):
                if any(m.get("method") == "notifications/cancelled" for m in received):
                    break
                await asyncio.sleep(0.02)
        results = {
            "initialize": {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                           "serverInfo": {"name": "slow", "version": "1"}},
            "tools/list": {"tools": [{"name": "slow", "inputSchema": {"type": "object"}}]},
        }
        reply = {"jsonrpc": "2.0", "id": message["id"], "result": results.get(method, {"content": []})}
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": json.dumps(reply).encode()})

    return app


def sse_app(received: list[dict[str, Any]], forget: list[bool]) -> Any:
    """Answers over SSE, sending a notification and a server request before each response;
    while `forget` holds True it answers 404 to the next session request (session lost)."""
    import json

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        message = await read_message(receive, received)
        if scope["method"] == "DELETE" or "id" not in message or "method" not in message:
            await accepted(send)
            return
        if forget and forget[0] and message["method"] == "tools/call":
            forget[0] = False
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"no such session"})
            return
        results = {
            "initialize": {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                           "serverInfo": {"name": "sse", "version": "1"}},
            "tools/list": {"tools": [{"name": "t", "inputSchema": {"type": "object"}}]},
        }
        result = results.get(message["method"], {"content": [{"type": "text", "text": "done"}]})
        events = [{"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "x"}},
                  {"jsonrpc": "2.0", "id": "srv-1", "method": "roots/list"},
                  {"jsonrpc": "2.0", "id": message["id"], "result": result}]
        data = b"".join(b": comment\r\nevent: message\r\ndata: " + json.dumps(e).encode() + b"\r\n\r\n" for e in events)
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"text/event-stream"), (b"mcp-session-id", b"session-1")]})
        await send({"type": "http.response.body", "body": data})

    return app


async def test_sse_answers_with_server_requests_and_a_lost_session(tmp_path: Any, token: None) -> None:
    received: list[dict[str, Any]] = []
    forget = [False]
    for url in serve(Recorder(sse_app(received, forget))):
        manager = await started(web(url), work=tmp_path)
        try:
            assert manager.statuses()[0].state == "ready"
            forget[0] = True
            with pytest.raises(Exception) as info:  # 404: the session is gone, the connection dropped
                await manager.call_tool("web", "t", {})
            assert str(info.value) == "MCP server web: the server ended the session (HTTP 404)"
            result = await manager.call_tool("web", "t", {})  # restarted: a new session
            assert result.content[0].text == "done"
            assert [m.get("method") for m in received].count("initialize") == 2
            for _ in range(200):
                if any(m.get("id") == "srv-1" for m in received if "method" not in m):
                    break
                await asyncio.sleep(0.02)
            reply = next(m for m in received if m.get("id") == "srv-1" and "method" not in m)
            assert reply["error"] == {"code": -32601, "message": "roots/list is not supported by this client"}
        finally:
            await manager.close()
