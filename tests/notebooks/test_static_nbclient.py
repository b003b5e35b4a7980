"""A notebook run headlessly with `%%agent --wait` (nbclient) saves each finished turn as a
static transcript: HTML + Markdown + plain text, no widget view and no widget state, so
nbconvert (and GitHub, VS Code, a reopened JupyterLab) shows it without a kernel
(issue 11 item 1)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.frontends.test_html_render import safe
from tests.notebooks.agent_home import scripted_home
from tests.scripted_server import Reply, ScriptedServer, ToolCall

KEY = "sk-static-nbclient-0123456789abcdef"
PATCH = "*** Begin Patch\n*** Add File: hello.py\n+print('hello')\n*** End Patch\n"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


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


def test_a_wait_run_saves_static_transcripts_that_nbconvert_shows(server, work):
    server.enqueue(Reply(tool_calls=[ToolCall("shell", {"command": ["bash", "-c", "echo from-the-command"]}, "call_sh")]),
                   Reply(tool_calls=[ToolCall("apply_patch", {"input": PATCH}, "call_p")]),
                   Reply(text="Wrote **hello.py**:\n\n| file | lines |\n|---|---|\n| hello.py | 1 |"))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in ["%load_ext agent", "%%agent --wait\nwrite hello.py"]])
    NotebookClient(nb, kernel_name="python3", timeout=60, startup_timeout=60, store_widget_state=True,
                   resources={"metadata": {"path": str(work)}}).execute()
    path = work / "static.ipynb"
    nbformat.write(nb, path)
    saved = nbformat.read(path, as_version=4)

    outputs = saved.cells[1].outputs
    assert outputs and all(WIDGET_MIME not in o.get("data", {}) for o in outputs)
    [transcript] = [o for o in outputs if "text/html" in o.get("data", {})]
    html, markdown = transcript.data["text/html"], transcript.data["text/markdown"]
    assert set(transcript.data) == {"text/html", "text/markdown", "text/plain"}
    text = safe(html).all_text
    assert "write hello.py" in text and "$ echo from-the-command" in text and text.count("from-the-command") == 2
    assert "Patch applied" in text and "+print('hello')" in text and "jp-agent-tok-add" in html
    assert "Wrote <strong>hello.py</strong>:" in html and "<table" in html and ">Done<" in html
    assert "Wrote **hello.py**" in markdown and KEY not in html + markdown
    # (nbclient keeps the state of every widget it saw, closed or not, in metadata.widgets;
    # no output refers to it any more, so no front end needs it.)

    from nbconvert import HTMLExporter

    page, _ = HTMLExporter().from_notebook_node(saved)
    assert "Wrote <strong>hello.py</strong>:" in page and "Error displaying widget" not in page
