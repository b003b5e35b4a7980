"""Bad input ends in a clear message, never a traceback, a hang or a silent drop (issue 9,
item 10), driven end to end: `kernel-agent exec --json` in a subprocess against the
scripted model server, and a real `kill -9` of exec while its tool runs.

Each attack or fault is paired with a legitimate control that must keep working.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from agent.exec.runner import CommandStartError, run_command
from agent.exec.sandbox import sandboxed_argv
from agent.protocol.policy import sandbox_policy_for_mode
from tests.exec.conftest import sandbox_info
from tests.scripted_server import Reply, ToolCall

from .conftest import AgentRun, ExecOutcome, json_lines

pytestmark = pytest.mark.timeout(180)
MiB = 1 << 20
SMALL_USAGE = {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}
NUL_MESSAGE = "cannot run the command: an argument contains a NUL byte (\\0)"
E2BIG_MESSAGE = ("cannot run the command: argument list too long (an argument of 10000000 bytes; "
                 "the limit is 131072 bytes per argument)")


PEAK_WRAPPER = """
import atexit, runpy, sys
def peak(path=sys.argv[1]):
    with open('/proc/self/status') as status:
        hwm = [line.split()[1] for line in status if line.startswith('VmHWM:')]
    with open(path, 'w') as out:
        out.write(hwm[0])
atexit.register(peak)
sys.argv = ['kernel-agent'] + sys.argv[2:]
runpy.run_module('agent', run_name='__main__', alter_sys=True)
"""
"""Runs `kernel-agent` and writes its peak RSS (VmHWM, KiB) at exit: VmHWM belongs to the
process's own memory map, unlike ru_maxrss, which keeps the high-water mark of the
forking (test) process from before the exec."""


def run_exec(agent: AgentRun, *replies: Reply, args: tuple[str, ...] = (), prompt: str = "do it",
             timeout: float = 120) -> tuple[ExecOutcome, int]:
    """Queue exactly `replies`, run `exec --json`; (outcome, exec's peak RSS in KiB)."""
    agent.write_config()
    agent.server.enqueue(*replies)
    peak_file = agent.tmp / "peak-kib.txt"
    cmd = [sys.executable, "-c", PEAK_WRAPPER, str(peak_file), "exec", "--json", "-C", str(agent.work), *args, prompt]
    proc = subprocess.run(cmd, env=agent.env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    return ExecOutcome(proc, json_lines(proc.stdout)), int(peak_file.read_text())


def errors(outcome: ExecOutcome) -> list[str]:
    return [line["message"] for line in outcome.lines if line.get("type") == "error"]


def warnings(outcome: ExecOutcome) -> list[str]:
    return [item["message"] for item in outcome.items("error")]


def final_answer(outcome: ExecOutcome) -> str | None:
    messages = outcome.items("agent_message")
    return messages[-1]["text"] if messages else None


def no_traceback(outcome: ExecOutcome) -> None:
    assert "Traceback" not in outcome.proc.stderr, outcome.proc.stderr[-2000:]


def tool_reply(*calls: ToolCall) -> Reply:
    return Reply(tool_calls=list(calls), usage=SMALL_USAGE)


def done_reply(text: str = "done.") -> Reply:
    return Reply(text=text, usage=SMALL_USAGE)


# --- argv the OS can't take: NUL byte, 10 MB argument --------------------------------------


@pytest.mark.parametrize(("argv", "message"), [(["echo", "a\0b"], NUL_MESSAGE), (["echo", "x" * 10_000_000], E2BIG_MESSAGE)],
                         ids=["nul", "e2big"])
async def test_unstartable_argv_gives_the_same_message_on_every_mechanism(mechanism, tmp_path, argv, message):
    """Invariant: a command that can't be started fails with one typed, one-line error,
    the same unsandboxed, under bubblewrap (the NUL would sit in bwrap's argv) and under
    Landlock (the launcher's argv next to --policy-json); nothing runs."""
    info = sandbox_info(mechanism)
    policy = sandbox_policy_for_mode("workspace-write")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    seen = []
    for wrapped in (argv, sandboxed_argv(argv, policy, tmp_path, env, info, workspace=tmp_path)):
        with pytest.raises(CommandStartError) as caught:
            await run_command(wrapped, cwd=tmp_path, env=env, timeout_ms=10_000)
        seen.append(str(caught.value))
    assert seen == [message, message]
    # control: the same wrapper runs a legitimate command with a 100 KB argument
    ok = sandboxed_argv(["sh", "-c", 'printf %s "$1" | wc -c', "sh", "y" * 100_000], policy, tmp_path, env, info, workspace=tmp_path)
    result = await run_command(ok, cwd=tmp_path, env=env, timeout_ms=20_000)
    assert result.exit_code == 0 and result.stdout.strip() == "100000"


@pytest.mark.parametrize(("command", "message"), [(["touch", "made\0x"], NUL_MESSAGE), (["touch", "made", "x" * 10_000_000], E2BIG_MESSAGE)],
                         ids=["nul", "e2big"])
def test_exec_tells_the_model_why_the_command_could_not_start(agent, mechanism, command, message):
    """Invariant: through the whole agent, the model gets the one-line reason (and can act
    on it), the turn goes on, nothing ran. Control: the same call without the bad byte
    or size runs."""
    agent.mechanism = mechanism
    bad = {"type": "function_call", "name": "shell", "arguments": json.dumps({"command": command}), "call_id": "bad"}
    outcome, _ = run_exec(agent, literal_response(bad), tool_reply(ToolCall("shell", {"command": ["touch", "made"]}, "good")),
                          done_reply())
    outputs = agent.tool_outputs()
    assert message in outputs["bad"]
    assert outcome.proc.returncode == 0 and final_answer(outcome) == "done."
    assert (agent.work / "made").exists()  # created by the control call only
    assert "Exit code: 0" in outputs["good"]


# --- history.jsonl that can't be used --------------------------------------------------------


def test_history_file_being_a_directory_costs_one_warning_not_the_session(agent):
    """Invariant: `history.jsonl` being a directory: the session runs, the user sees one
    warning line (no traceback), the turn's prompt still reaches the model."""
    agent.home.mkdir(exist_ok=True)
    (agent.home / "history.jsonl").mkdir()
    outcome, _ = run_exec(agent, done_reply(), prompt="remember this prompt")
    no_traceback(outcome)
    assert outcome.proc.returncode == 0 and final_answer(outcome) == "done."
    warned = [line for line in outcome.proc.stderr.splitlines() if "history.jsonl" in line]
    assert len(warned) == 1 and "prompts are not saved to the message history" in warned[0]
    assert "remember this prompt" in agent.model_input_text()


def test_control_history_file_is_written(agent):
    outcome, _ = run_exec(agent, done_reply(), prompt="remember this prompt")
    assert outcome.proc.returncode == 0 and "history.jsonl" not in outcome.proc.stderr
    entry = json.loads((agent.home / "history.jsonl").read_text())
    assert entry["text"] == "remember this prompt"


# --- tool calls without call_id, duplicate call_ids ------------------------------------------


def literal_response(*items: dict[str, Any]) -> Reply:
    events: list[dict[str, Any] | str] = [{"type": "response.created", "response": {"id": "resp_x"}}]
    events += [{"type": "response.output_item.done", "item": item} for item in items]
    events.append({"type": "response.completed", "response": {"id": "resp_x", "usage": SMALL_USAGE}})
    return Reply(events=events)


def touch_call(name: str, call_id: str | None) -> dict[str, Any]:
    item = {"type": "function_call", "name": "shell", "arguments": json.dumps({"command": ["touch", name]})}
    if call_id is not None:
        item["call_id"] = call_id
    return item


def test_a_call_without_call_id_is_refused_and_reported(agent):
    """Invariant: a Responses function_call without call_id is neither run nor silently
    dropped: the model gets an error output it can act on, the user a warning, and the
    history sent back pairs every call with exactly one output. Control: the same call
    with a call_id runs."""
    outcome, _ = run_exec(agent, literal_response(touch_call("ghost", None), touch_call("real", "c_ok")), done_reply())
    no_traceback(outcome)
    assert not (agent.work / "ghost").exists() and (agent.work / "real").exists()
    assert outcome.proc.returncode == 0 and final_answer(outcome) == "done."
    assert any("had no call_id" in w for w in warnings(outcome))
    second = agent.server.requests[1].json["input"]
    calls = [i["call_id"] for i in second if i.get("type") == "function_call"]
    outputs = {i["call_id"]: i["output"] for i in second if i.get("type") == "function_call_output"}
    assert sorted(calls) == sorted(outputs) and len(calls) == 2
    refused = [cid for cid in calls if cid != "c_ok"][0]
    assert "arrived without a call_id" in outputs[refused]


def test_duplicate_call_ids_run_once_and_the_history_stays_valid(agent):
    """Invariant: two calls with the same call_id in one response: the first runs, the
    second does not; the model is told about the duplicate; the history sent back has
    each call once with exactly one output. Control: the first call runs normally."""
    outcome, _ = run_exec(agent, literal_response(touch_call("first", "c1"), touch_call("second", "c1")), done_reply())
    no_traceback(outcome)
    assert (agent.work / "first").exists() and not (agent.work / "second").exists()
    assert any("more than one call with call_id `c1`" in w for w in warnings(outcome))
    second = agent.server.requests[1].json["input"]
    calls = [i["call_id"] for i in second if i.get("type") == "function_call"]
    outputs = [i["call_id"] for i in second if i.get("type") == "function_call_output"]
    assert len(set(calls)) == len(calls) == 2 and sorted(outputs) == sorted(calls)
    texts = {i["call_id"]: i["output"] for i in second if i.get("type") == "function_call_output"}
    assert "Exit code: 0" in texts["c1"]
    assert any("call_id `c1` was already used" in t for cid, t in texts.items() if cid != "c1")


# --- one huge SSE event --------------------------------------------------------------------


def huge_delta_body(size: int, then_message: bool) -> bytearray:
    """A Responses stream: one `size`-byte output_text.delta, optionally the message item
    with that text, then response.completed; built in one allocation."""
    head = b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","item_id":"m1","delta":"'
    tail = b'"}\n\n'
    if then_message:
        tail += (b'event: response.output_item.done\ndata: {"type":"response.output_item.done","item":{"type":"message",'
                 b'"role":"assistant","id":"m1","content":[{"type":"output_text","text":"' + b"x" * size + b'"}]}}\n\n')
    done = {"type": "response.completed", "response": {"id": "r1", "usage": SMALL_USAGE}}
    tail += f"event: response.completed\ndata: {json.dumps(done)}\n\n".encode()
    body = bytearray(b"x") * (len(head) + size + len(tail))
    body[: len(head)] = head
    body[len(body) - len(tail):] = tail
    return body


def test_a_64_mib_sse_event_fails_the_turn_clearly_with_bounded_memory(agent):
    """Invariant: a single 64 MiB SSE event ends the turn with "stream event larger than
    16 MiB" (exit 1, not retried, no empty answer), and exec's memory stays bounded."""
    outcome, peak_kib = run_exec(agent, Reply(raw_body=huge_delta_body(64 * MiB, then_message=False)), done_reply("replayed"))
    no_traceback(outcome)
    assert outcome.proc.returncode == 1
    assert errors(outcome)[-1] == "stream event larger than 16 MiB: the response was dropped"
    assert final_answer(outcome) is None
    assert len(agent.server.requests) == 1
    assert peak_kib < 160 * 1024, f"exec peaked at {peak_kib >> 10} MiB"


def test_control_a_1_mib_answer_streams_fine(agent):
    outcome, _ = run_exec(agent, Reply(raw_body=huge_delta_body(MiB, then_message=True)))
    assert outcome.proc.returncode == 0 and not errors(outcome)
    assert final_answer(outcome) == "x" * MiB


# --- kill -9 of exec while a tool runs --------------------------------------------------------

SLEEP = ["sleep", "29.713"]  # a unique argv: this test's own sleeper can be found and ended


def rollout_lines(home: Path) -> list[dict[str, Any]]:
    (path,) = list((home / "sessions").rglob("rollout-*.jsonl"))
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def end_own_sleepers() -> None:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")[:-1]
            except OSError:
                continue
            if [a.decode(errors="replace") for a in argv] == SLEEP:
                try:
                    os.kill(int(entry), signal.SIGKILL)
                except ProcessLookupError:
                    pass


def start_exec_and_kill_when_tool_runs(agent: AgentRun) -> None:
    cmd = [sys.executable, "-m", "agent", "exec", "--json", "-C", str(agent.work), "sleep for me"]
    proc = subprocess.Popen(cmd, env=agent.env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    started = threading.Event()

    def watch() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            if '"item.started"' in line and "command_execution" in line:
                started.set()

    threading.Thread(target=watch, daemon=True).start()
    try:
        assert started.wait(60), "the tool never started"
        time.sleep(0.5)  # the sleeper is running now
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_kill_9_mid_tool_keeps_the_call_and_resume_answers_it(agent):
    """Invariant: the model's completed tool call is in the session file before its tool
    runs, so `kill -9` of exec mid-tool loses nothing; `exec resume --last` sees the call
    and sends a valid history: the call answered with a synthetic "aborted" output."""
    agent.write_config()
    agent.server.enqueue(tool_reply(ToolCall("shell", {"command": SLEEP}, "call_sleep")))
    try:
        start_exec_and_kill_when_tool_runs(agent)
    finally:
        end_own_sleepers()
    recorded = [line["payload"] for line in rollout_lines(agent.home) if line["type"] == "response_item"]
    assert any(p.get("type") == "function_call" and p.get("call_id") == "call_sleep" for p in recorded)
    assert not any(p.get("type") == "function_call_output" for p in recorded)

    agent.server.enqueue(done_reply("resumed."))
    cmd = [sys.executable, "-m", "agent", "exec", "--json", "-C", str(agent.work), "resume", "--last", "go on"]
    proc = subprocess.run(cmd, env=agent.env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    sent = agent.server.requests[-1].json["input"]
    kinds = [(i.get("type"), i.get("call_id"), i.get("output")) for i in sent if "call_id" in i]
    assert kinds == [("function_call", "call_sleep", None), ("function_call_output", "call_sleep", "aborted")]
    assert sent[-1]["role"] == "user" and "go on" in json.dumps(sent[-1])


def test_control_a_completed_call_resumes_with_its_real_output(agent):
    """Control: a call that finished is resumed with its own output (no "aborted")."""
    outcome, _ = run_exec(agent, tool_reply(ToolCall("shell", {"command": ["echo", "fine"]}, "call_ok")), done_reply())
    assert outcome.proc.returncode == 0
    agent.server.enqueue(done_reply("resumed."))
    cmd = [sys.executable, "-m", "agent", "exec", "--json", "-C", str(agent.work), "resume", "--last", "go on"]
    proc = subprocess.run(cmd, env=agent.env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    sent = agent.server.requests[-1].json["input"]
    outputs = [i["output"] for i in sent if i.get("type") == "function_call_output"]
    assert len(outputs) == 1 and "fine" in outputs[0] and "aborted" not in outputs[0]
