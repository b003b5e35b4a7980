"""Turns that change files through `shell` and `run_python`: `%agent diff` shows it all and
`%agent undo` restores it, latest turn first, refusing when the user changed a file since."""

from __future__ import annotations

from tests.scripted_server import Reply, ToolCall

from .conftest import write_config
from .helpers import shell

PYTHON = "open('py_out.txt', 'w').write('from python\\n')\nimport os as _os\n_os.remove('notes.txt')"


def shown(kernel, msg_id: str) -> str:
    """Markdown a cell displayed so far (line commands may display from a background task)."""
    kinds = ("display_data", "update_display_data", "execute_result", "stream")
    msgs = [m for m in kernel.by_parent[msg_id] if m["msg_type"] in kinds]
    return "\n".join(m["content"].get("data", {}).get("text/markdown", m["content"].get("text", "")) for m in msgs)


def line(kernel, command: str, expect: str) -> str:
    """Run `%agent …` and wait until its message containing `expect` is shown."""
    msg_id = kernel.run(command).msg_id
    return kernel.wait_for(lambda: expect in shown(kernel, msg_id) and shown(kernel, msg_id), what=f"{command} to show {expect!r}")


def run_turn(kernel, prompt: str, approve: int = 0):
    view = kernel.wait_for_view(kernel.run(f"%%agent\n{prompt}").msg_id)
    for _ in range(approve):
        kernel.wait_for(view.pending_approvals, what="an approval request")
        kernel.decide(view, "approved")
    kernel.wait_for(lambda: view.phase == "done", timeout=30, what="the turn to end")
    return view


def test_shell_and_run_python_changes_are_diffed_and_undone_latest_first(make_kernel, home, server, work):
    write_config(home, server.url, extra='approval_policy = "on-request"\nsandbox_mode = "workspace-write"')
    (work / "data.csv").write_text("a,b\n1,2\n")
    (work / "notes.txt").write_text("keep me\n")
    kernel = make_kernel(notebook=str(work / "analysis.ipynb"))
    kernel.run("%load_ext agent")
    server.enqueue(
        Reply(tool_calls=[shell("echo 'from shell' > shell_out.txt && echo 3,4 >> data.csv", "c_sh")]),
        Reply(tool_calls=[ToolCall("run_python", {"code": PYTHON}, "c_py")]),
        Reply(text="Changed the files."),
    )
    view = run_turn(kernel, "change the files", approve=1)
    assert (work / "shell_out.txt").exists() and (work / "py_out.txt").exists() and not (work / "notes.txt").exists()
    turn_diff = view.agent.get("turn_diff") or ""
    for name in ("shell_out.txt", "py_out.txt", "data.csv", "notes.txt"):
        assert f"diff --git a/{name} b/{name}" in turn_diff, name
    diff = kernel.run("%agent diff").markdown()  # an ended turn's diff: shown in the cell at once
    assert "+from shell" in diff and "+from python" in diff and "+3,4" in diff and "-keep me" in diff

    # Jupyter saves the open notebook (and a checkpoint) while the turn runs: not the turn's change.
    save = "echo second > second.txt && echo saved > analysis.ipynb && mkdir .ipynb_checkpoints && echo c > .ipynb_checkpoints/a"
    server.enqueue(Reply(tool_calls=[shell(save, "c_2")]), Reply(text="Wrote second.txt."))
    run_turn(kernel, "write second.txt")
    diff = line(kernel, "%agent diff", "second.txt")
    assert "+second" in diff and "ipynb" not in diff and "py_out.txt" in line(kernel, "%agent diff 2", "py_out.txt")

    # The user edits a file the latest turn changed: undo refuses, names it, changes nothing.
    (work / "second.txt").write_text("my own edit\n")
    refused = line(kernel, "%agent undo", "was not undone")
    assert "second.txt" in refused and "nothing was changed" in refused
    assert (work / "second.txt").read_text() == "my own edit\n" and (work / "py_out.txt").exists()

    (work / "second.txt").write_text("second\n")
    assert "removed second.txt" in line(kernel, "%agent undo", "Undone.")
    assert not (work / "second.txt").exists() and (work / "py_out.txt").exists()

    undone = line(kernel, "%agent undo", "Undone.")
    assert "removed py_out.txt, shell_out.txt" in undone and "restored data.csv, notes.txt" in undone
    assert (work / "data.csv").read_text() == "a,b\n1,2\n" and (work / "notes.txt").read_text() == "keep me\n"
    assert not (work / "shell_out.txt").exists() and not (work / "py_out.txt").exists()
    assert "Nothing to undo." in line(kernel, "%agent undo", "Nothing to undo.")
    assert (work / "analysis.ipynb").read_text() == "saved\n" and (work / ".ipynb_checkpoints" / "a").exists()
    assert not list((home / "snapshots" / "objects").rglob("*.tmp"))
