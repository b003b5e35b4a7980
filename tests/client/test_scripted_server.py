"""The scripted server itself: sync use, recording, loud empty queue, stop, command line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.scripted_server import Fault, Reply, ScriptedServer, ToolCall

pytestmark = pytest.mark.timeout(30)
REPO = Path(__file__).resolve().parents[2]


def sse_data(body: str) -> list[str]:
    return [line[len("data: "):] for line in body.splitlines() if line.startswith("data: ")]


def test_sync_use_records_requests_and_renders_per_path():
    with ScriptedServer() as srv, httpx.Client(trust_env=False) as http:
        srv.enqueue(Reply(text="hi"), Reply(text="hi"))
        r1 = http.post(f"{srv.url}/responses", json={"model": "m1"}, headers={"X-Probe": "1"})
        r2 = http.post(f"{srv.url}/chat/completions", json={"model": "m2"})
        assert r1.headers["content-type"] == "text/event-stream"
        assert "event: response.created\n" in r1.text
        assert sse_data(r2.text)[-1] == "[DONE]"
        assert json.loads(sse_data(r2.text)[0])["model"] == "m2"
        requests = srv.wait_for_requests(2, timeout=2)
        assert [(r.method, r.path, r.json) for r in requests] == [("POST", "/v1/responses", {"model": "m1"}), ("POST", "/v1/chat/completions", {"model": "m2"})]
        assert requests[0].headers["x-probe"] == "1"


def test_empty_queue_get_and_faults(capfd):
    with ScriptedServer() as srv, httpx.Client(trust_env=False) as http:
        response = http.post(f"{srv.url}/responses", json={})
        assert response.status_code == 500 and response.text == "scripted server: no reply queued"
        assert "no reply queued" in capfd.readouterr().err
        assert http.get(f"{srv.url}/models").status_code == 404
        srv.enqueue(Fault(status=429, retry_after=2, body="slow"))
        response = http.post(f"{srv.url}/x", json={})
        assert (response.status_code, response.headers["retry-after"], response.text) == (429, "2", "slow")
        with pytest.raises(TimeoutError):
            srv.wait_for_requests(10, timeout=0.1)


def test_stop_does_not_wait_for_a_stalled_stream():
    srv = ScriptedServer().start()
    srv.enqueue(Reply(text="abc", stall_after=1, stall_seconds=60))
    with httpx.Client(trust_env=False) as http, http.stream("POST", f"{srv.url}/responses", json={}) as response:
        assert response.status_code == 200
        started = time.monotonic()
        srv.stop()
        assert time.monotonic() - started < 5
        with pytest.raises(httpx.HTTPError):
            response.read()


def test_tool_call_rendering_on_both_paths():
    with ScriptedServer() as srv, httpx.Client(trust_env=False) as http:
        srv.enqueue(*[Reply(tool_calls=[ToolCall(name="f", arguments='{"a": 1}', call_id="c9")], chunk_size=2)] * 2)
        responses = [json.loads(d) for d in sse_data(http.post(f"{srv.url}/responses", json={}).text)]
        chat = [json.loads(d) for d in sse_data(http.post(f"{srv.url}/chat/completions", json={}).text)[:-1]]
    done = [e["item"] for e in responses if e["type"] == "response.output_item.done"]
    assert done == [{"type": "function_call", "id": done[0]["id"], "call_id": "c9", "name": "f", "arguments": '{"a": 1}'}]
    assert sum(e["type"] == "response.function_call_arguments.delta" for e in responses) == 4
    fragments = [tc["function"]["arguments"] for c in chat for ch in c["choices"] for tc in ch["delta"].get("tool_calls", [])]
    assert "".join(fragments) == '{"a": 1}'
    assert chat[-1]["usage"]["total_tokens"] > 0


def test_command_line(tmp_path):
    script = tmp_path / "script.json"
    script.write_text(json.dumps([{"text": "from the script"}, {"status": 503}]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.scripted_server", "--script", str(script)],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline()
        assert "2 replies queued" in line
        url = line.split()[4]
        with httpx.Client(trust_env=False) as http:
            first = http.post(f"{url}/chat/completions", json={})
            second = http.post(f"{url}/chat/completions", json={})
        assert "from" in first.text and second.status_code == 503
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()
