// Syntax highlighting for code in the transcript (Python, shell, console sessions, diffs):
// every token is escaped, then wrapped in a `jp-agent-tok-*` span.

import { escapeHtml } from './text';

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
