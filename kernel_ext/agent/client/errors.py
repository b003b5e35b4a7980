"""The model client's exception tree. httpx errors are translated at the edge.

    ModelError                      every failure of a model request
    ├── FatalModelError             never retried: the turn ends with an error event
    │   ├── MissingApiKey           no key for the provider ("Missing environment variable: `X`.")
    │   ├── UnexpectedStatus        a non-retryable 4xx, with the server's message
    │   │   └── Unauthorized        401 / 403
    │   ├── UsageLimitReached       429 usage_limit_reached / usage_not_included
    │   ├── QuotaExceeded           429 or response.failed insufficient_quota
    │   ├── ContextWindowExceeded   response.failed context_length_exceeded
    │   ├── UnsupportedRequest      e.g. an output schema on the Chat API
    │   ├── Unreachable             connection refused on loopback, or a host name that does
    │   │                           not resolve: a wrong base URL, not a passing hiccup
    │   └── StreamEventTooLarge     one SSE event (or a body) over the size limit: replaying
    │                               the request would only pay for the same answer again
    └── RetryableModelError         the turn loop retries the whole request (stream retries)
        ├── TransportError          connection reset, refused by a remote host, TLS failure, timeout
        ├── RetryLimit              request retries used up (429 / 5xx); `status` is the last one
        └── StreamError             broken stream: cut, idle timeout, empty body, response.failed
"""

from __future__ import annotations

from agent.protocol.events import ErrorInfo


class ModelError(Exception):
    """Base class. `message` is what the user sees; `info` maps to `codex_error_info`."""

    info: ErrorInfo = "other"
    retryable = False

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after
        """Seconds the server asked us to wait before retrying, when it said."""


class FatalModelError(ModelError):
    retryable = False


class MissingApiKey(FatalModelError):
    info: ErrorInfo = "unauthorized"


class UnexpectedStatus(FatalModelError):
    def __init__(
        self, status: int, body: str, *, request_id: str | None = None, message: str | None = None
    ):
        """`message` replaces the default "unexpected status" text (e.g. the Cloudflare one)."""
        text = message or f"unexpected status {status}: {body}"
        if request_id:
            text += f", request id: {request_id}"
        super().__init__(text, status=status)
        self.body = body


class Unauthorized(UnexpectedStatus):
    info: ErrorInfo = "unauthorized"


class UsageLimitReached(FatalModelError):
    info: ErrorInfo = "usage_limit_exceeded"


class QuotaExceeded(FatalModelError):
    info: ErrorInfo = "usage_limit_exceeded"

    def __init__(self, message: str = "Quota exceeded. Check your plan and billing details.", **kw: object):
        super().__init__(message, **kw)  # type: ignore[arg-type]


class ContextWindowExceeded(FatalModelError):
    info: ErrorInfo = "context_window_exceeded"

    def __init__(self, message: str = "", **kw: object):
        super().__init__(
            message
            or "The model ran out of room in its context window. Start a new conversation "
            "or clear earlier history before retrying.",
            **kw,  # type: ignore[arg-type]
        )


class UnsupportedRequest(FatalModelError):
    info: ErrorInfo = "bad_request"


class Unreachable(FatalModelError):
    """The provider's server cannot be reached at all: "cannot reach <url> (provider <id>): <why>"."""

    info: ErrorInfo = "http_connection_failed"

    def __init__(self, url: str, provider_id: str, why: str):
        super().__init__(f"cannot reach {url} (provider {provider_id}): {why}")
        self.url = url
        self.provider_id = provider_id


class StreamEventTooLarge(FatalModelError):
    info: ErrorInfo = "response_stream_disconnected"

    def __init__(self, limit_bytes: int, what: str = "stream event"):
        size = f"{limit_bytes >> 20} MiB" if limit_bytes >= 1 << 20 else f"{limit_bytes} bytes"
        super().__init__(f"{what} larger than {size}: the response was dropped")
        self.limit_bytes = limit_bytes


class RetryableModelError(ModelError):
    retryable = True


class TransportError(RetryableModelError):
    info: ErrorInfo = "http_connection_failed"


class RetryLimit(RetryableModelError):
    info: ErrorInfo = "response_too_many_failed_attempts"


class StreamError(RetryableModelError):
    info: ErrorInfo = "response_stream_disconnected"
