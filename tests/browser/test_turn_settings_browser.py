"""A cell's flags hold for its own turn only, and every surface says so truthfully (issue 11
item 4); a prompt sent from the side panel while a cell's turn runs is queued as its own
turn (item 2). Real JupyterLab + Chromium; screenshots under test-artifacts/browser/."""

from __future__ import annotations

import pytest

from tests.scripted_server import Reply

from .conftest import Lab
from .test_panel_browser import INPUT, PANEL, open_notebook, open_panel, shot
from .test_widget_browser import output_text, run_cell, wait_cell_done

pytestmark = pytest.mark.timeout(240)


def test_a_cell_flag_is_shown_as_this_turn_only_and_a_panel_prompt_queues_behind_it(page, lab: Lab):
    start = len(lab.scripted.requests)
    lab.scripted.enqueue(
        Reply(text="Slowly: " + " ".join(str(n) for n in range(300)), chunk_size=6, delay_per_event=0.05),
        Reply(text="The panel's own answer."),
    )
    open_notebook(page, lab, "flags.ipynb", ["%load_ext agent", "%%agent --approval on-request\ncount slowly",
                                              "%agent status"])
    open_panel(page)
    run_cell(page, 0)
    wait_cell_done(page, 0)
    turn = run_cell(page, 1)
    turn.locator(".jp-agent-view .jp-agent-streaming").wait_for(timeout=30_000)
    status = page.locator(f"{PANEL} .jp-agent-panel-status")
    page.wait_for_function("(sel) => document.querySelector(sel).textContent.includes('on-request (this turn)')",
                           arg=f"{PANEL} .jp-agent-panel-status", timeout=15_000)

    run_cell(page, 2)  # %agent status while the flagged turn runs
    wait_cell_done(page, 2)
    said = output_text(page, 2, "this turn")
    assert "on-request (this turn; later turns: untrusted)" in said, said

    page.locator(INPUT).fill("and now from the panel")
    page.locator(INPUT).press("Enter")
    panel = page.locator(PANEL)
    page.wait_for_function("(sel) => document.querySelector(sel).textContent.includes('1 queued')",
                           arg=f"{PANEL} .jp-agent-panel-status", timeout=15_000)
    prompt = turn.locator(".jp-InputPrompt").inner_text().strip().rstrip(":")
    assert f"queued behind cell {prompt}" in panel.inner_text(), panel.inner_text()
    assert "and now from the panel" not in turn.locator(".jp-agent-view").inner_text()
    shot(page, "flags-1-this-turn-and-queued")

    page.wait_for_function("(sel) => document.querySelector(sel).textContent.includes(\"The panel's own answer.\")",
                           arg=PANEL, timeout=60_000)
    page.wait_for_function("(sel) => !document.querySelector(sel).textContent.includes('this turn')",
                           arg=f"{PANEL} .jp-agent-panel-status", timeout=15_000)
    assert "approvals: untrusted" in status.inner_text(), status.inner_text()
    assert "own answer" not in turn.locator(".jp-OutputArea").inner_text()
    requests = lab.scripted.requests[start:]
    assert len(requests) == 2 and "and now from the panel" not in requests[0].body.decode()
    assert "and now from the panel" in requests[1].body.decode() and "count slowly" in requests[1].body.decode()
    shot(page, "flags-2-queued-turn-done")
