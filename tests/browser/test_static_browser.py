"""Finished turns are static: they survive save + kernel restart + reopen, in JupyterLab and
Notebook 7 (issue 11 items 1 and 11), in headless Chromium.

A turn streams an answer, runs a command and applies a patch (both approved by clicks),
then ends; the cell's output is then the static transcript (HTML, no widget). The notebook
is saved, its kernel restarted and the page reloaded: the transcript reads exactly as
before and "Error displaying widget" / "model not found" never shows. Notebook 7 also gets
a turn stopped with the live widget's Stop button. Screenshots (before/after) go to
test-artifacts/browser/.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.scripted_server import Reply, ToolCall

from .conftest import ARTIFACTS, Lab
from .test_widget_browser import NB, run_cell, wait_cell_done

pytestmark = pytest.mark.timeout(300)

ANSWER = "## Plan done\n\n| file | change |\n|---|---|\n| notes.md | added |\n\n- [x] ran the command\n- [x] wrote the file"
PATCH = "*** Begin Patch\n*** Add File: notes.md\n+# Notes\n+- static transcripts\n*** End Patch\n"
COMMAND = ["bash", "-c", "echo checked > checked.txt && cat checked.txt"]
BROKEN = ("Error displaying widget", "model not found")
RESTART = """async (path) => {
  const xsrf = (document.cookie.match(/(?:^|; )_xsrf=([^;]+)/) || [])[1];
  const r = await fetch(path, {method: "POST", headers: xsrf ? {"X-XSRFToken": decodeURIComponent(xsrf)} : {}});
  return r.status;
}"""


@pytest.fixture(params=["lab", "notebook7"])
def server(request: pytest.FixtureRequest) -> Lab:
    return request.getfixturevalue(request.param)


def shot(target, name: str) -> None:
    target.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def kernel_of(server: Lab, name: str) -> dict:
    sessions = server.get_json("/api/sessions")
    return next(s["kernel"] for s in sessions if s["path"].endswith(name))  # type: ignore[union-attr]


def open_and_wait_idle(page, server: Lab, url: str, name: str) -> None:
    """Open `url`; accept a "Select Kernel" dialog if one comes; wait until the kernel is idle."""
    page.goto(url)
    page.wait_for_selector(f"{NB} .jp-Cell")
    dialog = page.locator(".jp-Dialog:has-text('Select Kernel')")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if dialog.count() and dialog.first.is_visible():
            dialog.first.locator("button.jp-mod-accept").click()
        try:
            if kernel_of(server, name)["execution_state"] == "idle":
                return
        except (StopIteration, OSError):
            pass
        page.wait_for_timeout(200)
    raise AssertionError(f"the kernel of {name} did not become idle")


def approve_until_done(cell, approvals: int) -> None:
    view = cell.locator(".jp-agent-view")
    for _ in range(approvals):
        pending = view.locator(".jp-agent-approval-pending")
        pending.wait_for(timeout=30_000)
        pending.locator("button.jp-agent-btn-approved").click()
        pending.wait_for(state="detached", timeout=30_000)
    cell.locator(".jp-agent-static .jp-agent-state-done").wait_for(timeout=30_000)


def body_text(page) -> str:
    return page.locator("body").inner_text()


def test_a_finished_turn_reopens_unchanged_after_a_kernel_restart(page, server: Lab):
    app = "lab" if server.app == "lab" else "notebook7"
    name = f"reopen-{app}.ipynb"
    server.scripted.enqueue(
        Reply(text="First I check the folder.", tool_calls=[ToolCall("shell", {"command": COMMAND}, "call_check")], chunk_size=8),
        Reply(tool_calls=[ToolCall("apply_patch", {"input": PATCH}, "call_notes")]),
        Reply(text=ANSWER, chunk_size=10),
    )
    (server.root / "notes.md").unlink(missing_ok=True)
    open_and_wait_idle(page, server, server.notebook(name, ["%load_ext agent", "%%agent\nCheck the folder and write notes.md"]), name)
    run_cell(page, 0)
    wait_cell_done(page, 0)
    cell = run_cell(page, 1)
    view = cell.locator(".jp-agent-view")
    view.locator(".jp-agent-approval-pending").wait_for(timeout=30_000)
    assert cell.locator(".jp-agent-static").count() == 0  # live while the turn runs
    shot(cell, f"static-{app}-0-live-approval")
    approve_until_done(cell, approvals=2)
    wait_cell_done(page, 1)

    static = cell.locator(".jp-agent-static")
    assert cell.locator(".jp-OutputArea button").count() == 0  # no widget left: no buttons, no Stop
    assert "checked" in static.locator(".jp-agent-command-ok pre.jp-agent-output").inner_text()
    assert static.locator(".jp-agent-patch-applied").count() == 1 and static.locator(".jp-agent-tok-add").count() >= 2
    assert static.locator(".jp-agent-verdict-approved").count() == 2
    assert static.locator("table th").all_inner_texts() == ["file", "change"]
    assert static.locator("input[type=checkbox][checked]").count() == 2
    assert (server.root / "notes.md").read_text() == "# Notes\n- static transcripts\n"
    before = static.inner_text()
    cell.scroll_into_view_if_needed()
    shot(cell, f"static-{app}-1-before-restart")

    # save, restart the kernel, reload the page
    cell.locator(".jp-InputArea-editor .cm-content").click()
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    path = server.root / name
    deadline = time.monotonic() + 20
    while "jp-agent-static" not in path.read_text() and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    saved = json.loads(path.read_text())
    outputs = saved["cells"][1]["outputs"]
    assert outputs and all("application/vnd.jupyter.widget-view+json" not in o.get("data", {}) for o in outputs)
    status = page.evaluate(RESTART, f"/api/kernels/{kernel_of(server, name)['id']}/restart")
    assert status == 200, status
    open_and_wait_idle(page, server, server.open_url(name), name)

    reopened = page.locator(f"{NB} .jp-Cell").nth(1)
    reopened.locator(".jp-agent-static").wait_for(timeout=30_000)
    page.wait_for_timeout(1000)  # a widget error would render by now
    assert not any(text in body_text(page) for text in BROKEN), body_text(page)[:2000]
    assert reopened.locator(".jp-agent-static").inner_text() == before
    assert reopened.locator(".jp-agent-tok-add").count() >= 2 and reopened.locator("table th").count() == 2
    reopened.scroll_into_view_if_needed()
    shot(reopened, f"static-{app}-2-after-restart")
    page.screenshot(path=str(ARTIFACTS / f"static-{app}-3-after-restart-page.png"), full_page=True)


def test_notebook7_stop_button_aborts_a_streaming_turn(page, notebook7: Lab):
    name = "stop-nb7.ipynb"
    notebook7.scripted.enqueue(Reply(text="Counting slowly: " + " ".join(str(n) for n in range(400)),
                                     chunk_size=6, delay_per_event=0.05))
    open_and_wait_idle(page, notebook7, notebook7.notebook(name, ["%load_ext agent", "%%agent\nCount to four hundred, slowly"]), name)
    run_cell(page, 0)
    wait_cell_done(page, 0)
    cell = run_cell(page, 1)
    view = cell.locator(".jp-agent-view")
    view.locator(".jp-agent-streaming").wait_for(timeout=30_000)
    page.wait_for_function(
        """() => { const m = document.querySelector('.jp-agent-streaming');
                   return m && m.textContent.length > 80; }""", timeout=20_000)
    shot(cell, "static-notebook7-4-streaming")
    view.locator("button.jp-agent-stop").click()
    static = cell.locator(".jp-agent-static")
    static.locator(".jp-agent-state-aborted").wait_for(timeout=15_000)
    assert cell.locator(".jp-OutputArea button").count() == 0
    text = static.locator(".jp-agent-agent").inner_text()
    assert text.startswith("Counting slowly:") and "399" not in text, "the stream must have been cut short"
    assert "aborted" in static.locator(".jp-agent-notice").last.inner_text().lower()
    shot(cell, "static-notebook7-5-stopped")


def test_an_untrusted_notebook_in_the_dark_theme_shows_the_sanitized_transcript_readably(page, lab: Lab):
    """A notebook not signed by this server (e.g. run by nbclient, or from GitHub) is untrusted:
    JupyterLab sanitizes its HTML (no <style>, no `var()` in styles). The transcript still
    reads, with coloured diff lines, in the dark theme; nothing the model wrote became markup."""
    import nbformat

    from agent.frontends.transcript.reducer import Transcript
    from agent.protocol import events as ev
    from tests.frontends.events import begin, chunk, configured, end, event

    evil = '<img src=x onerror="document.body.dataset.pwned=1">'
    t = Transcript(clock=lambda: 1000.0)
    for msg in [configured(), ev.TaskStarted(), ev.UserMessage(message="edit app.py"),
                begin("c", ["cat", "app.py"]), chunk("c", f"print(1)  {evil}\n".encode()), end("c", ["cat", "app.py"], 0),
                ev.PatchApplyBegin(call_id="p", turn_id="1", auto_approved=True,
                                   changes={"app.py": ev.FileUpdate(unified_diff="@@ -1 +1 @@\n-print(1)\n+print(2)\n")}),
                ev.PatchApplyEnd(call_id="p", turn_id="1", stdout="", stderr="", success=True),
                ev.AgentMessage(message=f"Changed **app.py** {evil} [docs](javascript:alert(1))"), ev.TaskComplete()]:
        t.apply(event(msg))
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    from agent.frontends.transcript.html import render_html

    state = t.state()
    nb.cells = [nbformat.v4.new_code_cell("%%agent\nedit app.py", outputs=[nbformat.v4.new_output(
        "display_data", data={"text/html": render_html(state), "text/markdown": "x", "text/plain": "x"})])]
    nbformat.write(nb, lab.root / "untrusted.ipynb")

    theme = lab.root.parent / "jupyter" / "settings" / "@jupyterlab" / "apputils-extension" / "themes.jupyterlab-settings"
    theme.write_text('{"theme": "JupyterLab Dark"}')
    try:
        open_and_wait_idle(page, lab, lab.open_url("untrusted.ipynb"), "untrusted.ipynb")
        page.wait_for_selector("body[data-jp-theme-light='false']", state="attached")
        static = page.locator(f"{NB} .jp-agent-static")
        static.wait_for(timeout=30_000)
        assert "<strong>" not in static.inner_html() or static.locator("strong").inner_text() == "app.py"
        assert page.evaluate("() => document.body.dataset.pwned") is None
        assert static.locator("img").count() == 0 and static.locator("a").count() == 0
        assert evil in static.inner_text()
        colours = static.evaluate("""(el) => [getComputedStyle(el.querySelector('.jp-agent-tok-add')).color,
            getComputedStyle(el.querySelector('.jp-agent-tok-del')).color,
            getComputedStyle(el.querySelector('.jp-agent-agent')).color]""")
        assert len(set(colours)) == 3, colours  # + and - lines coloured even without theme variables
        from .test_widget_browser import CONTRAST

        for selector in (".jp-agent-agent p", ".jp-agent-tok-add", ".jp-agent-tok-del", ".jp-agent-output"):
            ratio = static.locator(selector).first.evaluate(CONTRAST)
            assert ratio >= 3.0, f"{selector}: contrast {ratio:.2f}"
        static.scroll_into_view_if_needed()
        shot(static, "static-lab-untrusted-dark")
    finally:
        theme.unlink(missing_ok=True)
