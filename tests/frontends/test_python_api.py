"""`agent.Agent(...).run()` in a plain Python process, and `await agent.arun()` on a running loop,
against the scripted model server."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.scripted_server import Reply, ScriptedServer, ToolCall

KEY = "sk-python-api-test-0123456789abcdef"


def script_replies(server: ScriptedServer) -> None:
    server.enqueue(
        Reply(reasoning="List the folder first.", tool_calls=[ToolCall("shell", {"command": ["bash", "-c", "echo made > made.txt; ls"]}, "call_ls")]),
        Reply(text="The folder now holds made.txt.", usage={"input_tokens": 50, "output_tokens": 7, "total_tokens": 57}),
        Reply(text="Second answer, same conversation."),
    )


SCRIPT = textwrap.dedent("""
    import json, sys
    import agent

    assert "IPython" not in sys.modules  # a plain Python process
    with agent.Agent(cwd=sys.argv[1]) as a:
        first = a.run("make a file and list the folder")
        second = a.run("and again")
        print(json.dumps({
            "final": first.final_message, "items": first.items, "usage": first.usage,
            "session": first.session_id, "error": first.error, "aborted": first.aborted,
            "second": second.final_message, "second_session": second.session_id,
        }))
""")


def test_run_in_a_plain_python_process(tmp_path, server, home, work):
    script_replies(server)
    env = {"KERNEL_AGENT_HOME": str(home), "SCRIPTED_API_KEY": KEY, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(work)], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["final"] == "The folder now holds made.txt."
    assert result["error"] is None and result["aborted"] is False
    kinds = [item["type"] for item in result["items"]]
    assert kinds == ["reasoning", "command_execution", "agent_message"]
    command = result["items"][1]
    assert command["status"] == "completed" and command["exit_code"] == 0 and "made.txt" in command["aggregated_output"]
    assert result["items"][2]["text"] == "The folder now holds made.txt."
    assert result["usage"]["input_tokens"] > 0 and result["usage"]["output_tokens"] > 0
    assert result["second"] == "Second answer, same conversation." and result["second_session"] == result["session"]
    assert (work / "made.txt").read_text() == "made\n"
    third = server.requests[2].json["input"]
    assert any(i.get("role") == "user" and "make a file" in json.dumps(i) for i in third)
    assert KEY not in proc.stdout + proc.stderr


async def test_arun_on_the_callers_running_loop(monkeypatch, server, home, work):
    from agent import Agent

    monkeypatch.setenv("KERNEL_AGENT_HOME", str(home))
    monkeypatch.setenv("SCRIPTED_API_KEY", KEY)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    script_replies(server)
    seen: list[str] = []
    async with Agent(cwd=work, on_event=lambda event: seen.append(event.msg.type)) as a:
        result = await a.arun("make a file and list the folder")
        assert result.final_message == "The folder now holds made.txt."
        assert [i["type"] for i in result.items] == ["reasoning", "command_execution", "agent_message"]
        assert result.usage["output_tokens"] >= 7
        assert "exec_command_begin" in seen and seen[-1] == "task_complete"
        second = await a.arun("and again")
        assert second.final_message == "Second answer, same conversation." and second.session_id == result.session_id
        session = a._session
    assert a.session_id is None and session._closed


def test_approvals_are_decided_by_on_approval(tmp_path, monkeypatch, server, home, work):
    from agent import Agent

    monkeypatch.setenv("KERNEL_AGENT_HOME", str(home))
    monkeypatch.setenv("SCRIPTED_API_KEY", KEY)
    server.enqueue(Reply(tool_calls=[ToolCall("shell", {"command": ["bash", "-c", "echo x > asked.txt"]}, "call_a")]), Reply(text="declined"))
    asked = []
    with Agent(cwd=work, approval_policy="untrusted", on_approval=lambda req: asked.append(req.command) or "denied") as a:
        result = a.run("write asked.txt")
    assert asked == [["bash", "-c", "echo x > asked.txt"]]
    assert result.final_message == "declined" and not (work / "asked.txt").exists()
    assert "exec command rejected by user" in server.requests[1].body.decode()
