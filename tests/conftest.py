"""Suite-wide: collection order, a guard against non-loopback connections, shared fixtures.

* The real-browser tests run last. Playwright's sync API keeps an asyncio loop marked as
  running in the main thread for as long as its session-scoped `browser` fixture lives,
  and pytest-asyncio cannot start a loop there ("Runner.run() cannot be called from a
  running event loop"). Running tests/browser after everything else keeps that loop from
  overlapping the async tests.
* `no_remote_network` (autouse): see `tests/network_guard.py`.
* `server`: a `ScriptedServer` on 127.0.0.1 (tests/scripted_server.py), stopped at teardown.
* `work`: an empty working directory `<tmp_path>/work`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.network_guard import NetworkGuard
from tests.scripted_server import ScriptedServer

pytest_plugins = ("pytester",)

BROWSER = Path(__file__).parent / "browser"


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: Path(str(item.fspath)).is_relative_to(BROWSER))  # stable: keeps the order otherwise


@pytest.fixture(autouse=True)
def no_remote_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    """Fail the test if it (in this process, any thread) connects anywhere but loopback."""
    guard = NetworkGuard()
    guard.install(monkeypatch)
    yield guard
    if guard.violations:
        pytest.fail(guard.report(), pytrace=False)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as srv:
        yield srv


@pytest.fixture
def work(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path
