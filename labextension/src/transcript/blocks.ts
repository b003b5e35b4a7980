// DOM renderers for transcript blocks, shared by the side panel and the cell widget: the same
// markup and `jp-agent-` classes (one stylesheet, frontends/notebook/static/agent_view.css),
// so a transcript looks the same in both. Text goes through the escaping renderers
// (markdown, highlight) or in as text nodes, never as raw HTML.

import type { ApprovalBlock, CommandBlock, FileEntry, PatchBlock, PlanBlock, ToolBlock } from '../protocol';
import { h, type Child } from './dom';
import { highlight } from './highlight';
import { renderMarkdown } from './markdown';
import type { Decision, TranscriptBlock } from './model';
import { commandText, fmtBytes, fmtMs, plural } from './text';

const BUTTON_LABELS: Record<string, string> = {
  approved: 'Approve',
  approved_for_session: 'Approve for session',
  denied: 'Deny',
  abort: 'Abort'
};
const DECISION_LABELS: Record<string, string> = {
  approved: 'Approved',
  approved_for_session: 'Approved for this session',
  denied: 'Denied',
  abort: 'Aborted the turn'
};
const COMMAND_STATUS: Record<string, string> = {
  waiting: 'waiting for approval',
  running: 'running',
  ok: 'succeeded',
  failed: 'failed',
  declined: 'declined',
  aborted: 'aborted',
  refused: 'refused'
};
const ICONS: Record<string, string> = {
  ok: '\u2713',
  failed: '\u2717',
  declined: '\u2298',
  aborted: '\u2298',
  refused: '\u2298',
  waiting: '?',
  applied: '\u2713'
};

export interface IRenderContext {
  /** <details> open states that survive redraws, by key. */
  open: Map<string, boolean>;
  /** call_id -> decision sent from this view, not yet confirmed. */
  sentDecisions: ReadonlyMap<string, Decision>;
  decide(callId: string, decision: Decision): void;
  /** Buttons under each code block of an agent message. */
  codeActions: readonly ICodeAction[];
}

export interface ICodeAction {
  label: string;
  className: string;
  title: string;
  run(code: string, lang: string): void;
}

export function details(ctx: IRenderContext, key: string, defaultOpen: boolean, summary: Child, ...content: Child[]): HTMLElement {
  const el = h('details', { class: 'jp-agent-details' }, h('summary', {}, summary), ...content) as HTMLDetailsElement;
  el.open = ctx.open.has(key) ? (ctx.open.get(key) as boolean) : defaultOpen;
  el.addEventListener('toggle', () => ctx.open.set(key, el.open));
  return el;
}

function statusIcon(status: string): HTMLElement {
  const running = status === 'running' || status === 'applying';
  return h(
    'span',
    { class: `jp-agent-icon jp-agent-icon-${status}`, title: status },
    running ? h('span', { class: 'jp-agent-spinner' }) : ICONS[status] || ''
  );
}

export function codePre(code: string, lang: string, scrollKey?: string): HTMLElement {
  return h('pre', { class: `jp-agent-code jp-agent-lang-${lang}`, 'data-scroll-key': scrollKey, html: highlight(code, lang) });
}

function meta(...parts: (string | null | undefined)[]): HTMLElement | null {
  const shown = parts.filter(p => p !== null && p !== undefined && p !== '');
  return shown.length ? h('div', { class: 'jp-agent-meta' }, shown.join(' \u00B7 ')) : null;
}

function renderUser(b: Extract<TranscriptBlock, { kind: 'user' }>): HTMLElement {
  return h(
    'div',
    { class: 'jp-agent-block jp-agent-user' },
    h('div', { class: 'jp-agent-label' }, 'You'),
    h('div', { class: 'jp-agent-user-text' }, b.text),
    b.images ? meta(`+${b.images} image${b.images === 1 ? '' : 's'}`) : null
  );
}

function renderAgent(b: Extract<TranscriptBlock, { kind: 'agent' }>, ctx: IRenderContext): HTMLElement {
  const body = h('div', { class: 'jp-agent-markdown', html: renderMarkdown(b.text) });
  if (!b.streaming && ctx.codeActions.length) {
    body.querySelectorAll('pre.jp-agent-code').forEach(pre => {
      const code = pre.textContent ?? '';
      const lang = (pre as HTMLElement).dataset.lang ?? '';
      const bar = h(
        'div',
        { class: 'jp-agent-code-actions' },
        ctx.codeActions.map(a =>
          h('button', { class: `jp-agent-btn jp-agent-code-action ${a.className}`, type: 'button', title: a.title, onclick: () => a.run(code, lang) }, a.label)
        )
      );
      pre.after(bar);
    });
  }
  return h('div', { class: `jp-agent-block jp-agent-agent${b.streaming ? ' jp-agent-streaming' : ''}` }, body);
}

function renderReasoning(b: Extract<TranscriptBlock, { kind: 'reasoning' }>, ctx: IRenderContext): HTMLElement {
  const label = (b.raw ? 'Raw reasoning' : 'Thinking') + (b.streaming ? '\u2026' : '');
  return h(
    'div',
    { class: 'jp-agent-block jp-agent-reasoning' },
    details(ctx, b.id, false, label, h('div', { class: 'jp-agent-markdown', html: renderMarkdown(b.text) }))
  );
}

function parsedSummary(parsed: Record<string, unknown>[]): string {
  return (parsed || [])
    .map(p => {
      if (p.type === 'read') {
        return `read ${p.name || p.path || ''}`;
      }
      if (p.type === 'list_files') {
        return `list ${p.path || '.'}`;
      }
      if (p.type === 'search') {
        return `search ${p.query ? JSON.stringify(p.query) : ''}${p.path ? ' in ' + p.path : ''}`;
      }
      return null;
    })
    .filter(Boolean)
    .join(', ');
}

/** The code of a `run_python` call (its argv is `["run_python", code]`), else null. */
export function pythonCode(argv: string[] | null | undefined): string | null {
  return argv && argv.length === 2 && argv[0] === 'run_python' ? argv[1] : null;
}

function renderCommand(b: CommandBlock, asked: readonly ApprovalBlock[], ctx: IRenderContext): HTMLElement {
  const source = pythonCode(b.argv);
  const head =
    source !== null
      ? [
          h('div', { class: 'jp-agent-head' }, statusIcon(b.status), h('span', { class: 'jp-agent-label' }, 'Python'), h('code', {}, 'run_python')),
          codePre(source.replace(/\n+$/, ''), 'python')
        ]
      : h(
          'div',
          { class: 'jp-agent-head' },
          statusIcon(b.status),
          h('code', { class: 'jp-agent-argv', html: highlight('$ ' + commandText(b.argv), 'console') })
        );
  // A declined or refused command never ran: no exit code, whatever placeholder its end event
  // carried; a refused one shows no duration either, and its output is the policy's reason.
  const ran = b.status !== 'declined' && b.status !== 'refused';
  const exit = b.exit_code !== null && b.exit_code !== undefined && ran ? `exit ${b.exit_code}` : null;
  const took = b.status === 'refused' ? null : fmtMs(b.duration_ms);
  const info = meta(COMMAND_STATUS[b.status] || b.status, b.cwd ? `in ${b.cwd}` : null, parsedSummary(b.parsed_cmd), exit, took);
  const cut = b.truncated_bytes ? h('div', { class: 'jp-agent-note' }, `\u2026 ${fmtBytes(b.truncated_bytes)} of earlier output not shown`) : null;
  const out = b.output ? h('pre', { class: 'jp-agent-output', 'data-scroll-key': `${b.id}:out` }, b.output) : null;
  // The approvals it asked for, right under the command (its output comes after them).
  const boxes = asked.map(a => approvalBox(a, ctx));
  return h('div', { class: `jp-agent-block jp-agent-command jp-agent-command-${b.status}` }, head, info, boxes, cut, out);
}

/** A tool call's JSON arguments as the user reads them: `name: value` for short values, a
 * labelled block for text with newlines (real line breaks, not `\n`); anything that is not a
 * JSON object stays as sent. */
export function toolArguments(raw: string): HTMLElement {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return h('pre', { class: 'jp-agent-output jp-agent-args' }, raw);
  }
  const rows = Object.entries(parsed as Record<string, unknown>).map(([key, value]) => {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return typeof value === 'string' && value.includes('\n')
      ? h('div', { class: 'jp-agent-arg' }, h('span', { class: 'jp-agent-arg-name' }, `${key}:`), h('pre', { class: 'jp-agent-output' }, value))
      : h('div', { class: 'jp-agent-arg' }, h('span', { class: 'jp-agent-arg-name' }, `${key}: `), h('code', {}, text));
  });
  return h('div', { class: 'jp-agent-args' }, rows);
}

function renderTool(b: ToolBlock): HTMLElement {
  const head = h('div', { class: 'jp-agent-head' }, statusIcon(b.status), h('span', { class: 'jp-agent-label' }, 'Tool'), h('code', {}, b.name));
  const args = b.arguments ? toolArguments(b.arguments) : null;
  const out = b.output ? h('pre', { class: 'jp-agent-output', 'data-scroll-key': `${b.id}:out` }, b.output) : null;
  return h('div', { class: `jp-agent-block jp-agent-tool jp-agent-tool-${b.status}` }, head, args, meta(b.status, fmtMs(b.duration_ms)), out);
}

function renderFile(entry: FileEntry, ctx: IRenderContext, key: string, defaultOpen: boolean): HTMLElement {
  const target = entry.move_path ? ` \u2192 ${entry.move_path}` : '';
  const summary = h('span', {}, h('span', { class: `jp-agent-badge jp-agent-badge-${entry.change}` }, entry.change), ` ${entry.path}${target}`);
  const cut = entry.omitted_lines ? h('div', { class: 'jp-agent-note' }, `\u2026 ${plural(entry.omitted_lines, 'more line')} not shown`) : null;
  return details(ctx, key, defaultOpen, summary, codePre(entry.diff, 'diff', `${key}:diff`), cut);
}

const PATCH_TITLES: Record<string, string> = {
  pending: 'Patch',
  applying: 'Applying patch',
  applied: 'Patch applied',
  failed: 'Patch failed',
  declined: 'Patch rejected by user',
  aborted: 'Patch aborted'
};

/** Where a patch stands: its patch block's status once it is applied, else its approval's. */
function patchStatus(asked: ApprovalBlock | null, patch: PatchBlock | null, failed: ToolBlock | null): string {
  if (patch !== null) {
    return patch.status;
  }
  if (failed !== null) {
    return 'failed'; // approved, then refused (the files changed while waiting, ...)
  }
  if (asked === null || asked.status === 'pending') {
    return 'pending';
  }
  if (asked.decision === 'denied') {
    return 'declined';
  }
  return asked.decision === 'abort' || asked.status === 'aborted' ? 'aborted' : 'applying';
}

/** One patch: its diff once, the approval it asked for right under it (buttons, then the
 * verdict), what became of it. A declined patch is a small dimmed block, its diff collapsed. */
function renderPatch(asked: ApprovalBlock | null, patch: PatchBlock | null, failed: ToolBlock | null, ctx: IRenderContext): HTMLElement {
  const status = patchStatus(asked, patch, failed);
  const id = (asked ?? patch)?.id ?? '';
  const files = patch?.files ?? asked?.files ?? [];
  const head = h(
    'div',
    { class: 'jp-agent-head' },
    statusIcon(status === 'pending' ? 'waiting' : status),
    h('span', { class: 'jp-agent-label' }, PATCH_TITLES[status] || 'Patch'),
    h('span', { class: 'jp-agent-meta' }, ` ${plural(files.length, 'file')}`),
    patch?.auto_approved ? h('span', { class: 'jp-agent-meta' }, ' (auto-approved)') : null
  );
  const error = status === 'failed' ? (patch?.stderr || failed?.output || '') : '';
  const err = error ? h('pre', { class: 'jp-agent-output jp-agent-error-text' }, error) : null;
  const open = status !== 'declined' && files.length <= 3;
  // A declined patch's files have keys of their own: they start collapsed, however the
  // pending patch's were left.
  const key = status === 'declined' ? `${id}:declined` : id;
  const shown = files.map((f, n) => renderFile(f, ctx, `${key}:f${n}`, open));
  const box = asked !== null && status !== 'declined' ? approvalBox(asked, ctx) : null;
  return h('div', { class: `jp-agent-block jp-agent-patch jp-agent-patch-${status}` }, head, err, shown, box);
}

function renderPlan(b: PlanBlock): HTMLElement {
  const marks: Record<string, string> = { completed: '\u2611', in_progress: '\u25B6', pending: '\u2610' };
  const items = (b.items || []).map(it =>
    h('li', { class: `jp-agent-plan-${it.status}` }, h('span', { class: 'jp-agent-plan-mark' }, marks[it.status] || ''), ' ', it.step)
  );
  return h(
    'div',
    { class: 'jp-agent-block jp-agent-plan' },
    h('div', { class: 'jp-agent-label' }, 'Plan'),
    b.explanation ? h('div', { class: 'jp-agent-meta' }, b.explanation) : null,
    h('ul', { class: 'jp-agent-plan-list' }, items)
  );
}

/** What "Approve for session" remembers: the session keys of tools/approval_rules.py
 * (`exec_session_key`, `patch_session_key`) and tools/run_python.py. */
function buttonTitle(b: ApprovalBlock, opt: string): string {
  const python = pythonCode(b.argv) !== null;
  const what = b.request === 'patch' ? 'patch' : python ? 'code' : 'command';
  switch (opt) {
    case 'approved':
      return b.request === 'patch' ? 'Apply this patch once' : python ? 'Run this code once' : 'Run this command once';
    case 'approved_for_session':
      return b.request === 'patch'
        ? 'Apply it, and do not ask again in this session for this exact patch in this directory (any other patch still asks)'
        : python
          ? 'Run it, and do not ask again in this session for this exact code'
          : 'Run it, and do not ask again in this session for this exact command in this directory';
    case 'denied':
      return `Do not ${b.request === 'patch' ? 'apply' : 'run'} this ${what}; the agent goes on`;
    case 'abort':
      return `Do not ${b.request === 'patch' ? 'apply' : 'run'} this ${what}, and stop the turn`;
    default:
      return '';
  }
}

/** The question, the reason, and the buttons (pending) or the verdict: shown inside the block
 * of the command or patch it asks about, which shows the command or the diff itself. */
function approvalBox(b: ApprovalBlock, ctx: IRenderContext, ...what: Child[]): HTMLElement {
  const sent = ctx.sentDecisions.get(b.call_id);
  const pending = b.status === 'pending' && sent === undefined;
  const root = b.grant_root ? h('div', { class: 'jp-agent-note' }, `Also grants write access to ${b.grant_root}`) : null;
  const reason = b.reason ? h('blockquote', { class: 'jp-agent-reason' }, b.reason) : null;
  const buttons = h(
    'div',
    { class: 'jp-agent-buttons' },
    (b.options || []).map(opt =>
      h(
        'button',
        {
          class: `jp-agent-btn jp-agent-btn-${opt}`,
          type: 'button',
          title: buttonTitle(b, opt),
          disabled: !pending,
          'data-decision': opt,
          onclick: () => ctx.decide(b.call_id, opt)
        },
        BUTTON_LABELS[opt] || opt
      )
    )
  );
  let verdict: HTMLElement | null = null;
  if (b.status === 'decided' && b.decision) {
    verdict = h('div', { class: `jp-agent-verdict jp-agent-verdict-${b.decision}` }, DECISION_LABELS[b.decision] || b.decision);
  } else if (b.status === 'aborted') {
    verdict = h('div', { class: 'jp-agent-verdict jp-agent-verdict-abort' }, 'Aborted before a decision');
  }
  const title = b.request === 'patch' ? 'Apply this patch?' : pythonCode(b.argv) !== null ? 'Run this Python code?' : 'Run this command?';
  return h(
    'div',
    { class: `jp-agent-approval jp-agent-approval-${b.status}` },
    h('div', { class: 'jp-agent-label' }, title),
    what,
    root,
    reason,
    b.status === 'pending' ? buttons : verdict
  );
}

/** An approval with no block of its own to sit in: it shows what it asks about. */
function renderApproval(b: ApprovalBlock, ctx: IRenderContext): HTMLElement {
  if (b.request === 'patch') {
    return renderPatch(b, null, null, ctx);
  }
  const source = pythonCode(b.argv);
  const what =
    source !== null
      ? [codePre(source.replace(/\n+$/, ''), 'python')]
      : [codePre('$ ' + commandText(b.argv), 'console'), meta(b.cwd ? `in ${b.cwd}` : null)];
  const box = approvalBox(b, ctx, ...what);
  box.classList.add('jp-agent-block');
  return box;
}

function renderError(b: Extract<TranscriptBlock, { kind: 'error' }>): HTMLElement {
  const code = b.http_status ? ` (HTTP ${b.http_status})` : '';
  return h('div', { class: 'jp-agent-block jp-agent-error' }, h('strong', {}, `Error${code}: `), b.message);
}

function renderStreamError(b: Extract<TranscriptBlock, { kind: 'stream_error' }>): HTMLElement {
  const retryAt = b.retry_in_ms !== null ? b.at + b.retry_in_ms / 1000 : null;
  return h(
    'div',
    { class: 'jp-agent-block jp-agent-stream-error' },
    b.message,
    retryAt !== null ? h('span', { class: 'jp-agent-countdown', 'data-retry-at': retryAt }) : null
  );
}

function renderNotice(b: Extract<TranscriptBlock, { kind: 'notice' }>): HTMLElement {
  return h('div', { class: `jp-agent-block jp-agent-notice jp-agent-notice-${b.level}` }, b.message);
}

/** Blocks drawn as one, at the first one's place: a call's command with the approvals it asked
 * for; a patch's approval with its patch block (or the failed apply_patch call). */
export interface IUnit {
  id: string;
  blocks: TranscriptBlock[];
}

function unitKey(b: TranscriptBlock, commands: ReadonlySet<string>, patches: ReadonlySet<string>): string {
  if (b.kind === 'command' || (b.kind === 'approval' && b.request === 'exec' && commands.has(b.call_id))) {
    return `command:${b.call_id}`;
  }
  const call = b.kind === 'approval' || b.kind === 'patch' || (b.kind === 'tool' && b.name === 'apply_patch') ? b.call_id : null;
  if (call !== null && patches.has(call) && (b.kind !== 'approval' || b.request === 'patch')) {
    return `patch:${call}`;
  }
  return `block:${b.id}`;
}

export function groupBlocks(blocks: readonly TranscriptBlock[]): IUnit[] {
  const commands = new Set<string>();
  const patches = new Set<string>(); // calls whose patch asked for approval
  for (const b of blocks) {
    if (b.kind === 'command') {
      commands.add(b.call_id);
    } else if (b.kind === 'approval' && b.request === 'patch') {
      patches.add(b.call_id);
    }
  }
  const units = new Map<string, IUnit>();
  for (const b of blocks) {
    const key = unitKey(b, commands, patches);
    const unit = units.get(key);
    if (unit === undefined) {
      units.set(key, { id: b.id, blocks: [b] });
    } else {
      unit.blocks.push(b);
    }
  }
  return [...units.values()];
}

export function renderUnit(unit: IUnit, ctx: IRenderContext): HTMLElement {
  const { blocks } = unit;
  const approvals = blocks.filter((b): b is ApprovalBlock => b.kind === 'approval');
  const command = blocks.find((b): b is CommandBlock => b.kind === 'command');
  let el: HTMLElement;
  if (blocks.length === 1) {
    el = renderBlock(blocks[0], ctx);
  } else if (command !== undefined) {
    el = renderCommand(command, approvals, ctx);
  } else {
    const patch = blocks.find((b): b is PatchBlock => b.kind === 'patch') ?? null;
    const failed = blocks.find((b): b is ToolBlock => b.kind === 'tool') ?? null;
    el = renderPatch(approvals[approvals.length - 1] ?? null, patch, failed, ctx);
  }
  el.dataset.blockId = unit.id;
  return el;
}

export function renderBlock(b: TranscriptBlock, ctx: IRenderContext): HTMLElement {
  let el: HTMLElement;
  switch (b.kind) {
    case 'user':
      el = renderUser(b);
      break;
    case 'agent':
      el = renderAgent(b, ctx);
      break;
    case 'reasoning':
      el = renderReasoning(b, ctx);
      break;
    case 'command':
      el = renderCommand(b, [], ctx);
      break;
    case 'tool':
      el = renderTool(b);
      break;
    case 'patch':
      el = renderPatch(null, b, null, ctx);
      break;
    case 'plan':
      el = renderPlan(b);
      break;
    case 'approval':
      el = renderApproval(b, ctx);
      break;
    case 'error':
      el = renderError(b);
      break;
    case 'stream_error':
      el = renderStreamError(b);
      break;
    case 'notice':
      el = renderNotice(b);
      break;
    default:
      el = h('div', { class: 'jp-agent-block' });
  }
  el.dataset.blockId = b.id;
  return el;
}
