"""One turn per cell in a real JupyterLab: a second `%%agent` cell run while the first waits
for an approval says "queued behind cell [n]" at once, then runs as its own turn when the
first ends. Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

import pytest

from tests.scripted_server import Reply, ToolCall

from .conftest import Lab
from .test_widget_browser import open_notebook, run_cell, shot, wait_cell_done, widget_shot

pytestmark = pytest.mark.timeout(240)


def test_a_second_cell_is_queued_then_both_complete_in_order(page, lab: Lab):
    start = len(lab.scripted.requests)  # the server is shared by the session's tests
    lab.scripted.enqueue(
        Reply(tool_calls=[ToolCall("shell", {"command": ["bash", "-c", "echo queued > queued.txt"]}, "call_q")]),
        Reply(text="Wrote `queued.txt`."),
        Reply(text="The second cell's **own** answer."),
    )
    open_notebook(page, lab, "queue.ipynb", ["%load_ext agent", "%%agent --approval untrusted\nwrite queued.txt",
                                             "%%agent\nthen say what you wrote"])
    run_cell(page, 0)
    wait_cell_done(page, 0)
    first = run_cell(page, 1)
    wait_cell_done(page, 1)
    first_prompt = first.locator(".jp-InputPrompt").inner_text().strip()  # "[2]:"
    approval = first.locator(".jp-agent-view .jp-agent-approval-pending")
    approval.wait_for(timeout=30_000)

    second = run_cell(page, 2)
    view = second.locator(".jp-agent-view")
    view.locator(".jp-agent-state-queued").wait_for(timeout=15_000)
    label = f"queued behind cell {first_prompt.rstrip(':')}"
    assert label in view.inner_text(), view.inner_text()
    assert view.locator("button.jp-agent-stop").is_visible()  # it would take the cell out of the queue
    assert "then say what you wrote" not in first.locator(".jp-agent-view").inner_text()
    second.scroll_into_view_if_needed()
    shot(page, "queue-01-second-cell-queued")
    widget_shot(second, "queue-01-second-cell-queued-widget")

    approval.locator("button.jp-agent-btn-approved").click()
    first.locator(".jp-agent-view .jp-agent-state-done").wait_for(timeout=30_000)
    view.locator(".jp-agent-state-done").wait_for(timeout=30_000)
    assert "Wrote queued.txt." in first.locator(".jp-agent-view").inner_text()
    assert "own answer" in view.inner_text() and "own answer" not in first.locator(".jp-agent-view").inner_text()
    requests = lab.scripted.requests[start:]
    assert len(requests) == 3 and "then say what you wrote" not in requests[1].body.decode()
    assert "then say what you wrote" in requests[2].body.decode()
    second.scroll_into_view_if_needed()
    shot(page, "queue-02-both-done")
