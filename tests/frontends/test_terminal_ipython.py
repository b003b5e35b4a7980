"""Outside a widget-capable front end: IPython's InteractiveShell (as in terminal IPython) runs
`%load_ext agent` and `%%agent` in the foreground, renders text, and asks approvals on stdin.

Each test runs the shell in a subprocess (a fresh InteractiveShell singleton, real stdin)
against the scripted model server."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.scripted_server import Reply, ToolCall

KEY = "sk-terminal-test-0123456789abcdef"

SHELL = textwrap.dedent("""
    import sys
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    assert not hasattr(ip, "kernel")
    ip.run_line_magic("load_ext", "agent")
    for cell in sys.argv[1:]:
        result = ip.run_cell(cell)
        print(f"<<cell ok={result.success}>>", flush=True)
""")


def ipython(tmp_path: Path, home: Path, *cells: str, stdin: str = "", key: str | None = KEY) -> subprocess.CompletedProcess:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper() and k not in ("OPENAI_API_KEY", "SCRIPTED_API_KEY")}
    env.update(KERNEL_AGENT_HOME=str(home), IPYTHONDIR=str(tmp_path / "ipython"), PYTHONUNBUFFERED="1")
    if key is not None:
        env["SCRIPTED_API_KEY"] = key
    return subprocess.run([sys.executable, "-c", SHELL, *cells], cwd=work, env=env, input=stdin,
                          capture_output=True, text=True, timeout=60, check=False)


def test_foreground_turn_with_an_approval_answered_on_stdin(tmp_path, server, home):
    server.enqueue(
        Reply(tool_calls=[ToolCall("shell", {"command": ["bash", "-c", "echo hi > hello.txt"]}, "call_1")]),
        Reply(text="Wrote hello.txt."),
        Reply(text="A second answer."),
    )
    proc = ipython(tmp_path, home, "%%agent --approval untrusted\nwrite hello.txt", "%%agent --wait\nanything else?",
                   "%agent status", stdin="a\n")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.count("<<cell ok=True>>") == 3
    assert "kernel-agent | model: gpt-4.1" in out and out.count("kernel-agent | model:") == 1
    assert "approval needed to run: bash -c 'echo hi > hello.txt'" in out
    assert "[a]pprove / approve for [s]ession / [d]eny / a[b]ort: decision: approved" in out
    assert "Wrote hello.txt." in out and "A second answer." in out
    # The first turn ended before the next cell ran (foreground), in order.
    assert out.index("Wrote hello.txt.") < out.index("<<cell ok=True>>") < out.index("A second answer.")
    assert "- **model:** gpt-4.1" in out and "responses API" in out  # %agent status as text
    assert (tmp_path / "work" / "hello.txt").read_text() == "hi\n"
    assert "application/vnd.jupyter.widget-view+json" not in out and "Traceback" not in proc.stderr
    assert len(server.requests) == 3 and KEY not in out + proc.stderr


def test_deny_on_stdin_and_end_of_input_aborts(tmp_path, server, home):
    server.enqueue(
        Reply(tool_calls=[ToolCall("shell", {"command": ["bash", "-c", "echo no > no.txt"]}, "call_d")]),
        Reply(tool_calls=[ToolCall("shell", {"command": ["bash", "-c", "echo again > no.txt"]}, "call_e")]),
    )
    proc = ipython(tmp_path, home, "%%agent --approval untrusted\nwrite no.txt", stdin="d\n")
    assert proc.returncode == 0, proc.stderr
    assert "decision: denied" in proc.stdout and "decision: abort" in proc.stdout  # stdin ran dry -> abort
    assert not (tmp_path / "work" / "no.txt").exists()
    assert "exec command rejected by user" in server.requests[1].body.decode()
    assert len(server.requests) == 2


def test_help_and_setup_error_as_text(tmp_path, server, home):
    proc = ipython(tmp_path, home, "%agent?", "%%agent?", "%%agent\nhello", key=None)
    assert proc.returncode == 0, proc.stderr
    assert "SUBCOMMAND" in proc.stdout and "--approval POLICY" in proc.stdout
    assert "kernel-agent can't start" in proc.stderr and "SCRIPTED_API_KEY" in proc.stderr
    assert "%agent login" in proc.stderr and "Traceback" not in proc.stderr
    assert server.requests == []
