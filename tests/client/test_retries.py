"""Request retries and HTTP error mapping (spec §2.4a, §3.6, and our 4xx-fatal rule)."""

from __future__ import annotations

import socket

import httpx
import pytest

from agent.client.errors import (
    QuotaExceeded,
    RetryLimit,
    TransportError,
    Unauthorized,
    UnexpectedStatus,
    Unreachable,
    UsageLimitReached,
)
from agent.client.http import unreachable_reason
from agent.client.stream import Completed, RequestRetry
from tests.scripted_server import Fault, Reply

pytestmark = pytest.mark.timeout(20)
WIRES = ["responses", "chat"]


@pytest.mark.parametrize("wire", WIRES)
async def test_503_then_success_is_retried_with_backoff(srv, make_client, prompt, collect, sleeps, wire):
    srv.enqueue(Fault(status=503), Fault(status=502), Reply(text="finally"))
    events = await collect(make_client(srv.url, wire), prompt())
    assert isinstance(events[-1], Completed)
    assert len(srv.requests) == 3
    assert len(sleeps.delays) == 2
    assert 0.18 <= sleeps.delays[0] < 0.22 and 0.36 <= sleeps.delays[1] < 0.44


@pytest.mark.parametrize("wire", WIRES)
async def test_429_retry_after_is_honoured_and_reported_in_the_stream(srv, make_client, prompt, collect, sleeps, wire):
    srv.enqueue(Fault(status=429, retry_after=1), Fault(status=429, retry_after="0.5"), Reply(text="ok"))
    events = await collect(make_client(srv.url, wire), prompt())
    assert isinstance(events[-1], Completed)
    assert sleeps.delays == [1.0, 0.5]
    assert events[:2] == [RequestRetry(1, 4, 1.0, "rate limited (429)"), RequestRetry(2, 4, 0.5, "rate limited (429)")]
    assert not any(isinstance(e, RequestRetry) for e in events[2:])


async def test_a_dropped_connection_is_reported_as_a_retry(srv, make_client, prompt, collect, sleeps):
    srv.enqueue(Fault(drop=True), Reply(text="ok"))
    events = await collect(make_client(srv.url, "chat"), prompt())
    retry = events[0]
    assert isinstance(retry, RequestRetry) and retry.reason.startswith("connection failed (")
    assert (retry.attempt, retry.delay_s) == (1, sleeps.delays[0]) and isinstance(events[-1], Completed)


async def test_retry_after_zero_really_sleeps_and_retries(srv, make_client, prompt, collect):
    srv.enqueue(Fault(status=429, retry_after=0), Reply(text="ok"))
    client = make_client(srv.url, "chat", connect_kw={"sleep": None})
    events = await collect(client, prompt())
    assert isinstance(events[-1], Completed) and len(srv.requests) == 2


@pytest.mark.parametrize("wire", WIRES)
async def test_401_is_fatal_with_the_server_message(srv, make_client, prompt, collect, sleeps, wire):
    srv.enqueue(Fault(status=401, body={"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}}))
    with pytest.raises(Unauthorized) as info:
        await collect(make_client(srv.url, wire), prompt())
    assert info.value.status == 401 and not info.value.retryable
    assert "Incorrect API key provided" in info.value.message
    assert len(srv.requests) == 1 and sleeps.delays == []


async def test_400_is_fatal_with_raw_body_and_request_id(srv, make_client, prompt, collect):
    srv.enqueue(Fault(status=400, body="bad things happened", headers={"x-request-id": "req-123"}))
    with pytest.raises(UnexpectedStatus) as info:
        await collect(make_client(srv.url, "responses"), prompt())
    assert not isinstance(info.value, Unauthorized)
    assert info.value.message == "unexpected status 400: bad things happened, request id: req-123"
    assert len(srv.requests) == 1


async def test_long_error_bodies_are_cut(srv, make_client, prompt, collect):
    srv.enqueue(Fault(status=404, body="x" * 10_000))
    with pytest.raises(UnexpectedStatus) as info:
        await collect(make_client(srv.url, "chat"), prompt())
    assert len(info.value.body) == 2048


async def test_403_cloudflare_message(srv, make_client, prompt, collect):
    srv.enqueue(Fault(status=403, body="<html>Sorry, you have been blocked by Cloudflare</html>"))
    with pytest.raises(Unauthorized) as info:
        await collect(make_client(srv.url, "responses"), prompt())
    assert info.value.message.startswith("Access blocked by Cloudflare. This usually happens")
    assert "(status 403)" in info.value.message


@pytest.mark.parametrize(
    ("error", "kind", "text"),
    [
        ({"type": "usage_limit_reached", "plan_type": "plus", "resets_at": 1767000000}, UsageLimitReached, "You've hit your usage limit."),
        ({"type": "usage_not_included"}, UsageLimitReached, "upgrade to Plus"),
        ({"code": "insufficient_quota", "message": "no money"}, QuotaExceeded, "Quota exceeded. Check your plan and billing details."),
    ],
)
async def test_429_usage_and_quota_are_fatal(srv, make_client, prompt, collect, sleeps, error, kind, text):
    srv.enqueue(Fault(status=429, body={"error": error}))
    with pytest.raises(kind) as info:
        await collect(make_client(srv.url, "responses"), prompt())
    assert text in info.value.message and not info.value.retryable
    assert len(srv.requests) == 1 and sleeps.delays == []


async def test_500_retry_limit_is_high_demand(srv, make_client, prompt, collect, sleeps):
    srv.enqueue(*[Fault(status=500)] * 3)
    with pytest.raises(RetryLimit) as info:
        await collect(make_client(srv.url, "responses", request_max_retries=2), prompt())
    assert info.value.message == "We're currently experiencing high demand, which may cause temporary errors."
    assert info.value.status == 500 and info.value.retryable
    assert len(srv.requests) == 3 and len(sleeps.delays) == 2


async def test_429_retry_limit_names_the_status(srv, make_client, prompt, collect):
    srv.enqueue(*[Fault(status=429)] * 5)
    with pytest.raises(RetryLimit) as info:
        await collect(make_client(srv.url, "chat"), prompt())
    assert info.value.message == "exceeded retry limit, last status: 429 Too Many Requests"
    assert info.value.status == 429 and len(srv.requests) == 5


async def test_zero_retries_fails_after_one_request(srv, make_client, prompt, collect):
    srv.enqueue(Fault(status=503))
    with pytest.raises(RetryLimit, match="last status: 503"):
        await collect(make_client(srv.url, "chat", request_max_retries=0), prompt())
    assert len(srv.requests) == 1


async def test_dropped_connection_is_a_retried_transport_error(srv, make_client, prompt, collect, sleeps):
    srv.enqueue(Fault(drop=True), Reply(text="ok"))
    events = await collect(make_client(srv.url, "responses"), prompt())
    assert isinstance(events[-1], Completed) and len(sleeps.delays) == 1


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("wire", WIRES)
async def test_connection_refused_on_loopback_is_unreachable_at_once(make_client, prompt, collect, sleeps, wire):
    port = _closed_port()
    with pytest.raises(Unreachable) as info:
        await collect(make_client(f"http://127.0.0.1:{port}/v1/", wire), prompt())
    assert info.value.message == f"cannot reach http://127.0.0.1:{port}/v1 (provider test): connection refused"
    assert not info.value.retryable and info.value.info == "http_connection_failed"
    assert sleeps.delays == []  # not retried


async def test_a_host_name_that_does_not_resolve_is_unreachable_at_once(make_client, prompt, collect, sleeps):
    with pytest.raises(Unreachable) as info:
        await collect(make_client("http://model-server.invalid:8000/v1", "chat"), prompt())
    assert info.value.message == (
        "cannot reach http://model-server.invalid:8000/v1 (provider test): host name model-server.invalid does not resolve"
    )
    assert not info.value.retryable and sleeps.delays == []


def test_only_refusals_on_loopback_and_missing_names_are_unreachable():
    refused = httpx.ConnectError("All connection attempts failed")
    refused.__cause__ = ConnectionRefusedError(111, "Connect call failed")
    assert unreachable_reason(refused, "localhost") == "connection refused"
    assert unreachable_reason(refused, "::1") == "connection refused"
    assert unreachable_reason(refused, "10.1.2.3") is None  # a remote server may be restarting: retried
    busy = httpx.ConnectError("Temporary failure in name resolution")
    busy.__context__ = socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
    assert unreachable_reason(busy, "api.example.com") is None
    assert unreachable_reason(httpx.ConnectTimeout("timed out"), "127.0.0.1") is None


async def test_a_refused_connection_elsewhere_stays_a_retried_transport_error(make_client, prompt, collect, sleeps,
                                                                              monkeypatch):
    """Only loopback refusals are final; the same error from another host is retried (here
    a proxy on loopback refuses, but the request is for a remote host)."""
    port = _closed_port()
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    with pytest.raises(TransportError) as info:
        await collect(make_client("http://api.example.com/v1", "chat", request_max_retries=1), prompt())
    assert "ConnectError" in info.value.message and info.value.retryable
    assert len(sleeps.delays) == 1


async def test_empty_queue_answers_500_loudly(srv, make_client, prompt, collect):
    with pytest.raises(RetryLimit):
        await collect(make_client(srv.url, "chat", request_max_retries=0), prompt())
    assert srv.requests[0].path == "/v1/chat/completions"
