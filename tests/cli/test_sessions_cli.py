"""`sessions`, `resume`, `fork` and `exec resume` end to end against the scripted server."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.test_exec import KEY, agent_env, json_lines, make_home
from tests.scripted_server import Reply


@pytest.fixture
def home(tmp_path, server) -> Path:
    (tmp_path / "work").mkdir()
    return make_home(tmp_path, server.url)


def agent(tmp_path: Path, home: Path, *args: str, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "agent", *args]
    return subprocess.run(cmd, env=agent_env(home), cwd=cwd or tmp_path / "work", capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, result.stderr
    return result


def conversation(request) -> list[tuple[str, str]]:
    """(role, text) of every message in a Responses request's input."""
    return [(item["role"], "".join(part.get("text", "") for part in item["content"]))
            for item in request.json["input"] if item.get("type") == "message"]


def said(request) -> list[str]:
    """The texts of the real user and assistant messages, in order."""
    return [text for role, text in conversation(request) if role in ("user", "assistant") and not text.startswith("<")]


def rollouts(home: Path) -> list[Path]:
    return sorted((home / "sessions").rglob("rollout-*.jsonl"))


def first_exec(tmp_path: Path, home: Path, server, prompt: str = "first prompt", answer: str = "first answer") -> str:
    server.enqueue(Reply(text=answer))
    lines = json_lines(ok(agent(tmp_path, home, "exec", "--json", prompt)).stdout)
    return lines[0]["thread_id"]


def test_exec_resume_last_and_resume_id_continue_the_same_file(tmp_path, home, server):
    sid = first_exec(tmp_path, home, server)
    [path] = rollouts(home)
    size = path.stat().st_size
    listing = ok(agent(tmp_path, home, "sessions")).stdout
    assert re.fullmatch(rf"{sid}  \d{{4}}-\d{{2}}-\d{{2}} \d{{2}}:\d{{2}}  first prompt\n", listing)

    server.enqueue(Reply(text="second answer"))
    result = ok(agent(tmp_path, home, "exec", "resume", "--last", "second"))
    assert result.stdout == "second answer\n" and f"session: {sid}" in result.stderr
    assert said(server.requests[1]) == ["first prompt", "first answer", "second"]
    assert rollouts(home) == [path] and path.stat().st_size > size

    server.enqueue(Reply(text="third answer"))
    lines = json_lines(ok(agent(tmp_path, home, "resume", sid[:8], "third", "--json")).stdout)
    assert lines[0] == {"type": "thread.started", "thread_id": sid} and lines[-1]["type"] == "turn.completed"
    assert said(server.requests[2]) == ["first prompt", "first answer", "second", "second answer", "third"]
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["type"] for r in records].count("session_meta") == 1 and rollouts(home) == [path]
    history = [json.loads(line) for line in (home / "history.jsonl").read_text().splitlines()]
    assert [(h["session_id"], h["text"]) for h in history] == [(sid, "first prompt"), (sid, "second"), (sid, "third")]
    assert KEY not in path.read_text() + (home / "history.jsonl").read_text()


def test_sessions_filters_by_directory_and_prints_json(tmp_path, home, server):
    sid = first_exec(tmp_path, home, server, prompt="hello\nmore lines")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = ok(agent(tmp_path, home, "sessions", cwd=elsewhere))
    assert result.stdout == "" and "No recorded sessions" in result.stderr
    assert sid in ok(agent(tmp_path, home, "sessions", "--all", cwd=elsewhere)).stdout
    rows = json.loads(ok(agent(tmp_path, home, "sessions", "--all", "--json", cwd=elsewhere)).stdout)
    assert len(rows) == 1
    row = rows[0]
    assert set(row) == {"id", "path", "created", "updated", "cwd", "first_user_message", "model_provider"}
    assert row["id"] == sid and row["first_user_message"] == "hello" and row["model_provider"] == "scripted"
    assert row["cwd"] == str((tmp_path / "work").resolve()) and Path(row["path"]) == rollouts(home)[0]
    assert json.loads(ok(agent(tmp_path, home, "sessions", "--json", cwd=elsewhere)).stdout) == []


def test_fork_at_1_keeps_the_history_before_the_second_message(tmp_path, home, server):
    sid = first_exec(tmp_path, home, server)
    server.enqueue(Reply(text="second answer"))
    ok(agent(tmp_path, home, "exec", "resume", sid, "second"))
    [source] = rollouts(home)

    forked = ok(agent(tmp_path, home, "fork", sid, "--at", "1"))
    new_id = forked.stdout.strip()
    assert re.fullmatch(r"[0-9a-f-]{36}", new_id) and new_id != sid
    assert len(rollouts(home)) == 2
    server.enqueue(Reply(text="forked answer"))
    lines = json_lines(ok(agent(tmp_path, home, "resume", new_id, "after the fork", "--json")).stdout)
    assert lines[0]["thread_id"] == new_id
    assert said(server.requests[2]) == ["first prompt", "first answer", "after the fork"]

    server.enqueue(Reply(text="whole copy"))
    result = ok(agent(tmp_path, home, "fork", sid, "continue the whole thing"))
    assert result.stdout == "whole copy\n" and f"forked {sid} -> " in result.stderr
    assert said(server.requests[3]) == ["first prompt", "first answer", "second", "second answer", "continue the whole thing"]
    assert len(rollouts(home)) == 3 and source.read_text().count('"type":"response_item"') == 5


def test_resume_without_a_prompt_prints_the_transcript(tmp_path, home, server):
    sid = first_exec(tmp_path, home, server)
    result = ok(agent(tmp_path, home, "resume", "--last"))
    assert "user\nfirst prompt" in result.stdout and "agent\nfirst answer" in result.stdout
    assert f"session: {sid}" in result.stdout and len(server.requests) == 1


def test_resume_with_another_model_warns(tmp_path, home, server):
    first_exec(tmp_path, home, server)
    server.enqueue(Reply(text="ok"))
    lines = json_lines(ok(agent(tmp_path, home, "exec", "resume", "--last", "-m", "o3", "--json", "again")).stdout)
    warnings = [line["item"]["message"] for line in lines if line.get("item", {}).get("type") == "error"]
    assert warnings == ["This session was recorded with model `gpt-5.1-codex` but is resuming with `o3`. "
                        "Consider switching back to `gpt-5.1-codex` as it may affect kernel-agent's performance."]
    assert server.requests[1].json["model"] == "o3"


def test_unknown_session_and_missing_arguments_fail_cleanly(tmp_path, home, server):
    result = agent(tmp_path, home, "resume", "ffffffff", "hi")
    assert result.returncode == 1 and result.stderr.strip() == "Error: no recorded session matches 'ffffffff'"
    assert agent(tmp_path, home, "resume").returncode == 2
    result = agent(tmp_path, home, "exec", "resume", "--last", "hi")
    assert result.returncode == 1 and "no recorded session" in result.stderr
    assert not server.requests


def test_a_killed_exec_resumes_with_what_it_recorded(tmp_path, home, server):
    server.enqueue(Reply(text="this reply stalls forever", stall_after=3, stall_seconds=60))
    proc = subprocess.Popen([sys.executable, "-m", "agent", "exec", "the prompt before the crash"], env=agent_env(home),
                            cwd=tmp_path / "work", stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        server.wait_for_requests(1, timeout=20)
        time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    [path] = rollouts(home)
    assert "the prompt before the crash" in ok(agent(tmp_path, home, "sessions")).stdout
    server.enqueue(Reply(text="back again"))
    result = ok(agent(tmp_path, home, "exec", "resume", "--last", "continue"))
    assert result.stdout == "back again\n"
    assert said(server.requests[1]) == ["the prompt before the crash", "continue"]
    assert rollouts(home) == [path]


@pytest.mark.parametrize("words", [
    ["exec", "--json", "resume", "--last", "{prompt}"],
    ["exec", "--json", "resume", "{sid}", "{prompt}"],
    ["exec", "resume", "--last", "--json", "{prompt}"],
    ["exec", "resume", "{sid}", "--json", "{prompt}"],
    ["exec", "--json", "-m", "gpt-5.1-codex", "resume", "{sid}", "-c", "hide_agent_reasoning=true", "{prompt}"],
])
def test_exec_resume_takes_options_before_or_after_the_subcommand(tmp_path, home, server, words):
    """Invariant (issue 9, item 11): `exec` options work before or after `resume` and
    between its positional arguments, as in Codex. Control: the plain `exec PROMPT` form."""
    sid = first_exec(tmp_path, home, server)
    server.enqueue(Reply(text="again"))
    argv = [word.format(sid=sid, prompt="continue please") for word in words]
    lines = json_lines(ok(agent(tmp_path, home, *argv)).stdout)
    assert lines[0] == {"type": "thread.started", "thread_id": sid} and lines[-1]["type"] == "turn.completed"
    assert said(server.requests[-1])[-1] == "continue please"
    assert len(rollouts(home)) == 1
