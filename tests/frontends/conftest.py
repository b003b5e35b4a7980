"""Front-end tests: `home`, an agent home whose config points at the `server` fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scripted_server import ScriptedServer


@pytest.fixture
def home(tmp_path: Path, server: ScriptedServer) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(
        f'model = "gpt-4.1"\nmodel_provider = "scripted"\n\n'
        f'[model_providers.scripted]\nname = "Scripted"\nbase_url = "{server.url}"\nwire_api = "responses"\n'
        f'env_key = "SCRIPTED_API_KEY"\nrequest_max_retries = 0\nstream_max_retries = 0\n'
    )
    return home
