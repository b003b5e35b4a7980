// The transcript on screen: a TranscriptModel in, DOM out, redrawing only what changed.
// Used by the side panel and the cell widget, which place its three parts in their own
// layout: `blocks` (the block list), `diff` (the turn's diff) and `status` (the turn's
// state, elapsed time, tokens, context left).
//
// A block is rendered again only when its rev moves (an append sets it too), when the
// decision sent for it changes, or after a reset; the others keep their nodes (and so their
// open <details>, selection and scroll positions). `tick()` advances the clocks (elapsed
// time, retry countdowns) without redrawing.

import { codePre, details, groupBlocks, renderUnit, type ICodeAction, type IRenderContext } from './blocks';
import { h, keepScroll } from './dom';
import { ACTIVE_STATES, type Decision, type TranscriptModel } from './model';
import { fmtMs } from './text';

const STATE_LABELS: Record<string, string> = {
  idle: 'Ready',
  queued: 'Queued',
  running: 'Running',
  waiting_for_approval: 'Waiting for approval',
  done: 'Done',
  aborted: 'Aborted',
  error: 'Failed'
};

export interface ITranscriptViewOptions {
  /** Send a decision for an approval (the view only shows it). */
  decide(callId: string, decision: Decision): void;
  /** Buttons under each code block of a finished agent message. */
  codeActions?: readonly ICodeAction[];
  /** <details> open states by key; pass one to keep them beyond this view's life. */
  open?: Map<string, boolean>;
  /** The class of the status line element. */
  statusClass: string;
  /** Also show the model and the sandbox in the status line (the panel has them in its header). */
  sessionDetails?: boolean;
}

interface IDrawn {
  key: string;
  node: HTMLElement;
}

export class TranscriptView {
  readonly blocks: HTMLElement = h('div', { class: 'jp-agent-blocks' });
  readonly diff: HTMLElement = h('div', { class: 'jp-agent-turn-diff' });
  readonly status: HTMLElement;

  constructor(private readonly options: ITranscriptViewOptions) {
    this.status = h('div', { class: options.statusClass });
    this._ctx = {
      open: options.open ?? new Map(),
      sentDecisions: new Map(),
      decide: (callId, decision) => options.decide(callId, decision),
      codeActions: options.codeActions ?? []
    };
  }

  /** Bring the DOM up to date with `model`. */
  update(model: TranscriptModel): void {
    this._ctx.sentDecisions = model.sentDecisions;
    this._renderBlocks(model);
    this._renderDiff(model.turnDiff);
    this._renderStatus(model);
    this.tick();
  }

  /** Forget everything drawn and every open state (a different transcript is shown). */
  reset(): void {
    this._drawn.clear();
    this.blocks.replaceChildren();
    this._ctx.open.clear();
    this._lastDiff = undefined;
  }

  /** Advance the elapsed time and the retry countdowns to now. */
  tick(): void {
    const s = this._model?.status ?? null;
    const kernelNow = Date.now() / 1000 - this._offset;
    const active = s !== null && ACTIVE_STATES.has(s.state);
    const elapsed = s === null || s.state === 'idle' ? null : active ? kernelNow - s.started_at : s.elapsed_s;
    const clock = this.status.querySelector('.jp-agent-elapsed');
    if (clock) {
      clock.textContent = elapsed !== null ? fmtMs(Math.max(0, Math.round(elapsed * 1000))) : '';
    }
    this.blocks.querySelectorAll<HTMLElement>('[data-retry-at]').forEach(node => {
      const left = Number(node.dataset.retryAt) - kernelNow;
      node.textContent = active && left > 0 ? ` \u2014 retrying in ${Math.ceil(left)} s` : '';
    });
  }

  private _renderBlocks(model: TranscriptModel): void {
    if (model !== this._model || model.generation !== this._generation) {
      this._model = model;
      this._generation = model.generation;
      this._drawn.forEach(entry => (entry.key = '')); // redraw in place: keeps scroll positions
    }
    const seen = new Set<string>();
    let prev: HTMLElement | null = null;
    for (const unit of groupBlocks(model.blocks())) {
      // A unit (a command with its approvals, a patch with its approval) is drawn again when
      // any of its blocks moved, or the decision sent for one of them changed.
      seen.add(unit.id);
      const key = unit.blocks
        .map(b => `${b.id}:${b.rev}|${b.kind === 'approval' ? model.sentDecisions.get(b.call_id) ?? '' : ''}`)
        .join(',');
      let entry = this._drawn.get(unit.id);
      let placed = entry !== undefined;
      if (entry === undefined || entry.key !== key) {
        const node = renderUnit(unit, this._ctx);
        if (entry !== undefined && entry.node.parentNode === this.blocks) {
          keepScroll(entry.node, node);
        } else {
          placed = false;
        }
        entry = { key, node };
        this._drawn.set(unit.id, entry);
      }
      const expected: ChildNode | null = prev !== null ? prev.nextSibling : this.blocks.firstChild;
      if (expected !== entry.node) {
        this.blocks.insertBefore(entry.node, expected);
      }
      if (!placed) {
        keepScroll(null, entry.node);
      }
      prev = entry.node;
    }
    for (const [id, entry] of this._drawn) {
      if (!seen.has(id)) {
        entry.node.remove();
        this._drawn.delete(id);
      }
    }
  }

  private _renderDiff(diff: string | null): void {
    if (diff === this._lastDiff) {
      return;
    }
    this._lastDiff = diff;
    this.diff.replaceChildren(
      ...(diff ? [details(this._ctx, 'turn-diff', false, 'Changes in this turn', codePre(diff, 'diff', 'turn-diff'))] : [])
    );
  }

  private _renderStatus(model: TranscriptModel): void {
    const s = model.status;
    this._offset = s ? Date.now() / 1000 - s.now : 0; // browser clock minus the kernel's
    const state = s?.state ?? 'idle';
    const parts: string[] = [];
    if (s && s.tokens_used) {
      parts.push(`${Number(s.tokens_used).toLocaleString()} tokens`);
    }
    if (s && s.context_left_percent !== null && s.context_left_percent !== undefined) {
      parts.push(`${s.context_left_percent}% context left`);
    }
    if (s && this.options.sessionDetails) {
      parts.push(s.model ?? '', s.sandbox ? `sandbox: ${s.sandbox}${s.sandbox_mechanism ? ` (${s.sandbox_mechanism})` : ''}` : '');
    }
    const label = (STATE_LABELS[state] || state) + (s?.reason ? ` (${s.reason})` : '');
    const key = [state, label, ...parts].join('\u0000');
    if (key === this._statusKey) {
      return;
    }
    this._statusKey = key;
    this.status.replaceChildren(
      h('span', { class: `jp-agent-state jp-agent-state-${state}` }, ACTIVE_STATES.has(state) ? h('span', { class: 'jp-agent-spinner' }) : null, label),
      h('span', { class: 'jp-agent-elapsed' }),
      ...parts.filter(p => p !== '').map(p => h('span', {}, p))
    );
  }

  private _ctx: IRenderContext;
  private _model: TranscriptModel | null = null;
  private _generation = -1;
  private _drawn = new Map<string, IDrawn>();
  private _lastDiff: string | null | undefined = undefined;
  private _statusKey = '';
  private _offset = 0;
}
