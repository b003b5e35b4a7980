// Pure text renderers shared by the panel's blocks: escaping, syntax highlighting and a
// small, safe Markdown renderer. A port of the cell widget's agent_view.js helpers, so the
// panel and the cell render the same transcript the same way. Everything returned is
// built from escapeHtml() output; links are emitted for http(s) URLs only.

export function escapeHtml(text: unknown): string {
  const map: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  return String(text ?? '').replace(/[&<>"']/g, c => map[c]);
}

export function shellJoin(argv: readonly string[] | null | undefined): string {
  return (argv || [])
    .map(a => (a === '' ? "''" : /^[\w@%+=:,./-]+$/.test(a) ? a : "'" + a.replace(/'/g, "'\"'\"'") + "'"))
    .join(' ');
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) {
    return '';
  }
  if (ms < 1000) {
    return `${ms} ms`;
  }
  const s = ms / 1000;
  if (s < 60) {
    return `${s.toFixed(1)} s`;
  }
  return `${Math.floor(s / 60)}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
}

export function fmtBytes(n: number): string {
  if (n < 1024) {
    return `${n} B`;
  }
  if (n < 1024 * 1024) {
    return `${(n / 1024).toFixed(1)} KiB`;
  }
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

// --- syntax highlighting -------------------------------------------------------------

const PY_KEYWORDS = new Set(
  (
    'False None True and as assert async await break class continue def del elif else except finally for ' +
    'from global if import in is lambda nonlocal not or pass raise return try while with yield match case'
  ).split(' ')
);
const PY_BUILTINS = new Set('self cls print len range dict list set tuple str int float bool open super isinstance'.split(' '));
const SH_KEYWORDS = new Set(
  'if then else elif fi for while until do done case esac in function return export local set unset source'.split(' ')
);
const PY_RE =
  /("""[\s\S]*?(?:"""|$)|'''[\s\S]*?(?:'''|$)|[rbfuRBFU]{0,2}"(?:\\.|[^"\\\n])*"?|[rbfuRBFU]{0,2}'(?:\\.|[^'\\\n])*'?)|(#[^\n]*)|(@[A-Za-z_][\w.]*)|\b(\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?j?)\b|([A-Za-z_]\w*)/g;
const SH_RE =
  /("(?:\\.|[^"\\])*"?|'[^']*'?)|(^|\s)(#[^\n]*)|(\$\{[^}\n]*\}|\$[A-Za-z_]\w*|\$[0-9@#?*!$-])|(\s--?[\w-]+)|([A-Za-z_][\w.-]*)/gm;

function span(cls: string, text: string): string {
  return `<span class="jp-agent-tok-${cls}">${escapeHtml(text)}</span>`;
}

function tokenize(re: RegExp, code: string, render: (m: RegExpExecArray) => string): string {
  let out = '';
  let last = 0;
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(code)) !== null) {
    if (m[0] === '') {
      re.lastIndex++;
      continue;
    }
    out += escapeHtml(code.slice(last, m.index)) + render(m);
    last = re.lastIndex;
  }
  return out + escapeHtml(code.slice(last));
}

function highlightPython(code: string): string {
  return tokenize(PY_RE, code, m => {
    if (m[1]) {
      return span('string', m[0]);
    }
    if (m[2]) {
      return span('comment', m[0]);
    }
    if (m[3]) {
      return span('meta', m[0]);
    }
    if (m[4]) {
      return span('number', m[0]);
    }
    if (PY_KEYWORDS.has(m[0])) {
      return span('keyword', m[0]);
    }
    if (PY_BUILTINS.has(m[0])) {
      return span('builtin', m[0]);
    }
    return escapeHtml(m[0]);
  });
}

function highlightBash(code: string): string {
  return tokenize(SH_RE, code, m => {
    if (m[1]) {
      return span('string', m[0]);
    }
    if (m[3]) {
      return escapeHtml(m[2]) + span('comment', m[3]);
    }
    if (m[4]) {
      return span('variable', m[0]);
    }
    if (m[5]) {
      return span('option', m[0]);
    }
    if (SH_KEYWORDS.has(m[0])) {
      return span('keyword', m[0]);
    }
    return escapeHtml(m[0]);
  });
}

function highlightConsole(code: string): string {
  return code
    .split('\n')
    .map(line => {
      const m = /^(\s*[$#>] )(.*)$/.exec(line);
      return m ? span('prompt', m[1]) + highlightBash(m[2]) : span('output', line);
    })
    .join('\n');
}

function highlightDiff(code: string): string {
  return code
    .split('\n')
    .map(line => {
      if (/^(\+\+\+|---|diff |index |new file|deleted file|rename |similarity )/.test(line)) {
        return span('meta', line);
      }
      if (line.startsWith('@@')) {
        return span('hunk', line);
      }
      if (line.startsWith('+')) {
        return span('add', line);
      }
      if (line.startsWith('-')) {
        return span('del', line);
      }
      return escapeHtml(line);
    })
    .join('\n');
}

const LANGS: Record<string, (code: string) => string> = {
  python: highlightPython,
  py: highlightPython,
  python3: highlightPython,
  ipython: highlightPython,
  bash: highlightBash,
  sh: highlightBash,
  shell: highlightBash,
  zsh: highlightBash,
  console: highlightConsole,
  'shell-session': highlightConsole,
  diff: highlightDiff,
  patch: highlightDiff,
  udiff: highlightDiff
};

export function highlight(code: unknown, lang: string | null | undefined): string {
  const fn = LANGS[String(lang || '').toLowerCase()];
  return fn ? fn(String(code ?? '')) : escapeHtml(code);
}

// --- Markdown ------------------------------------------------------------------------------

const FENCE_RE = /^\s{0,3}(`{3,}|~{3,})\s*([\w+#.-]*)[^`]*$/;
const HEADING_RE = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const RULE_RE = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;
const QUOTE_RE = /^\s{0,3}>\s?(.*)$/;
const LIST_RE = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const BLANK_RE = /^\s*$/;

function startsBlock(line: string): boolean {
  return FENCE_RE.test(line) || HEADING_RE.test(line) || RULE_RE.test(line) || QUOTE_RE.test(line) || LIST_RE.test(line);
}

function indentOf(line: string): number {
  return (/^\s*/.exec(line) as RegExpExecArray)[0].length;
}

function codeBlock(body: string, lang: string): string {
  return (
    `<pre class="jp-agent-code" data-lang="${escapeHtml(lang || 'text')}">` +
    `<code class="language-${escapeHtml(lang || 'text')}">${highlight(body, lang)}</code></pre>`
  );
}

export function renderMarkdown(src: unknown): string {
  const lines = String(src ?? '')
    .replace(/\r\n?/g, '\n')
    .replace(/\u0000/g, '')
    .split('\n');
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let m: RegExpExecArray | null;
    if ((m = FENCE_RE.exec(line))) {
      const body: string[] = [];
      const close = new RegExp('^\\s{0,3}' + m[1][0] + '{' + m[1].length + ',}\\s*$');
      for (i++; i < lines.length && !close.test(lines[i]); i++) {
        body.push(lines[i]);
      }
      i++;
      out.push(codeBlock(body.join('\n'), m[2].toLowerCase()));
    } else if (BLANK_RE.test(line)) {
      i++;
    } else if ((m = HEADING_RE.exec(line))) {
      out.push(`<h${m[1].length}>${inline(m[2])}</h${m[1].length}>`);
      i++;
    } else if (RULE_RE.test(line)) {
      out.push('<hr>');
      i++;
    } else if (QUOTE_RE.test(line)) {
      const inner: string[] = [];
      for (; i < lines.length && (m = QUOTE_RE.exec(lines[i])); i++) {
        inner.push(m[1]);
      }
      out.push(`<blockquote>${renderMarkdown(inner.join('\n'))}</blockquote>`);
    } else if (LIST_RE.test(line)) {
      i = parseList(lines, i, out);
    } else {
      const para = [lines[i++]];
      while (i < lines.length && !BLANK_RE.test(lines[i]) && !startsBlock(lines[i])) {
        para.push(lines[i++]);
      }
      out.push(`<p>${inline(para.join('\n'))}</p>`);
    }
  }
  return out.join('');
}

interface IListItem {
  lines: string[];
  offset: number;
}

function parseList(lines: string[], i: number, out: string[]): number {
  const first = LIST_RE.exec(lines[i]) as RegExpExecArray;
  const base = first[1].length;
  const ordered = /\d/.test(first[2]);
  const items: IListItem[] = [];
  while (i < lines.length) {
    const line = lines[i];
    const m = LIST_RE.exec(line);
    if (m && m[1].length === base && /\d/.test(m[2]) === ordered) {
      items.push({ lines: [m[3]], offset: m[1].length + m[2].length + 1 });
    } else if (BLANK_RE.test(line)) {
      const next = lines[i + 1];
      if (
        next === undefined ||
        BLANK_RE.test(next) ||
        indentOf(next) < base ||
        (indentOf(next) === base && !LIST_RE.test(next))
      ) {
        break;
      }
      items[items.length - 1].lines.push('');
    } else if (indentOf(line) > base) {
      const item = items[items.length - 1];
      item.lines.push(line.slice(Math.min(indentOf(line), item.offset)));
    } else {
      break;
    }
    i++;
  }
  const tag = ordered ? 'ol' : 'ul';
  const start = ordered && parseInt(first[2], 10) !== 1 ? ` start="${parseInt(first[2], 10)}"` : '';
  out.push(`<${tag}${start}>${items.map(renderItem).join('')}</${tag}>`);
  return i;
}

function renderItem(item: IListItem): string {
  let head = item.lines[0];
  let box = '';
  const task = /^\[( |x|X)\]\s+(.*)$/.exec(head);
  if (task) {
    box = `<input type="checkbox" disabled${task[1] === ' ' ? '' : ' checked'}> `;
    head = task[2];
  }
  const rest = item.lines.slice(1).join('\n');
  return `<li${task ? ' class="jp-agent-task"' : ''}>${box}${inline(head)}${BLANK_RE.test(rest) ? '' : renderMarkdown(rest)}</li>`;
}

function inline(text: string): string {
  const held: string[] = [];
  const hold = (html: string): string => `\u0000${held.push(html) - 1}\u0000`;
  let s = String(text).replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (_all: string, _t: string, code: string) =>
    hold(`<code>${escapeHtml(code)}</code>`)
  );
  s = escapeHtml(s);
  s = s.replace(/\[([^\]\n]+)\]\(([^)\s]+)\)/g, (all: string, label: string, url: string) =>
    /^https?:\/\//i.test(url)
      ? hold(`<a href="${url}" target="_blank" rel="noopener noreferrer">${emphasis(label)}</a>`)
      : all
  );
  s = s.replace(/&lt;(https?:\/\/[^\s&]+)&gt;/g, (_all: string, url: string) =>
    hold(`<a href="${url}" target="_blank" rel="noopener noreferrer">${url}</a>`)
  );
  s = emphasis(s).replace(/ {2,}\n/g, '<br>');
  return s.replace(/\u0000(\d+)\u0000/g, (_all: string, n: string) => held[Number(n)]);
}

function emphasis(s: string): string {
  return s
    .replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^\w])__(?=\S)([\s\S]*?\S)__(?!\w)/g, '$1<strong>$2</strong>')
    .replace(/(^|[^*\w])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![*\w])/g, '$1<em>$2</em>')
    .replace(/(^|[^\w])_(?=[^\s_])([^_\n]*?[^\s_])_(?!\w)/g, '$1<em>$2</em>')
    .replace(/~~(?=\S)([^~\n]*?\S)~~/g, '<del>$1</del>');
}

/** The fenced code blocks of a Markdown text, in order (for "insert into notebook"). */
export function codeBlocks(src: unknown): { lang: string; code: string }[] {
  const lines = String(src ?? '').replace(/\r\n?/g, '\n').split('\n');
  const found: { lang: string; code: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = FENCE_RE.exec(lines[i]);
    if (!m) {
      continue;
    }
    const close = new RegExp('^\\s{0,3}' + m[1][0] + '{' + m[1].length + ',}\\s*$');
    const body: string[] = [];
    for (i++; i < lines.length && !close.test(lines[i]); i++) {
      body.push(lines[i]);
    }
    found.push({ lang: m[2].toLowerCase(), code: body.join('\n') });
  }
  return found;
}

/** A line diff (LCS) of two cell sources as unified-style lines: ' x', '-x', '+x'. */
export function lineDiff(before: string, after: string): string[] {
  const a = before === '' ? [] : before.split('\n');
  const b = after === '' ? [] : after.split('\n');
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push(' ' + a[i]);
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
      out.push('-' + a[i++]);
    } else {
      out.push('+' + b[j++]);
    }
  }
  while (i < n) {
    out.push('-' + a[i++]);
  }
  while (j < m) {
    out.push('+' + b[j++]);
  }
  return out;
}
