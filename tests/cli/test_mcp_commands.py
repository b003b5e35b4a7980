"""`kernel-agent mcp list|get|add|remove`, run for real against a temporary KERNEL_AGENT_HOME."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from agent.frontends.cli.mcp_toml import TomlEditError, server_table

KEEP = 'model = "o3"  # mine\n\n[mcp_servers.keep]\ncommand = "keep-server"\nargs = ["--x"]\n\n[profiles.fast]\nmodel = "o4-mini"\n'


def cli(home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KERNEL_AGENT_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "agent.frontends.cli.main", "mcp", *argv], env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "config.toml").write_text(KEEP)
    return tmp_path


def test_add_appends_the_table_and_keeps_the_rest(home):
    out = cli(home, "add", "notes", "--env", "TOKEN=s3cret", "--network", "--", "npx", "-y", "@scope/pkg", "--flag")
    assert out.returncode == 0, out.stderr
    text = (home / "config.toml").read_text()
    assert text.startswith(KEEP)  # comments and layout untouched
    doc = tomllib.loads(text)
    assert doc["mcp_servers"]["notes"] == {"command": "npx", "args": ["-y", "@scope/pkg", "--flag"],
                                           "env": {"TOKEN": "s3cret"}, "network": True}
    assert doc["mcp_servers"]["keep"] == {"command": "keep-server", "args": ["--x"]}


def test_a_new_config_file_is_private(tmp_path):
    home = tmp_path / "new-home"
    assert cli(home, "add", "x", "--no-sandbox", "--", "srv").returncode == 0
    assert stat.S_IMODE((home / "config.toml").stat().st_mode) == 0o600
    assert tomllib.loads((home / "config.toml").read_text()) == {"mcp_servers": {"x": {"command": "srv", "args": [], "sandbox": False}}}


def test_existing_names_need_replace(home):
    refused = cli(home, "add", "keep", "--", "other")
    assert refused.returncode == 1 and "already exists" in refused.stderr and "--replace" in refused.stderr
    assert (home / "config.toml").read_text() == KEEP
    assert cli(home, "add", "keep", "--replace", "--", "other", "a").returncode == 0
    doc = tomllib.loads((home / "config.toml").read_text())
    assert doc["mcp_servers"]["keep"] == {"command": "other", "args": ["a"]} and doc["profiles"]["fast"]["model"] == "o4-mini"


@pytest.mark.parametrize("argv, message", [
    (["add", "bad.name", "--", "x"], "invalid server name 'bad.name'"),
    (["add", "x", "--env", "NOEQUALS", "--", "x"], "--env expects KEY=VALUE"),
    (["add", "x", "--env", "A B=1", "--", "x"], "--env expects KEY=VALUE"),
    (["remove", "missing"], "no MCP server named 'missing'"),
    (["get", "missing"], "no MCP server named 'missing'"),
])
def test_bad_input_is_one_line_and_changes_nothing(home, argv, message):
    out = cli(home, *argv)
    assert out.returncode == 1 and message in out.stderr and out.stderr.count("\n") == 1, out.stderr
    assert (home / "config.toml").read_text() == KEEP


def test_remove_drops_only_that_table(home):
    assert cli(home, "add", "extra", "--env", "K=V", "--", "x").returncode == 0
    assert cli(home, "remove", "keep").returncode == 0
    text = (home / "config.toml").read_text()
    assert text.startswith('model = "o3"  # mine\n') and "keep-server" not in text
    assert sorted(tomllib.loads(text)["mcp_servers"]) == ["extra"]


def test_an_inline_table_is_left_for_the_user(tmp_path):
    original = 'mcp_servers = { keep = { command = "k" } }\n'
    (tmp_path / "config.toml").write_text(original)
    for argv in (["remove", "keep"], ["add", "new", "--", "n"]):
        out = cli(tmp_path, *argv)
        assert out.returncode == 1 and "edit the file by hand" in out.stderr, out.stderr
    assert (tmp_path / "config.toml").read_text() == original


def test_list_and_get_mask_env_values(home):
    assert cli(home, "add", "notes", "--env", "TOKEN=s3cret-value", "--no-sandbox", "--", "srv", "--port", "1").returncode == 0
    listing = cli(home, "list")
    assert listing.returncode == 0 and "s3cret" not in listing.stdout
    assert "notes" in listing.stdout and "srv --port 1" in listing.stdout and "TOKEN=*****" in listing.stdout
    shown = cli(home, "get", "notes")
    assert "s3cret" not in shown.stdout and "TOKEN=*****" in shown.stdout and "sandbox:         off" in shown.stdout
    data = json.loads(cli(home, "get", "notes", "--json").stdout)
    assert data["env"] == {"TOKEN": "*****"} and data["args"] == ["--port", "1"] and data["enabled_tools"] is None
    assert [s["name"] for s in json.loads(cli(home, "list", "--json").stdout)] == ["keep", "notes"]


def test_the_writer_escapes_what_toml_needs():
    nasty = 'q"b\\s\nnew\ttab\x7f\x01 ü'
    table = {"command": nasty, "args": [nasty, ""], "env": {"K": nasty}, "sandbox": True}
    assert tomllib.loads(server_table("n", table))["mcp_servers"]["n"] == table
    with pytest.raises(TomlEditError):
        server_table("a b", {"command": "x"})
    with pytest.raises(TomlEditError):
        server_table("n", {"command": "\udcff"})


def test_list_and_get_show_an_http_servers_url_and_mask_its_headers(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('[mcp_servers.web]\nurl = "https://mcp.example.com/mcp"\n'
                                      'http_headers = { "X-Team" = "team-credential-1234" }\n')
    listing = cli(home, "list")
    assert "https://mcp.example.com/mcp" in listing.stdout and "n/a (HTTP)" in listing.stdout
    shown = cli(home, "get", "web")
    assert "url:" in shown.stdout and "team-credential" not in shown.stdout + listing.stdout
    assert json.loads(cli(home, "get", "web", "--json").stdout)["http_headers"] == {"X-Team": "*****"}
