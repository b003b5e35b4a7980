"""`[mcp_servers.<name>]` in config.toml and profiles (spec §11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.core.config import CliOverrides, ConfigError, load_config
from agent.core.config.schema import McpServer


def load(tmp_path: Path, text: str, **cli):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(text)
    return load_config(CliOverrides(cwd=tmp_path, **cli), home=home, env={})


def test_no_servers_by_default(tmp_path):
    assert load(tmp_path, "").mcp_servers == ()


def test_a_stdio_server_with_every_key(tmp_path):
    config = load(tmp_path, """
[mcp_servers.time]
command = "mcp-server-time"
args = ["--local-timezone", "UTC"]
env = { TOKEN = "s3cret", A = "1" }
env_vars = ["LANG"]
cwd = "sub"
enabled_tools = ["get_current_time"]
disabled_tools = ["convert_time"]
startup_timeout_sec = 5
tool_timeout_sec = 2.5
sandbox = false
network = true
""")
    assert config.mcp_servers == (McpServer(
        name="time", command="mcp-server-time", args=("--local-timezone", "UTC"), env=(("A", "1"), ("TOKEN", "s3cret")),
        env_vars=("LANG",), cwd=str(tmp_path / "sub"), enabled_tools=("get_current_time",),
        disabled_tools=("convert_time",), startup_timeout_sec=5.0, tool_timeout_sec=2.5, sandbox=False, network=True),)


def test_defaults_and_sorting(tmp_path):
    config = load(tmp_path, '[mcp_servers.b]\ncommand = "b"\n[mcp_servers.a]\ncommand = "a"\nenabled = false\n')
    a, b = config.mcp_servers
    assert (a.name, a.enabled, b.name, b.enabled) == ("a", False, "b", True)
    assert (b.startup_timeout_sec, b.tool_timeout_sec, b.sandbox, b.network, b.enabled_tools) == (30.0, 120.0, True, False, None)


def test_a_streamable_http_server(tmp_path):
    config = load(tmp_path, '[mcp_servers.web]\nurl = "https://example.invalid/mcp"\nbearer_token_env_var = "T"\n'
                            'http_headers = { X-A = "1" }\nenv_http_headers = { X-Key = "KEY" }\ntool_timeout_sec = 9\n'
                            '[mcp_servers.t]\ncommand = "x"\n')
    assert not any("mcp_servers" in w for w in config.warnings)
    web = next(s for s in config.mcp_servers if s.name == "web")
    assert web == McpServer(name="web", command="", url="https://example.invalid/mcp", bearer_token_env_var="T",
                            http_headers=(("X-A", "1"),), env_http_headers=(("X-Key", "KEY"),), tool_timeout_sec=9.0)
    assert [s.name for s in config.mcp_servers] == ["t", "web"]


def test_a_profile_replaces_a_server_of_the_same_name(tmp_path):
    config = load(tmp_path, '[mcp_servers.t]\ncommand = "top"\n[profiles.p.mcp_servers.t]\ncommand = "prof"\n'
                            '[profiles.p.mcp_servers.u]\ncommand = "u"\n', profile="p")
    assert [(s.name, s.command) for s in config.mcp_servers] == [("t", "prof"), ("u", "u")]


@pytest.mark.parametrize("text,key,words", [
    ('[mcp_servers."a b"]\ncommand = "x"', "mcp_servers.a b", "allowed: letters, digits"),
    ("[mcp_servers.a]\nargs = []", "mcp_servers.a.command", "missing required key"),
    ('[mcp_servers.a]\ncommand = "x"\nurl = "http://h/mcp"', "mcp_servers.a.url", "not both"),
    ('[mcp_servers.a]\nurl = "ftp://h/mcp"', "mcp_servers.a.url", "expected an http:// or https:// URL"),
    ('[mcp_servers.a]\nurl = "not a url"', "mcp_servers.a.url", "expected an http:// or https:// URL"),
    ('[mcp_servers.a]\ncommand = "x"\nbearer_token_env_var = "T"', "mcp_servers.a.bearer_token_env_var",
     "needs 'mcp_servers.a.url'"),
    ('[mcp_servers.a]\nurl = "http://h/mcp"\nhttp_headers = { A = 1 }', "mcp_servers.a.http_headers.A",
     "expected a string"),
    ('[mcp_servers.a]\ncommand = "x"\nsandbox = "no"', "mcp_servers.a.sandbox", "expected true or false"),
    ('[mcp_servers.a]\ncommand = "x"\nstartup_timeout_sec = 0', "mcp_servers.a.startup_timeout_sec", "greater than 0"),
    ('[mcp_servers.a]\ncommand = "x"\ntransport = "sse"', "mcp_servers.a.transport", "unknown key"),
    ('[mcp_servers.a]\ncommand = "x"\nenv = { A = 1 }', "mcp_servers.a.env.A", "expected a string"),
])
def test_bad_values_name_the_file_and_key(tmp_path, text, key, words):
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    message = str(info.value)
    assert "config.toml" in message and key in message and words in message
    assert "\n" not in message and "Traceback" not in message


def test_a_bad_name_in_a_profile_names_the_profile(tmp_path):
    with pytest.raises(ConfigError, match=r"profile 'p'.*'bad\.name'"):
        load(tmp_path, '[profiles.p.mcp_servers."bad.name"]\ncommand = "x"', profile="p")


def test_http_server_credentials_are_redacted_whatever_their_names(tmp_path):
    """A header value or a token an HTTP MCP server is sent never reaches the model, even when
    its name does not look secret (`X-Team`, `TEAM_HEADER`); short harmless values are kept."""
    from agent.core.factory import mcp_header_values

    config = load(tmp_path, '[mcp_servers.web]\nurl = "http://127.0.0.1:9/mcp"\n'
                            'http_headers = { "X-Team" = "team-credential-1234", "X-Mode" = "fast" }\n'
                            'env_http_headers = { "X-Org" = "TEAM_HEADER" }\nbearer_token_env_var = "WEB_TOKEN"\n')
    env = {"TEAM_HEADER": "org-credential-5678", "WEB_TOKEN": "token-abcdefgh-9999", "OTHER": "not-a-header-value"}
    found = mcp_header_values(config, env)
    assert sorted(found) == ["org-credential-5678", "team-credential-1234", "token-abcdefgh-9999"]


def test_the_config_and_the_tools_layer_describe_a_server_with_the_same_fields():
    """core's McpServer is handed to the tools layer field by field (mcp_connections)."""
    from dataclasses import fields

    from agent.core.mcp_connections import _server_config
    from agent.tools.mcp.server_config import McpServerConfig

    assert [(f.name, f.default) for f in fields(McpServer)] == [(f.name, f.default) for f in fields(McpServerConfig)]
    server = McpServer(name="web", command="", url="https://x/mcp", http_headers=(("A", "b"),), sandbox=False)
    assert _server_config(server) == McpServerConfig(name="web", url="https://x/mcp", http_headers=(("A", "b"),), sandbox=False)
