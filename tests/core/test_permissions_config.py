"""`default_permissions` + `[permissions.<name>]` -> the session's sandbox policy and hidden
paths (agent.core.config.permissions), and every refusal as one line naming the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agent.core.config import CliOverrides, Config, ConfigError, load_config
from agent.core.config.permissions import session_enforcement
from agent.core.errors import SetupError
from agent.protocol.policy import DangerFullAccess, ReadOnly, WorkspaceWrite

ENV = {"HOME": "/home/someone"}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def load(home: Path, work: Path, text: str, **cli) -> Config:
    (home / "config.toml").write_text(text, encoding="utf-8")
    cli.setdefault("cwd", str(work))
    return load_config(CliOverrides(**cli), home=home, env=ENV)


def refusal(home: Path, work: Path, text: str, **cli) -> str:
    with pytest.raises(ConfigError) as caught:
        load(home, work, text, **cli)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


@pytest.mark.parametrize("name, policy", [(":read-only", ReadOnly()), (":workspace", WorkspaceWrite()),
                                          (":danger-full-access", DangerFullAccess())])
def test_builtin_profiles(home, work, name, policy):
    config = load(home, work, f'default_permissions = "{name}"')
    assert config.sandbox_policy == policy and config.sandbox_mode == policy.type
    assert config.permission_profile == name and config.permission_denied_paths == ()


def test_sandbox_mode_keeps_working_without_a_profile(home, work):
    config = load(home, work, 'sandbox_mode = "read-only"')
    assert config.sandbox_policy == ReadOnly() and config.permission_profile is None


def test_named_profile_on_the_workspace_base(home, work):
    config = load(home, work, '''
default_permissions = "data"
[permissions.data]
extends = ":workspace"
[permissions.data.filesystem]
"~/datasets" = "read"
"${cwd}/secrets" = "none"
"/scratch" = "write"
":project_roots" = { "." = "write", ".env" = "none", "out/" = "write" }
[permissions.data.network]
enabled = true
''')
    cwd = str(work.resolve())
    assert config.sandbox_policy == WorkspaceWrite(writable_roots=("/scratch", cwd, f"{cwd}/out"), network_access=True)
    assert config.permission_profile == "data"
    assert config.permission_denied_paths == (f"{cwd}/secrets", f"{cwd}/.env")
    assert set(config.permission_denied_paths) <= set(config.sandbox_hidden_paths)


def test_read_only_base_grants_only_the_listed_paths(home, work):
    """Codex: `:read-only` + write grants only those paths; the cwd and /tmp stay read-only."""
    config = load(home, work, 'default_permissions = "p"\n[permissions.p.filesystem]\n"/scratch" = "write"\n')
    assert config.sandbox_policy == WorkspaceWrite(writable_roots=("/scratch",), include_cwd=False,
                                                   exclude_slash_tmp=True, exclude_tmpdir_env_var=True)
    plain = load(home, work, 'default_permissions = "p"\n[permissions.p]\n')
    assert plain.sandbox_policy == ReadOnly()


def test_read_of_the_cwd_makes_it_read_only_on_the_workspace_base(home, work):
    config = load(home, work, 'default_permissions = "p"\n[permissions.p]\nextends = ":workspace"\n'
                              '[permissions.p.filesystem]\n":project_roots" = { "." = "read" }\n":slash_tmp" = "read"\n')
    assert config.sandbox_policy == WorkspaceWrite(include_cwd=False, exclude_slash_tmp=True)


def test_profile_from_a_config_profile(home, work):
    config = load(home, work, 'profile = "locked"\n[profiles.locked]\ndefault_permissions = ":read-only"\n')
    assert config.sandbox_policy == ReadOnly() and config.permission_profile == ":read-only"


@pytest.mark.parametrize("text, cli", [
    ('default_permissions = ":workspace"\nsandbox_mode = "read-only"', {}),
    ('default_permissions = ":workspace"', {"sandbox_mode": "read-only"}),
    ('default_permissions = ":workspace"\n[sandbox_workspace_write]\nnetwork_access = true', {}),
    ('default_permissions = ":workspace"\nprofile = "x"\n[profiles.x]\nsandbox_mode = "read-only"', {}),
])
def test_both_sandbox_mode_and_default_permissions_is_an_error(home, work, text, cli):
    assert "set either default_permissions or sandbox_mode, not both" in refusal(home, work, text, **cli)


@pytest.mark.parametrize("text, expected", [
    ('default_permissions = "nope"\n[permissions.data]\n',
     "unknown permission profile 'nope' for 'default_permissions' (known profiles: :read-only, :workspace, "
     ":danger-full-access, data)"),
    ('default_permissions = "p"\n[permissions.p]\nextends = ":danger-full-access"\n', "'permissions.p.extends'"),
    ('default_permissions = "p"\n[permissions.p]\nextends = ":minimal"\n', "allow-list is not supported"),
    ('default_permissions = "p"\n[permissions.p.filesystem]\n":root" = "none"\n', "allow-list is not supported"),
    ('default_permissions = "p"\n[permissions.p.filesystem]\n"/" = "none"\n', "allow-list is not supported"),
    ('default_permissions = "p"\n[permissions.p.filesystem]\n"relative/x" = "none"\n', "must be absolute"),
    ('default_permissions = "p"\n[permissions.p.filesystem]\n"${HOME}/x" = "none"\n', "only ~ and ${cwd}"),
    ('default_permissions = "p"\n[permissions.p.filesystem]\n"/x" = "rw"\n',
     "invalid value for 'permissions.p.filesystem.\"/x\"': 'rw' (expected one of: read, write, none)"),
    ('default_permissions = "p"\n[permissions.p.filesystem]\n":weird" = "read"\n', "unknown special path"),
    ('default_permissions = "p"\n[permissions.p.filesystem]\n":project_roots" = { "../up" = "write" }\n', "without '..'"),
    ('default_permissions = "p"\n[permissions.p]\ncolour = 1\n', "unknown key 'permissions.p.colour'"),
    ('default_permissions = "p"\n[permissions.p.network]\nproxy = true\n', "unknown key 'permissions.p.network.proxy'"),
    ('default_permissions = "p"\n[permissions.p]\nextends = ":workspace"\n[permissions.p.filesystem]\n"${cwd}" = "none"\n',
     "contains the writable root"),
    ('default_permissions = "p"\n[permissions.p.filesystem]\n"/data" = "write"\n"/data/ro" = "read"\n',
     "a read-only part of a writable root is not supported"),
])
def test_bad_profiles_are_refused_naming_the_key(home, work, text, expected):
    assert expected in refusal(home, work, text)


def test_landlock_refuses_denied_paths_and_none_warns(home, work):
    config = load(home, work, 'default_permissions = "p"\n[permissions.p]\nextends = ":workspace"\n'
                              '[permissions.p.filesystem]\n"${cwd}/secrets" = "none"\n')
    with pytest.raises(SetupError, match=r"denies .*/secrets, but the Landlock sandbox cannot hide"):
        session_enforcement(config, "landlock")
    assert "every command asks for your approval" in session_enforcement(config, "none")
    assert "does not exist yet" in session_enforcement(config, "bubblewrap")
    (work / "secrets").mkdir()
    assert session_enforcement(config, "bubblewrap") is None
    assert session_enforcement(load(home, work, 'default_permissions = ":workspace"'), "landlock") is None


def test_status_names_the_profile(home, work):
    (home / "config.toml").write_text('default_permissions = ":read-only"\n')
    env = {**ENV, "KERNEL_AGENT_HOME": str(home), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "agent", "status", "-C", str(work)], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "read-only (permission profile :read-only)" in result.stdout
