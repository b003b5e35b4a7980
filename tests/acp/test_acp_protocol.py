"""`kernel-agent acp` at the protocol level: the SDK's client side drives the real CLI,
the scripted server plays the model."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import pytest
from acp import PROTOCOL_VERSION, RequestError, embedded_text_resource, image_block, resource_block, text_block
from acp.schema import McpServerStdio

from tests.acp.client import RecordingClient, acp_agent
from tests.cli.test_exec import KEY, make_home
from tests.scripted_server import Fault, Reply, ToolCall

pytestmark = pytest.mark.timeout(90)
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()


def home_for(tmp_path: Path, url: str, extra: str = "") -> Path:
    home = make_home(tmp_path, url)
    if extra:
        with open(home / "config.toml", "r+") as f:
            text = f.read()
            f.seek(0)
            f.write(extra + "\n" + text)
    return home


def shell(script: str, call_id: str) -> ToolCall:
    return ToolCall("shell", {"command": ["bash", "-c", script]}, call_id)


async def test_initialize_new_session_and_a_streamed_prompt(tmp_path, server, work):
    server.enqueue(Reply(reasoning="Thinking it over.", text="Hello from the scripted model.", chunk_size=5))
    client, log = RecordingClient(), tmp_path / "stderr.log"
    async with acp_agent(home_for(tmp_path, server.url), client, log) as conn:
        init = await conn.initialize(protocol_version=PROTOCOL_VERSION)
        assert init.protocol_version == PROTOCOL_VERSION
        caps = init.agent_capabilities
        assert caps.load_session and caps.prompt_capabilities.image and caps.prompt_capabilities.embedded_context
        assert not caps.prompt_capabilities.audio
        later = await conn.initialize(protocol_version=PROTOCOL_VERSION + 7)
        assert later.protocol_version == PROTOCOL_VERSION
        failing = McpServerStdio(name="files", command="true", args=[], env=[])
        new = await conn.new_session(cwd=str(work), mcp_servers=[failing])
        assert new.modes.current_mode_id == "auto"
        assert [m.id for m in new.modes.available_modes] == ["read-only", "auto", "full-access"]
        context = resource_block(embedded_text_resource(f"file://{work}/notes.md", "the notes say 42"))
        answer = await conn.prompt(session_id=new.session_id, prompt=[
            text_block("What do the notes say?"), context, image_block(PNG, "image/png")])
        assert answer.stop_reason == "end_turn"
    assert client.text("agent_message_chunk") == "Hello from the scripted model."
    assert len(client.of("agent_message_chunk")) > 1  # streamed, not sent whole
    assert client.text("agent_thought_chunk") == "Thinking it over."
    assert {sid for sid, _ in client.updates} == {new.session_id}
    sent = json.dumps(server.requests[0].json["input"])
    assert "What do the notes say?" in sent and "the notes say 42" in sent and f"notes.md" in sent
    assert f"data:image/png;base64,{PNG}" in sent
    assert not [t for t in server.requests[0].json["tools"] if t["name"].startswith("mcp__files")]  # `true` exits
    assert KEY not in log.read_text()


async def test_allow_once_runs_the_command_in_the_sandbox(tmp_path, server, work):
    (work / ".git").mkdir()
    script = "echo made > made.txt; echo hook > .git/hook"
    server.enqueue(Reply(tool_calls=[shell(script, "call_ok")]), Reply(text="Made it."))
    client = RecordingClient("approved")
    async with acp_agent(home_for(tmp_path, server.url, 'approval_policy = "untrusted"'), client, tmp_path / "e.log") as conn:
        await conn.initialize(protocol_version=PROTOCOL_VERSION)
        new = await conn.new_session(cwd=str(work), mcp_servers=[])
        assert new.modes.current_mode_id == "config"  # untrusted matches no preset: kept, not loosened
        answer = await conn.prompt(session_id=new.session_id, prompt=[text_block("make the file")])
    assert answer.stop_reason == "end_turn"
    assert (work / "made.txt").read_text() == "made\n"
    assert not (work / ".git" / "hook").exists()  # .git stays read-only: the sandbox was on
    (tool_call, options), = client.permissions
    assert tool_call.tool_call_id == "call_ok" and tool_call.kind == "execute" and tool_call.title == script
    assert [(o.option_id, o.kind) for o in options] == [
        ("approved", "allow_once"), ("approved_for_session", "allow_always"), ("denied", "reject_once")]
    start, = client.of("tool_call")
    assert (start.tool_call_id, start.kind, start.title) == ("call_ok", "execute", script)
    statuses = [u.status for u in client.of("tool_call_update") if u.tool_call_id == "call_ok"]
    assert statuses == ["pending", "in_progress", "failed"]  # asked, allowed, the .git write failed (exit 1)
    assert client.text("agent_message_chunk") == "Made it."


async def test_reject_does_not_run_the_command(tmp_path, server, work):
    server.enqueue(Reply(tool_calls=[shell("echo no > rejected.txt", "call_no")]), Reply(text="Not done."))
    client = RecordingClient("denied")
    async with acp_agent(home_for(tmp_path, server.url, 'approval_policy = "untrusted"'), client, tmp_path / "e.log") as conn:
        await conn.initialize(protocol_version=PROTOCOL_VERSION)
        new = await conn.new_session(cwd=str(work), mcp_servers=[])
        answer = await conn.prompt(session_id=new.session_id, prompt=[text_block("try it")])
    assert answer.stop_reason == "end_turn"
    assert not (work / "rejected.txt").exists()
    assert [u.status for u in client.of("tool_call_update") if u.tool_call_id == "call_no"] == ["pending", "failed"]
    outputs = [i for i in server.requests[1].json["input"] if i.get("type") == "function_call_output"]
    assert outputs and outputs[-1]["call_id"] == "call_no"


async def test_cancel_stops_a_streaming_turn(tmp_path, server, work):
    server.enqueue(Reply(text="This answer stalls half way through", chunk_size=4, stall_after=6, stall_seconds=30))
    client = RecordingClient()
    async with acp_agent(home_for(tmp_path, server.url), client, tmp_path / "e.log") as conn:
        await conn.initialize(protocol_version=PROTOCOL_VERSION)
        new = await conn.new_session(cwd=str(work), mcp_servers=[])
        turn = asyncio.create_task(conn.prompt(session_id=new.session_id, prompt=[text_block("stall")]))
        await client.wait_for("agent_message_chunk")
        await conn.cancel(session_id=new.session_id)
        assert (await turn).stop_reason == "cancelled"
        server.enqueue(Reply(text="Still here."))
        again = await conn.prompt(session_id=new.session_id, prompt=[text_block("again")])
        assert again.stop_reason == "end_turn"
    assert client.text("agent_message_chunk").endswith("Still here.")


async def test_cancel_while_a_permission_is_pending(tmp_path, server, work):
    server.enqueue(Reply(tool_calls=[shell("echo x > pending.txt", "call_wait")]))
    client = RecordingClient(hold=True)
    async with acp_agent(home_for(tmp_path, server.url, 'approval_policy = "untrusted"'), client, tmp_path / "e.log") as conn:
        await conn.initialize(protocol_version=PROTOCOL_VERSION)
        new = await conn.new_session(cwd=str(work), mcp_servers=[])
        turn = asyncio.create_task(conn.prompt(session_id=new.session_id, prompt=[text_block("wait")]))
        await client.asked.wait()
        await conn.cancel(session_id=new.session_id)
        assert (await turn).stop_reason == "cancelled"
        client.release.set()
    assert not (work / "pending.txt").exists()
    assert [u.status for u in client.of("tool_call_update") if u.tool_call_id == "call_wait"][-1] == "failed"


async def test_set_mode_changes_the_sandbox_of_later_turns(tmp_path, server, work):
    server.enqueue(Reply(tool_calls=[shell("echo ro > ro.txt", "call_ro")]), Reply(text="Could not."),
                   Reply(tool_calls=[shell("echo rw > rw.txt", "call_rw")]), Reply(text="Wrote it."))
    client = RecordingClient("denied")  # nothing here may ask: on-request runs these without asking
    async with acp_agent(home_for(tmp_path, server.url), client, tmp_path / "e.log") as conn:
        await conn.initialize(protocol_version=PROTOCOL_VERSION)
        new = await conn.new_session(cwd=str(work), mcp_servers=[])
        await conn.set_session_mode(session_id=new.session_id, mode_id="read-only")
        await conn.prompt(session_id=new.session_id, prompt=[text_block("write ro")])
        assert not (work / "ro.txt").exists()
        await conn.set_session_mode(session_id=new.session_id, mode_id="auto")
        await conn.prompt(session_id=new.session_id, prompt=[text_block("write rw")])
        with pytest.raises(RequestError) as err:
            await conn.set_session_mode(session_id=new.session_id, mode_id="yolo")
        assert err.value.code == -32602 and "unknown mode" in json.dumps(err.value.data)
    assert (work / "rw.txt").read_text() == "rw\n"
    assert client.permissions == []
    ends = {u.tool_call_id: u.status for u in client.of("tool_call_update") if u.status in ("completed", "failed")}
    assert ends == {"call_ro": "failed", "call_rw": "completed"}


async def test_load_replays_an_earlier_session(tmp_path, server, work):
    home = home_for(tmp_path, server.url)
    server.enqueue(Reply(text="The first answer."))
    first = RecordingClient()
    async with acp_agent(home, first, tmp_path / "e.log") as conn:
        await conn.initialize(protocol_version=PROTOCOL_VERSION)
        new = await conn.new_session(cwd=str(work), mcp_servers=[])
        await conn.prompt(session_id=new.session_id, prompt=[text_block("The first question?")])
    assert first.of("user_message_chunk") == []  # live: the client shows its own prompt

    server.enqueue(Reply(text="The second answer."))
    second = RecordingClient()
    async with acp_agent(home, second, tmp_path / "e.log") as conn:
        init = await conn.initialize(protocol_version=PROTOCOL_VERSION)
        assert init.agent_capabilities.load_session
        loaded = await conn.load_session(cwd=str(work), session_id=new.session_id, mcp_servers=[])
        await second.wait_for("agent_message_chunk")  # the SDK's client handles notifications in tasks of their own
        replayed = [(u.session_update, u.content.text) for _, u in second.updates]
        assert replayed == [("user_message_chunk", "The first question?"), ("agent_message_chunk", "The first answer.")]
        assert loaded.modes.current_mode_id == "auto"
        await conn.prompt(session_id=new.session_id, prompt=[text_block("And then?")])
        for bad in ("0000dead-0000-0000-0000-000000000000", "../../etc/passwd.jsonl"):
            with pytest.raises(RequestError) as err:
                await conn.load_session(cwd=str(work), session_id=bad, mcp_servers=[])
            assert err.value.code == -32602
    sent = json.dumps(server.requests[1].json["input"])
    assert "The first question?" in sent and "The first answer." in sent


async def test_bad_input_gets_json_rpc_errors_and_the_agent_keeps_serving(tmp_path, server, work):
    """Raw JSON-RPC lines, as a broken client would send them."""
    from tests.acp.client import CLI
    from tests.cli.test_exec import agent_env

    log = tmp_path / "stderr.log"
    with open(log, "wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            CLI, "acp", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=stderr,
            env=agent_env(home_for(tmp_path, server.url)))

        notified: list[dict] = []

        async def call(request_id: int, method: str, params: object) -> dict:
            """Send a request; its answer (notifications before it go to `notified`)."""
            line = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
            process.stdin.write(json.dumps(line).encode() + b"\n")
            await process.stdin.drain()
            while "id" not in (answer := json.loads(await process.stdout.readline())):
                notified.append(answer["params"]["update"])
            assert answer["id"] == request_id
            return answer

        process.stdin.write(b"this is not json\n")
        prompt = {"sessionId": "0f0f0f0f-0000-0000-0000-000000000000", "prompt": [{"type": "text", "text": "hi"}]}
        assert (await call(1, "session/prompt", prompt))["error"]["code"] == -32602  # before session/new
        assert (await call(2, "session/frobnicate", {}))["error"]["code"] == -32601
        assert (await call(3, "session/new", {"cwd": 42, "mcpServers": []}))["error"]["code"] == -32602
        relative = await call(4, "session/new", {"cwd": "relative/dir", "mcpServers": []})
        assert "absolute" in relative["error"]["data"]["details"]
        assert (await call(5, "session/prompt", {"sessionId": 7}))["error"]["code"] == -32602
        assert (await call(6, "initialize", "not an object"))["error"]["code"] == -32602
        assert (await call(7, "initialize", {"protocolVersion": 1}))["result"]["protocolVersion"] == 1
        new = (await call(8, "session/new", {"cwd": str(work), "mcpServers": []}))["result"]
        audio = {"sessionId": new["sessionId"], "prompt": [{"type": "audio", "data": "AAAA", "mimeType": "audio/wav"}]}
        assert "not supported" in (await call(9, "session/prompt", audio))["error"]["data"]["details"]
        empty = {"sessionId": new["sessionId"], "prompt": [{"type": "text", "text": "  "}]}
        assert "empty" in (await call(10, "session/prompt", empty))["error"]["data"]["details"]
        server.enqueue(Reply(text="Recorded."))
        said = {"sessionId": new["sessionId"], "prompt": [{"type": "text", "text": "record this"}]}
        assert (await call(11, "session/prompt", said))["result"]["stopReason"] == "end_turn"
        notified.clear()
        loaded = await call(12, "session/load", {"sessionId": new["sessionId"], "cwd": str(work), "mcpServers": []})
        assert "result" in loaded  # and the history came first, on the wire:
        assert [(u["sessionUpdate"], u["content"]["text"]) for u in notified] == [
            ("user_message_chunk", "record this"), ("agent_message_chunk", "Recorded.")]
        process.stdin.close()
        assert await process.wait() == 0
    text = log.read_text()
    assert "Traceback" not in text
    assert "Error parsing JSON-RPC message" in text and len(text.splitlines()) == 1


async def test_a_failed_turn_answers_the_prompt_with_an_error(tmp_path, server, work):
    server.enqueue(Fault(status=400, body={"error": {"message": "the scripted model refuses this request"}}))
    client = RecordingClient()
    async with acp_agent(home_for(tmp_path, server.url), client, tmp_path / "e.log") as conn:
        await conn.initialize(protocol_version=PROTOCOL_VERSION)
        new = await conn.new_session(cwd=str(work), mcp_servers=[])
        with pytest.raises(RequestError) as err:
            await conn.prompt(session_id=new.session_id, prompt=[text_block("hello")])
        assert "the scripted model refuses this request" in json.dumps(err.value.data)
        server.enqueue(Reply(text="Recovered."))
        assert (await conn.prompt(session_id=new.session_id, prompt=[text_block("again")])).stop_reason == "end_turn"


async def test_a_patch_is_an_edit_with_diffs_and_asks_first(tmp_path, server, work):
    (work / "story.txt").write_text("one\ntwo\nthree\n")
    patch = ("*** Begin Patch\n*** Add File: notes/new.md\n+# New\n*** Update File: story.txt\n@@\n one\n-two\n+TWO\n"
             " three\n*** End Patch\n")
    server.enqueue(Reply(tool_calls=[ToolCall("apply_patch", {"input": patch}, "call_patch")]), Reply(text="Edited."))
    client = RecordingClient("approved")
    async with acp_agent(home_for(tmp_path, server.url, 'approval_policy = "untrusted"'), client, tmp_path / "e.log") as conn:
        await conn.initialize(protocol_version=PROTOCOL_VERSION)
        new = await conn.new_session(cwd=str(work), mcp_servers=[])
        assert (await conn.prompt(session_id=new.session_id, prompt=[text_block("edit")])).stop_reason == "end_turn"
    assert (work / "story.txt").read_text() == "one\nTWO\nthree\n" and (work / "notes" / "new.md").read_text() == "# New\n"
    (tool_call, options), = client.permissions
    assert tool_call.kind == "edit" and [o.kind for o in options] == ["allow_once", "reject_once"]
    diffs = {c.path: (c.old_text, c.new_text) for c in tool_call.content}
    assert diffs == {str(work / "notes" / "new.md"): (None, "# New\n"),
                     str(work / "story.txt"): ("one\ntwo\nthree\n", "one\nTWO\nthree\n")}
    assert sorted(loc.path for loc in tool_call.locations) == sorted(diffs)
    assert [u.status for _, u in client.updates if getattr(u, "tool_call_id", None) == "call_patch"][-1] == "completed"


async def test_compact_command_replaces_the_history_with_a_summary(tmp_path, server, work):
    """`/compact` (announced in available_commands_update) compacts the session: the next
    request carries the summary and the user's messages, not the earlier answers."""
    server.enqueue(Reply(text="FIRST-ANSWER with many details"), Reply(text="SUMMARY-OF-THE-WORK-SO-FAR"), Reply(text="next ok"))
    client = RecordingClient()
    async with acp_agent(home_for(tmp_path, server.url), client, tmp_path / "e.log") as conn:
        await conn.initialize(protocol_version=PROTOCOL_VERSION)
        new = await conn.new_session(cwd=str(work), mcp_servers=[])
        await conn.prompt(session_id=new.session_id, prompt=[text_block("start the analysis")])
        compacted = await conn.prompt(session_id=new.session_id, prompt=[text_block("/compact")])
        assert compacted.stop_reason == "end_turn"
        await conn.prompt(session_id=new.session_id, prompt=[text_block("what next?")])
    assert len(server.requests) == 3
    after = json.dumps(server.requests[2].json["input"])
    assert "SUMMARY-OF-THE-WORK-SO-FAR" in after and "start the analysis" in after and "what next?" in after
    assert "FIRST-ANSWER" not in after  # control of the compaction: the old answer is gone
    assert "FIRST-ANSWER" in json.dumps(server.requests[1].json["input"])  # the summary request saw it
