"""Against a third-party Chat Completions server (llm-katan, echo backend, subprocesses).

One instance per failure scenario (its counters are per process), all started at once on
127.0.0.1 with their stats file in a temp dir, stopped with SIGTERM at the end.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from agent.client.errors import RetryLimit, Unauthorized
from agent.client.prompt import Prompt
from agent.client.stream import Completed, OutputItemDone, OutputTextDelta
from agent.protocol.items import FunctionCall, Message, user_text

pytestmark = pytest.mark.timeout(60)

KATAN = Path(sys.executable).parent / "llm-katan"
SCENARIOS = {
    "plain": [],
    "rate_limited": ["--rate-limit-after", "1"],
    "failing": ["--error-rate", "1.0"],
}
SHELL_TOOL = {
    "type": "function",
    "name": "shell",
    "description": "Runs a command",
    "parameters": {"type": "object", "properties": {"command": {"type": "array", "items": {"type": "string"}}, "workdir": {"type": "string"}}},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llm-katan exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1.0, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"llm-katan at {url} not healthy")


@pytest.fixture(scope="module")
def katan(tmp_path_factory):
    assert KATAN.exists(), f"llm-katan is a declared test dependency but {KATAN} is missing"
    workdir = tmp_path_factory.mktemp("katan")
    procs: dict[str, tuple[subprocess.Popen, str]] = {}
    try:
        for name, extra in SCENARIOS.items():
            port = free_port()
            cmd = [str(KATAN), "--model", "test", "--backend", "echo", "--providers", "openai",
                   "--host", "127.0.0.1", "--port", str(port), "--stats-file", str(workdir / f"{name}.json"),
                   "--log-level", "error", "--disable-dashboard", *extra]
            with open(workdir / f"{name}.log", "wb") as log:
                proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
            procs[name] = (proc, f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 40
        for proc, url in procs.values():
            wait_healthy(url, proc, deadline)
        yield {name: f"{url}/v1" for name, (_, url) in procs.items()}
    finally:
        for proc, _ in procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc, _ in procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def test_streaming_echo(katan, make_client, prompt, collect):
    events = await collect(make_client(katan["plain"], "chat"), prompt("hello katan"))
    text = "".join(e.delta for e in events if isinstance(e, OutputTextDelta))
    assert text.startswith("[echo]") and text.endswith("User: hello katan")
    (message,) = [e.item for e in events if isinstance(e, OutputItemDone)]
    assert isinstance(message, Message) and message.text() == text
    assert isinstance(events[-1], Completed) and events[-1].usage.total_tokens > 0


async def test_json_answer_to_a_stream_request_with_tools(katan, make_client, collect):
    p = Prompt(model="test", instructions="agent", input=[user_text("run ls")], tools=[SHELL_TOOL])
    events = await collect(make_client(katan["plain"], "chat"), p)
    (call,) = [e.item for e in events if isinstance(e, OutputItemDone)]
    assert isinstance(call, FunctionCall) and call.name == "shell" and call.call_id
    assert json.loads(call.arguments) == {"command": [], "workdir": "test_workdir"}
    assert isinstance(events[-1], Completed)


async def test_missing_authorization_is_fatal(katan, make_client, prompt, collect, sleeps):
    with pytest.raises(Unauthorized, match="missing Authorization header"):
        await collect(make_client(katan["plain"], "chat", api_key=None), prompt())
    assert sleeps.delays == []


async def test_rate_limit_after_one_request(katan, make_client, prompt, collect, sleeps):
    client = make_client(katan["rate_limited"], "chat", request_max_retries=2)
    first = await collect(client, prompt("one"))
    assert isinstance(first[-1], Completed)
    with pytest.raises(RetryLimit) as info:
        await collect(client, prompt("two"))
    assert info.value.message == "exceeded retry limit, last status: 429 Too Many Requests"
    assert len(sleeps.delays) == 2


async def test_error_rate_one_is_high_demand(katan, make_client, prompt, collect, sleeps):
    with pytest.raises(RetryLimit) as info:
        await collect(make_client(katan["failing"], "chat", request_max_retries=3), prompt())
    assert info.value.message == "We're currently experiencing high demand, which may cause temporary errors."
    assert info.value.status == 500 and len(sleeps.delays) == 3
