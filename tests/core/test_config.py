"""config.toml + `-c` + profiles + CLI flags -> Config (agent.core.config)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agent.core.config import (
    CliOverrides,
    Config,
    ConfigError,
    load_config,
    parse_cli_override,
)
from agent.protocol.policy import DangerFullAccess, ReadOnly, WorkspaceWrite


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def write(home: Path, text: str) -> Path:
    path = home / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load(home: Path, work: Path, env: dict[str, str] | None = None, **cli) -> Config:
    cli.setdefault("cwd", str(work))
    return load_config(CliOverrides(**cli), home=home, env={} if env is None else env)


# ------------------------------------------------------------------ defaults


def test_defaults_without_a_config_file(home: Path, work: Path) -> None:
    config = load(home, work)
    assert config.model == "gpt-5.1-codex"
    assert config.model_provider_id == "openai"
    assert config.model_provider.name == "OpenAI"
    assert config.approval_policy == "on-request"
    assert config.sandbox_mode == "workspace-write"
    assert config.sandbox_policy == WorkspaceWrite()
    assert config.cwd == work.resolve()
    assert config.home == home
    assert config.project_doc_max_bytes == 32768
    assert config.parallel_tool_calls is False
    assert config.history_persistence == "save-all"
    assert config.history_max_bytes is None
    assert config.model_reasoning_effort is None
    assert config.model_reasoning_summary == "auto"
    assert config.shell_environment_policy.inherit == "all"
    assert config.shell_environment_policy.ignore_default_excludes is False
    assert config.shell_environment_policy.exclude == ()
    assert config.shell_environment_policy.set == {}
    assert config.notify == ()
    assert config.warnings == []
    assert not (home / "config.toml").exists()


def test_home_defaults_to_env_variable(tmp_path: Path, work: Path) -> None:
    home = tmp_path / "from-env"
    config = load_config(CliOverrides(cwd=str(work)), env={"KERNEL_AGENT_HOME": str(home)})
    assert config.home == home
    assert not home.exists(), "loading the config must not create the home folder"


def test_cwd_defaults_to_process_cwd(home: Path, work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(work)
    assert load_config(home=home, env={}).cwd == work.resolve()


@pytest.mark.parametrize(("provider", "model"), [("ollama", "gpt-oss:20b"), ("lmstudio", "openai/gpt-oss-20b")])
def test_local_provider_default_model(home: Path, work: Path, provider: str, model: str) -> None:
    config = load(home, work, model_provider=provider)
    assert config.model == model
    assert config.model_provider.requires_api_key is False


def test_local_provider_keeps_a_configured_model(home: Path, work: Path) -> None:
    write(home, 'model = "qwen3:8b"\nmodel_provider = "ollama"\n')
    assert load(home, work).model == "qwen3:8b"


def test_all_scalar_keys_are_read(home: Path, work: Path) -> None:
    write(
        home,
        """
model_reasoning_effort = "high"
model_reasoning_summary = "detailed"
model_verbosity = "low"
model_context_window = 200000
model_auto_compact_token_limit = 150000
model_supports_reasoning_summaries = true
instructions = "base"
developer_instructions = "dev"
instructions_file = "instr.md"
compact_prompt = "summarise"
project_doc_max_bytes = 1000
tool_output_token_limit = 5000
parallel_tool_calls = true
hide_agent_reasoning = true
show_raw_agent_reasoning = true
notify = ["notify-send", "done"]

[history]
persistence = "none"
max_bytes = 4096

[shell_environment_policy]
inherit = "core"
ignore_default_excludes = true
exclude = ["AWS_*"]
set = { CI = "1" }
include_only = ["PATH", "HOME"]
""",
    )
    config = load(home, work)
    assert (config.model_reasoning_effort, config.model_reasoning_summary, config.model_verbosity) == (
        "high",
        "detailed",
        "low",
    )
    assert config.model_context_window == 200000
    assert config.model_auto_compact_token_limit == 150000
    assert config.model_supports_reasoning_summaries is True
    assert (config.instructions, config.developer_instructions, config.compact_prompt) == ("base", "dev", "summarise")
    assert config.instructions_file == home / "instr.md"
    assert config.project_doc_max_bytes == 1000
    assert config.tool_output_token_limit == 5000
    assert config.parallel_tool_calls and config.hide_agent_reasoning and config.show_raw_agent_reasoning
    assert config.notify == ("notify-send", "done")
    assert (config.history_persistence, config.history_max_bytes) == ("none", 4096)
    policy = config.shell_environment_policy
    assert policy.inherit == "core" and policy.ignore_default_excludes
    assert policy.exclude == ("AWS_*",) and policy.set == {"CI": "1"} and policy.include_only == ("PATH", "HOME")


# ------------------------------------------------------------------ precedence


PRECEDENCE_FILE = """
model = "top-model"
approval_policy = "untrusted"
sandbox_mode = "read-only"
model_reasoning_effort = "low"

[profiles.fast]
model = "profile-model"
approval_policy = "on-failure"
sandbox_mode = "danger-full-access"
model_reasoning_effort = "minimal"
"""


def test_top_level_beats_default(home: Path, work: Path) -> None:
    write(home, PRECEDENCE_FILE)
    config = load(home, work)
    assert config.model == "top-model"
    assert config.approval_policy == "untrusted"
    assert config.sandbox_mode == "read-only"
    assert config.sandbox_policy == ReadOnly()
    assert config.model_reasoning_effort == "low"
    assert config.profile is None


def test_profile_beats_top_level(home: Path, work: Path) -> None:
    write(home, PRECEDENCE_FILE)
    config = load(home, work, profile="fast")
    assert config.profile == "fast"
    assert config.model == "profile-model"
    assert config.approval_policy == "on-failure"
    assert config.sandbox_policy == DangerFullAccess()
    assert config.model_reasoning_effort == "minimal"


def test_profile_key_in_file_selects_the_profile(home: Path, work: Path) -> None:
    write(home, 'profile = "fast"\n' + PRECEDENCE_FILE)
    assert load(home, work).model == "profile-model"


def test_dash_c_beats_profile(home: Path, work: Path) -> None:
    write(home, PRECEDENCE_FILE)
    config = load(home, work, profile="fast", raw=["model=cli-c-model", "approval_policy=never"])
    assert config.model == "cli-c-model"
    assert config.approval_policy == "never"
    assert config.sandbox_mode == "danger-full-access", "keys not overridden still come from the profile"


def test_dash_c_can_target_a_profile_or_select_one(home: Path, work: Path) -> None:
    write(home, PRECEDENCE_FILE)
    assert load(home, work, raw=["profile=fast", "profiles.fast.model=o3"]).model == "o3"


def test_cli_flag_beats_dash_c(home: Path, work: Path) -> None:
    write(home, PRECEDENCE_FILE)
    config = load(
        home,
        work,
        profile="fast",
        raw=["model=cli-c-model", "sandbox_mode=read-only"],
        model="flag-model",
        approval_policy="on-request",
        sandbox_mode="workspace-write",
    )
    assert config.model == "flag-model"
    assert config.approval_policy == "on-request"
    assert config.sandbox_mode == "workspace-write"
    assert isinstance(config.sandbox_policy, WorkspaceWrite)


def test_cli_profile_beats_file_profile(home: Path, work: Path) -> None:
    write(home, 'profile = "fast"\n' + PRECEDENCE_FILE + '\n[profiles.slow]\nmodel = "slow-model"\n')
    assert load(home, work, profile="slow").model == "slow-model"


def test_untrusted_project_defaults_to_untrusted_approval(home: Path, work: Path) -> None:
    sub = work / "sub"
    sub.mkdir()
    write(home, f'[projects."{work}"]\ntrust_level = "untrusted"\n')
    assert load(home, sub).approval_policy == "untrusted"
    write(home, f'approval_policy = "never"\n[projects."{work}"]\ntrust_level = "untrusted"\n')
    assert load(home, sub).approval_policy == "never"
    write(home, f'[projects."{work}"]\ntrust_level = "trusted"\n')
    config = load(home, sub)
    assert config.approval_policy == "on-request"
    assert config.projects == {str(work): "trusted"}


# ------------------------------------------------------------------ -c parsing


@pytest.mark.parametrize(
    ("text", "path", "value"),
    [
        ('model="o3"', ["model"], "o3"),
        ("model=o3", ["model"], "o3"),
        ("model='o3", ["model"], "o3"),
        ("model_context_window=1000", ["model_context_window"], 1000),
        ("parallel_tool_calls=true", ["parallel_tool_calls"], True),
        ('notify=["a", "b"]', ["notify"], ["a", "b"]),
        ("shell_environment_policy.inherit=all", ["shell_environment_policy", "inherit"], "all"),
        ("shell_environment_policy.set={A = \"1\"}", ["shell_environment_policy", "set"], {"A": "1"}),
        ('projects."/a/b.c".trust_level=trusted', ["projects", "/a/b.c", "trust_level"], "trusted"),
        ("instructions=a=b", ["instructions"], "a=b"),
        (" model = gpt-5 ", ["model"], "gpt-5"),
        ("model=", ["model"], ""),
    ],
)
def test_parse_cli_override(text: str, path: list[str], value: object) -> None:
    assert parse_cli_override(text) == (path, value)


@pytest.mark.parametrize("text", ["model", "", "=x", "a..b=1"])
def test_parse_cli_override_rejects(text: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_cli_override(text)
    assert repr(text) in str(err.value)


def test_missing_equals_names_the_key(home: Path, work: Path) -> None:
    with pytest.raises(ConfigError, match=r"-c 'model': expected key=value") as err:
        load(home, work, raw=["model"])
    assert err.value.key == "model"


def test_dash_c_creates_missing_tables(home: Path, work: Path) -> None:
    config = load(
        home,
        work,
        raw=[
            "sandbox_workspace_write.network_access=true",
            "history.persistence=none",
            'model_providers.mine.name="Mine"',
            "model_providers.mine.base_url=http://localhost:9/v1",
            "model_provider=mine",
        ],
    )
    assert config.sandbox_policy == WorkspaceWrite(network_access=True)
    assert config.history_persistence == "none"
    assert config.model_provider_id == "mine"
    assert config.model_provider.base_url == "http://localhost:9/v1"


def test_dash_c_replaces_a_scalar_with_a_table(home: Path, work: Path) -> None:
    write(home, 'history = "oops"\n')
    assert load(home, work, raw=["history.max_bytes=10"]).history_max_bytes == 10


def test_dash_c_does_not_modify_the_file(home: Path, work: Path) -> None:
    path = write(home, 'model = "a"\n')
    load(home, work, raw=["model=b"])
    assert path.read_text() == 'model = "a"\n'


# ------------------------------------------------------------------ errors


def test_unknown_top_level_key(home: Path, work: Path) -> None:
    path = write(home, 'modle = "o3"\n')
    with pytest.raises(ConfigError) as err:
        load(home, work)
    assert str(err.value) == f"{path}: unknown key 'modle'"
    assert err.value.key == "modle"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[sandbox_workspace_write]\nwritable_root = []\n", "sandbox_workspace_write.writable_root"),
        ("[history]\npersist = 'none'\n", "history.persist"),
        ("[shell_environment_policy]\ninherits = 'all'\n", "shell_environment_policy.inherits"),
        ("[model_providers.x]\nname = 'X'\nwire = 'chat'\n", "model_providers.x.wire"),
        ("[projects.'/p']\ntrust = 'trusted'\n", "projects./p.trust"),
        ("[profiles.fast]\nmodle = 'o3'\n", "profiles.fast.modle"),
    ],
)
def test_unknown_nested_keys(home: Path, work: Path, text: str, key: str) -> None:
    write(home, text)
    with pytest.raises(ConfigError) as err:
        load(home, work)
    assert f"unknown key '{key}'" in str(err.value)
    assert err.value.key == key


def test_every_problem_is_reported(home: Path, work: Path) -> None:
    path = write(home, 'modle = "o3"\nsandbox_mode = "open"\n')
    with pytest.raises(ConfigError) as err:
        load(home, work, raw=["history.keep=1"])
    lines = str(err.value).splitlines()
    assert len(lines) == 3
    assert f"{path}: unknown key 'modle'" in lines
    assert "-c 'history.keep=1': unknown key 'history.keep'" in lines
    assert any(line.startswith(f"{path}: invalid value for 'sandbox_mode': 'open'") for line in lines)


def test_unknown_key_from_dash_c_names_the_override(home: Path, work: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load(home, work, raw=["sandbox_workspace_write.foo=1"])
    assert str(err.value) == "-c 'sandbox_workspace_write.foo=1': unknown key 'sandbox_workspace_write.foo'"


def test_bad_enum_value(home: Path, work: Path) -> None:
    path = write(home, 'approval_policy = "sometimes"\n')
    with pytest.raises(ConfigError) as err:
        load(home, work)
    assert str(err.value) == (
        f"{path}: invalid value for 'approval_policy': 'sometimes' "
        "(expected one of: untrusted, on-failure, on-request, never)"
    )


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("sandbox_mode=open", "invalid value for 'sandbox_mode': 'open' (expected one of: read-only, workspace-write, danger-full-access)"),
        ("model_reasoning_effort=max", "invalid value for 'model_reasoning_effort': 'max'"),
        ("history.persistence=all", "invalid value for 'history.persistence': 'all'"),
        ("shell_environment_policy.inherit=some", "invalid value for 'shell_environment_policy.inherit'"),
        ("profiles.p.sandbox_mode=x", "invalid value for 'profiles.p.sandbox_mode'"),
        ("model_context_window=big", "invalid value for 'model_context_window': expected an integer"),
        ("parallel_tool_calls=yes", "invalid value for 'parallel_tool_calls': expected true or false"),
        ("notify=prog", "invalid value for 'notify': expected an array"),
        ("sandbox_workspace_write.writable_roots=[1]", "invalid value for 'sandbox_workspace_write.writable_roots[0]'"),
        ("model_providers.x.wire_api=grpc", "invalid value for 'model_providers.x.wire_api': 'grpc'"),
    ],
)
def test_bad_values_from_dash_c(home: Path, work: Path, raw: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        load(home, work, raw=[raw])
    assert f"-c {raw!r}: " in str(err.value)
    assert fragment in str(err.value)


def test_missing_required_provider_name(home: Path, work: Path) -> None:
    write(home, "[model_providers.x]\nbase_url = 'http://h/v1'\n")
    with pytest.raises(ConfigError, match=r"missing required key 'model_providers\.x\.name'"):
        load(home, work)


def test_bad_cli_flag_values(home: Path, work: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load(home, work, approval_policy="always")
    assert str(err.value).startswith("command line: invalid value for 'approval_policy': 'always'")
    with pytest.raises(ConfigError, match="'sandbox_mode'"):
        load(home, work, sandbox_mode="none")


def test_bad_toml_syntax(home: Path, work: Path) -> None:
    path = write(home, 'model = "o3\n')
    with pytest.raises(ConfigError) as err:
        load(home, work)
    message = str(err.value)
    assert message.startswith(f"{path}: invalid TOML: ")
    assert "line 1" in message


def test_config_file_not_utf8(home: Path, work: Path) -> None:
    (home / "config.toml").write_bytes(b'model = "\xff"\n')
    with pytest.raises(ConfigError, match="not valid UTF-8"):
        load(home, work)


def test_unknown_profile(home: Path, work: Path) -> None:
    path = write(home, PRECEDENCE_FILE)
    with pytest.raises(ConfigError) as err:
        load(home, work, profile="slow")
    assert str(err.value) == "command line: unknown profile 'slow' for 'profile' (known profiles: fast)"
    write(home, 'profile = "nope"\n')
    with pytest.raises(ConfigError) as err:
        load(home, work)
    assert str(err.value) == f"{path}: unknown profile 'nope' for 'profile' (known profiles: none are defined)"


def test_unknown_model_provider(home: Path, work: Path) -> None:
    path = write(home, 'model_provider = "acme"\n')
    with pytest.raises(ConfigError) as err:
        load(home, work)
    assert str(err.value) == (
        f"{path}: invalid value for 'model_provider': 'acme' "
        "(known providers: azure, lmstudio, ollama, openai)"
    )
    assert err.value.key == "model_provider"
    with pytest.raises(ConfigError, match=r"^command line: .*'nope'"):
        load(home, work, model_provider="nope")
    write(home, "[profiles.p]\nmodel_provider = 'acme'\n")
    with pytest.raises(ConfigError, match=r"\(profile 'p'\): invalid value for 'model_provider'"):
        load(home, work, profile="p")


# ------------------------------------------------------------------ providers


def test_custom_provider_table(home: Path, work: Path) -> None:
    write(
        home,
        """
model = "my-model"
model_provider = "corp"

[model_providers.corp]
name = "Corp gateway"
base_url = "https://llm.corp.example/v1"
env_key = "CORP_KEY"
env_key_instructions = "Ask IT."
wire_api = "responses"
query_params = { api-version = "2025-01-01" }
http_headers = { X-Team = "data" }
env_http_headers = { X-Trace = "CORP_TRACE" }
request_max_retries = 2
stream_idle_timeout_ms = 1000
""",
    )
    config = load(home, work, env={"CORP_TRACE": "t1"})
    info = config.model_provider
    assert config.model_provider_id == "corp"
    assert info.name == "Corp gateway"
    assert info.wire_api == "responses"
    assert info.query_params == {"api-version": "2025-01-01"}
    assert info.headers({"CORP_TRACE": "t1"}) == {"X-Team": "data", "X-Trace": "t1"}
    assert info.env_key == "CORP_KEY" and info.env_key_instructions == "Ask IT."
    assert info.request_retries() == 2 and info.idle_timeout_s() == 1.0
    assert set(config.model_providers) == {"openai", "azure", "ollama", "lmstudio", "corp"}


def test_custom_provider_wire_api_defaults_to_chat(home: Path, work: Path) -> None:
    write(home, "model_provider = 'vllm'\n[model_providers.vllm]\nname = 'vLLM'\nbase_url = 'http://h:8000/v1'\n")
    assert load(home, work).model_provider.wire_api == "chat"


def test_user_entry_with_builtin_id_is_ignored(home: Path, work: Path) -> None:
    path = write(home, "[model_providers.openai]\nname = 'Mine'\nbase_url = 'http://evil/v1'\n")
    config = load(home, work, env={"OPENAI_BASE_URL": "https://proxy.example/v1"})
    assert config.model_provider.name == "OpenAI"
    assert config.model_provider.base_url == "https://proxy.example/v1"
    assert len(config.warnings) == 1
    assert config.warnings[0].startswith(f"{path}: [model_providers.openai] is ignored")
    assert "OPENAI_BASE_URL" in config.warnings[0]


def test_builtin_providers_follow_env(home: Path, work: Path) -> None:
    config = load(home, work, env={"KERNEL_AGENT_OSS_PORT": "9999"}, model_provider="ollama")
    assert config.model_provider.base_url == "http://localhost:9999/v1"


# ------------------------------------------------------------------ sandbox


def test_writable_roots_are_absolute_and_include_add_dirs(home: Path, work: Path, tmp_path: Path) -> None:
    write(
        home,
        """
[sandbox_workspace_write]
writable_roots = ["data", "/opt/shared", "~/cache", "data/../data"]
network_access = true
exclude_slash_tmp = true
exclude_tmpdir_env_var = true
""",
    )
    config = load(home, work, add_dirs=["extra", tmp_path / "abs"])
    expected = (
        str(work / "data"),
        "/opt/shared",
        os.path.expanduser("~/cache"),
        str(work / "extra"),
        str(tmp_path / "abs"),
    )
    assert config.sandbox_policy == WorkspaceWrite(
        writable_roots=expected, network_access=True, exclude_slash_tmp=True, exclude_tmpdir_env_var=True
    )
    assert all(Path(root).is_absolute() for root in config.sandbox_policy.writable_roots)


def test_workspace_settings_do_not_leak_into_other_modes(home: Path, work: Path) -> None:
    write(home, "sandbox_mode = 'read-only'\n[sandbox_workspace_write]\nnetwork_access = true\n")
    assert load(home, work).sandbox_policy == ReadOnly()


# ------------------------------------------------------------------ with_overrides


def test_with_overrides_returns_an_updated_copy(home: Path, work: Path) -> None:
    write(home, "[sandbox_workspace_write]\nwritable_roots = ['out']\n")
    config = load(home, work)
    changed = config.with_overrides(model="o3", model_provider_id="ollama", sandbox_mode="read-only")
    assert (config.model, config.model_provider_id, config.sandbox_policy.type) == (
        "gpt-5.1-codex",
        "openai",
        "workspace-write",
    )
    assert changed.model == "o3"
    assert changed.model_provider.name == "Ollama"
    assert changed.sandbox_policy == ReadOnly()
    back = changed.with_overrides(sandbox_mode="workspace-write")
    assert back.sandbox_policy == WorkspaceWrite(writable_roots=(str(work / "out"),))


def test_with_overrides_validates(home: Path, work: Path) -> None:
    config = load(home, work)
    with pytest.raises(ConfigError, match="'approval_policy'"):
        config.with_overrides(approval_policy="sometimes")
    with pytest.raises(ConfigError, match="known providers"):
        config.with_overrides(model_provider_id="acme")
    with pytest.raises(TypeError):
        config.with_overrides(no_such_field=1)


def test_config_is_frozen(home: Path, work: Path) -> None:
    config = load(home, work)
    with pytest.raises(AttributeError):
        config.model = "x"  # type: ignore[misc]


def test_shell_timeout_is_configurable(tmp_path):
    from agent.core.session import exec_settings_from

    home = tmp_path / "h"
    home.mkdir()
    assert exec_settings_from(load_config(CliOverrides(cwd=str(tmp_path)), home=home, env={})).default_timeout_ms == 120_000
    (home / "config.toml").write_text("shell_timeout_ms = 600000\n")
    config = load_config(CliOverrides(cwd=str(tmp_path)), home=home, env={})
    assert exec_settings_from(config).default_timeout_ms == 600_000
    (home / "config.toml").write_text("shell_timeout_ms = 0\n")
    with pytest.raises(ConfigError, match="shell_timeout_ms"):
        load_config(CliOverrides(cwd=str(tmp_path)), home=home, env={})
