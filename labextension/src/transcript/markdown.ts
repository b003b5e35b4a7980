// A small, safe Markdown renderer: everything returned is built from escapeHtml() output,
// and links are emitted for http(s) URLs only (with rel="noopener noreferrer").

import { highlight } from './highlight';
import { escapeHtml } from './text';

const FENCE_RE = /^\s{0,3}(`{3,}|~{3,})\s*([\w+#.-]*)[^`]*$/;
const HEADING_RE = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const RULE_RE = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;
const QUOTE_RE = /^\s{0,3}>\s?(.*)$/;
const LIST_RE = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const BLANK_RE = /^\s*$/;
const TABLE_DELIM_RE = /^\s{0,3}\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

function startsBlock(line: string): boolean {
  return FENCE_RE.test(line) || HEADING_RE.test(line) || RULE_RE.test(line) || QUOTE_RE.test(line) || LIST_RE.test(line);
}

/** The cells of a GFM table row: split on unescaped `|`, outer pipes dropped, `\|` unescaped. */
function tableCells(line: string): string[] {
  let row = line.trim();
  if (row.startsWith('|')) {
    row = row.slice(1);
  }
  if (row.endsWith('|') && !row.endsWith('\\|')) {
    row = row.slice(0, -1);
  }
  return row.split(/(?<!\\)\|/).map(cell => cell.trim().replace(/\\\|/g, '|'));
}

/** True when lines[i] is a table header row followed by a matching delimiter row. */
function startsTable(lines: string[], i: number): boolean {
  const next = lines[i + 1];
  return (
    lines[i].includes('|') &&
    next !== undefined &&
    next.includes('-') &&
    TABLE_DELIM_RE.test(next) &&
    (next.includes('|') || lines[i].trim().startsWith('|')) &&
    tableCells(lines[i]).length === tableCells(next).length
  );
}

function parseTable(lines: string[], i: number, out: string[]): number {
  const header = tableCells(lines[i]);
  const aligns = tableCells(lines[i + 1]).map(cell => {
    const left = cell.startsWith(':');
    const right = cell.endsWith(':');
    return left && right ? 'center' : right ? 'right' : left ? 'left' : '';
  });
  const cell = (tag: string, text: string, n: number): string =>
    `<${tag}${aligns[n] ? ` style="text-align: ${aligns[n]}"` : ''}>${inline(text)}</${tag}>`;
  const row = (tag: string, cells: string[]): string =>
    `<tr>${header.map((_h, n) => cell(tag, cells[n] ?? '', n)).join('')}</tr>`;
  const body: string[] = [];
  for (i += 2; i < lines.length && !BLANK_RE.test(lines[i]) && !startsBlock(lines[i]); i++) {
    body.push(row('td', tableCells(lines[i])));
  }
  out.push(`<table><thead>${row('th', header)}</thead>${body.length ? `<tbody>${body.join('')}</tbody>` : ''}</table>`);
  return i;
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
    } else if (startsTable(lines, i)) {
      i = parseTable(lines, i, out);
    } else {
      const para = [lines[i++]];
      while (i < lines.length && !BLANK_RE.test(lines[i]) && !startsBlock(lines[i]) && !startsTable(lines, i)) {
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
