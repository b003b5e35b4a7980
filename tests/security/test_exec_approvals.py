"""`kernel-agent exec` approvals, its approval policy, and a reader that goes away
(issue 9, item 8 and the item-10 "stdout closed early" case), end to end against the
scripted model server.

Invariants:
* on a terminal, a request is shown (argv and cwd, or the diff, and the reason) and the
  answer is obeyed: `y` runs once, `a` runs and stops asking for that command, `n` denies
  (the model is told), `q` aborts the turn;
* without a terminal (stdin from /dev/null or a pipe) a request is denied at once, the
  model gets the usual rejection, stderr says so in one line, and exec never hangs;
* exec honours approval_policy from config.toml, a profile and `-c`; `never` only when
  nothing sets one;
* `exec ... | head -c 10` ends promptly without a traceback and the session file is kept.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import pytest

from agent.frontends.cli.exec_cmd import load_run_config
from agent.frontends.cli.main import build_parser
from agent.frontends.cli.session_commands import rewrite_exec_resume
from tests.scripted_server import Reply

from .conftest import shell

REJECTED = "exec command rejected by user"
NO_TTY_LINE = "approval needed but stdin is not a terminal"


def touch(name: str):
    return shell(["touch", name])


# ------------------------------------------------------------------ without a terminal


@pytest.mark.parametrize("stdin", ["devnull", "pipe"])
def test_without_a_terminal_requests_are_denied_at_once(agent, stdin):
    """Invariant: no TTY -> every approval request is denied immediately (stdin from
    /dev/null or a pipe), the model gets the rejection, stderr has one line per request,
    exec exits 0 promptly. Control: a known-safe command still runs."""
    agent.approval = "untrusted"
    agent.work.mkdir(parents=True)
    (agent.work / "README").write_text("hello\n")
    started = time.monotonic()
    result = agent.run(tool_calls=[touch("made"), shell(["cat", "README"])],
                       stdin="" if stdin == "pipe" else None, timeout=60)
    assert time.monotonic() - started < 45
    assert result.proc.returncode == 0, result.proc.stderr
    assert not (agent.work / "made").exists()
    outputs = agent.tool_outputs()
    assert REJECTED in outputs["call_0"] and "hello" in outputs["call_1"]
    notes = [line for line in result.proc.stderr.splitlines() if NO_TTY_LINE in line]
    assert len(notes) == 1 and "touch made" in notes[0], result.proc.stderr
    assert [item["status"] for item in result.items("command_execution")] == ["failed", "completed"]


def test_prompt_on_stdin_is_not_an_answer(agent):
    """Invariant: when the prompt itself comes from a pipe, nothing else on it is read as
    an approval (`y` lines do not approve). Control: the prompt is still read."""
    agent.approval = "untrusted"
    result = agent.run(tool_calls=[touch("made")], prompt="-", stdin="do it\ny\ny\na\n")
    assert result.proc.returncode == 0, result.proc.stderr
    assert not (agent.work / "made").exists()
    assert REJECTED in agent.tool_outputs()["call_0"]


def test_exec_honours_the_policy_of_a_profile(agent):
    """Invariant: `-p PROFILE` with `approval_policy = "untrusted"` asks (here: denies,
    no TTY) although the top level says `never`. Control: without the profile the top
    level `never` runs the command."""
    agent.approval = "never"
    agent.config_extra = '[profiles.careful]\napproval_policy = "untrusted"\n'
    result = agent.run("-p", "careful", tool_calls=[touch("made")])
    assert result.proc.returncode == 0, result.proc.stderr
    assert not (agent.work / "made").exists()
    result = agent.run(tool_calls=[touch("made")])
    assert (agent.work / "made").exists()


@pytest.mark.parametrize(("toml", "cli", "expected"), [
    ("", {}, "never"),
    ('approval_policy = "on-request"\n', {}, "on-request"),
    ('approval_policy = "untrusted"\n', {}, "untrusted"),
    ('profile = "p"\n[profiles.p]\napproval_policy = "on-failure"\n', {}, "on-failure"),
    ('[profiles.p]\napproval_policy = "untrusted"\n', {"profile": "p"}, "untrusted"),
    ("", {"raw_overrides": ["approval_policy=on-request"]}, "on-request"),
    ('approval_policy = "untrusted"\n', {"approval_policy": "never"}, "never"),
    ("", {"full_auto": True}, "on-request"),
    ('[projects."{work}"]\ntrust_level = "untrusted"\n', {}, "untrusted"),
    ('[projects."{work}"]\ntrust_level = "trusted"\n', {}, "never"),
])
def test_exec_approval_policy_resolution(tmp_path, monkeypatch, toml, cli, expected):
    """Invariant: exec uses the configured approval_policy (flag > -c > profile > file);
    `never` only when nothing sets one (an untrusted project stays `untrusted`)."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir(), work.mkdir()
    (home / "config.toml").write_text(toml.replace("{work}", str(work)))
    monkeypatch.setenv("KERNEL_AGENT_HOME", str(home))
    args = build_parser().parse_args(["exec", "-C", str(work), "x"])
    for key, value in cli.items():
        setattr(args, key, value)
    assert load_run_config(args).approval_policy == expected


# ------------------------------------------------------------------ on a terminal


class Terminal:
    """`kernel-agent exec --json` with stdin and stderr on a pseudo-terminal (stdout is a
    pipe, as a user would redirect JSONL)."""

    def __init__(self, agent, *args: str):
        agent.write_config()
        self.master, slave = pty.openpty()
        cmd = [sys.executable, "-m", "agent", "exec", "--json", "-C", str(agent.work), *args, "do it"]
        self.proc = subprocess.Popen(cmd, env=agent.env(), stdin=slave, stderr=slave, stdout=subprocess.PIPE,
                                     close_fds=True)
        os.close(slave)
        self.screen = ""

    def wait_for(self, text: str, count: int = 1, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.screen.count(text) < count:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out waiting for {text!r}; screen:\n{self.screen}"
            ready, _, _ = select.select([self.master], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    chunk = b""
                assert chunk, f"terminal closed while waiting for {text!r}; screen:\n{self.screen}"
                self.screen += chunk.decode("utf-8", "replace")

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def finish(self, timeout: float = 60) -> int:
        code = self.proc.wait(timeout=timeout)
        self.proc.stdout.close()
        os.close(self.master)
        return code


def queue(agent, *calls) -> None:
    for i, call in enumerate(calls):
        call.call_id = f"call_{i}"
        agent.server.enqueue(Reply(tool_calls=[call]))
    agent.server.enqueue(Reply(text="done."))


def test_terminal_answers_are_obeyed(agent):
    """Invariant: on a TTY the question shows argv and cwd; `y` runs once, `n` denies and
    the model is told, `a` runs and the same command is not asked again; an unknown
    answer is asked again. Control: a known-safe command is never asked."""
    agent.approval = "untrusted"
    agent.work.mkdir(parents=True)
    queue(agent, touch("yes"), touch("no"), touch("session"), touch("session"), shell(["ls"]))
    term = Terminal(agent)
    try:
        term.wait_for("Run it?")
        assert "approval needed to run: touch yes" in term.screen and str(agent.work) in term.screen
        term.type("y")
        term.wait_for("Run it?", 2)
        term.type("maybe")
        term.wait_for("please answer")
        term.wait_for("Run it?", 3)
        term.type("n")
        term.wait_for("Run it?", 4)
        term.type("a")
        assert term.finish() == 0, term.screen
    finally:
        term.proc.kill()
    assert term.screen.count("Run it?") == 4
    assert (agent.work / "yes").exists() and not (agent.work / "no").exists() and (agent.work / "session").exists()
    outputs = agent.tool_outputs()
    assert REJECTED in outputs["call_1"] and REJECTED not in outputs["call_3"]


def test_terminal_q_aborts_the_turn(agent):
    """Invariant: `q` aborts the turn (nothing runs, exit 130, the session file is kept).
    Control: the question was asked on the terminal first."""
    agent.approval = "on-request"
    agent.work.mkdir(parents=True)
    (agent.work / "build").mkdir()
    queue(agent, shell(["rm", "-r", "-f", "build"]))
    term = Terminal(agent)
    try:
        term.wait_for("Run it?")
        assert "rm -r -f build" in term.screen
        term.type("q")
        assert term.finish() == 130, term.screen
    finally:
        term.proc.kill()
    assert (agent.work / "build").is_dir()
    assert list((agent.home / "sessions").rglob("rollout-*.jsonl"))


def test_terminal_patch_request_shows_the_diff(agent):
    """Invariant: an apply_patch request on a TTY shows the diff and obeys `n`.
    Control: the command line still finishes normally."""
    agent.approval = "untrusted"
    agent.work.mkdir(parents=True)
    patch = "*** Begin Patch\n*** Add File: new.txt\n+secret plan\n*** End Patch\n"
    queue(agent, shell(["apply_patch", patch]))
    term = Terminal(agent)
    try:
        term.wait_for("Apply it?")
        assert "secret plan" in term.screen and "[a]" not in term.screen.split("Apply it?")[1]
        term.type("n")
        assert term.finish() == 0, term.screen
    finally:
        term.proc.kill()
    assert not (agent.work / "new.txt").exists()


# ------------------------------------------------------------------ reader goes away


def test_stdout_closed_early_ends_cleanly(agent):
    """Invariant: `exec --json ... | head -c 10` stops promptly with status 141 (as a
    program stopped by SIGPIPE), no traceback, and the session file written. Control:
    head got the first bytes of the JSONL."""
    agent.write_config()
    agent.server.enqueue(Reply(text="a long answer " * 40, delay_per_event=0.05))
    exec_cmd = " ".join([sys.executable, "-m", "agent", "exec", "--json", "-C", str(agent.work), "'do it'"])
    script = f"{exec_cmd} | head -c 10; status=${{PIPESTATUS[0]}}; echo status=$status >&2"
    started = time.monotonic()
    proc = subprocess.run(["bash", "-c", script], env=agent.env(), capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert time.monotonic() - started < 45
    assert proc.stdout == '{"type":"t'
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
    assert "status=141" in proc.stderr, proc.stderr
    [rollout] = list((agent.home / "sessions").rglob("rollout-*.jsonl"))
    assert "do it" in rollout.read_text()


def test_human_output_closed_early_has_no_traceback(agent):
    """Invariant: human mode piped into `head -c 10` (stdout and stderr) ends without a
    traceback. Control: the first bytes reached head."""
    agent.write_config()
    agent.server.enqueue(Reply(text="a long answer " * 2000))
    exec_cmd = " ".join([sys.executable, "-m", "agent", "exec", "-C", str(agent.work), "'do it'"])
    proc = subprocess.run(["bash", "-c", f"{exec_cmd} 2>&1 | head -c 10"], env=agent.env(), capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert len(proc.stdout) == 10 and proc.stderr == "", proc.stderr


def test_rewrite_keeps_plain_exec_prompts():
    """Control for the resume rewrite: `exec PROMPT` and options with the value "resume"
    are left alone."""
    assert rewrite_exec_resume(["exec", "--json", "hello"]) == ["exec", "--json", "hello"]
    assert rewrite_exec_resume(["exec", "-m", "resume", "hi"]) == ["exec", "-m", "resume", "hi"]
    assert rewrite_exec_resume(["exec", "--json", "resume", "--last", "p"]) == ["exec-resume", "--json", "--last", "--", "p"]
