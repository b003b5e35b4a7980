"""shell_environment_policy (spec §10.3) and the network markers (§6.1)."""

from __future__ import annotations

from agent.exec.env import command_env

BASE = {
    "HOME": "/root", "PATH": "/usr/bin", "USER": "me", "LANG": "C.UTF-8", "TMPDIR": "/tmp/x",
    "OPENAI_API_KEY": "sk-1", "github_token": "t", "MY_SECRET_VALUE": "s", "Keyring": "k", "EDITOR": "vi",
}


def test_default_excludes_key_secret_token_case_insensitively():
    env = command_env(BASE, network_disabled=False)
    assert set(env) == {"HOME", "PATH", "USER", "LANG", "TMPDIR", "EDITOR"}
    assert BASE["OPENAI_API_KEY"] == "sk-1", "base is not modified"


def test_ignore_default_excludes():
    assert command_env(BASE, ignore_default_excludes=True, network_disabled=False) == BASE


def test_inherit_core_and_none():
    assert set(command_env(BASE, inherit="core", network_disabled=False)) == {"HOME", "PATH", "USER", "TMPDIR"}
    assert command_env(BASE, inherit="none", network_disabled=False) == {}


def test_exclude_set_include_only_order():
    env = command_env(BASE, exclude=["ed*", "lang"], set={"NEW": "1", "EDITOR": "nano"}, network_disabled=False)
    assert env["EDITOR"] == "nano" and "LANG" not in env and env["NEW"] == "1"
    only = command_env(BASE, set=[("PATH_EXTRA", "x")], include_only=["path*", "HOME"], network_disabled=False)
    assert only == {"HOME": "/root", "PATH": "/usr/bin", "PATH_EXTRA": "x"}
    overridden = command_env(BASE, set={"API_TOKEN": "explicit"}, network_disabled=False)
    assert overridden["API_TOKEN"] == "explicit", "set is applied after the excludes"


def test_network_markers_added_last():
    env = command_env(BASE, inherit="none", include_only=["NOTHING"], network_disabled=True)
    assert env == {"KERNEL_AGENT_SANDBOX_NETWORK_DISABLED": "1", "CODEX_SANDBOX_NETWORK_DISABLED": "1"}
    assert "CODEX_SANDBOX_NETWORK_DISABLED" not in command_env({}, network_disabled=False)


def test_secret_values_are_scrubbed_whatever_the_name():
    """Invariant: a variable whose value contains a Jupyter key never reaches a command,
    even under an innocent name, with ignore_default_excludes, or set explicitly."""
    base = {"HMAC": "abc-KEY123-def", "SAFE": "ok", "PATH": "/bin"}
    env = command_env(base, ignore_default_excludes=True, set={"EXTRA": "KEY123"}, network_disabled=False,
                      secret_values=["KEY123", ""])
    assert env == {"SAFE": "ok", "PATH": "/bin"}
