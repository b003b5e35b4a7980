"""The attack suite's harness: the real agent (`kernel-agent exec --json` in a subprocess)
driven by the project's scripted model server, on each sandbox mechanism.

Every test here pairs an attack with a legitimate control, and names the invariant it
protects in its docstring. Fixtures:

* `mechanism` ("bubblewrap" | "landlock"): parametrised; the Landlock case forces the
  fallback the way users do (`KERNEL_AGENT_SANDBOX=landlock`). A mechanism the kernel
  cannot provide is skipped with the reason (bubblewrap must work: its wheel is a
  declared dependency, see tests/exec/conftest.py).
* `server` (from tests/conftest.py): a ScriptedServer on 127.0.0.1.
* `agent` (an `AgentRun`): a home folder with a config for the scripted provider, a
  workspace and an `outside` directory that is under no writable root (not under /tmp,
  $TMPDIR or the workspace: `/var/tmp/ka-sec-*`), and `run(*exec_args, tool_calls=...)`,
  which queues the model's tool calls (one response each) and a final answer, runs
  `kernel-agent exec --json`, and returns the parsed JSONL lines with the process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

from agent.exec.sandbox import FORCE_ENV
from tests.exec.conftest import sandbox_info
from tests.scripted_server import Reply, ScriptedServer, ToolCall

KEY = "sk-proj-SECURITYsuite0123456789abcdefABCDEF"
SANDBOXED = ["bubblewrap", "landlock"]


@pytest.fixture(params=SANDBOXED)
def mechanism(request) -> str:
    """A working mechanism's name (skips when the kernel can't provide it)."""
    sandbox_info(request.param)
    return request.param


@pytest.fixture
def outside() -> Iterator[Path]:
    """A directory under no writable root, with one existing file."""
    base = Path("/var/tmp") if os.access("/var/tmp", os.W_OK) else Path.home()
    path = Path(tempfile.mkdtemp(prefix="ka-sec-", dir=base))
    (path / "victim.txt").write_text("original\n")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def json_lines(stdout: str) -> list[dict[str, Any]]:
    """The JSON lines of `exec --json` output (anything else is skipped)."""
    lines = []
    for text in stdout.splitlines():
        try:
            lines.append(json.loads(text))
        except ValueError:
            pass
    return lines


@dataclass
class ExecOutcome:
    proc: subprocess.CompletedProcess
    lines: list[dict[str, Any]]

    def items(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Completed items (optionally of one `type`)."""
        done = [line["item"] for line in self.lines if line.get("type") == "item.completed"]
        return [item for item in done if kind is None or item.get("type") == kind]


@dataclass
class AgentRun:
    tmp: Path
    server: ScriptedServer
    outside: Path
    mechanism: str | None = None
    approval: str = "never"
    config_extra: str = ""
    env_extra: dict[str, str] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        return self.tmp / "home"

    @property
    def work(self) -> Path:
        return self.tmp / "work"

    def write_config(self) -> None:
        self.home.mkdir(exist_ok=True)
        self.work.mkdir(exist_ok=True)
        (self.home / "config.toml").write_text(
            f'model = "gpt-5.1-codex"\nmodel_provider = "scripted"\napproval_policy = "{self.approval}"\n'
            f"{self.config_extra}\n"
            f'[model_providers.scripted]\nname = "Scripted"\nbase_url = "{self.server.url}"\nwire_api = "responses"\n'
            f'env_key = "SCRIPTED_API_KEY"\nrequest_max_retries = 1\nstream_max_retries = 1\n'
        )

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper() and k != FORCE_ENV}
        env.update(KERNEL_AGENT_HOME=str(self.home), SCRIPTED_API_KEY=KEY, PYTHONUNBUFFERED="1")
        if self.mechanism:
            env[FORCE_ENV] = self.mechanism
        env.update(self.env_extra)
        return env

    def run(self, *args: str, tool_calls: list[ToolCall] = (), prompt: str = "do it", stdin: str | None = None,
            timeout: float = 90) -> ExecOutcome:
        """Queue one response per tool call and a final answer; run `exec --json`."""
        self.write_config()
        for i, call in enumerate(tool_calls):
            if call.call_id is None:
                call.call_id = f"call_{i}"
            self.server.enqueue(Reply(tool_calls=[call]))
        self.server.enqueue(Reply(text="done."))
        cmd = [sys.executable, "-m", "agent", "exec", "--json", "-C", str(self.work), *args, prompt]
        proc = subprocess.run(cmd, env=self.env(), input=stdin, capture_output=True, text=True, timeout=timeout,
                              stdin=None if stdin is not None else subprocess.DEVNULL)
        return ExecOutcome(proc, json_lines(proc.stdout))

    def tool_outputs(self) -> dict[str, str]:
        """call_id -> the output the model was sent, from every request's input."""
        out: dict[str, str] = {}
        for request in self.server.requests:
            for item in (request.json or {}).get("input", []):
                if item.get("type") in ("function_call_output", "custom_tool_call_output"):
                    output = item.get("output")
                    out[item["call_id"]] = output if isinstance(output, str) else json.dumps(output)
        return out

    def output_of(self, call_id: str) -> str:
        """The text the model got for `call_id` (the `output` of a structured result)."""
        raw = self.tool_outputs()[call_id]
        try:
            return json.loads(raw)["output"]
        except (ValueError, KeyError, TypeError):
            return raw

    def model_input_text(self) -> str:
        """Everything the model was sent, as one string (to look for leaked secrets)."""
        return "\n".join(json.dumps(r.json) for r in self.server.requests)


@pytest.fixture
def agent(tmp_path: Path, server: ScriptedServer, outside: Path) -> AgentRun:
    return AgentRun(tmp_path, server, outside)


def shell(command: list[str], workdir: str | None = None, **extra: Any) -> ToolCall:
    """A `shell` tool call."""
    args: dict[str, Any] = {"command": command}
    if workdir is not None:
        args["workdir"] = workdir
    args.update(extra)
    return ToolCall("shell", args)


def bash(script: str, workdir: str | None = None, **extra: Any) -> ToolCall:
    return shell(["bash", "-lc", script], workdir, **extra)
