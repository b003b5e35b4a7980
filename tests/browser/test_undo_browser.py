"""Undo in a real JupyterLab: a turn changes files through `shell` and `run_python` (and a
variable); `%agent diff` shows both files, `%agent undo` puts the files and the variable
back. Screenshots go to test-artifacts/browser/undo-*.png."""

from __future__ import annotations

import pytest

from tests.scripted_server import Reply, ToolCall

from .conftest import Lab
from .test_widget_browser import NB, open_notebook, output_text, run_cell, shot, wait_cell_done

pytestmark = pytest.mark.timeout(240)

CODE = "x = 2\nopen('data.csv', 'w').write('a,b\\n1,2\\n')"


def approve(cell) -> None:
    """Approve the pending request (commands and run_python ask under `untrusted`)."""
    pending = cell.locator(".jp-agent-view .jp-agent-approval-pending")
    pending.wait_for(timeout=30_000)
    pending.locator("button.jp-agent-btn-approved").click()
    pending.wait_for(state="detached", timeout=30_000)


def test_undo_a_turn_that_changed_files_through_shell_and_run_python(page, lab: Lab):
    lab.scripted.enqueue(
        Reply(tool_calls=[ToolCall("shell", {"command": ["bash", "-c", "printf 'kept notes\\n' > notes.txt"]}, "call_sh")]),
        Reply(tool_calls=[ToolCall("run_python", {"code": CODE}, "call_py")]),
        Reply(text="Wrote `notes.txt` with a command and `data.csv` from Python; `x` is 2 now."),
    )
    (lab.root / "data.csv").write_text("old,data\n")
    open_notebook(page, lab, "undo.ipynb", [
        "%load_ext agent", "x = 1", "%%agent\nwrite the notes and the data",
        "%agent diff", "%agent undo", "print(open('data.csv').read(), x, __import__('os').path.exists('notes.txt'))",
    ])
    for i in (0, 1):
        run_cell(page, i)
        wait_cell_done(page, i)
    turn = run_cell(page, 2)
    approve(turn)
    approve(turn)
    turn.locator(".jp-agent-state-done").wait_for(timeout=30_000)
    assert (lab.root / "notes.txt").read_text() == "kept notes\n"
    assert (lab.root / "data.csv").read_text() == "a,b\n1,2\n"
    turn.scroll_into_view_if_needed()
    shot(page, "undo-1-turn-done")

    run_cell(page, 3)
    wait_cell_done(page, 3)
    diff = output_text(page, 3, "notes.txt")
    assert "notes.txt" in diff and "+kept notes" in diff, diff
    assert "data.csv" in diff and "-old,data" in diff and "+a,b" in diff, diff

    run_cell(page, 4)
    wait_cell_done(page, 4)
    undone = output_text(page, 4, "Undone")
    assert "Undone" in undone and "notes.txt" in undone and "data.csv" in undone and "x" in undone, undone
    run_cell(page, 5)
    wait_cell_done(page, 5)
    assert output_text(page, 5, "old,data").split() == ["old,data", "1", "False"]
    assert not (lab.root / "notes.txt").exists() and (lab.root / "data.csv").read_text() == "old,data\n"
    page.locator(f"{NB} .jp-Cell").nth(5).scroll_into_view_if_needed()
    shot(page, "undo-2-diff-and-undo")
