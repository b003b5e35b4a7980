"""Suite-wide collection order: the real-browser tests run last.

Playwright's sync API keeps an asyncio loop marked as running in the main thread for as
long as its session-scoped `browser` fixture lives, and pytest-asyncio cannot start a loop
there ("Runner.run() cannot be called from a running event loop"). Running tests/browser
after everything else keeps that loop from overlapping the async tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

BROWSER = Path(__file__).parent / "browser"


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: Path(str(item.fspath)).is_relative_to(BROWSER))  # stable: keeps the order otherwise
