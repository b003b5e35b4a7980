"""Fixtures for kernel-level tests: a scripted model server, an agent home pointing at it,
and a real ipykernel (one per test) started in a fresh working directory.

Every test's iopub traffic is scanned at teardown: the fake API key must never appear.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.scripted_server import ScriptedServer

from .harness import Kernel

KEY = f"sk-kernel-test-{secrets.token_hex(12)}"
MODEL = "gpt-4.1"  # function-style apply_patch on the Responses API


def write_config(home: Path, url: str, *, extra: str = "", retries: int = 0) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'model = "{MODEL}"\nmodel_provider = "scripted"\n{extra}\n'
        f'[model_providers.scripted]\nname = "Scripted"\nbase_url = "{url}"\nwire_api = "responses"\n'
        f'env_key = "SCRIPTED_API_KEY"\nrequest_max_retries = {retries}\nstream_max_retries = {retries}\n'
    )
    return home


def kernel_env(home: Path, *, key: str | None = KEY, notebook: str | None = None) -> dict[str, str]:
    drop = ("OPENAI_API_KEY", "JPY_SESSION_NAME", "SCRIPTED_API_KEY")
    env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper() and k not in drop}
    env.update(KERNEL_AGENT_HOME=str(home), PYTHONUNBUFFERED="1")
    if key is not None:
        env["SCRIPTED_API_KEY"] = key
    if notebook is not None:
        env["JPY_SESSION_NAME"] = notebook
    return env


@pytest.fixture
def home(tmp_path: Path, server: ScriptedServer) -> Path:
    return write_config(tmp_path / "agent-home", server.url)


@pytest.fixture
def make_kernel(work: Path, home: Path) -> Iterator[Callable[..., Kernel]]:
    """Start a kernel in `work`; keyword arguments go to `kernel_env`. Stopped at teardown,
    after checking that the key never crossed iopub."""
    started: list[Kernel] = []

    def make(**env_kw: object) -> Kernel:
        kernel = Kernel(work, kernel_env(home, **env_kw))  # type: ignore[arg-type]
        started.append(kernel)
        return kernel.start()

    yield make
    try:
        for kernel in started:
            kernel.pump(0.05)
            assert KEY not in kernel.all_messages_text(), "the API key leaked into an iopub message"
    finally:
        for kernel in started:
            kernel.stop()


@pytest.fixture
def kernel(make_kernel: Callable[..., Kernel], work: Path) -> Kernel:
    """A kernel bound to notebook `work/analysis.ipynb`, with the agent extension loaded."""
    k = make_kernel(notebook=str(work / "analysis.ipynb"))
    k.run("%load_ext agent")
    return k
