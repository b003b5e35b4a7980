// The transcript as a front end holds it: `TranscriptPatch`es in (the same wire for the side
// panel and the cell widget, see agent/protocol/panel.py), blocks in display order out.
//
// Applying a patch, in this order: `reset` forgets every block; each of `blocks` replaces the
// block with its id; each of `appends` extends a held block's text and sets its rev; `order`
// lists every id (blocks not in it are dropped). `turn_diff` null means unchanged (after a
// reset: none). Until the first reset arrives, other patches are ignored: they extend a
// transcript this front end does not hold (a view that just asked for a sync).
//
// It also keeps what the user sent that the kernel has not confirmed yet: decisions (their
// buttons stay disabled) and a stop (shown as stopping).

import type { ApprovalBlock, TextAppend, TranscriptPatch, TranscriptStatus } from '../protocol';

export type TranscriptBlock = NonNullable<TranscriptPatch['blocks']>[number];
export type Decision = ApprovalBlock['options'][number];

export const ACTIVE_STATES: ReadonlySet<TranscriptStatus['state']> = new Set<TranscriptStatus['state']>([
  'queued',
  'running',
  'waiting_for_approval'
]);

/** A whole transcript, as the cell widget's `state` trait holds it when a turn ends. */
export interface ITranscriptState {
  blocks: TranscriptBlock[];
  turn_diff: string | null;
  status: TranscriptStatus;
  seq?: number;
}

export class TranscriptModel {
  /** Bumped by every reset: blocks drawn before it are stale even where their rev matches. */
  get generation(): number {
    return this._generation;
  }

  /** A reset patch has been applied: patches now extend what is held. */
  get synced(): boolean {
    return this._synced;
  }

  get sessionId(): string | null {
    return this._sessionId;
  }

  get seq(): number {
    return this._seq;
  }

  get status(): TranscriptStatus | null {
    return this._status;
  }

  get turnDiff(): string | null {
    return this._turnDiff;
  }

  /** A turn is running (or waiting for an approval). */
  get active(): boolean {
    return this._status !== null && ACTIVE_STATES.has(this._status.state);
  }

  /** A stop was asked for (here, or elsewhere: `status.stopping`) and the turn still runs. */
  get stopping(): boolean {
    return this.active && (this._stopSent || (this._status?.stopping ?? false));
  }

  /** call_id -> the decision sent from here that the kernel has not confirmed yet. */
  get sentDecisions(): ReadonlyMap<string, Decision> {
    return this._sentDecisions;
  }

  blocks(): TranscriptBlock[] {
    const out: TranscriptBlock[] = [];
    for (const id of this._order) {
      const block = this._blocks.get(id);
      if (block !== undefined) {
        out.push(block);
      }
    }
    return out;
  }

  /** Apply one patch; false when it was ignored (not a reset, and none came yet). */
  apply(patch: TranscriptPatch): boolean {
    // A patch other than a reset leaves out what is unchanged (protocol/panel.py).
    if (patch.reset) {
      this._reset(patch.turn_diff ?? null);
      this._synced = true;
      this._sessionId = patch.session_id ?? null;
    } else if (!this._synced) {
      return false;
    } else if (patch.turn_diff !== undefined && patch.turn_diff !== null) {
      this._turnDiff = patch.turn_diff;
    }
    (patch.blocks ?? []).forEach(block => this._put(block));
    (patch.appends ?? []).forEach(append => this._append(append));
    if (patch.order !== undefined && patch.order !== null) {
      this._setOrder(patch.order);
    }
    this._seq = patch.seq;
    if (patch.status !== undefined && patch.status !== null) {
      this._setStatus(patch.status); // absent: unchanged but for the clock, which ticks here
    }
    return true;
  }

  /** Show a whole state (a saved widget's) until a reset patch arrives. */
  load(state: ITranscriptState): void {
    this._reset(state.turn_diff);
    state.blocks.forEach(block => this._put(block));
    this._setOrder(state.blocks.map(b => b.id));
    this._seq = state.seq ?? 0;
    this._setStatus(state.status);
  }

  /** The approval with this call id, while it is pending. */
  pendingApproval(callId: string): ApprovalBlock | null {
    for (const block of this._blocks.values()) {
      if (block.kind === 'approval' && block.call_id === callId && block.status === 'pending') {
        return block;
      }
    }
    return null;
  }

  /** Note a decision about to be sent; false (send nothing) unless the approval is pending
   * here, offers it, and no decision was sent for it yet. */
  markDecisionSent(callId: string, decision: Decision): boolean {
    const block = this.pendingApproval(callId);
    if (block === null || this._sentDecisions.has(callId) || !block.options.includes(decision)) {
      return false;
    }
    this._sentDecisions = new Map(this._sentDecisions).set(callId, decision);
    return true;
  }

  /** Note a stop about to be sent; false (send nothing) unless a turn runs and none was asked. */
  markStopSent(): boolean {
    if (!this.active || this.stopping) {
      return false;
    }
    this._stopSent = true;
    return true;
  }

  private _reset(turnDiff: string | null): void {
    this._blocks.clear();
    this._order = [];
    this._sentDecisions = new Map();
    this._stopSent = false;
    this._turnDiff = turnDiff;
    this._generation++;
  }

  private _put(block: TranscriptBlock): void {
    this._blocks.set(block.id, block);
    if (block.kind === 'approval' && block.status !== 'pending' && this._sentDecisions.has(block.call_id)) {
      const sent = new Map(this._sentDecisions);
      sent.delete(block.call_id);
      this._sentDecisions = sent;
    }
  }

  private _append(append: TextAppend): void {
    const block = this._blocks.get(append.id);
    if (block !== undefined && 'text' in block) {
      const grown = { ...block, text: block.text + append.text, rev: append.rev };
      if ('streaming' in grown) {
        grown.streaming = append.streaming;
      }
      this._blocks.set(append.id, grown);
    }
  }

  private _setOrder(order: string[]): void {
    this._order = order;
    const keep = new Set(order);
    for (const id of [...this._blocks.keys()]) {
      if (!keep.has(id)) {
        this._blocks.delete(id);
      }
    }
  }

  private _setStatus(status: TranscriptStatus): void {
    this._status = status;
    if (!ACTIVE_STATES.has(status.state)) {
      this._stopSent = false;
    }
  }

  private _generation = 0;
  private _synced = false;
  private _blocks = new Map<string, TranscriptBlock>();
  private _order: string[] = [];
  private _sessionId: string | null = null;
  private _seq = 0;
  private _status: TranscriptStatus | null = null;
  private _turnDiff: string | null = null;
  private _stopSent = false;
  private _sentDecisions: Map<string, Decision> = new Map();
}
