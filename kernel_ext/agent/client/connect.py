"""Build the model client for a provider: `connect(...)` picks by `info.wire_api`.

Both clients have `provider_id`, `stream(prompt)` (an async generator of
`ResponseEvent`s, request retries among them as `RequestRetry`, that raises
`ModelError`s) and `aclose()` (closes the httpx client only
when it was created here, never an injected one).
"""

from __future__ import annotations

from typing import Mapping

import httpx

from .chat import ChatClient
from .http import DEFAULT_BACKOFF_BASE_S, HttpTransport, Sleep
from .pacing import COOPERATIVE, StreamPacing
from .providers import ModelProviderInfo
from .responses import ResponsesClient


def connect(
    provider_id: str,
    info: ModelProviderInfo,
    api_key: str | None,
    *,
    http: httpx.AsyncClient | None = None,
    env: Mapping[str, str] | None = None,
    sleep: Sleep | None = None,
    backoff_base_s: float = DEFAULT_BACKOFF_BASE_S,
    pacing: StreamPacing = COOPERATIVE,
) -> ResponsesClient | ChatClient:
    """The client for `info.wire_api`. `sleep`/`backoff_base_s` exist so tests need not wait;
    `pacing` says how a fast stream shares the thread (client/pacing.py)."""
    transport = HttpTransport(
        provider_id,
        info,
        api_key,
        http=http,
        env=env,
        sleep=sleep,
        backoff_base_s=backoff_base_s,
        pacing=pacing,
    )
    if info.wire_api == "responses":
        return ResponsesClient(transport)
    return ChatClient(transport)
