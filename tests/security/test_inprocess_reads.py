"""In-process file tools obey the sandbox's read policy (issue 9, hole 6).

read_file, list_dir, grep_files and view_image run in the agent's own process, outside
the sandbox, on paths a prompt-injected model chooses. None of them may reveal a
protected file (credentials, auth.json, Jupyter connection files), a per-process /proc
entry (the agent's environment holds its API keys) or a device, whatever path leads
there: /proc/self/root, `..`, a symlink or hard link planted in the workspace, a
symlink swapped between the check and the open. Each attack is paired with a control.
The tools are called directly (with the session's hidden paths) and, for the headline
case, end to end through `kernel-agent exec --json`.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from agent.exec.hidden import protected_read_paths
from agent.tools import read_policy
from agent.tools.base import ToolCall
from agent.tools.errors import RespondToModel
from agent.tools.grep_files import GrepFilesTool
from agent.tools.list_dir import ListDirTool
from agent.tools.read_file import ReadFileTool
from agent.tools.view_image import ViewImageTool
from tests.scripted_server import ToolCall as ModelCall
from tests.tools.fakes import FakeCtx

SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB\n-----END OPENSSH PRIVATE KEY-----\n"
AUTH_KEY = "sk-proj-AUTHjsonSECRET0123456789abcdefghij"
TOPSECRET = "TOPSECRET-cafe-4711"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
USR_TEXT = next(p for p in ("/usr/lib/os-release", "/usr/share/common-licenses/GPL-3", "/usr/include/stdio.h") if os.path.exists(p))


class Box:
    """A home with credentials and a workspace, and a context carrying the session's
    protected paths (the real `protected_read_paths` for that home)."""

    def __init__(self, tmp: Path):
        self.home = tmp / "home"
        self.work = tmp / "work"
        (self.home / ".ssh").mkdir(parents=True)
        (self.home / ".ssh" / "id_rsa").write_text(SSH_KEY)
        (self.home / ".ssh" / "key.png").write_bytes(PNG)
        self.agent_home = self.home / ".kernel-agent"
        self.agent_home.mkdir()
        (self.agent_home / "auth.json").write_text(json.dumps({"OPENAI_API_KEY": AUTH_KEY}))
        (self.home / "secrets").mkdir()
        (self.home / "secrets" / "token.txt").write_text(f"{TOPSECRET}\n")
        (self.home / "readme.txt").write_text(f"public mention of {TOPSECRET}\n")
        self.work.mkdir()
        (self.work / "notes.txt").write_text(f"workspace notes {TOPSECRET}\n")
        (self.work / "sub").mkdir()
        (self.work / "sub" / "deep.txt").write_text("deep\n")
        (self.work / "pic.png").write_bytes(PNG)
        self.protected = protected_read_paths(self.agent_home, env={"HOME": str(self.home)}, extra=["secrets"])
        self.ctx = FakeCtx(cwd=self.work, hidden_paths=self.protected)

    async def call(self, tool: Any, **args: Any) -> str:
        """The tool's output, or the message it sent back to the model."""
        call = ToolCall(call_id="c1", name=tool.name, kind="function", payload=json.dumps(args))
        try:
            return (await asyncio.wait_for(tool.handle(call, self.ctx), 20)).output
        except RespondToModel as err:
            return err.message


@pytest.fixture
def box(tmp_path: Path) -> Box:
    return Box(tmp_path)


def denied(text: str) -> bool:
    return text.startswith("access denied:") and "\n" not in text


async def test_read_file_refuses_the_process_environment_and_proc_escapes(box, monkeypatch):
    """Invariant: read_file never returns a per-process /proc entry (the agent's own
    environment holds its API keys) nor a credential reached through /proc/<pid>/root
    or /proc/<pid>/cwd. Control: /proc/cpuinfo, /etc/hostname, a file under /usr and a
    workspace file read normally."""
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    tool = ReadFileTool()
    for path in ("/proc/self/environ", f"/proc/{os.getpid()}/environ", "/proc/thread-self/environ",
                 f"/proc/{os.getpid()}/task/{os.getpid()}/environ", "/proc/self/mem",
                 f"/proc/self/root{box.home}/.ssh/id_rsa", f"/proc/{os.getpid()}/cwd/notes.txt"):
        out = await box.call(tool, file_path=path)
        assert denied(out), (path, out)
        assert "wJalrXUtnFEMI" not in out and "OPENSSH" not in out
    assert (await box.call(tool, file_path="/proc/cpuinfo")).startswith("L1: ")
    assert (await box.call(tool, file_path="/etc/hostname")).startswith("L1: ")
    assert (await box.call(tool, file_path=USR_TEXT)).startswith("L1: ")
    assert await box.call(tool, file_path=str(box.work / "notes.txt")) == f"L1: workspace notes {TOPSECRET}"


async def test_read_file_refuses_credentials_through_symlinks_dotdot_and_hard_links(box):
    """Invariant: a protected file is refused however it is named: directly, through a
    symlink (to the file, to auth.json, or to its directory) planted in the workspace,
    through `..`, or through a hard link to it. Control: a symlink and a hard link to a
    workspace file read normally."""
    work = box.work
    (work / "key_link").symlink_to(box.home / ".ssh" / "id_rsa")
    (work / "auth_link").symlink_to(box.agent_home / "auth.json")
    (work / "ssh_dir").symlink_to(box.home / ".ssh")
    (work / "chain").symlink_to(work / "key_link")
    os.link(box.home / ".ssh" / "id_rsa", work / "hard_key")
    (work / "ok_link").symlink_to(work / "notes.txt")
    os.link(work / "notes.txt", work / "ok_hard")
    tool = ReadFileTool()
    attacks = [box.home / ".ssh" / "id_rsa", box.agent_home / "auth.json", work / "key_link", work / "auth_link",
               work / "ssh_dir" / "id_rsa", work / "chain", work / "hard_key", f"{work}/../home/.ssh/id_rsa",
               f"{work}/ssh_dir/../readme.txt/../.ssh/id_rsa"]
    for path in attacks:
        out = await box.call(tool, file_path=str(path))
        assert "OPENSSH" not in out and AUTH_KEY not in out, path
        assert out.startswith(("access denied:", "failed to read file")), (path, out)
    assert denied(await box.call(tool, file_path=str(work / "hard_key")))
    for ok in ("ok_link", "ok_hard"):
        assert await box.call(tool, file_path=str(work / ok)) == f"L1: workspace notes {TOPSECRET}"


async def test_read_file_checks_what_it_opened_not_what_it_checked(box, monkeypatch):
    """Invariant (TOCTOU): a symlink swapped to a protected file after the path check and
    before the open is caught, because the opened descriptor is checked. Control: the
    same link left alone reads its workspace target."""
    link = box.work / "flip"
    link.symlink_to(box.work / "notes.txt")
    original = read_policy.read_denial

    def check_then_swap(path: Any, protected: Any) -> str | None:
        verdict = original(path, protected)
        if str(path) == str(link):
            link.unlink()
            link.symlink_to(box.home / ".ssh" / "id_rsa")
        return verdict

    assert await box.call(ReadFileTool(), file_path=str(link)) == f"L1: workspace notes {TOPSECRET}"
    link.unlink()
    link.symlink_to(box.work / "notes.txt")
    monkeypatch.setattr(read_policy, "read_denial", check_then_swap)
    out = await box.call(ReadFileTool(), file_path=str(link))
    assert denied(out) and "OPENSSH" not in out


async def test_read_file_refuses_devices_and_does_not_hang_on_a_fifo(box):
    """Invariant: device files are never read (no /dev/stdin, /dev/mem-style reads, no
    endless /dev/zero) and a FIFO planted in the workspace is refused at once instead of
    blocking the agent. Control: a regular workspace file next to them reads."""
    os.mkfifo(box.work / "pipe")
    tool = ReadFileTool()
    for path in ("/dev/zero", "/dev/urandom", "/dev/stdin", "/dev/fd/0", str(box.work / "pipe")):
        assert denied(await box.call(tool, file_path=path)), path
    assert (await box.call(tool, file_path=str(box.work / "sub" / "deep.txt"))) == "L1: deep"


async def test_list_dir_does_not_enter_protected_or_per_process_directories(box):
    """Invariant: list_dir never lists the inside of a protected directory or of
    /proc/<pid>, neither as the requested directory (directly or through a symlink) nor
    while recursing. Control: the workspace lists recursively; the home lists with the
    protected directories (and files) named but not entered."""
    (box.work / "ssh_dir").symlink_to(box.home / ".ssh")
    tool = ListDirTool()
    for path in (box.home / ".ssh", box.work / "ssh_dir", box.home / "secrets", "/proc/self", f"/proc/{os.getpid()}/fd"):
        assert denied(await box.call(tool, dir_path=str(path))), path
    home = await box.call(tool, dir_path=str(box.home), depth=3, limit=500)
    assert ".ssh/" in home and "secrets/" in home and "readme.txt" in home
    assert "id_rsa" not in home and "token.txt" not in home  # names inside protected directories
    proc = await box.call(tool, dir_path="/proc", depth=2, limit=100_000)
    assert "cpuinfo" in proc and "environ" not in proc
    work = await box.call(tool, dir_path=str(box.work), depth=2)
    assert "notes.txt" in work and "deep.txt" in work and "ssh_dir@" in work


@pytest.mark.parametrize("backend", ["rg", "python"])
async def test_grep_files_reveals_nothing_about_protected_files(box, backend):
    """Invariant: grep_files is no oracle on protected files: a protected root (directly,
    through a symlink, `..` or /proc/self) is refused, and below an allowed root a match
    in a protected file is never reported (with ripgrep and with the Python fallback).
    Control: matches in the workspace and in ordinary home files are reported."""
    if backend == "rg":
        assert shutil.which("rg"), "ripgrep must be installed"
    tool = GrepFilesTool(force_fallback=backend == "python")
    (box.work / "secrets_link").symlink_to(box.home / "secrets")
    (box.work / "home_link").symlink_to(box.home)
    for path in (str(box.home / "secrets"), "secrets_link", "../home/secrets", "/proc/self", str(box.home / ".ssh")):
        out = await box.call(tool, pattern="TOPSECRET|OPENSSH", path=path)
        assert denied(out), (path, out)
    home = (await box.call(tool, pattern="TOPSECRET", path=str(box.home))).split("\n")
    assert home == [str(box.home / "readme.txt")]
    through_link = (await box.call(tool, pattern="TOPSECRET", path="home_link")).split("\n")
    assert through_link == [str(box.work / "home_link" / "readme.txt")]
    work = (await box.call(tool, pattern="TOPSECRET")).split("\n")
    assert work == [str(box.work / "notes.txt")]


async def test_view_image_refuses_protected_images(box):
    """Invariant: view_image attaches no protected file (through a symlink or /proc).
    Control: a workspace image is attached."""
    (box.work / "key_link.png").symlink_to(box.home / ".ssh" / "key.png")
    tool = ViewImageTool()
    for path in ("key_link.png", str(box.home / ".ssh" / "key.png"), f"/proc/self/root{box.home}/.ssh/key.png"):
        assert denied(await box.call(tool, path=path)), path
    assert box.ctx.pending == []
    assert await box.call(tool, path="pic.png") == "attached local image path"
    assert len(box.ctx.pending) == 1


def test_environment_and_credentials_never_reach_the_model_end_to_end(agent, mechanism):
    """Invariant: with OPENAI_API_KEY and AWS_SECRET_ACCESS_KEY in the agent's
    environment, `read_file("/proc/self/environ")` (and the agent's auth.json, and a
    workspace symlink to it) sends the model a denial, never the values, on both
    sandbox mechanisms. Control: a workspace file reaches the model."""
    agent.mechanism = mechanism
    openai_key, aws_secret = "sk-proj-E2Eenv0123456789abcdefghijklmnop", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    agent.env_extra = {"OPENAI_API_KEY": openai_key, "AWS_SECRET_ACCESS_KEY": aws_secret}
    agent.write_config()
    (agent.home / "auth.json").write_text(json.dumps({"OPENAI_API_KEY": AUTH_KEY}))
    (agent.work / "auth_link").symlink_to(agent.home / "auth.json")
    (agent.work / "notes.txt").write_text("the quarterly numbers are in\n")
    result = agent.run(tool_calls=[
        ModelCall("read_file", {"file_path": "/proc/self/environ"}),
        ModelCall("read_file", {"file_path": str(agent.home / "auth.json")}),
        ModelCall("read_file", {"file_path": str(agent.work / "auth_link")}),
        ModelCall("read_file", {"file_path": str(agent.work / "notes.txt")}),
    ])
    assert result.proc.returncode == 0, result.proc.stderr
    sent = agent.model_input_text()
    for secret in (openai_key, aws_secret, AUTH_KEY):
        assert secret not in sent
    outputs = agent.tool_outputs()
    assert all(outputs[f"call_{i}"].startswith("access denied:") for i in range(3)), outputs
    assert "L1: the quarterly numbers are in" in outputs["call_3"]
