"""Shared by the kernel benchmarks: a scripted model server process and a real kernel.

Not a benchmark itself (it is not in `BENCHES`). The server runs `tests.scripted_server`
in its own process so it never shares a GIL with the kernel or the measuring client; the
kernel is a real ipykernel started with jupyter_client, whose `KERNEL_AGENT_HOME` holds a
config pointing at that server with a fake key.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FAKE_KEY = "sk-bench-0123456789abcdef"


@contextmanager
def scripted_server(tmp: Path, replies: list[dict[str, Any]]) -> Iterator[str]:
    """`python -m tests.scripted_server` with `replies` queued; yields its base URL."""
    script = tmp / "script.json"
    script.write_text(json.dumps(replies))
    proc = subprocess.Popen([sys.executable, "-m", "tests.scripted_server", "--script", str(script)],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if " on " not in line:
            raise RuntimeError(f"scripted server did not start: {line!r}")
        yield line.split(" on ", 1)[1].split(" ", 1)[0]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def write_home(home: Path, url: str, approval_policy: str = "never") -> dict[str, str]:
    """A kernel-agent home whose config points at `url`; returns the env for the kernel."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'model = "gpt-4.1"\nmodel_provider = "bench"\napproval_policy = "{approval_policy}"\n'
        f'[model_providers.bench]\nname = "bench"\nbase_url = "{url}"\nwire_api = "responses"\n'
        f'env_key = "BENCH_KEY"\n'
    )
    return {"KERNEL_AGENT_HOME": str(home), "BENCH_KEY": FAKE_KEY}


class Kernel:
    """A real kernel plus a client that keeps every iopub message it has read, in order."""

    def __init__(self, cwd: Path, env: dict[str, str]):
        from jupyter_client import KernelManager

        self.log_path = cwd.parent / "kernel.log"  # the kernel's stderr (its TCP warning, tracebacks)
        self._log = open(self.log_path, "w")
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(cwd=str(cwd), env={**os.environ, **env}, stderr=self._log)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)
        self.iopub: list[tuple[float, dict[str, Any]]] = []  # (perf_counter at receipt, msg)
        self._widget_log: dict[str, list[tuple[float, str, dict[str, Any], int]]] = {}

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)
        self._log.close()

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close()
        if exc_type is not None:  # show why, unless it is only the usual TCP warning
            lines = [ln for ln in self.log_path.read_text().splitlines() if "without encryption" not in ln]
            if lines:
                print("   kernel stderr:\n      " + "\n      ".join(lines[-15:]), file=sys.stderr)

    def drain(self, timeout: float = 0.0) -> int:
        """Move waiting iopub messages into `self.iopub` (waiting up to `timeout` for the first)."""
        n = 0
        while True:
            try:
                msg = self.kc.get_iopub_msg(timeout=timeout if n == 0 else 0)
            except queue.Empty:
                return n
            received = time.perf_counter()
            self.iopub.append((received, msg))
            self._log_widget_message(received, msg)
            n += 1

    def submit(self, code: str) -> str:
        return self.kc.execute(code, store_history=False)

    def reply(self, msg_id: str, timeout: float = 60.0) -> dict[str, Any]:
        """Wait for the execute_reply of `msg_id` on shell, draining iopub meanwhile."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            try:
                msg = self.kc.get_shell_msg(timeout=0.005)
            except queue.Empty:
                self.drain()
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg
        raise TimeoutError(f"no execute_reply for {msg_id}")

    def run(self, code: str, timeout: float = 60.0) -> dict[str, Any]:
        """Execute and wait for the reply and the matching idle status; raise on an error reply."""
        msg_id = self.submit(code)
        reply = self.reply(msg_id, timeout)
        deadline = time.perf_counter() + timeout
        while not any(m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status"
                      and m["content"]["execution_state"] == "idle" for _, m in self.iopub[-50:]):
            if time.perf_counter() > deadline:
                raise TimeoutError(f"no idle status for {msg_id}")
            self.drain(0.02)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"{code!r} failed: {reply['content']}")
        return reply

    def round_trip(self, code: str = "1+1") -> float:
        """Seconds from sending an execute_request to its execute_reply."""
        started = time.perf_counter()
        self.reply(self.submit(code))
        return time.perf_counter() - started

    def agent_comms(self) -> list[str]:
        """comm ids of the %%agent widgets (anywidget models) opened so far, oldest first."""
        return [m["content"]["comm_id"] for _, m in self.iopub
                if m["msg_type"] == "comm_open" and m["content"]["data"]["state"].get("_model_name") == "AnyModel"]

    def states(self, comm_id: str) -> list[tuple[float, dict[str, Any]]]:
        """(receipt time, transcript state) of every state sync of one widget."""
        return [(t, payload) for t, kind, payload, _ in self.widget_messages(comm_id) if kind == "state"]

    def widget_messages(self, comm_id: str) -> list[tuple[float, str, dict[str, Any], int]]:
        """(receipt time, kind, payload, bytes) of every comm_msg one %%agent widget sent:
        kind "state" (a sync of the trait `state`: a whole transcript) or "patch" (a
        transcript patch, an anywidget custom message). Bytes: the message's `data` as JSON."""
        return self._widget_log.get(comm_id, [])

    def _log_widget_message(self, t: float, msg: dict[str, Any]) -> None:
        if msg["msg_type"] != "comm_msg":
            return
        data = msg["content"]["data"]
        state = data.get("state", {}).get("state") if data.get("method") == "update" else None
        custom = data.get("content") if data.get("method") == "custom" else None
        if state is not None:
            entry = (t, "state", state, len(json.dumps(data).encode()))
        elif isinstance(custom, dict) and custom.get("type") == "transcript":
            entry = (t, "patch", custom, len(json.dumps(data).encode()))
        else:
            return
        self._widget_log.setdefault(msg["content"]["comm_id"], []).append(entry)

    def turn_phase(self, comm_id: str) -> str | None:
        """The turn's state in the widget's latest message (None before the first)."""
        messages = self.widget_messages(comm_id)
        return turn_state(messages[-1][2]) if messages else None


def turn_state(state: dict[str, Any]) -> str | None:
    return (state.get("status") or {}).get("state")


def agent_text(state: dict[str, Any]) -> str:
    return "".join(b.get("text", "") for b in state.get("blocks", []) if b.get("kind") == "agent")
