"""The side panel attaches while a `%%agent --wait` cell blocks the main shell (issue 11 item 7).

A `--wait` cell awaits its turn on the kernel's main shell; the turn asks to run a command
and waits for approval. After a page reload nothing on the main shell answers (not even
`kernel_info`) until the cell ends, so the panel must do all its talking on a subshell:
the test reloads the page, opens the panel, expects it to attach and show the pending
approval, approves from the panel and sees the cell finish. Screenshots:
test-artifacts/browser/panel-attach-*.png.
"""

from __future__ import annotations

import pytest

from tests.scripted_server import Reply, ToolCall

from .conftest import ARTIFACTS, Lab
from .test_panel_browser import NB, PANEL, open_panel, wait_state
from .test_widget_browser import open_notebook, run_cell, wait_cell_done

pytestmark = pytest.mark.timeout(240)

COMMAND = ["bash", "-c", "echo attached > attach.txt"]


def test_panel_attaches_to_a_kernel_blocked_by_a_wait_cell(page, lab: Lab):
    target = lab.root / "attach.txt"
    target.unlink(missing_ok=True)
    lab.scripted.enqueue(Reply(tool_calls=[ToolCall("shell", {"command": COMMAND}, "call_attach")]),
                         Reply(text="Wrote attach.txt."))
    open_notebook(page, lab, "attach_wait.ipynb", ["%load_ext agent", "%%agent --wait\ncreate attach.txt", "6*7"])
    run_cell(page, 0)
    wait_cell_done(page, 0)
    cell = run_cell(page, 1)
    cell.locator(".jp-agent-approval-pending").wait_for(timeout=30_000)

    page.reload()
    page.wait_for_selector(f"{NB} .jp-Cell")
    open_panel(page)  # waits for the panel to be ready: it attached while the cell blocks the shell
    approval = page.locator(f"{PANEL} .jp-agent-approval-pending")
    approval.wait_for(timeout=30_000)
    assert "attach.txt" in page.locator(f"{PANEL} .jp-agent-command:has(.jp-agent-approval-pending)").inner_text()
    page.locator(PANEL).screenshot(path=str(ARTIFACTS / "panel-attach-pending.png"))
    assert not target.exists()

    approval.locator("button.jp-agent-btn-approved").click()
    wait_state(page, "done")
    assert target.read_text() == "attached\n"
    # The reloaded page does not own cell 1's execution; a cell run now starts once it ended.
    run_cell(page, 2)
    wait_cell_done(page, 2)
    assert "42" in page.locator(f"{NB} .jp-Cell").nth(2).locator(".jp-OutputArea").inner_text()
    page.screenshot(path=str(ARTIFACTS / "panel-attach-done.png"), full_page=True)
