"""`HttpMcpConnection`: JSON-RPC 2.0 with one streamable-HTTP MCP server (MCP 2025-03-26+).

* Every message is a POST to the server's URL (`Accept: application/json,
  text/event-stream`). A request's answer is one JSON body or an SSE stream (read with the
  bounded `sse.SseParser`, 16 MiB per event) that may carry the server's notifications
  (ignored) and requests (answered "not supported", JSON-RPC -32601, except `ping`) before
  the response. Notifications and replies are answered 202 and nothing else is read.
* The `Mcp-Session-Id` the server gives with the `initialize` answer is sent on every later
  message, `MCP-Protocol-Version` (the negotiated one) after `initialize`; `close()` DELETEs
  the session (best effort) and closes the httpx client; idempotent.
* Same surface as the stdio connection (`request`, `notify`, `alive`, `dropped_reason`,
  `stderr_tail`, `close`): every failure is one line naming the server, raised as the
  injected `error` class; the values of the secret headers (bearer token,
  `env_http_headers`) are redacted from every error text and never logged. A timeout or
  a cancelled wait sends `notifications/cancelled`. A 404 once a session exists means the
  server forgot it: the connection is dropped (the manager restarts it on next use).
* `http_headers(...)` builds the headers of a server's config from the environment; a
  missing variable is an error naming it.

The httpx client is built as the model transport's (`trust_env`: proxies and
`SSL_CERT_FILE` from the environment; the same connect timeout).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any, AsyncIterator, Mapping

import httpx

from .errors import ModelError
from .http import CONNECT_TIMEOUT_S, read_body
from .sse import MAX_SSE_EVENT_BYTES, SseParser

__all__ = ["HttpMcpConnection", "McpHttpError", "http_headers"]

ACCEPT = "application/json, text/event-stream"
METHOD_NOT_FOUND = -32601
CLOSE_TIMEOUT_S = 2.0
NO_TIMEOUT_IDLE_S = 3600.0
SESSION_ID = "mcp-session-id"


class McpHttpError(Exception):
    """The default error class (the session injects agent.tools.mcp's McpError)."""


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def http_headers(name: str, *, static: Mapping[str, str], from_env: Mapping[str, str], bearer_env_var: str | None,
                 env: Mapping[str, str], error: type[Exception] = McpHttpError) -> tuple[dict[str, str], tuple[str, ...]]:
    """(headers, secret values): `static` as given, `from_env` header -> variable name, the
    bearer token from `bearer_env_var`. A missing variable raises `error` naming it."""
    headers = dict(static)
    secrets: list[str] = []
    wanted = [(header, var, "env_http_headers", "") for header, var in from_env.items()]
    if bearer_env_var:
        wanted.append(("Authorization", bearer_env_var, "bearer_token_env_var", "Bearer "))
    for header, var, key, prefix in wanted:
        value = env.get(var)
        if not value:
            raise error(f"MCP server {name}: environment variable {var} ({key}) is not set")
        headers[header] = prefix + value
        secrets.append(value)
    return headers, tuple(sorted(set(secrets), key=len, reverse=True))


class HttpMcpConnection:
    """One server over streamable HTTP (module docstring)."""

    def __init__(self, name: str, url: str, headers: Mapping[str, str], *, secrets: tuple[str, ...] = (),
                 error: type[Exception] = McpHttpError, http: httpx.AsyncClient | None = None,
                 max_event_bytes: int = MAX_SSE_EVENT_BYTES) -> None:
        self.name = name
        self._url = url
        self._headers = dict(headers)
        self._secrets = secrets
        self._error = error
        self._max_event = max_event_bytes
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(CONNECT_TIMEOUT_S, read=None))
        self._ids = itertools.count(1)
        self._session_id: str | None = None
        self._protocol_version: str | None = None
        self._dropped: str | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def alive(self) -> bool:
        return self._dropped is None

    @property
    def dropped_reason(self) -> str | None:
        return self._dropped

    def stderr_tail(self) -> str:
        return ""

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[REDACTED]")
        return text

    def _fail(self, reason: str) -> Exception:
        return self._error(self.redact(f"MCP server {self.name}: {reason}"))

    # -- requests -------------------------------------------------------------------------

    async def request(self, method: str, params: dict[str, Any] | None, timeout_s: float | None) -> dict[str, Any]:
        if self._dropped is not None:
            raise self._error(self._dropped)
        rid = next(self._ids)
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            message["params"] = params
        try:
            response = await asyncio.wait_for(self._exchange(message, timeout_s), timeout_s)
        except asyncio.TimeoutError:
            self._send_cancelled(rid, "timed out")
            raise self._fail(f"{method} timed out after {timeout_s:g} s") from None
        except asyncio.CancelledError:
            self._send_cancelled(rid, "cancelled by the user")
            raise
        return self._result_of(method, response)

    def _result_of(self, method: str, response: dict[str, Any]) -> dict[str, Any]:
        if "error" in response:
            error = response["error"] if isinstance(response["error"], dict) else {}
            text = _one_line(str(error.get("message") or "no message"))
            raise self._fail(f"{method} failed: {text} (code {error.get('code')})")
        result = response.get("result")
        if not isinstance(result, dict):
            raise self._fail(f"{method} returned a result that is not an object")
        if method == "initialize" and isinstance(result.get("protocolVersion"), str):
            self._protocol_version = result["protocolVersion"]
        return result

    async def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        await self._post_no_answer(message)

    def _send_cancelled(self, rid: int, reason: str) -> None:
        """Best effort, in the background (may run while the caller is being cancelled)."""
        if self._dropped is not None or self._closed:
            return
        note = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": rid, "reason": reason}}
        self._spawn(self._post_no_answer(note))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(self._quietly(coro))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _quietly(self, coro: Any) -> None:
        try:
            await asyncio.wait_for(coro, CLOSE_TIMEOUT_S)
        except (Exception, asyncio.TimeoutError):  # best effort: nobody waits for the answer
            pass

    # -- HTTP -----------------------------------------------------------------------------

    def _request_headers(self) -> dict[str, str]:
        headers = {**self._headers, "Accept": ACCEPT, "Content-Type": "application/json"}
        if self._session_id is not None:
            headers["Mcp-Session-Id"] = self._session_id
        if self._protocol_version is not None:
            headers["MCP-Protocol-Version"] = self._protocol_version
        return headers

    def _build(self, message: dict[str, Any]) -> httpx.Request:
        body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
        return self._http.build_request("POST", self._url, content=body, headers=self._request_headers())

    async def _post_no_answer(self, message: dict[str, Any]) -> None:
        try:
            response = await self._http.send(self._build(message))
            await response.aclose()
        except httpx.HTTPError as err:
            raise self._fail(f"could not reach {self._url}: {_describe(err)}") from None
        if response.status_code >= 400:
            raise self._fail(f"{message.get('method', 'reply')} was refused: {_status(response)}")

    async def _exchange(self, message: dict[str, Any], timeout_s: float | None) -> dict[str, Any]:
        idle = timeout_s or NO_TIMEOUT_IDLE_S
        try:
            response = await self._http.send(self._build(message), stream=True)
        except httpx.HTTPError as err:
            raise self._fail(f"could not reach {self._url}: {_describe(err)}") from None
        try:
            self._check_status(response, message["method"])
            if message["method"] == "initialize":
                self._keep_session_id(response)
            async for item in self._messages(response, idle):
                if type(item.get("id")) is int and item["id"] == message["id"] and "method" not in item:
                    return item
                self._dispatch(item)
            raise self._fail(f"{message['method']}: the server ended its answer without a response")
        except ModelError as err:  # read_body: too large, idle, cut
            raise self._fail(f"{message['method']}: {err}") from None
        finally:
            await response.aclose()

    def _check_status(self, response: httpx.Response, method: str) -> None:
        if response.status_code == 404 and self._session_id is not None:
            self._dropped = self.redact(f"MCP server {self.name}: the server ended the session (HTTP 404)")
            raise self._error(self._dropped)
        if response.status_code in (401, 403):
            raise self._fail(f"{method} was refused: {_status(response)} (check bearer_token_env_var / headers)")
        if response.status_code != 200:
            raise self._fail(f"{method}: unexpected answer {_status(response)} from {self._url}")

    def _keep_session_id(self, response: httpx.Response) -> None:
        value = response.headers.get(SESSION_ID)
        if value is None:
            return
        if not value or len(value) > 512 or not all(0x21 <= ord(c) <= 0x7E for c in value):
            raise self._fail("sent an invalid Mcp-Session-Id header")
        self._session_id = value

    async def _messages(self, response: httpx.Response, idle_s: float) -> AsyncIterator[dict[str, Any]]:
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "application/json":
            for item in self._parsed(await read_body(response, idle_s, self._max_event)):
                yield item
        elif kind == "text/event-stream":
            parser = SseParser(self._max_event)
            try:
                async for chunk in response.aiter_bytes():
                    for data in parser.feed(chunk):
                        for item in self._parsed(data):
                            yield item
            except httpx.HTTPError as err:
                raise self._fail(f"the event stream was cut: {_describe(err)}") from None
        else:
            raise self._fail(f"{self._url} is not an MCP endpoint: it answered with content-type {kind or 'none'!r}")

    def _parsed(self, text: str) -> list[dict[str, Any]]:
        if not text.strip():
            return []
        try:
            message = json.loads(text)
        except (ValueError, RecursionError) as err:
            raise self._fail(f"sent malformed JSON ({type(err).__name__})") from None
        return [m for m in (message if isinstance(message, list) else [message]) if isinstance(m, dict)]

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "method" not in message or "id" not in message:
            return  # notifications (progress, logging, list_changed) and stray responses
        reply: dict[str, Any] = {"jsonrpc": "2.0", "id": message["id"]}
        if message.get("method") == "ping":
            reply["result"] = {}
        else:
            method = _one_line(str(message.get("method")), 80)
            reply["error"] = {"code": METHOD_NOT_FOUND, "message": f"{method} is not supported by this client"}
        self._spawn(self._post_no_answer(reply))

    # -- stopping -------------------------------------------------------------------------

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._dropped is None:
            self._dropped = f"MCP server {self.name} was stopped"
        try:
            if self._session_id is not None:
                await asyncio.wait_for(self._delete_session(), CLOSE_TIMEOUT_S)
        except (httpx.HTTPError, asyncio.TimeoutError):
            pass
        finally:
            for task in list(self._background):
                task.cancel()
            await asyncio.gather(*self._background, return_exceptions=True)
            if self._owns_http:
                await self._http.aclose()

    async def _delete_session(self) -> None:
        headers = {k: v for k, v in self._request_headers().items() if k != "Content-Type"}
        await self._http.request("DELETE", self._url, headers=headers)


def _status(response: httpx.Response) -> str:
    return f"HTTP {response.status_code} {response.reason_phrase}".strip()


def _describe(err: BaseException) -> str:
    text = _one_line(str(err), 200)
    return f"{type(err).__name__}: {text}" if text else type(err).__name__
