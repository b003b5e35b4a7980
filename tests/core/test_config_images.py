"""`model_accepts_images`: its default per wire API, explicit values, profiles, `-c`, bad
values, and what a session offers (view_image) with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.client.scripted import ScriptedModelClient
from agent.core.config import CliOverrides, ConfigError, load_config
from agent.core.session import Session

VLLM = "[model_providers.vllm]\nname = 'vLLM'\nbase_url = 'http://h:8000/v1'\n"
CORP = "[model_providers.corp]\nname = 'Corp'\nbase_url = 'https://corp.example/v1'\nwire_api = 'responses'\n"


def load(home: Path, work: Path, text: str = "", **cli):
    (home / "config.toml").write_text(text, encoding="utf-8")
    return load_config(CliOverrides(cwd=str(work), **cli), home=home, env={})


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.mark.parametrize(("text", "expected"), [
    ("", True),  # openai: Responses API
    ("model_provider = 'azure'\n", True),
    ("model_provider = 'corp'\n" + CORP, True),  # any Responses-API provider
    ("model_provider = 'ollama'\n", False),
    ("model_provider = 'lmstudio'\n", False),
    ("model_provider = 'vllm'\n" + VLLM, False),  # a custom provider defaults to the chat wire
])
def test_the_default_follows_the_wire_api(home: Path, work: Path, text: str, expected: bool) -> None:
    assert load(home, work, text).model_accepts_images is expected


def test_an_explicit_value_wins_over_the_default(home: Path, work: Path) -> None:
    assert load(home, work, "model_accepts_images = false\n").model_accepts_images is False
    assert load(home, work, "model_provider = 'ollama'\nmodel_accepts_images = true\n").model_accepts_images is True
    assert load(home, work, "model_provider = 'vllm'\nmodel_accepts_images = true\n" + VLLM).model_accepts_images is True


def test_a_profile_overrides_the_top_level_and_a_command_line_override_wins(home: Path, work: Path) -> None:
    text = "model_accepts_images = true\nmodel_provider = 'ollama'\n[profiles.text]\nmodel_accepts_images = false\n"
    assert load(home, work, text).model_accepts_images is True
    assert load(home, work, text, profile="text").model_accepts_images is False
    assert load(home, work, text, profile="text", raw=["model_accepts_images=true"]).model_accepts_images is True
    unset = "model_provider = 'ollama'\n[profiles.vision]\nmodel_accepts_images = true\n"
    assert load(home, work, unset, profile="vision").model_accepts_images is True
    assert load(home, work, unset).model_accepts_images is False  # the profile only applies when selected


def test_a_profile_switching_to_a_local_provider_gets_that_providers_default(home: Path, work: Path) -> None:
    text = "[profiles.local]\nmodel_provider = 'ollama'\n"
    assert load(home, work, text).model_accepts_images is True
    assert load(home, work, text, profile="local").model_accepts_images is False


@pytest.mark.parametrize("text", ["model_accepts_images = 'yes'\n", "model_accepts_images = 1\n",
                                  "[profiles.p]\nmodel_accepts_images = 'no'\n"])
def test_a_non_boolean_is_one_clear_error(home: Path, work: Path, text: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(home, work, text)
    message = str(info.value)
    assert "model_accepts_images" in message and "\n" not in message and "Traceback" not in message


@pytest.mark.parametrize(("text", "offered"), [("", True), ("model_accepts_images = false\n", False),
                                               ("model_provider = 'ollama'\n", False),
                                               ("model_provider = 'ollama'\nmodel_accepts_images = true\n", True)])
async def test_view_image_is_offered_only_to_a_model_that_accepts_images(home: Path, work: Path, text: str,
                                                                          offered: bool) -> None:
    session = Session(load(home, work, text, model="gpt-5.1-codex"), ScriptedModelClient([]), retry_base_s=0.001)
    try:
        names = [spec["name"] for spec in session.tools.specs()]
        assert ("view_image" in names) is offered
        assert "shell" in names and "read_file" in names  # the control: the other tools stay
    finally:
        await session.shutdown()
