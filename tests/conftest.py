"""Suite-wide: collection order, a guard against non-loopback connections, shared fixtures.

* The real-browser tests (tests/browser, tests/hub) run last. Playwright's sync API keeps an
  asyncio loop marked as running in the main thread for as long as its session-scoped
  `browser` fixture lives, and pytest-asyncio cannot start a loop there ("Runner.run()
  cannot be called from a running event loop"). Running them after everything else keeps
  that loop from overlapping the async tests.
* `browser` (session): /usr/bin/chromium launched by Playwright (never `playwright install`),
  one for both browser suites (a second `sync_playwright()` cannot start while one runs).
  Without Chromium or Playwright it skips locally and fails on CI (`CI` set).
* `empty_system_dir` (autouse, session): `KERNEL_AGENT_SYSTEM_DIR` is an empty folder, so
  no test reads the machine's /etc/kernel-agent (tests that need one set their own).
* `no_remote_network` (autouse): see `tests/network_guard.py`.
* `server`: a `ScriptedServer` on 127.0.0.1 (tests/scripted_server.py), stopped at teardown.
* `work`: an empty working directory `<tmp_path>/work`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.network_guard import NetworkGuard
from tests.scripted_server import ScriptedServer

pytest_plugins = ("pytester",)

BROWSER_SUITES = (Path(__file__).parent / "browser", Path(__file__).parent / "hub")


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that uses the shared Chromium runs last: sync Playwright keeps an event loop
    running in the main thread for the rest of the session, where asyncio tests can't run."""
    def in_browser_suite(item: pytest.Item) -> bool:
        if "browser" in getattr(item, "fixturenames", ()):
            return True
        return any(Path(str(item.fspath)).is_relative_to(suite) for suite in BROWSER_SUITES)

    items.sort(key=in_browser_suite)  # stable: keeps the order otherwise


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, _unavailable

    executable = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if executable is None:
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium; .ci/sysdeps does it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(autouse=True, scope="session")
def empty_system_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No test reads a real /etc/kernel-agent: KERNEL_AGENT_SYSTEM_DIR is an empty folder for
    the whole session (kernels and subprocesses started by tests inherit os.environ)."""
    folder = tmp_path_factory.mktemp("system-dir")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KERNEL_AGENT_SYSTEM_DIR", str(folder))
        yield folder


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
