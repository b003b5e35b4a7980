"""The agent home every nbclient test's kernel inherits: a config pointing at a scripted
model server on loopback (no retries, `never` approvals) and its fake key in the environment."""

from __future__ import annotations

from pathlib import Path

import pytest


def scripted_home(home: Path, server_url: str, key: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Write `home/config.toml` for the server at `server_url` and point the environment at it."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        'model = "gpt-4.1"\nmodel_provider = "scripted"\napproval_policy = "never"\n\n'
        f'[model_providers.scripted]\nname = "Scripted"\nbase_url = "{server_url}"\nwire_api = "responses"\n'
        'env_key = "SCRIPTED_API_KEY"\nrequest_max_retries = 0\nstream_max_retries = 0\n'
    )
    monkeypatch.setenv("KERNEL_AGENT_HOME", str(home))
    monkeypatch.setenv("SCRIPTED_API_KEY", key)
    for name in ("OPENAI_API_KEY", "JPY_SESSION_NAME"):
        monkeypatch.delenv(name, raising=False)
    return home
