from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agent.client.scripted import ScriptedModelClient
from agent.core.config import CliOverrides, load_config
from agent.core.session import Session
from agent.protocol.events import Event


@pytest.fixture
def config(tmp_path: Path):
    home = tmp_path / "home"
    work = tmp_path / "work"
    work.mkdir()
    return load_config(CliOverrides(cwd=str(work), model="gpt-5.1-codex"), home=home, env={})


@pytest.fixture
def client() -> ScriptedModelClient:
    return ScriptedModelClient()


async def collect_until(stream, kinds: set[str], timeout: float = 5.0) -> list[Event]:
    """Events up to and including the first whose type is in `kinds`."""
    seen: list[Event] = []
    while True:
        event = await stream.next(timeout)
        seen.append(event)
        if event.msg.type in kinds:
            return seen


def types(events: list[Event]) -> list[str]:
    return [e.msg.type for e in events]


def make_session(config, client, tools=None, **kw) -> Session:
    return Session(config, client, tools, retry_base_s=0.001, **kw)


async def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.005)
