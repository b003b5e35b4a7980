"""The static HTML of a finished transcript (transcript/html.py, html_markdown.py).

Every block kind renders; the Markdown subset renders like the live view; and untrusted
text (model answers, command output, file names, URLs, reasons) cannot inject markup:
each attack is paired with a legitimate control that does render.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from agent.frontends.transcript.html import render_html
from agent.frontends.transcript.html_markdown import render_markdown_html
from agent.frontends.transcript.reducer import Transcript
from agent.protocol import events as ev

from .events import UPDATE, begin, chunk, configured, end, event, tokens

ALLOWED_TAGS = {"div", "span", "p", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre", "ul", "ol",
                "li", "input", "a", "table", "thead", "tbody", "tr", "th", "td", "blockquote", "hr", "br", "details", "summary"}
ALLOWED_ATTRS = {"class", "style", "href", "target", "rel", "type", "disabled", "checked", "start", "open"}


class Audit(HTMLParser):
    """Every tag, attribute and text node of rendered HTML."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def links(self) -> list[str]:
        return [a.get("href") or "" for t, a in self.tags if t == "a"]

    def of(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def safe(markup: str) -> Audit:
    """Parse `markup` and assert it holds only the tags and attributes the renderer makes."""
    audit = Audit(markup)
    for tag, attrs in audit.tags:
        assert tag in ALLOWED_TAGS, (tag, markup)
        assert set(attrs) <= ALLOWED_ATTRS, (tag, attrs)
        assert "javascript" not in (attrs.get("href") or "").lower() and "expression(" not in (attrs.get("style") or "")
    for href in audit.links():
        assert href.startswith(("http://", "https://", "mailto:")), href
    return audit


def finished(*msgs: ev.EventMsg) -> Transcript:
    t = Transcript(clock=lambda: 1000.0)
    for msg in (configured(), ev.TaskStarted(), *msgs, ev.TaskComplete()):
        t.apply(event(msg))
    return t


def block_html(kind: str, t: Transcript) -> str:
    """The rendering of the transcript's first block of `kind` (its outer div and contents)."""
    markup = render_html(t.state())
    start = markup.index(f'class="jp-agent-block jp-agent-{kind}')
    return markup[markup.rindex("<div", 0, start):]


# --- every block kind ------------------------------------------------------------------------


def test_a_full_turn_renders_every_part_like_the_live_view():
    patch = {"src/app.py": UPDATE}
    # approve before the end, as a user would
    t = Transcript(clock=lambda: 1000.0)
    msgs = [configured(), ev.TaskStarted(), ev.UserMessage(message="fix the bug"), ev.AgentReasoning(text="Looking at **app.py**"),
            ev.PlanUpdate(explanation="two steps", plan=[ev.PlanItem(step="read", status="completed"),
                                                         ev.PlanItem(step="fix", status="in_progress")]),
            begin("c1", ["pytest", "-q"]), chunk("c1", b"1 failed\n"), end("c1", ["pytest", "-q"], 1, 1.5),
            begin("c2", ["run_python", "x = 1\nprint(x)\n"]), end("c2", ["run_python", "x = 1\nprint(x)\n"], 0, 0.2, "1\n"),
            ev.ApplyPatchApprovalRequest(call_id="p1", turn_id="1", changes=patch, reason="edit app.py")]
    for msg in msgs:
        t.apply(event(msg))
    assert t.record_decision("p1", "approved")
    for msg in [ev.PatchApplyBegin(call_id="p1", turn_id="1", auto_approved=False, changes=patch),
                ev.PatchApplyEnd(call_id="p1", turn_id="1", stdout="", stderr="", success=True),
                ev.TurnDiff(unified_diff="--- a/src/app.py\n+++ b/src/app.py\n" + UPDATE.unified_diff),
                ev.AgentMessage(message="Fixed: `f()` returns **2**."), tokens(1234, 900), ev.TaskComplete()]:
        t.apply(event(msg))
    markup = render_html(t.state())
    audit = safe(markup)
    text = audit.all_text
    assert "model: gpt-5-codex (openai)" in text and "approval: on-request" in text and "session sess-1" in text
    assert "fix the bug" in text and "Thinking" in text and "Looking at app.py" in text
    assert "Plan" in text and "two steps" in text and "\u2611 read" in text
    assert "$ pytest -q" in text and "1 failed" in text and "exit 1" in text and "failed" in text
    assert "Python" in text and "x = 1\nprint(x)" in text and "$ run_python" not in text
    assert 'class="jp-agent-tok-keyword"' not in block_html("command", t).split("jp-agent-command-ok")[0]
    assert "Apply this patch?" in text and "edit app.py" in text and "Approved" in text
    assert "Patch applied" in text and "src/app.py" in text and "Changes in this turn" in text
    assert "Fixed: f() returns 2." in text and "<strong>2</strong>" in markup
    assert "Done" in text and "1,234 tokens" in text and "% context left" in text
    add = [a for t_, a in audit.tags if t_ == "span" and a.get("class") == "jp-agent-tok-add"]
    dele = [a for t_, a in audit.tags if t_ == "span" and a.get("class") == "jp-agent-tok-del"]
    assert add and dele and "#28963e" in (add[0]["style"] or "") and "#dc4a44" in (dele[0]["style"] or "")
    # a patch shows its diff once, its approval's verdict under it (plus the collapsed turn diff)
    assert markup.count("+    return 2") == 2
    patch_block = block_html("patch", t)
    assert patch_block.index("+    return 2") < patch_block.index("Apply this patch?") < patch_block.index("Approved")


def test_run_python_is_highlighted_as_python():
    t = finished(begin("c", ["run_python", "def f():\n    return 'x'\n"]), end("c", ["run_python", "def f():\n    return 'x'\n"], 0))
    markup = block_html("command", t)
    assert '<span class="jp-agent-tok-keyword"' in markup and ">def</span>" in markup
    assert ">&#x27;x&#x27;</span>" in markup  # the string token


def test_declined_command_shows_declined_without_an_exit_code():
    t = Transcript(clock=lambda: 1.0)
    for msg in [configured(), ev.TaskStarted(), begin("c", ["rm", "-rf", "/tmp/x"]),
                ev.ExecApprovalRequest(call_id="c", turn_id="1", command=["rm", "-rf", "/tmp/x"], cwd="/w", reason="cleanup")]:
        t.apply(event(msg))
    t.record_decision("c", "denied")
    for msg in [end("c", ["rm", "-rf", "/tmp/x"], -1), ev.TaskComplete()]:
        t.apply(event(msg))
    text = safe(render_html(t.state())).all_text
    assert "declined" in text and "exit -1" not in text and "Denied" in text and "Run this command?" in text
    command = block_html("command", t)  # the approval sits inside its command's block, shown once
    assert Audit(command).all_text.count("rm -rf") == 1 and "Run this command?" in command and "cleanup" in command


def test_refused_command_shows_refused_and_its_reason_while_a_failed_one_shows_its_exit_code():
    reason = "execpolicy forbids this command: no pushing from the hub"

    def command_html(argv: list[str], last: ev.ExecCommandEnd) -> str:
        t = Transcript(clock=lambda: 1.0)
        for msg in [configured(), ev.TaskStarted(), begin("c", argv), last, ev.TaskComplete()]:
            t.apply(event(msg))
        safe(render_html(t.state()))
        markup = block_html("command", t)
        return markup[:markup.index('class="jp-agent-footer')]  # the block alone, not the turn's status line

    refused = command_html(["git", "push"], end("c", ["git", "push"], -1, 0.0, reason, refused=True))
    text = Audit(refused).all_text
    assert "refused" in text and reason in text and "exit" not in text and " ms" not in text and "failed" not in text
    assert "jp-agent-icon-refused" in refused and "\u2298" in refused
    failed = command_html(["false"], end("c", ["false"], 1, 0.25))  # the control: it ran and failed
    text = Audit(failed).all_text
    assert "failed" in text and "exit 1" in text and "250 ms" in text and "refused" not in text


def test_a_declined_patch_is_one_block_with_its_diff_collapsed():
    t = Transcript(clock=lambda: 1.0)
    for msg in [configured(), ev.TaskStarted(),
                ev.ApplyPatchApprovalRequest(call_id="p", turn_id="1", changes={"a.py": UPDATE})]:
        t.apply(event(msg))
    t.record_decision("p", "denied")
    for msg in [ev.ToolCallEnd(call_id="p", name="apply_patch", output="patch rejected by user", success=False,
                               duration=ev.Duration(secs=0, nanos=0)), ev.TaskComplete()]:
        t.apply(event(msg))
    markup = render_html(t.state())
    safe(markup)
    assert "Patch rejected by user" in markup and markup.count("+    return 2") == 1
    assert "<details class=\"jp-agent-details\" open>" not in block_html("patch", t)


def test_errors_notices_tools_aborted_approvals_and_failed_state():
    t = Transcript(clock=lambda: 1.0)
    for msg in [configured(), ev.TaskStarted(), ev.Warning(message="slow down"),
                ev.ToolCallBegin(call_id="t", name="view_image", arguments='{"path": "a.png"}'),
                ev.ToolCallEnd(call_id="t", name="view_image", output="shown", success=True, duration=ev.Duration(secs=0, nanos=5_000_000)),
                ev.ExecApprovalRequest(call_id="a", turn_id="1", command=["ls"], cwd="/"),
                ev.Error(message="rate limited", http_status_code=429), ev.TaskComplete()]:
        t.apply(event(msg))
    text = safe(render_html(t.state())).all_text
    assert "slow down" in text and "Tool" in text and "view_image" in text and '{"path": "a.png"}' in text and "shown" in text
    assert "Aborted before a decision" in text and "Error (HTTP 429): rate limited" in text and "Failed" in text


def test_long_output_keeps_its_last_lines_with_a_note():
    out = "".join(f"line {i}\n" for i in range(1000)).encode()
    t = finished(begin("c", ["seq"]), chunk("c", out), end("c", ["seq"], 0))
    text = safe(render_html(t.state())).all_text
    assert "line 999" in text and "line 10\n" not in text and "800 earlier lines not shown" in text


# --- the Markdown subset ---------------------------------------------------------------------


@pytest.mark.parametrize(("source", "expected"), [
    ("# Title", "<h1>Title</h1>"),
    ("### Small", "<h3>Small</h3>"),
    ("one\ntwo\n\nthree", "<p>one\ntwo</p><p>three</p>"),
    ("**bold** and *it* and _it2_ and ~~gone~~", "<strong>bold</strong> and <em>it</em> and <em>it2</em> and <del>gone</del>"),
    ("- a\n- b", "<ul><li>a</li><li>b</li></ul>"),
    ("3. c\n4. d", '<ol start="3"><li>c</li><li>d</li></ol>'),
    ("- a\n  - nested", "<ul><li>a<ul><li>nested</li></ul></li></ul>"),
    ("> quoted", "<p>quoted</p></blockquote>"),
    ("---", "<hr>"),
])
def test_markdown_blocks(source, expected):
    assert expected in render_markdown_html(source)
    safe(render_markdown_html(source))


def test_markdown_inline_code_fenced_code_task_lists_links_and_tables():
    md = ("Use `a < b` here.\n\n```python\nimport os  # hi\n```\n\n- [x] done\n- [ ] todo\n\n"
          "See [docs](https://example.com/a?b=1&c=2), <https://example.org> or [mail](mailto:me@example.com).\n\n"
          "| name | n |\n|:-----|--:|\n| `x|y` | 2 |\n| **b** | 3 |")
    markup = render_markdown_html(md)
    audit = safe(markup)
    assert ">a &lt; b</code>" in markup
    assert 'class="jp-agent-code jp-agent-lang-python"' in markup and ">import</span>" in markup and ">#" in markup
    boxes = audit.of("input")
    assert len(boxes) == 2 and "checked" in boxes[0] and "checked" not in boxes[1] and all("disabled" in b for b in boxes)
    assert audit.links() == ["https://example.com/a?b=1&c=2", "https://example.org", "mailto:me@example.com"]
    assert all(a.get("rel") == "noopener noreferrer nofollow" for a in audit.of("a"))
    assert len(audit.of("th")) == 2 and len(audit.of("td")) == 4 and "text-align: right" in (audit.of("th")[1]["style"] or "")
    assert "<strong>b</strong>" in markup and "| name |" not in audit.all_text


# --- attacks (each with a control that renders) ------------------------------------------------


ATTACKS = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '<a href="javascript:alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<svg onload=alert(1)>',
    '"><b onmouseover=alert(1)>',
    '<style>body{display:none}</style>',
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_model_text_cannot_inject_markup(attack):
    t = finished(ev.AgentMessage(message=f"before {attack} after **ok**"))
    markup = render_html(t.state())
    audit = safe(markup)
    assert attack in audit.all_text  # shown as text
    assert "<strong>ok</strong>" in markup  # control: Markdown still renders


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>x</script>",
                                 "vbscript:msgbox(1)", "//evil.example/x", "https://x.example/\"onmouseover=\"alert(1)"])
def test_links_other_than_http_and_mailto_stay_text(url):
    markup = render_markdown_html(f"[click]({url}) and [fine](https://ok.example/)")
    audit = safe(markup)
    assert audit.links()[-1] == "https://ok.example/"  # control
    assert all(href.startswith(("https://ok.example/", "https://x.example/")) for href in audit.links())
    assert audit.all_text.startswith("[click](") or audit.links()[0].startswith("https://x.example/")
    for attrs in audit.of("a"):
        assert set(attrs) == {"href", "target", "rel", "style"}  # a quote in the URL added no attribute


def test_a_quote_in_a_url_stays_inside_the_href():
    audit = safe(render_markdown_html('[x](https://a.example/"onmouseover="alert(1))'))
    [href] = audit.links()
    assert href == 'https://a.example/"onmouseover="alert(1' and set(audit.of("a")[0]) == {"href", "target", "rel", "style"}


def test_command_output_file_names_argv_reasons_and_errors_are_escaped():
    evil = "<img src=x onerror=alert(1)>"
    patch = {f"{evil}.py": ev.FileAdd(content=f"{evil}\n"), "ok.py": ev.FileAdd(content="print('ok')\n")}
    t = Transcript(clock=lambda: 1.0)
    for msg in [configured(), ev.TaskStarted(), ev.UserMessage(message=evil),
                begin("c", ["echo", evil]), chunk("c", f"{evil}\nplain output\n".encode()), end("c", ["echo", evil], 0),
                ev.ApplyPatchApprovalRequest(call_id="p", turn_id="1", changes=patch, reason=evil, grant_root=evil),
                ev.PlanUpdate(plan=[ev.PlanItem(step=evil, status="pending")]),
                ev.Error(message=evil), ev.Warning(message=evil), ev.TurnDiff(unified_diff=f"+{evil}\n")]:
        t.apply(event(msg))
    t.record_decision("p", "approved")
    t.apply(event(ev.TaskComplete()))
    markup = render_html(t.state())
    audit = safe(markup)
    assert not audit.of("img") and audit.all_text.count(evil) >= 8
    assert "plain output" in audit.all_text and "ok.py" in audit.all_text and "print('ok')" in audit.all_text  # controls


def test_session_fields_are_escaped():
    state = finished().state()
    state["status"]["model"] = "<script>m</script>"
    audit = safe(render_html(state))
    assert "<script>m</script>" in audit.all_text and "Done" in audit.all_text


def test_styles_work_where_theme_variables_are_refused():
    """Untrusted notebooks keep only plain CSS values: every themed colour has a plain one first."""
    markup = render_html(finished(ev.Error(message="boom")).state())
    for attrs in Audit(markup).of("div") + Audit(markup).of("span"):
        style = attrs.get("style") or ""
        for decl in [d.strip() for d in style.split(";") if "var(" in d]:
            prop = decl.split(":")[0].strip()
            plain = [d for d in style.split(";") if d.strip().startswith(prop + ":") and "var(" not in d]
            assert plain, (prop, style)
