"""The admin's system folder (agent.core.config: system_files, managed, requirements, enforce):
managed values win (typed changes refused, file values overridden with a warning); requirements refuse in one line; malformed files
fail closed. Every refusal is paired with an allowed control."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.core.config import CliOverrides, Config, ConfigError, load_config
from agent.protocol import events as ev
from agent.protocol import ops
from agent.protocol.policy import ReadOnly, WorkspaceWrite


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def system(tmp_path: Path) -> Path:
    path = tmp_path / "etc-kernel-agent"
    path.mkdir()
    return path


def load(home: Path, system: Path, work: Path, user: str = "", **cli: object) -> Config:
    (home / "config.toml").write_text(user, encoding="utf-8")
    cli.setdefault("cwd", str(work))
    return load_config(CliOverrides(**cli), home=home, env={"KERNEL_AGENT_SYSTEM_DIR": str(system)})  # type: ignore[arg-type]


def refusal(home: Path, system: Path, work: Path, user: str = "", **cli: object) -> str:
    with pytest.raises(ConfigError) as info:
        load(home, system, work, user, **cli)
    return str(info.value)


MANAGED = 'model = "gpt-admin"\nmodel_provider = "corp"\n[model_providers.corp]\nname = "Corp"\nbase_url = "http://127.0.0.1:9/v1"\nenv_key = "CORP_KEY"\n'
REQUIRE = 'allowed_approval_policies = ["untrusted", "on-request"]\nallowed_sandbox_modes = ["read-only", "workspace-write"]\n'


# ------------------------------------------------------------------ reading, fail closed

def test_no_system_files_manage_nothing(home: Path, system: Path, work: Path) -> None:
    config = load(home, system, work)
    assert config.managed == {} and not config.requirements.active


@pytest.mark.parametrize(("name", "text", "fragments"), [
    ("managed_config.toml", 'model = "a"\nbad line\nx = 1\n', ["managed_config.toml", "invalid TOML", "line 2"]),
    ("managed_config.toml", 'model = "a"\n\nmodle = "b"\n', ["managed_config.toml, line 3", "unknown key 'modle'"]),
    ("managed_config.toml", '[sandbox_workspace_write]\nnetwork_access = "yes"\n',
     ["line 2", "'sandbox_workspace_write.network_access'", "expected true or false"]),
    ("requirements.toml", 'allowed_approval_policies = ["never"]\n\nallow_network = false\n',
     ["requirements.toml, line 3", "unknown key 'allow_network'"]),
    ("requirements.toml", 'allowed_sandbox_modes = ["read-only", "everything"]\n',
     ["requirements.toml, line 1", "allowed_sandbox_modes[1]", "everything"]),
    ("requirements.toml", '[mcp_servers.docs]\ncommand = "a"\nurl = "http://x"\n', ["line 1", "mcp_servers.docs"]),
])
def test_malformed_system_file_fails_closed(home: Path, system: Path, work: Path, name: str, text: str,
                                            fragments: list[str]) -> None:
    (system / name).write_text(text, encoding="utf-8")
    message = refusal(home, system, work)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message
    (system / name).write_text("", encoding="utf-8")  # control: a well-formed (empty) file loads
    load(home, system, work)


def test_unreadable_system_file_fails_closed(home: Path, system: Path, work: Path) -> None:
    (system / "requirements.toml").mkdir()  # reading a folder fails like an unreadable file
    assert "requirements.toml: cannot read the file" in refusal(home, system, work)


# ------------------------------------------------------------------ managed values

def test_managed_values_win_and_are_recorded(home: Path, system: Path, work: Path) -> None:
    (system / "managed_config.toml").write_text(MANAGED, encoding="utf-8")
    config = load(home, system, work)
    assert (config.model, config.model_provider_id, config.model_provider.env_key) == ("gpt-admin", "corp", "CORP_KEY")
    source = str(system / "managed_config.toml")
    assert config.managed == {"model": source, "model_provider": source, "model_providers.corp": source}


def test_managed_provider_may_replace_a_builtin(home: Path, system: Path, work: Path) -> None:
    (system / "managed_config.toml").write_text(
        '[model_providers.openai]\nname = "Proxy"\nbase_url = "http://127.0.0.1:9/v1"\nenv_key = "PROXY_KEY"\n')
    config = load(home, system, work)
    assert config.model_provider.base_url == "http://127.0.0.1:9/v1" and not config.warnings
    # control: a user's table for a built-in id is still ignored with a warning
    (system / "managed_config.toml").write_text("")
    user = '[model_providers.openai]\nname = "Mine"\nbase_url = "http://127.0.0.1:8/v1"\n'
    config = load(home, system, work, user)
    assert config.model_provider.base_url != "http://127.0.0.1:8/v1" and config.warnings


@pytest.mark.parametrize(("user", "cli", "where"), [
    ("", {"raw": ["model=mine"]}, "-c 'model=mine'"),
    ("", {"model": "mine"}, "command line"),
])
def test_changing_a_managed_key_for_this_run_is_refused(home: Path, system: Path, work: Path, user: str, cli: dict,
                                                        where: str) -> None:
    (system / "managed_config.toml").write_text(MANAGED, encoding="utf-8")
    message = refusal(home, system, work, user, **cli)
    assert message.endswith(f"'model' is managed by {system / 'managed_config.toml'} (value 'gpt-admin'); it cannot be changed")
    assert where in message
    cli = {k: ([v[0].replace("mine", "gpt-admin")] if k == "raw" else "gpt-admin") for k, v in cli.items()}
    assert load(home, system, work, user, **cli).model == "gpt-admin"  # control: the same value is fine


@pytest.mark.parametrize(("user", "where"), [
    ('model = "mine"\n', "config.toml"),
    ('profile = "p"\n[profiles.p]\nmodel = "mine"\n', "(profile 'p')"),
])
def test_a_managed_key_in_the_users_files_is_overridden_with_a_warning(home: Path, system: Path, work: Path,
                                                                        user: str, where: str) -> None:
    """A stale config.toml must not lock the user out: the managed value wins, and says so."""
    (system / "managed_config.toml").write_text(MANAGED, encoding="utf-8")
    config = load(home, system, work, user)
    assert config.model == "gpt-admin"
    [warning] = [w for w in config.warnings if "'model'" in w]
    assert where in warning and "'mine' is not used: it is managed by" in warning and "'gpt-admin'" in warning
    assert not [w for w in load(home, system, work, user.replace("mine", "gpt-admin")).warnings if "'model'" in w]  # control


def test_a_managed_provider_table_wins_over_the_users(home: Path, system: Path, work: Path) -> None:
    (system / "managed_config.toml").write_text(MANAGED, encoding="utf-8")
    user = '[model_providers.corp]\nname = "Corp"\nbase_url = "http://127.0.0.1:7/v1"\n'
    config = load(home, system, work, user)
    assert config.model_providers["corp"].base_url != "http://127.0.0.1:7/v1"
    assert any("[model_providers.corp] is not used: it is managed by" in w for w in config.warnings)
    assert "'model_providers.corp' is managed by" in refusal(home, system, work, "", raw=['model_providers.corp.name="x"'])
    other = '[model_providers.mine]\nname = "Mine"\nbase_url = "http://127.0.0.1:7/v1"\n'  # control: a new id is fine
    assert "mine" in load(home, system, work, other).model_providers


def test_managed_key_cannot_be_changed_at_runtime(home: Path, system: Path, work: Path) -> None:
    (system / "managed_config.toml").write_text('approval_policy = "untrusted"\n', encoding="utf-8")
    config = load(home, system, work)
    with pytest.raises(ConfigError, match="'approval_policy' is managed by .* \\(value 'untrusted'\\); it cannot be changed"):
        config.with_overrides(approval_policy="never")
    assert config.with_overrides(approval_policy="untrusted").approval_policy == "untrusted"  # control
    assert config.with_overrides(model="gpt-other").model == "gpt-other"  # control: an unmanaged key


# ------------------------------------------------------------------ requirements

def test_violating_approval_is_refused_in_one_line(home: Path, system: Path, work: Path) -> None:
    (system / "requirements.toml").write_text(REQUIRE, encoding="utf-8")
    expected = (f"approval_policy 'never' is not allowed by {system / 'requirements.toml'} "
                '(allowed_approval_policies = ["untrusted", "on-request"])')
    assert refusal(home, system, work, approval_policy="never") == expected
    assert refusal(home, system, work, 'approval_policy = "never"\n') == expected
    assert load(home, system, work, approval_policy="untrusted").approval_policy == "untrusted"  # control


def test_violating_sandbox_mode_and_network_are_refused(home: Path, system: Path, work: Path) -> None:
    (system / "requirements.toml").write_text(REQUIRE + "allow_network_access = false\n", encoding="utf-8")
    assert "sandbox mode 'danger-full-access' is not allowed by" in refusal(home, system, work, sandbox_mode="danger-full-access")
    assert "allowed_sandbox_modes = [\"read-only\", \"workspace-write\"]" in refusal(home, system, work, sandbox_mode="danger-full-access")
    net = "[sandbox_workspace_write]\nnetwork_access = true\n"
    assert refusal(home, system, work, net).endswith("network access for commands (sandbox_workspace_write.network_access, or a "
                                                     "permission profile's [network] enabled) is not allowed by "
                                                     f"{system / 'requirements.toml'} (allow_network_access = false)")
    profile = 'default_permissions = "open"\n[permissions.open]\nextends = ":workspace"\n[permissions.open.network]\nenabled = true\n'
    assert "network access for commands" in refusal(home, system, work, profile)
    assert isinstance(load(home, system, work, sandbox_mode="read-only").sandbox_policy, ReadOnly)  # controls
    assert isinstance(load(home, system, work, "[sandbox_workspace_write]\nnetwork_access = false\n").sandbox_policy,
                      WorkspaceWrite)


def test_violating_default_picks_the_first_allowed_value_and_says_so(home: Path, system: Path, work: Path) -> None:
    (system / "requirements.toml").write_text('allowed_sandbox_modes = ["read-only"]\nallowed_approval_policies = ["untrusted"]\n')
    config = load(home, system, work)
    assert (config.sandbox_mode, config.approval_policy) == ("read-only", "untrusted")
    assert any("the default 'workspace-write' is not allowed" in w for w in config.warnings)
    assert any("the default 'on-request' is not allowed" in w for w in config.warnings)


def test_models_and_providers_are_checked(home: Path, system: Path, work: Path) -> None:
    (system / "requirements.toml").write_text('allowed_model_providers = ["ollama"]\nallowed_models = ["gpt-oss:20b"]\n')
    assert "model_provider 'openai' is not allowed by" in refusal(home, system, work, model_provider="openai")
    assert "model 'gpt-5' is not allowed by" in refusal(home, system, work, model="gpt-5")
    config = load(home, system, work)  # control: the defaults move to the allowed provider and model
    assert (config.model_provider_id, config.model) == ("ollama", "gpt-oss:20b")
    with pytest.raises(ConfigError, match="model 'gpt-5' is not allowed"):
        config.with_overrides(model="gpt-5")


def test_mcp_allowlist_refuses_unknown_servers(home: Path, system: Path, work: Path) -> None:
    (system / "requirements.toml").write_text(
        '[mcp_servers.docs]\ncommand = "docs-server"\n\n[mcp_servers.web]\nurl = "http://127.0.0.1:9/mcp"\n'
        "allow_network_access = false\n".replace("allow_network_access = false\n", ""))
    user = ('[mcp_servers.docs]\ncommand = "docs-server"\n'          # control: name and identity match
            '[mcp_servers.evil]\ncommand = "docs-server"\n'          # attack: another name
            '[mcp_servers.web]\nurl = "http://127.0.0.1:9/other"\n')  # attack: another identity
    config = load(home, system, work, user)
    enabled = {s.name: s.enabled for s in config.mcp_servers}
    assert enabled == {"docs": True, "evil": False, "web": False}
    assert [name for name, _ in config.mcp_refused] == ["evil", "web"]
    assert any("MCP server 'evil' (command 'docs-server') is not allowed by" in w and "not started" in w
               for w in config.warnings)


def test_mcp_network_and_unsandboxed_servers_need_network_access(home: Path, system: Path, work: Path) -> None:
    (system / "requirements.toml").write_text("allow_network_access = false\n")
    user = ('[mcp_servers.a]\ncommand = "a"\nnetwork = true\n[mcp_servers.b]\ncommand = "b"\nsandbox = false\n'
            '[mcp_servers.c]\ncommand = "c"\n')
    config = load(home, system, work, user)
    assert {s.name: s.enabled for s in config.mcp_servers} == {"a": False, "b": False, "c": True}
    assert "MCP server 'b' with sandbox = false is not allowed by" in dict(config.mcp_refused)["b"]


# ------------------------------------------------------------------ the session holds them

async def test_session_refuses_overrides_from_its_held_requirements(home: Path, system: Path, work: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.core.session import Session

    (system / "requirements.toml").write_text(REQUIRE, encoding="utf-8")
    config = load(home, system, work)
    (system / "requirements.toml").unlink()  # tampering after the start changes nothing
    monkeypatch.setenv("KERNEL_AGENT_SYSTEM_DIR", str(work))

    class NoClient:
        async def aclose(self) -> None:
            pass

    session = Session(config, NoClient())  # type: ignore[arg-type]
    stream = session.events()
    await stream.next()
    sub = session.submit(ops.OverrideTurnContext(approval_policy="never"))
    event = await stream.next()
    assert event.id == sub and isinstance(event.msg, ev.Error)
    assert event.msg.message.startswith("approval_policy 'never' is not allowed by")
    assert session.turn_settings.approval_policy == "on-request"
    session.submit(ops.OverrideTurnContext(approval_policy="untrusted"))  # control
    assert session.turn_settings.approval_policy == "untrusted"
    sub = session.submit(ops.UserTurn(items=[{"type": "text", "text": "hi"}], approval_policy="never"))
    first, second = await stream.next(), await stream.next()
    assert isinstance(first.msg, ev.Error) and second.msg.type == "task_complete" and not session.running
    await session.shutdown()


# ------------------------------------------------------------------ allow_user_login = false

def test_user_keys_are_not_used_when_login_is_forbidden(home: Path, system: Path, work: Path) -> None:
    from agent.client.errors import MissingApiKey
    from agent.core.auth import resolve_api_key, save_api_key

    save_api_key(home, "sk-user-stored-0123456789")
    env = {"OPENAI_API_KEY": "sk-user-env-0123456789", "KERNEL_AGENT_API_KEY": "sk-user-agent-0123456789",
           "CORP_KEY": "sk-admin-0123456789"}
    (system / "requirements.toml").write_text("allow_user_login = false\n")
    config = load(home, system, work)  # the built-in openai provider: the user's own keys only
    with pytest.raises(MissingApiKey, match="allow_user_login = false.*not supplied by the managed configuration"):
        resolve_api_key(config.model_provider_id, config.model_provider, home, env, **config.key_rules())
    (system / "managed_config.toml").write_text(MANAGED)  # control: the managed provider's env_key is used
    config = load(home, system, work)
    assert resolve_api_key(config.model_provider_id, config.model_provider, home, env, **config.key_rules()) \
        == "sk-admin-0123456789"
    (system / "requirements.toml").write_text("")  # control: without the requirement the user's key wins
    config = load(home, system, work, 'model_provider = "corp"\n')
    assert resolve_api_key("openai", config.model_providers["openai"], home, env, **config.key_rules()) \
        == "sk-user-agent-0123456789"


async def test_refused_mcp_servers_say_why_in_agent_mcp_and_given_servers_are_checked(
        home: Path, system: Path, work: Path) -> None:
    from agent.core.api import add_mcp_servers, mcp_servers
    from agent.core.session import Session

    (system / "requirements.toml").write_text('[mcp_servers.docs]\ncommand = "docs-server"\n')
    config = load(home, system, work, '[mcp_servers.evil]\ncommand = "evil-server"\nenabled = false\n')

    class NoClient:
        async def aclose(self) -> None:
            pass

    session = Session(config, NoClient())  # type: ignore[arg-type]
    [view] = mcp_servers(session)
    assert view.state == "disabled" and view.error.startswith("MCP server 'evil' (command 'evil-server') is not allowed by")
    await session.shutdown()
    given, notices = add_mcp_servers(config, [{"name": "other", "command": "other-server"},
                                              {"name": "docs", "command": "docs-server"}])
    assert {s.name: s.enabled for s in given.mcp_servers} == {"docs": True, "evil": False, "other": False}
    assert any(n.startswith("MCP server 'other' (command 'other-server') is not allowed by") for n in notices)
    assert not any("'docs'" in n for n in notices)  # control: the allowlisted server is used


def test_a_permission_profile_is_checked_by_the_kind_of_its_policy(home: Path, system: Path, work: Path) -> None:
    (system / "requirements.toml").write_text('allowed_sandbox_modes = ["read-only"]\n')
    message = refusal(home, system, work, 'default_permissions = ":workspace"\n')
    assert message.startswith("sandbox mode 'workspace-write' is not allowed by")  # not silently replaced
    config = load(home, system, work, 'default_permissions = ":read-only"\n')  # control
    assert isinstance(config.sandbox_policy, ReadOnly) and not config.warnings
