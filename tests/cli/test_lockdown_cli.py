"""`kernel-agent status` shows the admin's lock-down; `kernel-agent exec -a/-s/-m` values a
requirement or managed key forbids are refused in one line (real subprocesses)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.cli.test_exec import make_home, run_exec
from tests.scripted_server import Reply

REQUIRE = 'allowed_approval_policies = ["untrusted", "on-request"]\nallowed_sandbox_modes = ["read-only", "workspace-write"]\n'


def system_dir(tmp_path: Path, monkeypatch, managed: str = "", requirements: str = REQUIRE) -> Path:
    folder = tmp_path / "system"
    folder.mkdir()
    (folder / "managed_config.toml").write_text(managed)
    (folder / "requirements.toml").write_text(requirements)
    monkeypatch.setenv("KERNEL_AGENT_SYSTEM_DIR", str(folder))  # run_exec's env copies os.environ
    return folder


def test_status_shows_managed_keys_and_requirements(tmp_path, server, monkeypatch):
    folder = system_dir(tmp_path, monkeypatch, managed='model = "gpt-admin"\n')
    home = make_home(tmp_path, server.url)
    (home / "config.toml").write_text((home / "config.toml").read_text().replace("gpt-5.1-codex", "gpt-admin"))
    env = {**os.environ, "KERNEL_AGENT_HOME": str(home)}
    out = subprocess.run([sys.executable, "-m", "agent", "status"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert f"managed:         model ({folder / 'managed_config.toml'})" in out.stdout
    assert (f"requirements:    approval policies untrusted, on-request; sandbox modes read-only, workspace-write "
            f"({folder / 'requirements.toml'})") in out.stdout


def test_exec_refuses_a_forbidden_policy_and_runs_an_allowed_one(tmp_path, server, monkeypatch):
    folder = system_dir(tmp_path, monkeypatch)
    home = make_home(tmp_path, server.url)
    result = run_exec(tmp_path, home, "-a", "never", "hello")
    assert result.returncode == 1
    assert (f"approval_policy 'never' is not allowed by {folder / 'requirements.toml'} "
            '(allowed_approval_policies = ["untrusted", "on-request"])') in result.stderr
    assert "Traceback" not in result.stderr and server.requests == []
    result = run_exec(tmp_path, home, "-s", "danger-full-access", "hello")
    assert result.returncode == 1 and "sandbox mode 'danger-full-access' is not allowed by" in result.stderr
    server.enqueue(Reply(text="All done."))  # control: an allowed policy runs the turn
    result = run_exec(tmp_path, home, "-a", "on-request", "hello")
    assert result.returncode == 0, result.stderr
    assert "All done." in result.stdout


def test_exec_refuses_changing_a_managed_model(tmp_path, server, monkeypatch):
    folder = system_dir(tmp_path, monkeypatch, managed='model = "gpt-5.1-codex"\n', requirements="")
    home = make_home(tmp_path, server.url)
    result = run_exec(tmp_path, home, "-m", "gpt-4.1", "hello")
    assert result.returncode == 1
    assert (f"'model' is managed by {folder / 'managed_config.toml'} (value 'gpt-5.1-codex'); "
            "it cannot be changed") in result.stderr
    server.enqueue(Reply(text="Same model."))  # control: the managed value itself is fine
    result = run_exec(tmp_path, home, "-m", "gpt-5.1-codex", "hello")
    assert result.returncode == 0, result.stderr


def test_login_is_refused_when_the_admin_forbids_it(tmp_path, monkeypatch):
    home = tmp_path / "home"
    system_dir(tmp_path, monkeypatch, requirements="allow_user_login = false\n")
    env = {**os.environ, "KERNEL_AGENT_HOME": str(home)}
    login = [sys.executable, "-m", "agent", "login"]
    out = subprocess.run(login, env=env, input="sk-user-0123456789abcdef\n", capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and not (home / "auth.json").exists()
    assert "logging in with your own key is not allowed by" in out.stderr and "(allow_user_login = false)" in out.stderr
    (tmp_path / "system" / "requirements.toml").write_text("allow_user_login = true\n")  # control
    out = subprocess.run(login, env=env, input="sk-user-0123456789abcdef\n", capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert (home / "auth.json").exists()
