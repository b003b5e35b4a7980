"""`kernel-agent exec` end to end: a real subprocess against the scripted model server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from agent.protocol.schema import protocol_schema
from tests.scripted_server import Fault, Reply, ToolCall

KEY = "sk-test-e2e-0123456789abcdefghij"
PLAN = {"plan": [{"step": "read the task", "status": "completed"}, {"step": "answer", "status": "in_progress"}]}


def make_home(tmp_path: Path, url: str, wire: str = "responses") -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(
        f'model = "gpt-5.1-codex"\nmodel_provider = "scripted"\n\n'
        f'[model_providers.scripted]\nname = "Scripted"\nbase_url = "{url}"\nwire_api = "{wire}"\n'
        f'env_key = "SCRIPTED_API_KEY"\nrequest_max_retries = 2\nstream_max_retries = 2\n'
    )
    return home


def agent_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper()}
    env.update(KERNEL_AGENT_HOME=str(home), SCRIPTED_API_KEY=KEY, PYTHONUNBUFFERED="1")
    return env


def run_exec(tmp_path: Path, home: Path, *args: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    cmd = [sys.executable, "-m", "agent", "exec", "-C", str(work), *args]
    return subprocess.run(cmd, env=agent_env(home), input=stdin, capture_output=True, text=True, timeout=timeout)


def json_lines(stdout: str) -> list[dict]:
    schema = protocol_schema()
    thread_line = {"$ref": "#/$defs/ThreadEventLine", "$defs": schema["$defs"]}
    lines = [json.loads(line) for line in stdout.splitlines()]
    for line in lines:
        jsonschema.validate(line, thread_line)
    return lines


def test_json_tool_loop(tmp_path, server):
    server.enqueue(Reply(reasoning="Let me plan.", tool_calls=[ToolCall("update_plan", PLAN, "call_1")]), Reply(text="All done."))
    result = run_exec(tmp_path, make_home(tmp_path, server.url), "--json", "do the thing")
    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    kinds = [line["type"] for line in lines]
    assert kinds[:2] == ["thread.started", "turn.started"]
    assert kinds[-1] == "turn.completed"
    items = [(line["type"], line["item"]["type"]) for line in lines if "item" in line]
    assert items == [
        ("item.completed", "reasoning"),
        ("item.started", "todo_list"),
        ("item.completed", "agent_message"),
        ("item.completed", "todo_list"),
    ]
    ids = [line["item"]["id"] for line in lines if "item" in line]
    assert ids == ["item_0", "item_1", "item_2", "item_1"]
    assert lines[-1]["usage"]["output_tokens"] > 0
    second = server.requests[1].json
    assert second["input"][-1] == {"type": "function_call_output", "call_id": "call_1", "output": "Plan updated"}
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in result.stdout + result.stderr


def test_chat_wire_tool_loop_and_human_output(tmp_path, server):
    server.enqueue(Reply(tool_calls=[ToolCall("update_plan", PLAN, "call_1")]), Reply(text="Finished over chat."))
    result = run_exec(tmp_path, make_home(tmp_path, server.url, wire="chat"), "plan and answer")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Finished over chat.\n"
    assert "[x] read the task" in result.stderr and "[>] answer" in result.stderr
    messages = server.requests[1].json["messages"]
    assert messages[0]["role"] == "system"
    assert messages[-1] == {"role": "tool", "tool_call_id": "call_1", "content": "Plan updated"}


def test_retried_503_then_success(tmp_path, server):
    server.enqueue(Fault(status=503, body={"error": {"message": "overloaded"}}), Reply(text="made it"))
    result = run_exec(tmp_path, make_home(tmp_path, server.url), "--json", "hi")
    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    assert any(line["type"] == "error" and "503" in line["message"] for line in lines)
    assert lines[-1]["type"] == "turn.completed"
    assert [line["item"]["text"] for line in lines if line.get("item", {}).get("type") == "agent_message"] == ["made it"]
    assert len(server.requests) == 2


def test_fatal_401_is_not_retried_and_hides_the_key(tmp_path, server):
    body = {"error": {"message": f"Incorrect API key provided: {KEY}", "type": "invalid_request_error"}}
    server.enqueue(Fault(status=401, body=body))
    result = run_exec(tmp_path, make_home(tmp_path, server.url), "--json", "hi")
    assert result.returncode == 1
    lines = json_lines(result.stdout)
    assert lines[-1]["type"] == "turn.failed"
    assert "401" in lines[-1]["error"]["message"]
    assert len(server.requests) == 1
    assert KEY not in result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: unexpected status 401")


def test_sigint_interrupts_the_turn(tmp_path, server):
    server.enqueue(Reply(text="this will stall for a long time", stall_after=3, stall_seconds=60))
    home = make_home(tmp_path, server.url)
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "agent", "exec", "-C", str(work), "--json", "stall"],
                            env=agent_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        server.wait_for_requests(1, timeout=20)
        time.sleep(0.3)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=10)
        elapsed = time.monotonic() - started
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert elapsed < 3, elapsed
    lines = json_lines(stdout)
    assert lines[-1] == {"type": "turn.failed", "error": {"message": "turn aborted: interrupted"}}


def test_prompt_from_stdin_output_file_and_schema(tmp_path, server):
    schema_file = tmp_path / "schema.json"
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"], "additionalProperties": False}
    schema_file.write_text(json.dumps(schema))
    server.enqueue(Reply(text='{"answer": "42"}'))
    out_file = tmp_path / "last.txt"
    result = run_exec(tmp_path, make_home(tmp_path, server.url), "--output-schema", str(schema_file),
                      "-o", str(out_file), "-", stdin="what is the answer?")
    assert result.returncode == 0, result.stderr
    assert out_file.read_text() == '{"answer": "42"}'
    body = server.requests[0].json
    assert body["text"]["format"]["schema"] == schema and body["text"]["format"]["strict"] is True
    assert body["input"][-1]["content"][0]["text"] == "what is the answer?"


def test_missing_key_and_bad_config_fail_with_one_line(tmp_path, server):
    home = make_home(tmp_path, server.url)
    env = agent_env(home)
    env.pop("SCRIPTED_API_KEY")
    result = subprocess.run([sys.executable, "-m", "agent", "exec", "hi"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: Missing environment variable: `SCRIPTED_API_KEY`."
    (home / "config.toml").write_text('modle = "x"\n')
    result = run_exec(tmp_path, home, "hi")
    assert result.returncode == 1 and "modle" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_status_shows_provider_and_masked_key(tmp_path, server):
    home = make_home(tmp_path, server.url)
    result = subprocess.run([sys.executable, "-m", "agent", "status"], env=agent_env(home), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "scripted" in result.stdout and "gpt-5.1-codex" in result.stdout
    assert "sk-test-***" in result.stdout.replace("sk-test-e***", "sk-test-***") or "***" in result.stdout
    assert KEY not in result.stdout + result.stderr
