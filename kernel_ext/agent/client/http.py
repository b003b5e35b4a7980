"""Shared HTTP transport of the model clients (spec §2.4a, §2.5, §3.3, §3.6).

Contract:

* `HttpTransport.exchange(path, content, conversation_id, decode)` POSTs `content` (a
  JSON body, already encoded) to the provider's `path` and yields the exchange as stream
  events: a `RequestRetry` before each retry's wait, `RateLimits` when the 2xx response's
  headers carry them, then what `decode(response)` yields; the response is closed when
  the generator ends. Request retries happen here: 429 (unless the body
  says usage limit / quota), 5xx and transport errors are retried up to
  `provider.request_retries()` times, waiting `Retry-After` (or `retry-after-ms`) when the
  server sent it, else `backoff_base_s * 2^(n-1) * jitter[0.9, 1.1)`. Every other status
  is fatal at once (401/403 -> `Unauthorized`, others -> `UnexpectedStatus`), with the
  server's `error.message` (or raw body) cut to 2 KiB. So is a connection no retry can
  make (a host name that does not resolve, a connection refused on loopback):
  `Unreachable` "cannot reach <base URL> (provider <id>): ...", which the turn loop does
  not reconnect either. When retries run out: 500 ->
  `RetryLimit` "high demand", other statuses -> `RetryLimit` "exceeded retry limit",
  transport failures -> `TransportError`. A `RequestRetry` carries the 1-based retry
  number, the number of retries allowed, the delay and the reason.
* `iter_sse_data(response, idle_timeout_s, pacing=)` yields each SSE event's `data` string,
  parsed by the bounded `sse.SseParser`: an event or line over `MAX_SSE_EVENT_BYTES`
  (16 MiB) fails the stream at once with `StreamEventTooLarge` ("stream event larger
  than 16 MiB", fatal: not retried). Each read is awaited with the idle timeout
  (`StreamError("idle timeout waiting for SSE")`); httpx errors while reading become
  `StreamError("stream disconnected before completion: ...")`. `read_body` (a non-SSE
  answer) is bounded the same way ("response body larger than 16 MiB"). While data is
  buffered the reader gives way as the transport's `pacing` says (client/pacing.py).
* Pure parsers: `retry_after_seconds`, `parse_try_again`, `rate_limits_from_headers`,
  `error_message`, `parse_json_object`.

The `httpx.AsyncClient` is created with `trust_env=True` (proxies and `SSL_CERT_FILE`
from the environment) unless one is injected; an injected client is never closed here.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import json
import math
import os
import re
import socket
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Any, AsyncIterator, Awaitable, Callable, Mapping

import httpx

from agent._version import __version__
from agent.protocol.events import Credits, RateLimitSnapshot, RateLimitWindow

from .backoff import BASE_DELAY_S, backoff_delay
from .errors import (
    ModelError,
    QuotaExceeded,
    RetryLimit,
    StreamError,
    StreamEventTooLarge,
    TransportError,
    Unauthorized,
    UnexpectedStatus,
    Unreachable,
    UsageLimitReached,
)
from .idle import IdleWatchdog
from .pacing import COOPERATIVE, Pacer, StreamPacing
from .providers import ModelProviderInfo
from .sse import MAX_SSE_EVENT_BYTES, SseParser
from .stream import RateLimits, RequestRetry, ResponseEvent

Sleep = Callable[[float], Awaitable[Any]]
Decode = Callable[[httpx.Response], AsyncIterator[ResponseEvent]]

DEFAULT_BACKOFF_BASE_S = BASE_DELAY_S
CONNECT_TIMEOUT_S = 30.0
MAX_ERROR_CHARS = 2048
HIGH_DEMAND = "We're currently experiencing high demand, which may cause temporary errors."
CLOUDFLARE_BLOCKED = (
    "Access blocked by Cloudflare. This usually happens when connecting from a "
    "restricted region (status {status})"
)
USAGE_NOT_INCLUDED = (
    "To use Codex with your ChatGPT plan, upgrade to Plus: https://openai.com/chatgpt/pricing."
)
IDLE_TIMEOUT = "idle timeout waiting for SSE"
DISCONNECTED = "stream disconnected before completion: "
_TRY_AGAIN = re.compile(r"try again in\s*(\d+(?:\.\d+)?)\s*(s|ms|seconds?)", re.IGNORECASE)


# --- pure parsers -------------------------------------------------------------------------


def retry_after_seconds(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """The server's requested delay: `retry-after-ms`, else `Retry-After` (seconds or HTTP-date)."""
    millis = _finite(headers.get("retry-after-ms"))
    if millis is not None:
        return max(0.0, millis / 1000.0)
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _finite(value)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def parse_try_again(message: str | None) -> float | None:
    """Seconds from "try again in 1.898s" / "Try again in 35 seconds" / "... in 20ms"."""
    match = _TRY_AGAIN.search(message or "")
    if not match:
        return None
    value = float(match.group(1))
    return value / 1000.0 if match.group(2).lower() == "ms" else value


def rate_limits_from_headers(headers: Mapping[str, str]) -> RateLimitSnapshot | None:
    """The `x-codex-*` rate-limit headers as a snapshot, or None when none are present."""
    primary = _window(headers, "primary")
    secondary = _window(headers, "secondary")
    credits = _credits(headers)
    if primary is None and secondary is None and credits is None:
        return None
    return RateLimitSnapshot(primary=primary, secondary=secondary, credits=credits)


def parse_json_object(text: str) -> dict[str, Any] | None:
    """`text` parsed as a JSON object, or None (data that fails to parse is skipped)."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def error_message(body: str) -> str:
    """The `error.message` of a JSON error body, else the raw body; cut to 2 KiB."""
    obj = parse_json_object(body)
    error = obj.get("error") if obj else None
    if isinstance(error, dict) and isinstance(error.get("message"), str) and error["message"]:
        return truncate_middle(error["message"])
    if obj and isinstance(obj.get("message"), str) and obj["message"]:
        return truncate_middle(obj["message"])
    return truncate_middle(body.strip())


def truncate_middle(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    if len(text) <= limit:
        return text
    marker = "…"
    head = (limit - len(marker)) // 2
    tail = limit - len(marker) - head
    return text[:head] + marker + text[-tail:]


def usage_limit_message(resets_at: int | None, now: datetime | None = None) -> str:
    """"You've hit your usage limit." plus when it resets (time today, else date and time)."""
    if resets_at is None:
        return "You've hit your usage limit. Try again later."
    now = now or datetime.now().astimezone()
    when = datetime.fromtimestamp(resets_at, tz=now.tzinfo)
    clock = f"{when.hour % 12 or 12}:{when.minute:02d} {'AM' if when.hour < 12 else 'PM'}"
    if when.date() != now.date():
        day = when.day
        suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
        clock = f"{when.strftime('%b')} {day}{suffix}, {when.year} {clock}"
    return f"You've hit your usage limit. Try again at {clock}."


def _finite(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _window(headers: Mapping[str, str], which: str) -> RateLimitWindow | None:
    used = _finite(headers.get(f"x-codex-{which}-used-percent"))
    if used is None:
        return None
    minutes = _finite(headers.get(f"x-codex-{which}-window-minutes"))
    resets = _finite(headers.get(f"x-codex-{which}-reset-at"))
    return RateLimitWindow(
        used_percent=used,
        window_minutes=int(minutes) if minutes is not None else None,
        resets_at=int(resets) if resets is not None else None,
    )


def _credits(headers: Mapping[str, str]) -> Credits | None:
    has = headers.get("x-codex-credits-has-credits")
    if has is None:
        return None
    unlimited = headers.get("x-codex-credits-unlimited", "false")
    return Credits(
        has_credits=has.strip().lower() in ("true", "1"),
        unlimited=unlimited.strip().lower() in ("true", "1"),
        balance=headers.get("x-codex-credits-balance"),
    )


def _fatal_429(body: str) -> ModelError | None:
    """Usage-limit and quota 429s are fatal (spec §3.6); other 429s are rate limits."""
    obj = parse_json_object(body)
    error = obj.get("error") if obj else None
    if not isinstance(error, dict):
        return None
    kinds = {error.get("type"), error.get("code")}
    if "usage_limit_reached" in kinds:
        resets = error.get("resets_at")
        resets_at = int(resets) if isinstance(resets, (int, float)) and math.isfinite(resets) else None
        return UsageLimitReached(usage_limit_message(resets_at), status=429)
    if "usage_not_included" in kinds:
        return UsageLimitReached(USAGE_NOT_INCLUDED, status=429)
    if "insufficient_quota" in kinds:
        return QuotaExceeded(status=429)
    return None


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


_NO_SUCH_HOST = frozenset(getattr(socket, name) for name in ("EAI_NONAME", "EAI_NODATA") if hasattr(socket, name))
"""getaddrinfo answers meaning "this name does not exist" (EAI_AGAIN, a resolver that
could not answer in time, stays a retried transport error)."""


def unreachable_reason(exc: BaseException, host: str) -> str | None:
    """Why a failed connect is not worth retrying, or None: "host name X does not
    resolve", or "connection refused" from a loopback address."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, socket.gaierror) and cause.errno in _NO_SUCH_HOST:
            return f"host name {host} does not resolve"
        if isinstance(cause, ConnectionRefusedError) and _is_loopback(host):
            return "connection refused"
        cause = cause.__cause__ or cause.__context__
    return None


def _is_loopback(host: str) -> bool:
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


# --- the transport ------------------------------------------------------------------------


@dataclass
class _Failure:
    """One retryable failure: what to tell the user, what to raise if it was the last one."""

    reason: str
    final: ModelError
    retry_after: float | None = None


class HttpTransport:
    """Headers, URL, POST with request retries, for one provider."""

    def __init__(
        self,
        provider_id: str,
        info: ModelProviderInfo,
        api_key: str | None,
        *,
        http: httpx.AsyncClient | None = None,
        env: Mapping[str, str] | None = None,
        sleep: Sleep | None = None,
        backoff_base_s: float = DEFAULT_BACKOFF_BASE_S,
        pacing: StreamPacing = COOPERATIVE,
    ):
        self.provider_id = provider_id
        self.pacing = pacing
        self.info = info
        self._api_key = api_key
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(CONNECT_TIMEOUT_S, read=None))
        self._env: Mapping[str, str] = os.environ if env is None else env
        self._sleep: Sleep = sleep or asyncio.sleep
        self._backoff_base_s = backoff_base_s

    @property
    def idle_timeout_s(self) -> float:
        return self.info.idle_timeout_s()

    def headers(self, conversation_id: str) -> dict[str, str]:
        out = {
            "Accept": "text/event-stream",
            "Content-Type": "application/json",
            "originator": "kernel_agent",
            "User-Agent": f"kernel-agent/{__version__}",
        }
        if self._api_key:
            out["Authorization"] = f"Bearer {self._api_key}"
        if conversation_id:
            out["conversation_id"] = conversation_id
            out["session_id"] = conversation_id
        out.update(self.info.headers(self._env))
        return out

    def backoff(self, attempt: int) -> float:
        """Seconds before retry number `attempt` (1-based) when the server gave no delay."""
        return backoff_delay(attempt, base_s=self._backoff_base_s)

    async def exchange(self, path: str, content: bytes, conversation_id: str,
                       decode: Decode) -> AsyncIterator[ResponseEvent]:
        """POST `content` (request retries reported as `RequestRetry`), then `RateLimits`
        when the headers carry them, then `decode(response)`'s events."""
        response: httpx.Response | None = None
        attempt = 0
        while response is None:
            outcome = await self._attempt(path, content, conversation_id)
            if isinstance(outcome, httpx.Response):
                response = outcome
                continue
            attempt += 1
            retry = self._retry(outcome, attempt)
            yield retry
            await self._sleep(retry.delay_s)
        try:
            snapshot = rate_limits_from_headers(response.headers)
            if snapshot is not None:
                yield RateLimits(snapshot)
            async with aclosing(decode(response)) as events:
                async for event in events:
                    yield event
        finally:
            await response.aclose()

    def _retry(self, failure: _Failure, attempt: int) -> RequestRetry:
        """The notice for retry number `attempt`; raises the failure's error when none is left."""
        retries = self.info.request_retries()
        if attempt > retries:
            raise failure.final
        delay = failure.retry_after if failure.retry_after is not None else self.backoff(attempt)
        return RequestRetry(attempt, retries, delay, failure.reason)

    async def _attempt(self, path: str, content: bytes, conversation_id: str) -> httpx.Response | _Failure:
        url = self.info.url_for(path)
        request = self._http.build_request(
            "POST",
            url,
            params=self.info.query_params or None,
            headers=self.headers(conversation_id),
            content=content,
            timeout=httpx.Timeout(CONNECT_TIMEOUT_S, read=self.idle_timeout_s),
        )
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TransportError as exc:
            unreachable = self._unreachable(exc, request.url.host)
            if unreachable is not None:
                raise unreachable from None
            detail = _describe(exc)
            return _Failure(
                reason=f"connection failed ({detail})",
                final=TransportError(f"error sending request for url ({url}): {detail}"),
            )
        if response.is_success:
            return response
        return await self._status_failure(response)

    def _unreachable(self, exc: httpx.TransportError, host: str) -> Unreachable | None:
        """`Unreachable` when retrying cannot help: the host name does not resolve, or a
        server on this machine refused the connection (nothing listens on that port)."""
        why = unreachable_reason(exc, host)
        return Unreachable(self.info.api_base(), self.provider_id, why) if why else None

    async def _status_failure(self, response: httpx.Response) -> _Failure:
        """Classify a non-2xx answer: raise fatal errors, describe retryable ones."""
        status = response.status_code
        try:
            body = (await response.aread()).decode("utf-8", "replace")
        except httpx.HTTPError:
            body = ""
        finally:
            await response.aclose()
        message = error_message(body)
        request_id = response.headers.get("x-request-id") or response.headers.get("x-oai-request-id")
        if status == 429:
            fatal = _fatal_429(body)
            if fatal is not None:
                raise fatal
            return _Failure(
                reason=f"rate limited ({status})",
                final=RetryLimit(f"exceeded retry limit, last status: {_status_text(status)}", status=status),
                retry_after=retry_after_seconds(response.headers),
            )
        if status >= 500:
            final = HIGH_DEMAND if status == 500 else f"exceeded retry limit, last status: {_status_text(status)}"
            return _Failure(
                reason=f"server error ({status})",
                final=RetryLimit(final, status=status),
                retry_after=retry_after_seconds(response.headers),
            )
        if status == 403 and "Cloudflare" in body and "blocked" in body:
            raise Unauthorized(status, message, message=CLOUDFLARE_BLOCKED.format(status=status), request_id=request_id)
        if status in (401, 403):
            raise Unauthorized(status, message, request_id=request_id)
        raise UnexpectedStatus(status, message, request_id=request_id)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()


def _status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


# --- reading the stream -------------------------------------------------------------------


async def iter_sse_data(response: httpx.Response, idle_timeout_s: float,
                        max_event_bytes: int = MAX_SSE_EVENT_BYTES,
                        pacing: StreamPacing = COOPERATIVE) -> AsyncIterator[str]:
    """Each SSE event's `data` (events without data are skipped). See the module doc."""
    content_type = response.headers.get("content-type", "")
    if "text/event-stream" not in content_type:
        body = await read_body(response, idle_timeout_s, max_event_bytes)
        if body.strip():
            raise StreamError(f"unexpected content-type {content_type!r}: {truncate_middle(body.strip(), 512)}")
        return
    chunks = response.aiter_bytes()
    parser = SseParser(max_event_bytes)
    watchdog = IdleWatchdog(idle_timeout_s)
    pacer = Pacer(pacing)
    try:
        while True:
            try:
                chunk = await chunks.__anext__()
            except StopAsyncIteration:
                return
            except asyncio.CancelledError:
                if watchdog.absorb():
                    raise StreamError(IDLE_TIMEOUT) from None
                raise
            except httpx.ReadTimeout:
                raise StreamError(IDLE_TIMEOUT) from None
            except (httpx.HTTPError, httpx.StreamError) as exc:
                raise StreamError(DISCONNECTED + _describe(exc)) from exc
            for data in parser.feed(chunk):
                await pacer.tick()  # buffered data never suspends: give way (client/pacing.py)
                with watchdog.paused():
                    yield data
    finally:
        watchdog.close()
        await chunks.aclose()


async def read_body(response: httpx.Response, idle_timeout_s: float, max_bytes: int = MAX_SSE_EVENT_BYTES) -> str:
    """The whole (non-SSE) body, at most `max_bytes` (else `StreamEventTooLarge`), with the
    idle timeout and httpx errors mapped to StreamError."""

    async def bounded() -> bytes:
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > max_bytes:
                raise StreamEventTooLarge(max_bytes, "response body")
        return bytes(body)

    try:
        raw = await asyncio.wait_for(bounded(), idle_timeout_s)
    except (asyncio.TimeoutError, httpx.ReadTimeout):
        raise StreamError(IDLE_TIMEOUT) from None
    except (httpx.HTTPError, httpx.StreamError) as exc:
        raise StreamError(DISCONNECTED + _describe(exc)) from exc
    return raw.decode("utf-8", "replace")
