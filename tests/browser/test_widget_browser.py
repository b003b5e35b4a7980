"""The %%agent widget in a real JupyterLab, in headless Chromium.

The scripted model answers with Markdown (a heading, a list, a Python code block) and asks
to run a shell command; the approval policy is `untrusted`, so the widget shows Approve.
The tests check what a user sees: the Markdown rendered with highlighted code, another cell
(`6*7` -> 42) running while the approval is pending, the command's output and exit code
after Approve (and its file on disk), and a second turn stopped with the Stop button.
Screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import time

import pytest

from tests.scripted_server import Reply, ToolCall

from .conftest import ARTIFACTS, Lab

pytestmark = pytest.mark.timeout(240)

NB = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
IDLE = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status='idle']"
PROMPT_CHANGED = """([i, before]) => {
  const cells = document.querySelectorAll(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell");
  const prompt = cells[i] && cells[i].querySelector(".jp-InputPrompt");
  const text = prompt ? prompt.textContent.trim() : "";
  return /\\[(\\*|\\d+)\\]/.test(text) && text !== before;
}"""

MARKDOWN = """# Greeting helper

Here is the plan:

- write a small `greet` function
- create `hello.txt` with a shell command

```python
def greet(name: str) -> str:
    # say hello
    return f"Hello, {name}!"  # 42
```

I need to run one command; please approve it."""

COMMAND = ["bash", "-c", "echo hello from the agent > hello.txt && cat hello.txt"]


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def widget_shot(cell, name: str) -> None:
    cell.locator(".jp-agent-view").screenshot(path=str(ARTIFACTS / f"{name}.png"))


def open_notebook(page, lab: Lab, name: str, cells: list[str]) -> None:
    """Open a fresh notebook and wait for its kernel to be idle. JupyterLab sometimes asks
    "Select Kernel" (when the page asks before the kernel specs have loaded): accept it."""
    page.goto(lab.notebook(name, cells))
    page.wait_for_selector(f"{NB} .jp-Cell")
    dialog = page.locator(".jp-Dialog:has-text('Select Kernel')")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if dialog.count() and dialog.first.is_visible():
            dialog.first.locator("button.jp-mod-accept").click()
        elif page.locator(IDLE).count():
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"the kernel of {name} did not become idle")


def run_cell(page, i: int):
    """Ctrl+Enter on cell i, retried: right after the kernel goes idle the first press may be lost."""
    cell = page.locator(f"{NB} .jp-Cell").nth(i)
    cell.locator(".jp-InputPrompt:has-text('[')").wait_for()
    before = cell.locator(".jp-InputPrompt").inner_text().strip()
    for _ in range(5):
        cell.locator(".jp-InputArea-editor .cm-content").click()
        page.keyboard.press("Control+Enter")
        try:
            page.wait_for_function(PROMPT_CHANGED, arg=[i, before], timeout=3000)
            return cell
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: press again
            pass
    raise AssertionError(f"cell {i} did not start")


def output_text(page, i: int, expect: str) -> str:
    """Cell i's output once it shows `expect` (the output area may render after the prompt number)."""
    area = page.locator(f"{NB} .jp-Cell").nth(i).locator(".jp-OutputArea")
    area.locator(f"text={expect}").first.wait_for(timeout=30_000)
    return area.inner_text()


def wait_cell_done(page, i: int, timeout: float = 30_000) -> None:
    page.wait_for_function(
        """(i) => {
          const c = document.querySelectorAll(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")[i];
          const t = c && c.querySelector(".jp-InputPrompt").textContent;
          return /\\[\\d+\\]/.test(t || "");
        }""", arg=i, timeout=timeout)


def test_markdown_approval_and_a_cell_while_pending(page, lab: Lab):
    lab.scripted.enqueue(
        Reply(text=MARKDOWN, tool_calls=[ToolCall("shell", {"command": COMMAND}, "call_hello")], chunk_size=12),
        Reply(text="Done: `hello.txt` now says **hello from the agent**."),
    )
    target = lab.root / "hello.txt"
    target.unlink(missing_ok=True)
    open_notebook(page, lab, "approval.ipynb",
                  ["%load_ext agent", "%%agent\nWrite a greet function and create hello.txt", "6*7"])

    run_cell(page, 0)
    wait_cell_done(page, 0)
    agent_cell = run_cell(page, 1)
    view = agent_cell.locator(".jp-agent-view")
    approval = view.locator(".jp-agent-approval-pending")
    approval.wait_for(timeout=30_000)

    # the Markdown rendered: heading, list, a highlighted Python code block
    md = view.locator(".jp-agent-agent .jp-agent-markdown")
    assert md.locator("h1").inner_text() == "Greeting helper"
    assert md.locator("li").count() == 2
    assert md.locator("li code").first.inner_text() == "greet"
    code = md.locator("pre.jp-agent-code code.language-python")
    assert "def greet(name: str) -> str:" in code.inner_text()
    keywords = code.locator(".jp-agent-tok-keyword").all_inner_texts()
    assert "def" in keywords and "return" in keywords
    assert code.locator(".jp-agent-tok-comment").count() >= 1
    assert code.locator(".jp-agent-tok-string").count() >= 1
    # highlighted spans are actually styled differently from plain code text
    colours = code.evaluate("""(el) => [getComputedStyle(el).color,
        getComputedStyle(el.querySelector('.jp-agent-tok-keyword')).color,
        getComputedStyle(el.querySelector('.jp-agent-tok-string')).color]""")
    assert len(set(colours)) == 3, colours

    # the approval asks, right under it, about exactly our command, with the four decisions
    asking = view.locator(".jp-agent-command:has(.jp-agent-approval-pending)")
    assert "echo hello from the agent" in asking.locator(".jp-agent-argv").inner_text()
    labels = approval.locator("button").all_inner_texts()
    assert labels == ["Approve", "Approve for session", "Deny", "Abort"], labels
    assert view.locator(".jp-agent-state-waiting_for_approval").is_visible()
    assert view.locator("button.jp-agent-stop").is_visible()
    assert not target.exists()
    shot(page, "01-approval-pending")
    widget_shot(agent_cell, "01-approval-pending-widget")

    # the kernel is free while the approval waits: 6*7 -> 42
    started = time.monotonic()
    answer_cell = run_cell(page, 2)
    answer_cell.locator(".jp-OutputArea-output[data-mime-type='text/plain']").first.wait_for(timeout=15_000)
    assert answer_cell.locator(".jp-OutputArea-output[data-mime-type='text/plain']").first.inner_text().strip() == "42"
    assert time.monotonic() - started < 15
    assert approval.is_visible(), "the approval must still be pending"
    shot(page, "02-cell-ran-while-pending")

    # Approve -> the command runs: output and exit 0 in the command block; the file exists
    approval.locator("button.jp-agent-btn-approved").click()
    command = view.locator(".jp-agent-command-ok")
    command.wait_for(timeout=30_000)
    assert "hello from the agent" in command.locator("pre.jp-agent-output").inner_text()
    assert "exit 0" in command.locator(".jp-agent-meta").inner_text()
    assert view.locator(".jp-agent-verdict-approved").inner_text() == "Approved"
    view.locator(".jp-agent-state-done").wait_for(timeout=30_000)
    assert view.locator("button.jp-agent-stop").is_hidden()
    assert "hello.txt" in view.locator(".jp-agent-agent").last.inner_text()
    assert target.read_text() == "hello from the agent\n"
    agent_cell.scroll_into_view_if_needed()
    shot(page, "03-approved-done")
    widget_shot(agent_cell, "03-approved-done-widget")


def test_stop_button_aborts_a_streaming_turn(page, lab: Lab):
    lab.scripted.enqueue(Reply(text="Counting slowly: " + " ".join(str(n) for n in range(400)),
                               chunk_size=6, delay_per_event=0.05))
    open_notebook(page, lab, "stop.ipynb", ["%load_ext agent", "%%agent\nCount to four hundred, slowly"])
    run_cell(page, 0)
    wait_cell_done(page, 0)
    agent_cell = run_cell(page, 1)
    view = agent_cell.locator(".jp-agent-view")
    view.locator(".jp-agent-streaming").wait_for(timeout=30_000)
    page.wait_for_function(
        """() => { const m = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-agent-streaming');
                   return m && m.textContent.length > 80; }""", timeout=20_000)
    assert view.locator(".jp-agent-state-running").is_visible()
    shot(page, "04-streaming")
    stop = view.locator("button.jp-agent-stop")
    stop.click()
    view.locator(".jp-agent-state-aborted").wait_for(timeout=15_000)
    assert view.locator("button.jp-agent-stop").is_hidden()
    assert "aborted" in view.locator(".jp-agent-notice").last.inner_text().lower()
    text = view.locator(".jp-agent-agent").inner_text()
    assert text.startswith("Counting slowly:") and "399" not in text, "the stream must have been cut short"
    widget_shot(agent_cell, "05-stopped-widget")


CONTRAST = """(el) => {
  const parse = (c) => {
    let m = /^rgba?\\(([^)]+)\\)$/.exec(c);
    if (m) { const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
             return [p[0] / 255, p[1] / 255, p[2] / 255, p.length > 3 ? p[3] : 1]; }
    m = /^color\\(srgb ([^)]+)\\)$/.exec(c);
    if (m) { const p = m[1].split(/[ \\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; }
    throw new Error("unparsed colour " + c);
  };
  const layers = [];
  for (let n = el; n; n = n.parentElement) {
    const bg = parse(getComputedStyle(n).backgroundColor);
    if (bg[3] > 0) layers.push(bg);
    if (bg[3] >= 1) break;
  }
  let base = [1, 1, 1];
  for (const [r, g, b, a] of layers.reverse()) base = [r * a + base[0] * (1 - a), g * a + base[1] * (1 - a), b * a + base[2] * (1 - a)];
  const fg = parse(getComputedStyle(el).color);
  const lum = ([r, g, b]) => [r, g, b].map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const [hi, lo] = [lum(fg), lum(base)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}"""


def test_dark_theme_approval_is_readable_and_deny_declines(page, lab: Lab):
    theme = lab.root.parent / "jupyter" / "settings" / "@jupyterlab" / "apputils-extension" / "themes.jupyterlab-settings"
    theme.write_text('{"theme": "JupyterLab Dark"}')
    lab.scripted.enqueue(
        Reply(text="I would like to list the folder.", tool_calls=[ToolCall("shell", {"command": ["bash", "-c", "ls -la > 'listing.txt'"]}, "call_ls")]),
        Reply(text="Understood, I will not run it."),
    )
    try:
        open_notebook(page, lab, "dark.ipynb", ["%load_ext agent", "%%agent\nList the folder into listing.txt"])
        page.wait_for_selector("body[data-jp-theme-light='false']", state="attached")
        run_cell(page, 0)
        wait_cell_done(page, 0)
        agent_cell = run_cell(page, 1)
        view = agent_cell.locator(".jp-agent-view")
        approval = view.locator(".jp-agent-approval-pending")
        approval.wait_for(timeout=30_000)
        # text on the approval's tinted background stays readable in the dark theme (WCAG AA-ish)
        for selector, minimum in [(".jp-agent-label", 4.5), (".jp-agent-meta", 3.0), (".jp-agent-tok-string", 3.0)]:
            # the question on its tinted background; the command and its details just above it
            where = approval if selector == ".jp-agent-label" else view.locator(".jp-agent-command:has(.jp-agent-approval-pending)")
            ratio = where.locator(selector).first.evaluate(CONTRAST)
            assert ratio >= minimum, f"{selector}: contrast {ratio:.2f} < {minimum}"
        widget_shot(agent_cell, "06-dark-approval-pending-widget")
        approval.locator("button.jp-agent-btn-denied").click()
        view.locator(".jp-agent-state-done").wait_for(timeout=30_000)
        assert view.locator(".jp-agent-verdict-denied").inner_text() == "Denied"
        assert view.locator(".jp-agent-command-declined").count() == 1
        assert not (lab.root / "listing.txt").exists()
        widget_shot(agent_cell, "07-dark-denied-widget")
    finally:
        theme.unlink(missing_ok=True)
