"""Provenance survives a headless run: nbclient executes `%%agent --wait` cells against the
scripted server, the saved .ipynb holds each turn's `metadata["kernel-agent"]` (with file
hashes matching the real contents before and after), no secret, and `%agent log PATH`
prints the audit from it (issue 11 item 9)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.notebooks.agent_home import scripted_home
from tests.scripted_server import Reply, ScriptedServer, ToolCall

KEY = "sk-provenance-nbclient-0123456789abcdef"
FIRST_PATCH = ("*** Begin Patch\n*** Update File: data.txt\n@@\n x\n-y\n+Y\n*** Add File: hello.py\n"
               "+print('hello')\n*** End Patch\n")
SECOND_PATCH = "*** Begin Patch\n*** Update File: hello.py\n@@\n-print('hello')\n+print('hello, world')\n*** End Patch\n"
COMMAND = ["bash", "-c", "echo one > a.txt; printenv SCRIPTED_API_KEY; true"]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def server():
    with ScriptedServer() as srv:
        yield srv


@pytest.fixture
def work(tmp_path: Path, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    scripted_home(tmp_path / "home", server.url, KEY, monkeypatch)
    work = tmp_path / "work"
    work.mkdir()
    return work


def run(cells: list[str], work: Path) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    NotebookClient(nb, kernel_name="python3", timeout=60, startup_timeout=60,
                   resources={"metadata": {"path": str(work)}}).execute()
    return nb


def test_a_headless_run_saves_provenance_and_the_log_reads_it(server, work):
    (work / "data.txt").write_bytes(b"x\ny\n")
    server.enqueue(Reply(tool_calls=[ToolCall("shell", {"command": COMMAND}, "call_sh")]),
                   Reply(tool_calls=[ToolCall("apply_patch", {"input": FIRST_PATCH}, "call_p1")]),
                   Reply(text="Done: a.txt, data.txt and hello.py."),
                   Reply(tool_calls=[ToolCall("apply_patch", {"input": SECOND_PATCH}, "call_p2")]),
                   Reply(text="hello.py greets the world."))
    nb = run(["%load_ext agent", "%%agent --wait\nwrite the files", "%%agent --wait\ngreet the world"], work)
    path = work / "audit.ipynb"
    nbformat.write(nb, path)

    first, second = ([o.metadata["kernel-agent"] for o in cell.outputs if "kernel-agent" in o.get("metadata", {})]
                     for cell in nb.cells[1:])
    assert len(first) == len(second) == 1
    first, second = first[0], second[0]
    assert first["session_id"] == second["session_id"] and first["turn_id"] != second["turn_id"]
    assert (first["model"], first["provider"], first["approval_policy"]) == ("gpt-4.1", "scripted", "never")
    assert first["outcome"] == second["outcome"] == "completed"
    command, patch = first["tools"]
    assert (command["argv"], command["exit_code"]) == (COMMAND, 0)
    assert patch["files"] == ["data.txt", "hello.py"] and patch["auto_approved"] is True and patch["status"] == "applied"
    assert first["approvals"] == []  # `never`: nothing was asked

    hello_then = b"print('hello')\n"
    assert {f["path"]: (f["change"], f["before_sha256"], f["after_sha256"]) for f in first["files"]} == {
        "data.txt": ("updated", sha(b"x\ny\n"), sha((work / "data.txt").read_bytes())),
        "hello.py": ("added", None, sha(hello_then)),
        "a.txt": ("added", None, sha(b"one\n")),  # by the command: from the turn's workspace diff
    }
    assert (work / "a.txt").read_bytes() == b"one\n"
    assert (work / "data.txt").read_bytes() == b"x\nY\n"
    assert [(f["path"], f["before_sha256"], f["after_sha256"]) for f in second["files"]] == [
        ("hello.py", sha(hello_then), sha((work / "hello.py").read_bytes()))]
    assert (work / "hello.py").read_bytes() == b"print('hello, world')\n"

    saved = path.read_text()
    assert KEY not in saved and KEY[:20] not in saved  # nothing of the key, in outputs or metadata

    [log_cell] = run(["%load_ext agent", f"%agent log {path}"], work).cells[1:]
    audit = "\n".join(o.data.get("text/markdown", "") for o in log_cell.outputs if "data" in o)
    assert "#### Cell 2 (In [2]): agent turn" in audit and "#### Cell 3 (In [3]): agent turn" in audit
    assert f"shell `{COMMAND[0]} {COMMAND[1]} '{COMMAND[2]}'` → exit 0" in audit
    assert "`data.txt` updated, sha256 `" + sha(b"x\ny\n")[:12] in audit
    assert "approvals: none asked" in audit and "model `gpt-4.1` (scripted)" in audit
