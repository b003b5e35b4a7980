"""The JupyterLab side panel in a real JupyterLab, in headless Chromium.

Each test opens a notebook that never loads the extension itself: opening the panel (the
keyboard shortcut or the command palette) loads it in the kernel silently, with no cell
added. Then, as a user would: send a request and see the answer stream in; approve a patch
in the panel and find the file on disk; deny a command and see it not run; stop a turn;
insert a code block from the answer into the notebook and replace the active cell with it; accept a `notebook_edit` (a per-cell
diff, applied through the live notebook and run); switch notebooks and see the session
switch. Screenshots of the panel go to test-artifacts/browser/panel-*.png.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.scripted_server import Reply, ToolCall

from .conftest import ARTIFACTS, Lab

pytestmark = pytest.mark.timeout(240)

NB = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
IDLE_STATUS = re.compile(r"\| Idle$")


def wait_kernel_idle(page, timeout: float = 60_000) -> None:
    """The current notebook's kernel is idle, as the status bar says. (The toolbar's own
    indicator folds into the toolbar's overflow menu when the side panel makes it narrow.)"""
    page.locator("#jp-main-statusbar").get_by_text(IDLE_STATUS).wait_for(timeout=timeout)
PANEL = "#jp-agent-panel"
READY = f"{PANEL} .jp-agent-panel-dot-ready"
INPUT = f"{PANEL} textarea.jp-agent-panel-input"
PATCH = "*** Begin Patch\n*** Add File: notes/plan.md\n+# Plan\n+- approve patches from the side panel\n*** End Patch\n"


@pytest.fixture(autouse=True)
def _clean_queue(lab: Lab):
    """A test that fails half way must not leave scripted replies for the next one."""
    yield
    lab.scripted.clear()


def shot(page, name: str) -> None:
    page.locator(PANEL).screenshot(path=str(ARTIFACTS / f"panel-{name}.png"))


def open_notebook(page, lab: Lab, name: str, cells: list[str]) -> None:
    page.goto(lab.notebook(name, cells))
    page.wait_for_selector(f"{NB} .jp-Cell")
    wait_kernel_idle(page)


def open_panel(page, how: str = "shortcut") -> None:
    """Open the panel as a user would; a keystroke right after the page loads is sometimes
    swallowed (see the notes' "flaky first Ctrl+Enter"), so each way is retried."""
    page.locator(f"{NB} .jp-Cell .jp-InputPrompt").first.click()  # focus the notebook (command mode)
    palette = page.locator(".lm-CommandPalette-input")
    for _ in range(5):
        try:
            if how == "palette":
                if not palette.is_visible():
                    page.keyboard.press("Control+Shift+C")
                palette.fill("Open the agent panel", timeout=3000)
                page.locator(".lm-CommandPalette-item:has-text('Open the agent panel')").first.click(timeout=3000)
            else:
                page.keyboard.press("Control+Shift+Y")
            page.wait_for_selector(f"{PANEL}:not(.lm-mod-hidden)", timeout=3000)
            break
        except Exception:  # noqa: BLE001 - retried
            page.keyboard.press("Escape")
            page.locator(f"{NB} .jp-Cell .jp-InputPrompt").first.click()
    else:
        raise AssertionError(f"the panel did not open ({how})")
    page.wait_for_selector(READY, timeout=60_000)


def send(page, text: str) -> None:
    page.locator(INPUT).fill(text)
    page.locator(INPUT).press("Enter")


def wait_state(page, state: str, timeout: float = 30_000) -> None:
    page.wait_for_selector(f"{PANEL} .jp-agent-panel-turn .jp-agent-state-{state}", timeout=timeout)


def cell_sources(page) -> list[str]:
    return page.eval_on_selector_all(f"{NB} .jp-Cell .jp-InputArea-editor", "els => els.map(e => e.textContent)")


def test_panel_loads_the_agent_and_streams_an_answer(page, lab: Lab):
    answer = "Streaming into the side panel, a few characters at a time, until the whole answer is here."
    open_notebook(page, lab, "panel_stream.ipynb", ["x = 1"])
    open_panel(page, "palette")
    lab.scripted.enqueue(Reply(text=answer, chunk_size=3, delay_per_event=0.05))
    status = page.locator(f"{PANEL} .jp-agent-panel-status").inner_text()
    assert "sandbox: workspace-write (" in status and "approvals: untrusted" in status and "model: gpt-4.1" in status
    assert len(cell_sources(page)) == 1  # %load_ext ran silently: no cell added
    page.locator(f"{PANEL} textarea").press("Shift+Enter")  # a newline, not a send
    assert page.locator(f"{PANEL} .jp-agent-user").count() == 0
    send(page, "stream something")
    page.wait_for_selector(f"{PANEL} .jp-agent-agent.jp-agent-streaming")
    partial = page.locator(f"{PANEL} .jp-agent-agent").inner_text()
    assert 0 < len(partial) < len(answer)
    shot(page, "streaming")
    wait_state(page, "done")
    assert page.locator(f"{PANEL} .jp-agent-agent").inner_text().strip() == answer
    assert page.locator(f"{PANEL} .jp-agent-user-text").inner_text() == "stream something"
    assert "context left" in page.locator(f"{PANEL} .jp-agent-panel-turn").inner_text()
    assert len(cell_sources(page)) == 1
    shot(page, "answer")


def test_approve_a_patch_in_the_panel_writes_the_file(page, lab: Lab):
    open_notebook(page, lab, "panel_patch.ipynb", ["y = 2"])
    open_panel(page)
    lab.scripted.enqueue(Reply(tool_calls=[ToolCall("apply_patch", {"input": PATCH}, "call_patch")]),
                         Reply(text="Added notes/plan.md."))
    send(page, "write the plan")
    block = page.locator(f"{PANEL} .jp-agent-patch-pending")  # the diff, its approval under it
    approval = block.locator(".jp-agent-approval-pending")
    approval.wait_for()
    assert "Apply this patch?" in approval.inner_text() and "notes/plan.md" in block.inner_text()
    assert "+- approve patches from the side panel" in block.locator(".jp-agent-code").inner_text()
    assert not (lab.root / "notes" / "plan.md").exists()
    shot(page, "patch-approval")
    approval.locator("button.jp-agent-btn-approved").click()
    wait_state(page, "done")
    assert (lab.root / "notes" / "plan.md").read_text() == "# Plan\n- approve patches from the side panel\n"
    assert page.locator(f"{PANEL} .jp-agent-verdict-approved").count() == 1
    assert page.locator(f"{PANEL} .jp-agent-patch-applied").count() == 1
    shot(page, "patch-applied")


def test_deny_a_command_in_the_panel_and_it_does_not_run(page, lab: Lab):
    command = ["bash", "-c", "echo should-not-exist > denied.txt"]
    open_notebook(page, lab, "panel_deny.ipynb", ["z = 3"])
    open_panel(page)
    lab.scripted.enqueue(Reply(tool_calls=[ToolCall("shell", {"command": command}, "call_deny")]),
                         Reply(text="Understood, I did not run it."))
    send(page, "create denied.txt")
    approval = page.locator(f"{PANEL} .jp-agent-approval-pending")
    approval.wait_for()
    assert "Run this command?" in approval.inner_text()  # right under the command it asks about:
    assert "denied.txt" in page.locator(f"{PANEL} .jp-agent-command:has(.jp-agent-approval-pending) .jp-agent-argv").inner_text()
    approval.locator("button.jp-agent-btn-denied").click()
    wait_state(page, "done")
    assert not (lab.root / "denied.txt").exists()
    assert page.locator(f"{PANEL} .jp-agent-command-declined").count() == 1
    assert page.locator(f"{PANEL} .jp-agent-verdict-denied").count() == 1
    shot(page, "command-denied")


def test_stop_a_turn_from_the_panel(page, lab: Lab):
    open_notebook(page, lab, "panel_stop.ipynb", ["w = 4"])
    open_panel(page)
    lab.scripted.enqueue(Reply(text="This answer stalls half way through", chunk_size=4, stall_after=6, stall_seconds=30))
    send(page, "stall please")
    page.wait_for_selector(f"{PANEL} .jp-agent-agent.jp-agent-streaming")
    stop = page.locator(f"{PANEL} button.jp-agent-panel-stop")
    assert stop.is_visible()
    started = time.monotonic()
    stop.click()
    wait_state(page, "aborted", timeout=10_000)
    assert time.monotonic() - started < 5
    assert "interrupted" in page.locator(f"{PANEL} .jp-agent-panel-turn").inner_text()
    assert not stop.is_visible()
    shot(page, "stopped")


def test_insert_a_code_block_and_accept_a_notebook_edit(page, lab: Lab):
    code = "print('inserted by the agent')"
    open_notebook(page, lab, "panel_insert.ipynb", ["a = 1", "b = 2"])  # nothing else adds cells
    open_panel(page)
    lab.scripted.enqueue(Reply(text=f"Run this:\n\n```python\n{code}\n```\n"))
    send(page, "give me a snippet")
    wait_state(page, "done")
    page.locator(f"{NB} .jp-Cell").first.click()  # the active cell: the first
    page.locator(f"{PANEL} button.jp-agent-insert-code").click()
    page.wait_for_function(f"() => document.querySelectorAll('{NB} .jp-Cell').length === 3")
    assert cell_sources(page)[1] == code
    page.locator(f"{NB} .jp-Cell").nth(2).locator(".jp-InputPrompt").click()  # make "b = 2" active
    page.locator(f"{PANEL} button.jp-agent-replace-cell").click()
    page.wait_for_function(f"() => document.querySelectorAll('{NB} .jp-Cell')[2].textContent.includes('inserted by')")
    assert cell_sources(page) == ["a = 1", code, code]

    n = len(lab.scripted.requests)
    edit = {"action": "insert", "index": 0, "source": "6 * 7", "run": True}
    lab.scripted.enqueue(Reply(tool_calls=[ToolCall("notebook_edit", edit, "call_nb")]), Reply(text="Inserted and ran it: 42."))
    send(page, "put 6 * 7 first and run it")
    card = page.locator(f"{PANEL} .jp-agent-panel-edit")
    card.wait_for()
    assert "Insert a code cell at position 0 and run it" in card.inner_text()
    assert card.locator(".jp-agent-tok-add").inner_text() == "+6 * 7"
    assert len(cell_sources(page)) == 3  # nothing lands before Accept
    shot(page, "notebook-edit")
    card.locator("button.jp-agent-panel-accept").click()
    wait_state(page, "done")
    assert cell_sources(page)[0] == "6 * 7"
    first = page.locator(f"{NB} .jp-Cell").first
    assert "42" in first.locator(".jp-OutputArea-output").inner_text()
    lab.scripted.wait_for_requests(n + 2)
    sent = str(lab.scripted.requests[n + 1].json)
    assert "Inserted cell 0" in sent and "42" in sent
    shot(page, "notebook-edit-applied")


def test_switching_notebooks_switches_the_session(page, lab: Lab):
    lab.notebook("panel_second.ipynb", ["second = True"])
    open_notebook(page, lab, "panel_first.ipynb", ["first = True"])
    open_panel(page)
    lab.scripted.enqueue(Reply(text="Answer for the first notebook."))
    send(page, "hello from the first notebook")
    wait_state(page, "done")
    first_session = page.locator(f"{PANEL} .jp-agent-panel-status").inner_text()
    page.locator(".jp-DirListing-item:has-text('panel_second.ipynb')").dblclick()
    page.wait_for_selector(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current:has-text('panel_second.ipynb')")
    wait_kernel_idle(page)
    page.wait_for_selector(READY, timeout=60_000)
    assert page.locator(f"{PANEL} .jp-agent-user").count() == 0
    assert "no session yet" in page.locator(f"{PANEL} .jp-agent-panel-status").inner_text()
    shot(page, "second-notebook")
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab:has-text('panel_first.ipynb')").click()
    page.wait_for_selector(f"{PANEL} .jp-agent-user-text:has-text('hello from the first notebook')")
    assert page.locator(f"{PANEL} .jp-agent-panel-status").inner_text() == first_session


LONG_COMMAND = "python3 -c 'print(1)' && echo " + "a-rather-long-argument-" * 8 + " > /dev/null"
LONG_URL = "https://example.org/" + "a-very-long-path-segment/" * 8 + "index.html"
LONG_CODE = "result = compute(" + ", ".join(f"argument_number_{i}" for i in range(20)) + ")"


def test_long_commands_urls_and_code_fit_the_panel_at_its_default_width(page, lab: Lab):
    """At its default width (JupyterLab's relative sidebar size, raised to the panel's
    min-width) nothing is cut: commands and URLs wrap, code blocks scroll on their own."""
    open_notebook(page, lab, "panel_wide.ipynb", ["v = 5"])
    open_panel(page)
    lab.scripted.enqueue(
        Reply(tool_calls=[ToolCall("shell", {"command": ["bash", "-c", LONG_COMMAND]}, "call_long")]),
        Reply(text=f"See {LONG_URL} and `{LONG_URL}`.\n\n```python\n{LONG_CODE}\n```\n"),
    )
    send(page, "show me long things")
    approval = page.locator(f"{PANEL} .jp-agent-approval-pending")
    approval.wait_for()
    approval.locator("button.jp-agent-btn-approved").click()
    wait_state(page, "done")
    width = page.locator(PANEL).bounding_box()["width"]
    assert 355 <= width <= 700, width  # min(360px, 45vw) at 1280 px, above Lab's relative default
    scroll = page.locator(f"{PANEL} .jp-agent-panel-scroll")
    geometry = scroll.evaluate("""el => {
        const box = el.getBoundingClientRect();
        const outside = [...el.querySelectorAll('.jp-agent-argv, .jp-agent-markdown a, .jp-agent-markdown :not(pre) > code, pre')]
            .filter(n => n.getBoundingClientRect().right > box.right + 1)
            .map(n => n.className + ': ' + n.textContent.slice(0, 40));
        const pres = [...el.querySelectorAll('.jp-agent-markdown pre')].map(p => [p.scrollWidth, p.clientWidth]);
        return {overflow: el.scrollWidth - el.clientWidth, outside, pres};
    }""")
    assert geometry["overflow"] <= 0 and geometry["outside"] == [], geometry
    [(content, shown)] = geometry["pres"]
    assert content > shown  # the long code line scrolls inside its block
    assert page.locator(f"{PANEL} .jp-agent-argv").first.bounding_box()["height"] > 30  # the command wrapped
    shot(page, "long-lines")
