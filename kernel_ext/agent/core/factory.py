"""Opening a session from a config: the API key, the model client, the tools.

Front ends call `open_session(config)`; they never touch the client layer themselves.
A missing key becomes a `SetupError` that says how to provide one.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from agent.client.errors import MissingApiKey

from .auth import resolve_api_key, secrets_to_redact
from .config import Config
from .errors import SetupError
from .session import Session


def open_session(config: Config, *, env: Mapping[str, str] | None = None, conversation_id: str | None = None, **session_kw: Any) -> Session:
    """A ready session on the running event loop. Raises SetupError."""
    from agent.client.connect import connect

    env = os.environ if env is None else env
    try:
        api_key = resolve_api_key(config.model_provider_id, config.model_provider, config.home, env)
    except MissingApiKey as err:
        raise SetupError(err.message) from None
    holder: dict[str, Session] = {}

    async def on_retry(attempt: int, max_attempts: int, delay_s: float, reason: str) -> None:
        session = holder.get("session")
        if session is not None:
            await session.notify_request_retry(attempt, max_attempts, delay_s, reason)

    client = connect(config.model_provider_id, config.model_provider, api_key, env=env, on_retry=on_retry)
    secrets = secrets_to_redact(config.home, env) + ([api_key] if api_key else [])
    from agent.exec.sandbox import probe_mechanism

    info = probe_mechanism()
    session_kw.setdefault("sandbox_mechanism", info.mechanism)
    session_kw.setdefault("sandbox_warning", info.warning)
    session = Session(config, client, conversation_id=conversation_id, secrets=secrets, **session_kw)
    holder["session"] = session
    return session
