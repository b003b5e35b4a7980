"""Compaction end to end over HTTP against the scripted model server (spec §8.5).

`kernel-agent exec` in a subprocess, with a tiny `model_auto_compact_token_limit`: the
first reply reports usage above it, so the session compacts (a request with no tools
ending with the compact prompt) and continues from the compacted history to an answer.
The compact op is exercised the same way with an in-process session.
"""

from __future__ import annotations

from pathlib import Path

from agent.core.instructions import compact_prompt, summary_prefix

from tests.scripted_server import Reply, ScriptedServer, ToolCall

from .test_exec import KEY, PLAN, json_lines, make_home, run_exec


def usage(total: int) -> dict[str, int]:
    return {"input_tokens": total - 10, "output_tokens": 10, "total_tokens": total}


def texts(request_input: list[dict]) -> list[str]:
    return [part["text"] for item in request_input if item.get("type") == "message" for part in item["content"]]


def test_exec_compacts_past_the_limit_and_continues(tmp_path):
    with ScriptedServer() as server:
        server.enqueue(
            Reply(tool_calls=[ToolCall("update_plan", PLAN, "call_1")], usage=usage(5_000)),
            Reply(text="SUMMARY: plan set, answer next.", usage=usage(300)),
            Reply(text="All done after compaction.", usage=usage(400)),
        )
        home = make_home(tmp_path, server.url)
        with (home / "config.toml").open("r+") as config:
            body = config.read()
            config.seek(0)
            config.write("model_auto_compact_token_limit = 1000\n" + body)
        work = tmp_path / "work"
        work.mkdir()
        (work / "AGENTS.md").write_text("Always answer in English.")
        result = run_exec(tmp_path, home, "--json", "plan then answer")
        requests = [r.json for r in server.requests]

    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    assert lines[-1]["type"] == "turn.completed"
    messages = [line["item"]["text"] for line in lines if line.get("item", {}).get("type") == "agent_message"]
    assert messages[-1] == "All done after compaction."
    assert len(requests) == 3

    first, compaction, continuation = requests
    assert first["tools"] and not compaction.get("tools")
    assert compaction["input"][-1] == {"type": "message", "role": "user", "content": [{"type": "input_text", "text": compact_prompt(None)}]}
    assert {"type": "function_call_output", "call_id": "call_1", "output": "Plan updated"} in compaction["input"]

    sent = texts(continuation["input"])
    assert sent[0] == f"# AGENTS.md instructions for {work.resolve()}\n\n<INSTRUCTIONS>\nAlways answer in English.\n</INSTRUCTIONS>"
    assert sent[1].startswith(f"<environment_context>\n  <cwd>{work.resolve()}</cwd>")
    assert sent[2:] == ["plan then answer", f"{summary_prefix()}\nSUMMARY: plan set, answer next."]
    assert continuation["tools"] == first["tools"]
    assert KEY not in result.stdout + result.stderr


async def test_compact_op_over_http_then_the_next_turn(tmp_path: Path):
    from agent.core.config import CliOverrides, load_config
    from agent.core.factory import open_session
    from agent.protocol import ops

    from ..core.conftest import collect_until

    with ScriptedServer() as server:
        server.enqueue(Reply(text="first", usage=usage(50)), Reply(text="SUM", usage=usage(40)), Reply(text="second", usage=usage(60)))
        home = make_home(tmp_path, server.url)
        (tmp_path / "work").mkdir()
        env = {"SCRIPTED_API_KEY": KEY}
        config = load_config(CliOverrides(cwd=str(tmp_path / "work")), home=home, env=env)
        session = open_session(config, env=env)
        stream = session.events()
        try:
            for op in (ops.text_turn("one"), ops.Compact(), ops.text_turn("two")):
                session.submit(op)
                events = await collect_until(stream, {"task_complete"}, timeout=30)
                assert "error" not in [e.msg.type for e in events], events
        finally:
            await session.shutdown()
        requests = [r.json for r in server.requests]

    assert events[-1].msg.last_agent_message == "second"
    assert not requests[1].get("tools") and texts(requests[1]["input"])[-1] == compact_prompt(None)
    assert texts(requests[2]["input"])[1:] == ["one", f"{summary_prefix()}\nSUM", "two"]
