"""Fixtures for the model-client tests: a scripted server, clients pointed at it, prompts.

Every test runs with the proxy variables removed, so the machine's environment can't
route loopback traffic elsewhere; the proxy and CA tests set what they need themselves.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import pytest

from agent.client.connect import connect
from agent.client.prompt import Prompt
from agent.client.providers import ModelProviderInfo
from agent.protocol.items import user_text
from tests.scripted_server import ScriptedServer

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def _no_ambient_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def srv():
    with ScriptedServer() as server:
        yield server


class SleepRecorder:
    """An injected `sleep` that records the delays and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
async def make_client(sleeps: SleepRecorder):
    """make_client(base_url, wire_api, **provider_fields) -> client (closed at teardown)."""
    made: list[Any] = []

    def make(base_url: str, wire_api: str = "responses", *, api_key: str | None = "test-key",
             connect_kw: dict[str, Any] | None = None, **fields: Any):
        info = ModelProviderInfo(name="test", base_url=base_url, wire_api=wire_api, **fields)
        options = {"sleep": sleeps, **(connect_kw or {})}
        client = connect("test", info, api_key, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
def prompt() -> Callable[..., Prompt]:
    def build(text: str = "hi", **fields: Any) -> Prompt:
        fields.setdefault("conversation_id", "conv-1")
        return Prompt(model="test-model", instructions="be brief", input=[user_text(text)], **fields)

    return build


@pytest.fixture
def collect() -> Callable[[Any, Prompt], Awaitable[list[Any]]]:
    """await collect(client, prompt) -> every event of one stream."""

    async def run(client: Any, prompt: Prompt) -> list[Any]:
        return [event async for event in client.stream(prompt)]

    return run
