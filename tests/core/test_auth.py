"""auth.json storage, key resolution order and secrets (agent.core.auth, agent.core.home)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from agent.client.errors import MissingApiKey
from agent.client.providers import ModelProviderInfo, builtin_providers
from agent.core.auth import (
    AuthFileError,
    delete_auth,
    load_auth,
    mask_key,
    resolve_api_key,
    save_api_key,
    secrets_to_redact,
)
from agent.core.home import agent_home, ensure_home

KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
OTHER = "sk-other-0123456789abcdef"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "agent-home"


@pytest.fixture
def openai() -> ModelProviderInfo:
    return builtin_providers({})["openai"]


# ------------------------------------------------------------------ home folder


def test_agent_home_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert agent_home({"KERNEL_AGENT_HOME": str(tmp_path / "h")}) == tmp_path / "h"
    monkeypatch.chdir(tmp_path)
    assert agent_home({"KERNEL_AGENT_HOME": "rel/h"}) == tmp_path / "rel" / "h"
    assert agent_home({"KERNEL_AGENT_HOME": "  ", "HOME": str(tmp_path)}) == tmp_path / ".kernel-agent"
    assert agent_home({"HOME": str(tmp_path)}) == tmp_path / ".kernel-agent"


def test_ensure_home_creates_a_private_folder(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = ensure_home(tmp_path / "a" / "b")
    finally:
        os.umask(old)
    assert path.is_dir()
    assert mode(path) == 0o700
    assert ensure_home(path) == path


def test_ensure_home_leaves_an_existing_folder_alone(tmp_path: Path) -> None:
    folder = tmp_path / "existing"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    ensure_home(folder)
    assert mode(folder) == 0o755


# ------------------------------------------------------------------ auth.json


def test_save_and_load(home: Path) -> None:
    path = save_api_key(home, f"  {KEY}\n")
    assert path == home / "auth.json"
    assert json.loads(path.read_text()) == {"OPENAI_API_KEY": KEY}
    assert load_auth(home) == {"OPENAI_API_KEY": KEY}
    assert mode(path) == 0o600
    assert mode(home) == 0o700


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077, 0o277])
def test_auth_file_is_0600_whatever_the_umask(home: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        save_api_key(home, KEY)
        save_api_key(home, OTHER)
    finally:
        os.umask(old)
    assert mode(home / "auth.json") == 0o600
    assert load_auth(home) == {"OPENAI_API_KEY": OTHER}


def test_overwrite_of_a_loose_file_fixes_its_mode(home: Path) -> None:
    home.mkdir()
    loose = home / "auth.json"
    loose.write_text('{"OPENAI_API_KEY": "old"}')
    os.chmod(loose, 0o644)
    save_api_key(home, KEY)
    assert mode(loose) == 0o600


def test_write_is_atomic(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_api_key(home, KEY)

    def broken_rename(src: object, dst: object, **dir_fds: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "rename", broken_rename)
    with pytest.raises(OSError):
        save_api_key(home, OTHER)
    assert load_auth(home) == {"OPENAI_API_KEY": KEY}, "the old file is untouched"
    assert sorted(p.name for p in home.iterdir()) == ["auth.json"], "no temp file is left behind"


def test_blank_key_is_refused(home: Path) -> None:
    with pytest.raises(ValueError):
        save_api_key(home, "  \n")
    assert not (home / "auth.json").exists()


def test_load_auth_without_file(home: Path) -> None:
    assert load_auth(home) is None


@pytest.mark.parametrize("content", ['{"OPENAI_API_KEY": "sk-trunc', "[1, 2]", '{"OPENAI_API_KEY": 5}', "\x00\xff"])
def test_corrupt_auth_file(home: Path, content: str) -> None:
    home.mkdir()
    (home / "auth.json").write_bytes(content.encode("latin-1"))
    with pytest.raises(AuthFileError) as err:
        load_auth(home)
    assert str(home / "auth.json") in str(err.value)
    assert "sk-trunc" not in str(err.value)


def test_delete_auth(home: Path) -> None:
    assert delete_auth(home) is False
    save_api_key(home, KEY)
    assert delete_auth(home) is True
    assert not (home / "auth.json").exists()
    assert delete_auth(home) is False


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        ("sk-abcdefghijklmnopqrstuvwxyz", "sk-abcde***vwxyz"),
        ("sk-abcdefghvwxyz", "sk-abcde***vwxyz"),
        ("1234567890abcd", "12345678***0abcd"),
        ("1234567890abc", "***"),
        ("short", "***"),
        ("", "***"),
    ],
)
def test_mask_key(key: str, masked: str) -> None:
    assert mask_key(key) == masked


# ------------------------------------------------------------------ resolution order


def test_agent_env_key_comes_first(home: Path, openai: ModelProviderInfo) -> None:
    save_api_key(home, KEY)
    env = {"KERNEL_AGENT_API_KEY": " agent-key-123 ", "OPENAI_API_KEY": OTHER}
    assert resolve_api_key("openai", openai, home, env) == "agent-key-123"
    ollama = builtin_providers({})["ollama"]
    assert resolve_api_key("ollama", ollama, home, env) == "agent-key-123"


def test_provider_env_key_before_auth_json(home: Path, openai: ModelProviderInfo) -> None:
    save_api_key(home, KEY)
    assert resolve_api_key("openai", openai, home, {"OPENAI_API_KEY": OTHER}) == OTHER
    assert resolve_api_key("openai", openai, home, {"KERNEL_AGENT_API_KEY": "  ", "OPENAI_API_KEY": " "}) == KEY


def test_auth_json_only_for_openai_auth_providers(home: Path) -> None:
    save_api_key(home, KEY)
    custom = ModelProviderInfo(name="Corp", env_key="CORP_KEY")
    with pytest.raises(MissingApiKey):
        resolve_api_key("corp", custom, home, {})
    assert resolve_api_key("corp", custom, home, {"CORP_KEY": "corp-key-1"}) == "corp-key-1"


def test_bearer_token_after_auth_json(home: Path) -> None:
    info = ModelProviderInfo(name="T", env_key="T_KEY", experimental_bearer_token="literal-token", requires_openai_auth=True)
    assert resolve_api_key("t", info, home, {}) == "literal-token"
    save_api_key(home, KEY)
    assert resolve_api_key("t", info, home, {}) == KEY
    assert resolve_api_key("t", info, home, {"T_KEY": "env-key-1"}) == "env-key-1"


def test_local_providers_need_no_key(home: Path) -> None:
    for provider_id in ("ollama", "lmstudio"):
        info = builtin_providers({})[provider_id]
        assert resolve_api_key(provider_id, info, home, {}) is None


def test_missing_key_messages(home: Path, openai: ModelProviderInfo) -> None:
    with pytest.raises(MissingApiKey) as err:
        resolve_api_key("openai", openai, home, {"OPENAI_API_KEY": ""})
    assert str(err.value) == (
        "Missing environment variable: `OPENAI_API_KEY`. Run `kernel-agent login` or set OPENAI_API_KEY."
    )
    azure = builtin_providers({})["azure"]
    with pytest.raises(MissingApiKey) as err:
        resolve_api_key("azure", azure, home, {})
    assert err.value.message == (
        "Missing environment variable: `AZURE_OPENAI_API_KEY`. "
        "Set AZURE_OPENAI_ENDPOINT (or AZURE_OPENAI_BASE_URL) and AZURE_OPENAI_API_KEY."
    )
    with pytest.raises(MissingApiKey, match=r"^Missing environment variable: `KERNEL_AGENT_API_KEY`\. Provider 'x'"):
        resolve_api_key("x", ModelProviderInfo(name="X"), home, {})


def test_missing_key_never_contains_a_key(home: Path) -> None:
    save_api_key(home, KEY)
    info = ModelProviderInfo(name="Corp", env_key="CORP_KEY", env_key_instructions="Export CORP_KEY.")
    env = {"CORP_KEY": "   ", "OTHER_TOKEN": OTHER}
    with pytest.raises(MissingApiKey) as err:
        resolve_api_key("corp", info, home, env)
    for secret in (KEY, OTHER):
        assert secret not in str(err.value)
        assert secret not in repr(err.value)


def test_corrupt_auth_file_is_a_missing_key(home: Path, openai: ModelProviderInfo) -> None:
    home.mkdir()
    (home / "auth.json").write_text('{"OPENAI_API_KEY": "' + KEY)
    with pytest.raises(MissingApiKey) as err:
        resolve_api_key("openai", openai, home, {})
    assert str(home / "auth.json") in str(err.value)
    assert KEY not in str(err.value)
    assert resolve_api_key("openai", openai, home, {"OPENAI_API_KEY": OTHER}) == OTHER, "env wins, file unread"


# ------------------------------------------------------------------ redaction list


def test_secrets_to_redact(home: Path) -> None:
    save_api_key(home, KEY)
    env = {
        "KERNEL_AGENT_API_KEY": "agent-key-123",
        "AZURE_OPENAI_API_KEY": "azure-secret-value",
        "GITHUB_TOKEN": "ghp_1234567890",
        "my_client_secret": "hunter2hunter2",
        "SHORT_KEY": "abc",
        "PATH": "/usr/bin:/bin",
        "HOME": "/root",
    }
    found = secrets_to_redact(home, env)
    assert set(found) == {KEY, "agent-key-123", "azure-secret-value", "ghp_1234567890", "hunter2hunter2"}
    assert [len(s) for s in found] == sorted((len(s) for s in found), reverse=True)


def test_secrets_to_redact_tolerates_missing_or_corrupt_file(home: Path) -> None:
    assert secrets_to_redact(home, {}) == []
    home.mkdir()
    (home / "auth.json").write_text("{")
    assert secrets_to_redact(home, {"X_TOKEN": "tok-12345678"}) == ["tok-12345678"]
