"""`login`, `login status`, `logout` run for real in a subprocess (agent.frontends.cli.auth_commands).

The commands are mounted on a minimal argparse harness built from `add_auth_commands`,
so these tests do not depend on the full `kernel-agent` entry point.
"""

from __future__ import annotations

import json
import os
import select
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
MASKED = "sk-proj-***56789"

HARNESS = """
import argparse, sys
from agent.frontends.cli.auth_commands import add_auth_commands
parser = argparse.ArgumentParser(prog="kernel-agent")
parser.add_argument("--home")
add_auth_commands(parser.add_subparsers(dest="command", required=True))
args = parser.parse_args()
sys.exit(args.func(args))
"""


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "KERNEL_AGENT_API_KEY")}
    env["KERNEL_AGENT_HOME"] = str(home)
    env.update(extra)
    return env


def run(home: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", HARNESS, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=clean_env(home, **env),
        timeout=60,
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "agent-home"


def assert_no_key(result: subprocess.CompletedProcess[str], key: str = KEY) -> None:
    assert key not in result.stdout
    assert key not in result.stderr


def test_login_from_piped_stdin(home: Path) -> None:
    result = run(home, "login", stdin=KEY + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == ["Reading API key from stdin...", "Successfully logged in"]
    assert result.stdout == ""
    assert_no_key(result)
    path = home / "auth.json"
    assert json.loads(path.read_text()) == {"OPENAI_API_KEY": KEY}
    assert mode(path) == 0o600
    assert mode(home) == 0o700


def test_login_with_api_key_stdin_flag_reads_one_line(home: Path) -> None:
    result = run(home, "login", "--api-key-stdin", stdin=f"  {KEY}  \nsecond line\n")
    assert result.returncode == 0, result.stderr
    assert "Reading API key from stdin..." in result.stderr
    assert json.loads((home / "auth.json").read_text()) == {"OPENAI_API_KEY": KEY}
    assert run(home, "login", "--with-api-key", stdin=KEY + "\n").returncode == 0


@pytest.mark.parametrize("stdin", ["", "\n", "   \n"])
def test_login_with_blank_key_fails(home: Path, stdin: str) -> None:
    result = run(home, "login", "--api-key-stdin", stdin=stdin)
    assert result.returncode == 1
    assert "no API key provided" in result.stderr
    assert not (home / "auth.json").exists()


def test_login_under_umask_zero(home: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import os; os.umask(0)\n" + HARNESS, "login"],
        input=KEY + "\n",
        capture_output=True,
        text=True,
        env=clean_env(home),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert mode(home / "auth.json") == 0o600
    assert mode(home) == 0o700


def test_home_argument_overrides_env(home: Path, tmp_path: Path) -> None:
    other = tmp_path / "other-home"
    assert run(home, "--home", str(other), "login", stdin=KEY + "\n").returncode == 0
    assert (other / "auth.json").exists()
    assert not home.exists()


def test_status_logged_in(home: Path) -> None:
    run(home, "login", stdin=KEY + "\n")
    result = run(home, "login", "status")
    assert result.returncode == 0
    assert result.stderr.strip() == f"Logged in using an API key - {MASKED}"
    assert_no_key(result)


def test_status_not_logged_in(home: Path) -> None:
    result = run(home, "login", "status")
    assert result.returncode == 1
    assert result.stderr.strip() == "Not logged in"


def test_status_short_key_is_fully_masked(home: Path) -> None:
    run(home, "login", stdin="sk-short\n")
    result = run(home, "login", "status")
    assert result.stderr.strip() == "Logged in using an API key - ***"
    assert "sk-short" not in result.stderr


def test_status_reports_env_keys(home: Path) -> None:
    env_key = "sk-env-0123456789abcdefghij"
    result = run(home, "login", "status", OPENAI_API_KEY=env_key)
    assert result.returncode == 0
    assert result.stderr.strip() == "Using an API key from $OPENAI_API_KEY - sk-env-0***fghij"
    assert_no_key(result, env_key)
    run(home, "login", stdin=KEY + "\n")
    result = run(home, "login", "status", OPENAI_API_KEY=env_key, KERNEL_AGENT_API_KEY="agent-key-0123456789")
    assert result.stderr.splitlines() == [
        "Using an API key from $KERNEL_AGENT_API_KEY - agent-ke***56789",
        f"Logged in using an API key - {MASKED}",
    ]
    assert_no_key(result)


def test_status_with_corrupt_file(home: Path) -> None:
    home.mkdir()
    (home / "auth.json").write_text('{"OPENAI_API_KEY": "' + KEY)
    result = run(home, "login", "status")
    assert result.returncode == 1
    assert str(home / "auth.json") in result.stderr
    assert "Traceback" not in result.stderr
    assert_no_key(result)


def test_logout(home: Path) -> None:
    run(home, "login", stdin=KEY + "\n")
    result = run(home, "logout")
    assert (result.returncode, result.stderr.strip()) == (0, "Successfully logged out")
    assert not (home / "auth.json").exists()
    result = run(home, "logout")
    assert (result.returncode, result.stderr.strip()) == (0, "Not logged in")
    assert run(home, "login", "status").returncode == 1


def _read_until(fd: int, marker: bytes, deadline: float) -> bytes:
    seen = b""
    while marker not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_login_on_a_tty_prompts_without_echo(home: Path) -> None:
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # child: stdin/stdout/stderr and the controlling terminal are the pty
        os.execve(sys.executable, [sys.executable, "-c", HARNESS, "login"], clean_env(home))
    deadline = time.monotonic() + 30
    try:
        before = _read_until(fd, b"API key: ", deadline)
        assert b"API key: " in before
        os.write(fd, KEY.encode() + b"\n")
        after = _read_until(fd, b"Successfully logged in", deadline)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    assert b"Successfully logged in" in after
    assert b"Reading API key from stdin" not in before + after
    assert KEY.encode() not in before + after, "the key must not be echoed"
    assert json.loads((home / "auth.json").read_text()) == {"OPENAI_API_KEY": KEY}
