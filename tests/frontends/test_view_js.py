"""The widget's ES module: it parses, its pure helpers (Markdown, highlighting) are safe, and
the shipped file is the build of its TypeScript sources.

`static/agent_view.js` is built by `jlpm build:widget` from labextension/src/widget.ts and
the transcript renderer it shares with the side panel (labextension/src/transcript/); it is
committed so a Python-only install (no Node) has it. Run with node on a `.mjs` copy; the
module touches the DOM only inside `render`, so the helpers can be imported without a
browser. The renderer's DOM behaviour is tested by jest (labextension/src/__tests__) and in
a real JupyterLab by tests/browser.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import agent.frontends

STATIC = Path(agent.frontends.__file__).parent / "notebook" / "static"
LABEXT = Path(__file__).resolve().parents[2] / "labextension"
NODE = shutil.which("node")

CASES = r"""
import { renderMarkdown, highlight, escapeHtml, shellJoin } from "./agent_view.mjs";
import view from "./agent_view.mjs";
const out = {
  hasRender: typeof view.render === "function",
  xss: renderMarkdown("<script>alert(1)</script> <img src=x onerror=alert(1)>"),
  links: renderMarkdown("[ok](https://example.com/a_b_c) [bad](javascript:alert(1)) <https://x.org>"),
  blocks: renderMarkdown("# Title\n\nSome **bold**, *it*, `co<de>` and _u_.\n\n- one\n- two\n  - nested\n\n1. first\n2. second\n\n- [x] done\n\n> quoted\n\n```python\ndef f():\n    return 'x'  # c\n```"),
  unclosed: renderMarkdown("```bash\necho $HOME"),
  diff: highlight("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new <b>\n ctx", "diff"),
  console: highlight("$ ls -la \"$DIR\" # list\nfile.txt", "console"),
  plain: highlight("<b>&", "unknown"),
  esc: escapeHtml(`<a href="x">'&'</a>`),
  shell: shellJoin(["echo", "a b", "it's", ""]),
};
console.log(JSON.stringify(out));
"""


def node() -> str:
    assert NODE is not None, "node is required for the widget's JS tests (apt-get install nodejs)"
    return NODE


def test_the_module_parses(tmp_path):
    copy = tmp_path / "agent_view.mjs"
    shutil.copy(STATIC / "agent_view.js", copy)
    subprocess.run([node(), "--check", str(copy)], check=True, capture_output=True, text=True)


def run_cases(tmp_path) -> dict:
    shutil.copy(STATIC / "agent_view.js", tmp_path / "agent_view.mjs")
    (tmp_path / "cases.mjs").write_text(CASES)
    result = subprocess.run([node(), str(tmp_path / "cases.mjs")], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_markdown_is_escaped_and_links_are_safe(tmp_path):
    out = run_cases(tmp_path)
    assert out["hasRender"] is True
    assert "<script" not in out["xss"] and "<img" not in out["xss"] and "&lt;script&gt;" in out["xss"]
    links = out["links"]
    assert '<a href="https://example.com/a_b_c" target="_blank" rel="noopener noreferrer">ok</a>' in links
    assert "[bad](javascript:alert(1))" in links and links.count("<a ") == 2  # left as text, not linked
    assert '<a href="https://x.org" target="_blank" rel="noopener noreferrer">' in links


def test_markdown_blocks_and_highlighting(tmp_path):
    out = run_cases(tmp_path)
    blocks = out["blocks"]
    for fragment in ["<h1>Title</h1>", "<strong>bold</strong>", "<em>it</em>", "<code>co&lt;de&gt;</code>", "<em>u</em>",
                     "<ul><li>one</li><li>two<ul><li>nested</li></ul></li></ul>", "<ol><li>first</li><li>second</li></ol>",
                     '<input type="checkbox" disabled checked> done', "<blockquote><p>quoted</p></blockquote>",
                     '<code class="language-python">', '<span class="jp-agent-tok-keyword">def</span>',
                     '<span class="jp-agent-tok-string">&#39;x&#39;</span>', '<span class="jp-agent-tok-comment"># c</span>']:
        assert fragment in blocks, fragment
    assert '<span class="jp-agent-tok-variable">$HOME</span>' in out["unclosed"]
    diff = out["diff"]
    assert '<span class="jp-agent-tok-add">+new &lt;b&gt;</span>' in diff and '<span class="jp-agent-tok-del">-old</span>' in diff
    assert '<span class="jp-agent-tok-hunk">@@ -1 +1 @@</span>' in diff and '<span class="jp-agent-tok-meta">--- a/x</span>' in diff
    console = out["console"]
    assert '<span class="jp-agent-tok-prompt">$ </span>' in console and '<span class="jp-agent-tok-output">file.txt</span>' in console
    assert '<span class="jp-agent-tok-comment"># list</span>' in console
    assert out["plain"] == "&lt;b&gt;&amp;"
    assert out["esc"] == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
    assert out["shell"] == "echo 'a b' 'it'\"'\"'s' ''"


def test_the_css_classes_are_prefixed():
    css = (STATIC / "agent_view.css").read_text()
    classes = set(re.findall(r"\.([a-zA-Z][\w-]*)", re.sub(r"/\*.*?\*/|var\([^)]*\)|\d+\.\d+", "", css, flags=re.DOTALL)))
    assert classes and all(c.startswith("jp-agent-") for c in classes), sorted(c for c in classes if not c.startswith("jp-agent-"))

def test_approval_justification_is_full_contrast():
    """The reason an approval gives is what the user decides on: the main text colour, not a muted one."""
    css = (STATIC / "agent_view.css").read_text()
    rules = re.findall(r"([^{}]*)\{([^}]*)\}", re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL))
    colors = [m.group(1) for sel, body in rules if ".jp-agent-reason" in [s.strip() for s in sel.split(",")]
              for m in re.finditer(r"(?<![-\w])color:\s*([^;]+);", body)]
    assert colors and "--jp-ui-font-color1" in colors[-1], colors


def test_the_module_imports_nothing():
    """One self-contained file: no static or dynamic imports (nothing from a CDN or npm)."""
    js = (STATIC / "agent_view.js").read_text()
    assert not re.search(r"^\s*import[\s{*]|\bimport\s*\(", js, flags=re.MULTILINE)
    assert "http://" not in js and "cdn" not in js.lower()
    assert "@jupyterlab" not in js and "@lumino" not in js


def test_the_shipped_module_is_built_from_the_typescript_sources(tmp_path):
    """The committed agent_view.js equals a fresh build: edit labextension/src, then run
    `jlpm build:widget` (`make labextension` does) and commit the result."""
    if not (LABEXT / "node_modules" / "@rspack" / "core").is_dir():
        reason = "labextension/node_modules is missing (pip install -e . runs jlpm install)"
        if os.environ.get("CI"):
            pytest.fail(f"cannot check the widget build on CI: {reason}")
        pytest.skip(reason)
    out = tmp_path / "agent_view.js"
    subprocess.run([node(), "scripts/build-widget.mjs", str(out)], cwd=LABEXT, check=True, capture_output=True, text=True,
                   timeout=120)
    shipped = (STATIC / "agent_view.js").read_text()
    assert out.read_text() == shipped, "static/agent_view.js is stale: run `jlpm build:widget` in labextension/"
