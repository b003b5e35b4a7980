"""Safe Markdown -> HTML and code highlighting for the static transcript (see html.py).

A Python port of the live renderer (labextension/src/transcript/markdown.ts, highlight.ts),
so a saved transcript reads like the live one. The model's text is untrusted: every piece
of output is built from `escape()`d text, no raw HTML passes through, and links are made
for http(s) and mailto URLs only (with rel="noopener noreferrer nofollow"). Supported:
paragraphs, ATX headings, emphasis, strike-through, inline code, fenced code (Python,
shell, console and diff highlighted), blockquotes, rules, nested lists with task items, and
GFM tables. Colours are given twice, as a plain value and as a JupyterLab theme variable:
a sanitizer that refuses `var()` (an untrusted notebook) keeps the plain one.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})\s*([\w+#.-]*)[^`]*$")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_QUOTE = re.compile(r"^\s{0,3}>\s?(.*)$")
_LIST = re.compile(r"^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$")
_BLANK = re.compile(r"^\s*$")
_TABLE_DELIM = re.compile(r"^\s{0,3}\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_TASK = re.compile(r"^\[( |x|X)\]\s+(.*)$")
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_AUTOLINK = re.compile(r"&lt;((?:https?://|mailto:)[^\s&]+)&gt;")
_SAFE_URL = re.compile(r"^(?:https?://|mailto:)", re.IGNORECASE)
_HELD = re.compile("\x00(\\d+)\x00")

CODE_BG = "background: rgba(128, 128, 128, 0.12); background: var(--jp-layout-color2, rgba(128, 128, 128, 0.12));"
BORDER = "rgba(128, 128, 128, 0.35)"
MONO = "font-family: monospace; font-family: var(--jp-code-font-family, monospace);"
PRE_STYLE = (f"{MONO} font-size: 12px; {CODE_BG} border: 1px solid {BORDER}; border-radius: 3px; "
             "padding: 4px 6px; margin: 4px 0; overflow: auto; white-space: pre; max-width: 100%; box-sizing: border-box;")
INLINE_CODE_STYLE = f"{MONO} font-size: 12px; {CODE_BG} border-radius: 3px; padding: 0 3px;"
LINK_STYLE = "color: #1976d2; color: var(--jp-content-link-color, #1976d2);"
_CELL_STYLE = f"border: 1px solid {BORDER}; padding: 2px 8px;"

TOKEN_COLORS = {
    "keyword": ("#2e8b57", "--jp-mirror-editor-keyword-color"), "string": ("#c0504d", "--jp-mirror-editor-string-color"),
    "comment": ("#5f8f8f", "--jp-mirror-editor-comment-color"), "number": ("#2e8b57", "--jp-mirror-editor-number-color"),
    "builtin": ("#2e8b57", "--jp-mirror-editor-builtin-color"), "meta": ("#9c4fd6", "--jp-mirror-editor-meta-color"),
    "variable": ("#3b7dd8", "--jp-mirror-editor-variable-2-color"), "option": ("#3b7dd8", "--jp-mirror-editor-attribute-color"),
    "prompt": ("#888888", "--jp-ui-font-color2"), "output": ("#888888", "--jp-ui-font-color2"),
    "hunk": ("#9c4fd6", "--jp-mirror-editor-meta-color"), "add": ("#28963e", "--jp-success-color1"),
    "del": ("#dc4a44", "--jp-error-color1"),
}
_TOKEN_EXTRA = {
    "keyword": " font-weight: bold;", "comment": " font-style: italic;",
    "add": " background: rgba(46, 160, 67, 0.1); display: inline-block; min-width: 100%;",
    "del": " background: rgba(248, 81, 73, 0.1); display: inline-block; min-width: 100%;",
}


def escape(text: object) -> str:
    return html.escape(str(text if text is not None else ""), quote=True)


def themed(prop: str, plain: str, var: str) -> str:
    """`prop: plain; prop: var(var, plain);` — the second wins where theme variables exist."""
    return f"{prop}: {plain}; {prop}: var({var}, {plain});"


# --- highlighting --------------------------------------------------------------------------

_PY_KEYWORDS = frozenset(
    "False None True and as assert async await break class continue def del elif else except finally for "
    "from global if import in is lambda nonlocal not or pass raise return try while with yield match case".split()
)
_PY_BUILTINS = frozenset("self cls print len range dict list set tuple str int float bool open super isinstance".split())
_SH_KEYWORDS = frozenset(
    "if then else elif fi for while until do done case esac in function return export local set unset source".split()
)
_PY = re.compile(
    r"(\"\"\"[\s\S]*?(?:\"\"\"|$)|'''[\s\S]*?(?:'''|$)|[rbfuRBFU]{0,2}\"(?:\\.|[^\"\\\n])*\"?|[rbfuRBFU]{0,2}'(?:\\.|[^'\\\n])*'?)"
    r"|(#[^\n]*)|(@[A-Za-z_][\w.]*)|\b(\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?j?)\b|([A-Za-z_]\w*)"
)
_SH = re.compile(
    r"(\"(?:\\.|[^\"\\])*\"?|'[^']*'?)|(^|\s)(#[^\n]*)|(\$\{[^}\n]*\}|\$[A-Za-z_]\w*|\$[0-9@#?*!$-])|(\s--?[\w-]+)|([A-Za-z_][\w.-]*)",
    re.MULTILINE,
)
_DIFF_META = re.compile(r"^(\+\+\+|---|diff |index |new file|deleted file|rename |similarity )")


def token(kind: str, text: str) -> str:
    plain, var = TOKEN_COLORS[kind]
    return f'<span class="jp-agent-tok-{kind}" style="{themed("color", plain, var)}{_TOKEN_EXTRA.get(kind, "")}">{escape(text)}</span>'


def _tokenize(pattern: re.Pattern[str], code: str, render: Callable[[re.Match[str]], str]) -> str:
    out, last = [], 0
    for m in pattern.finditer(code):
        if not m.group(0):
            continue
        out.append(escape(code[last:m.start()]) + render(m))
        last = m.end()
    return "".join(out) + escape(code[last:])


def _python(code: str) -> str:
    def render(m: re.Match[str]) -> str:
        for group, kind in ((1, "string"), (2, "comment"), (3, "meta"), (4, "number")):
            if m.group(group):
                return token(kind, m.group(0))
        word = m.group(0)
        return token("keyword", word) if word in _PY_KEYWORDS else token("builtin", word) if word in _PY_BUILTINS else escape(word)

    return _tokenize(_PY, code, render)


def _bash(code: str) -> str:
    def render(m: re.Match[str]) -> str:
        if m.group(1):
            return token("string", m.group(0))
        if m.group(3):
            return escape(m.group(2)) + token("comment", m.group(3))
        if m.group(4):
            return token("variable", m.group(0))
        if m.group(5):
            return token("option", m.group(0))
        return token("keyword", m.group(0)) if m.group(0) in _SH_KEYWORDS else escape(m.group(0))

    return _tokenize(_SH, code, render)


def _console(code: str) -> str:
    lines = []
    for line in code.split("\n"):
        m = re.match(r"^(\s*[$#>] )(.*)$", line)
        lines.append(token("prompt", m.group(1)) + _bash(m.group(2)) if m else token("output", line))
    return "\n".join(lines)


def _diff_line(line: str) -> str:
    if _DIFF_META.match(line):
        return token("meta", line)
    if line.startswith("@@"):
        return token("hunk", line)
    if line.startswith("+"):
        return token("add", line)
    if line.startswith("-"):
        return token("del", line)
    return escape(line)


def _diff(code: str) -> str:
    return "\n".join(_diff_line(line) for line in code.split("\n"))


_LANGS: dict[str, Callable[[str], str]] = {
    "python": _python, "py": _python, "python3": _python, "ipython": _python,
    "bash": _bash, "sh": _bash, "shell": _bash, "zsh": _bash,
    "console": _console, "shell-session": _console, "diff": _diff, "patch": _diff, "udiff": _diff,
}


def highlight(code: str, lang: str | None) -> str:
    """`code` escaped, its tokens wrapped in coloured `jp-agent-tok-*` spans when `lang` is known."""
    fn = _LANGS.get((lang or "").lower())
    return fn(code) if fn is not None else escape(code)


def code_block(code: str, lang: str) -> str:
    """A `<pre>` of highlighted code."""
    safe_lang = re.sub(r"[^\w+#.-]", "", lang or "text") or "text"
    return (f'<pre class="jp-agent-code jp-agent-lang-{safe_lang}" style="{PRE_STYLE}">'
            f'<code class="language-{safe_lang}" style="background: none; background-color: transparent; padding: 0; border: 0;">'
            f"{highlight(code, lang)}</code></pre>")


# --- Markdown ------------------------------------------------------------------------------


def render_markdown_html(src: object) -> str:
    """Markdown (untrusted) -> safe HTML."""
    text = str(src if src is not None else "").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return _blocks(text.split("\n"))


def _starts_block(line: str) -> bool:
    return any(p.match(line) for p in (_FENCE, _HEADING, _RULE, _QUOTE, _LIST))


def _blocks(lines: list[str]) -> str:
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if m := _FENCE.match(line):
            close = re.compile(r"^\s{0,3}" + re.escape(m.group(1)[0]) + "{" + str(len(m.group(1))) + r",}\s*$")
            body = []
            i += 1
            while i < len(lines) and not close.match(lines[i]):
                body.append(lines[i])
                i += 1
            i += 1
            out.append(code_block("\n".join(body), m.group(2).lower()))
        elif _BLANK.match(line):
            i += 1
        elif m := _HEADING.match(line):
            level = len(m.group(1))
            out.append(f"<h{level}>{_inline(m.group(2))}</h{level}>")
            i += 1
        elif _RULE.match(line):
            out.append("<hr>")
            i += 1
        elif _QUOTE.match(line):
            inner = []
            while i < len(lines) and (q := _QUOTE.match(lines[i])):
                inner.append(q.group(1))
                i += 1
            out.append(f'<blockquote style="margin: 4px 0; padding-left: 8px; border-left: 3px solid {BORDER};">'
                       f"{_blocks(inner)}</blockquote>")
        elif _LIST.match(line):
            i = _list(lines, i, out)
        elif _starts_table(lines, i):
            i = _table(lines, i, out)
        else:
            para = [lines[i]]
            i += 1
            while i < len(lines) and not _BLANK.match(lines[i]) and not _starts_block(lines[i]) and not _starts_table(lines, i):
                para.append(lines[i])
                i += 1
            out.append(f"<p>{_inline(chr(10).join(para))}</p>")
    return "".join(out)


def _table_cells(line: str) -> list[str]:
    row = line.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", row)]


def _starts_table(lines: list[str], i: int) -> bool:
    if i + 1 >= len(lines) or "|" not in lines[i]:
        return False
    nxt = lines[i + 1]
    return ("-" in nxt and bool(_TABLE_DELIM.match(nxt)) and ("|" in nxt or lines[i].strip().startswith("|"))
            and len(_table_cells(lines[i])) == len(_table_cells(nxt)))


def _table(lines: list[str], i: int, out: list[str]) -> int:
    header = _table_cells(lines[i])
    aligns = []
    for cell in _table_cells(lines[i + 1]):
        left, right = cell.startswith(":"), cell.endswith(":")
        aligns.append("center" if left and right else "right" if right else "left" if left else "")

    def row(tag: str, cells: list[str]) -> str:
        tds = []
        for n in range(len(header)):
            align = f" text-align: {aligns[n]};" if aligns[n] else ""
            tds.append(f'<{tag} style="{_CELL_STYLE}{align}">{_inline(cells[n] if n < len(cells) else "")}</{tag}>')
        return f"<tr>{''.join(tds)}</tr>"

    body = []
    i += 2
    while i < len(lines) and not _BLANK.match(lines[i]) and not _starts_block(lines[i]):
        body.append(row("td", _table_cells(lines[i])))
        i += 1
    tbody = f"<tbody>{''.join(body)}</tbody>" if body else ""
    out.append(f'<table style="border-collapse: collapse; margin: 4px 0; display: block; overflow-x: auto; max-width: 100%;">'
               f"<thead>{row('th', header)}</thead>{tbody}</table>")
    return i


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _list(lines: list[str], i: int, out: list[str]) -> int:
    first = _LIST.match(lines[i])
    assert first is not None
    base = len(first.group(1))
    ordered = first.group(2)[0].isdigit()
    items: list[list[str]] = []
    offsets: list[int] = []
    while i < len(lines):
        line = lines[i]
        m = _LIST.match(line)
        if m and len(m.group(1)) == base and m.group(2)[0].isdigit() == ordered:
            items.append([m.group(3)])
            offsets.append(len(m.group(1)) + len(m.group(2)) + 1)
        elif _BLANK.match(line):
            nxt = lines[i + 1] if i + 1 < len(lines) else None
            if nxt is None or _BLANK.match(nxt) or _indent(nxt) < base or (_indent(nxt) == base and not _LIST.match(nxt)):
                break
            items[-1].append("")
        elif _indent(line) > base:
            items[-1].append(line[min(_indent(line), offsets[-1]):])
        else:
            break
        i += 1
    tag = "ol" if ordered else "ul"
    number = int(re.match(r"\d+", first.group(2)).group(0)) if ordered else 1  # type: ignore[union-attr]
    start = f' start="{number}"' if ordered and number != 1 else ""
    out.append(f"<{tag}{start}>{''.join(_item(item) for item in items)}</{tag}>")
    return i


def _item(lines: list[str]) -> str:
    head, box, attrs = lines[0], "", ""
    if task := _TASK.match(head):
        box = f'<input type="checkbox" disabled{"" if task.group(1) == " " else " checked"}> '
        head, attrs = task.group(2), ' class="jp-agent-task" style="list-style: none;"'
    rest = "\n".join(lines[1:])
    return f"<li{attrs}>{box}{_inline(head)}{'' if _BLANK.match(rest) else _blocks(rest.split(chr(10)))}</li>"


def _link(url: str, label_html: str) -> str:
    return f'<a href="{url}" target="_blank" rel="noopener noreferrer nofollow" style="{LINK_STYLE}">{label_html}</a>'


def _inline(text: str) -> str:
    held: list[str] = []

    def hold(fragment: str) -> str:
        held.append(fragment)
        return f"\x00{len(held) - 1}\x00"

    s = re.sub(r"(`+)([\s\S]*?[^`])\1(?!`)",
               lambda m: hold(f'<code style="{INLINE_CODE_STYLE}">{escape(m.group(2))}</code>'), text)
    s = escape(s)
    # `s` is escaped: a URL cannot hold a quote or an angle bracket, only `&…;` entities.
    s = _LINK.sub(lambda m: hold(_link(m.group(2), _emphasis(m.group(1)))) if _SAFE_URL.match(m.group(2)) else m.group(0), s)
    s = _AUTOLINK.sub(lambda m: hold(_link(m.group(1), m.group(1))), s)
    s = re.sub(r" {2,}\n", "<br>", _emphasis(s))
    return _HELD.sub(lambda m: held[int(m.group(1))], s)


def _emphasis(s: str) -> str:
    s = re.sub(r"\*\*(?=\S)([\s\S]*?\S)\*\*", r"<strong>\1</strong>", s)
    s = re.sub(r"(^|[^\w])__(?=\S)([\s\S]*?\S)__(?!\w)", r"\1<strong>\2</strong>", s)
    s = re.sub(r"(^|[^*\w])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![*\w])", r"\1<em>\2</em>", s)
    s = re.sub(r"(^|[^\w])_(?=[^\s_])([^_\n]*?[^\s_])_(?!\w)", r"\1<em>\2</em>", s)
    return re.sub(r"~~(?=\S)([^~\n]*?\S)~~", r"<del>\1</del>", s)
