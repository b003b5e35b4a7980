"""Fixtures for the Jupyter AI 3 test: JupyterLab from a separate venv holding
`kernel-agent[jupyter-ai,lab]` (jai_venv.py), with the project's scripted model server.

- `jai_scripted` (module): a ScriptedServer of its own.
- `jai_lab` (module): `jupyter lab` from that venv, isolated like tests/browser's `lab`
  (tests/browser/conftest.py `_serve`); /tmp and $TMPDIR are not writable roots of its
  sandbox, so only the server root is. Its log goes to
  test-artifacts/browser/jupyter-ai-server.log.

Making the venv needs PyPI (once, ~1 min); failing to make it fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.conftest import Lab, _serve, page  # noqa: F401 - `page` is a fixture used here too
from tests.scripted_server import ScriptedServer

from .jai_venv import ensure_venv


@pytest.fixture(scope="module")
def jai_scripted() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        yield server


@pytest.fixture(scope="module")
def jai_lab(tmp_path_factory: pytest.TempPathFactory, jai_scripted: ScriptedServer) -> Iterator[Lab]:
    python = str(ensure_venv() / "python")
    for lab in _serve(tmp_path_factory.mktemp("jupyter-ai"), jai_scripted, "lab", "jupyter-ai-server.log", python=python):
        # Only the workspace is writable (the server root is under /tmp, like the test's "outside" folder).
        with open(lab.agent_home / "config.toml", "a") as config:
            config.write("[sandbox_workspace_write]\nexclude_slash_tmp = true\nexclude_tmpdir_env_var = true\n")
        yield lab
