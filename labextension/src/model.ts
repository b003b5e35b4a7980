// The panel's model: kernel messages in, view state out; user actions out as commands.
//
// The transcript itself is reduced in the kernel (agent/frontends/transcript/reducer.py, the
// same reducer the cell widget shows) and arrives as patches, applied by the TranscriptModel
// the cell widget uses too (it also remembers decisions and a stop sent but not yet
// confirmed, so buttons disable at once). The panel adds what is local to it: the
// connection state, notices, the list of recorded sessions, and the notebook edits waiting
// for Accept / Reject.
//
// No JupyterLab imports: the kernel link is an `ITransport`, so jest can drive the model.

import type { NotebookEditRequest, NotebookEditResult, PanelCommandMessage, PanelEventMessage, PanelStatus, SessionSummary, TranscriptStatus } from './protocol';
import { TranscriptModel, type Decision, type TranscriptBlock } from './transcript/model';

export type { Decision, TranscriptBlock };
export type ApprovalPolicy = PanelStatus['approval_policy'];

export interface ITransport {
  send(command: PanelCommandMessage): void;
}

export type ConnectionState =
  | 'idle' // no notebook
  | 'connecting' // waiting for the kernel
  | 'loading' // running `%load_ext agent` silently
  | 'ready'
  | 'unavailable' // not a Python kernel / no kernel
  | 'error';

export interface INotice {
  id: number;
  level: 'info' | 'warning' | 'error';
  message: string;
}

export interface IPendingEdit {
  request: NotebookEditRequest;
  busy: boolean;
}

/** What an applied edit did, beyond its message (fields of NotebookEditResult). */
export type IEditDetails = Partial<Pick<NotebookEditResult, 'cell_id' | 'index' | 'previous' | 'source'>>;

export type UndoApplier = (request: NotebookEditRequest) => Promise<IEditDetails & { message: string }>;

const MAX_NOTICES = 5;

export interface IViewState {
  connection: ConnectionState;
  connectionMessage: string;
  status: PanelStatus | null;
  sessionId: string | null;
  /** The transcript shown (render it with a TranscriptView: only changed blocks redraw). */
  transcript: TranscriptModel;
  blocks: readonly TranscriptBlock[];
  turnDiff: string | null;
  turn: TranscriptStatus | null;
  /** A turn is running (or waiting for an approval). */
  active: boolean;
  stopping: boolean;
  canSend: boolean;
  /** call_id -> the decision this panel sent that the kernel has not confirmed yet. */
  sentDecisions: ReadonlyMap<string, Decision>;
  notices: readonly INotice[];
  sessions: readonly SessionSummary[] | null;
  edits: readonly IPendingEdit[];
}

export class PanelModel {
  constructor(transport?: ITransport) {
    this._transport = transport ?? null;
  }

  set transport(value: ITransport | null) {
    this._transport = value;
  }

  /** Bumped on every change (renderers compare it). */
  get version(): number {
    return this._version;
  }

  onChange(listener: () => void): () => void {
    this._listeners.add(listener);
    return () => this._listeners.delete(listener);
  }

  state(): IViewState {
    const t = this._transcript;
    return {
      connection: this._connection,
      connectionMessage: this._connectionMessage,
      status: this._status,
      sessionId: t.sessionId,
      transcript: t,
      blocks: t.blocks(),
      turnDiff: t.turnDiff,
      turn: t.status,
      active: t.active,
      stopping: t.stopping,
      canSend: this._connection === 'ready',
      sentDecisions: t.sentDecisions,
      notices: this._notices,
      sessions: this._sessions,
      edits: this._edits
    };
  }

  // --- from the kernel ---------------------------------------------------------------------

  setConnection(state: ConnectionState, message = ''): void {
    this._connection = state;
    this._connectionMessage = message;
    if (state !== 'ready') {
      this._edits = [];
    }
    this._changed();
  }

  handle(message: PanelEventMessage): void {
    switch (message.type) {
      case 'status':
        this._status = message;
        this._connection = 'ready';
        this._connectionMessage = '';
        break;
      case 'transcript':
        if (!this._transcript.apply(message)) {
          return;
        }
        break;
      case 'sessions':
        this._sessions = message.sessions;
        break;
      case 'notice':
        this._notices = [...this._notices, { id: ++this._noticeId, level: message.level, message: message.message }].slice(
          -MAX_NOTICES
        );
        break;
      case 'notebook_edit_request':
        this._send({ type: 'notebook_edit_result', request_id: message.request_id, status: 'received', message: '' });
        if (message.undo) {
          void this._applyUndo(message);
          return;
        }
        this._edits = [...this._edits.filter(e => e.request.request_id !== message.request_id), { request: message, busy: false }];
        break;
      case 'notebook_edit_cancel':
        this._edits = this._edits.filter(e => e.request.request_id !== message.request_id);
        break;
      default:
        return;
    }
    this._changed();
  }

  // --- user actions ------------------------------------------------------------------------

  /** Send a prompt; false when it was not sent (blank, or not connected). */
  sendPrompt(text: string): boolean {
    if (!text.trim() || this._connection !== 'ready') {
      return false;
    }
    return this._send({ type: 'user_input', text });
  }

  /** Decide a pending approval once; false if it is not pending here or already sent. */
  decide(callId: string, decision: Decision): boolean {
    if (this._transport === null || !this._transcript.markDecisionSent(callId, decision)) {
      return false;
    }
    this._send({ type: 'decision', call_id: callId, decision });
    this._changed();
    return true;
  }

  /** Ask the kernel to stop the running turn (once per turn). */
  stop(): boolean {
    if (this._transport === null || !this._transcript.markStopSent()) {
      return false;
    }
    this._send({ type: 'interrupt' });
    this._changed();
    return true;
  }

  newSession(): boolean {
    return this._send({ type: 'new_session' });
  }

  listSessions(): boolean {
    return this._send({ type: 'list_sessions' });
  }

  resume(sessionId: string | null): boolean {
    this._sessions = null;
    this._changed();
    return this._send({ type: 'resume_session', session_id: sessionId });
  }

  closeSessionList(): void {
    this._sessions = null;
    this._changed();
  }

  setModel(model: string): boolean {
    const name = model.trim();
    if (!name || name === this._status?.model) {
      return false;
    }
    return this._send({ type: 'set_options', model: name });
  }

  setApprovalPolicy(policy: ApprovalPolicy): boolean {
    if (policy === this._status?.approval_policy) {
      return false;
    }
    return this._send({ type: 'set_options', approval_policy: policy });
  }

  dismissNotice(id: number): void {
    this._notices = this._notices.filter(n => n.id !== id);
    this._changed();
  }

  markEditBusy(requestId: string): void {
    this._edits = this._edits.map(e => (e.request.request_id === requestId ? { ...e, busy: true } : e));
    this._changed();
  }

  /** Answer a notebook edit request (after Accept + apply, or Reject); `outcome` says
   * what an applied edit did (its cell, and the cell before), so the kernel can undo it. */
  resolveEdit(requestId: string, status: 'applied' | 'rejected' | 'failed', message = '', outcome: IEditDetails = {}): boolean {
    if (!this._edits.some(e => e.request.request_id === requestId)) {
      return false;
    }
    this._edits = this._edits.filter(e => e.request.request_id !== requestId);
    this._send({ ...outcome, type: 'notebook_edit_result', request_id: requestId, status, message });
    this._changed();
    return true;
  }

  /** Who carries out `%agent undo`'s requests (`undo` set by the kernel): the panel, for
   * this model's notebook. They are applied at once, without Accept / Reject. */
  set undoApplier(applier: UndoApplier | null) {
    this._undoApplier = applier;
  }

  private async _applyUndo(request: NotebookEditRequest): Promise<void> {
    const reply = (status: 'applied' | 'failed', message: string, details: IEditDetails = {}) =>
      this._send({ ...details, type: 'notebook_edit_result', request_id: request.request_id, status, message });
    if (this._undoApplier === null) {
      reply('failed', 'no notebook is open in the panel');
      return;
    }
    try {
      const { message, ...details } = await this._undoApplier(request);
      reply('applied', message, details);
    } catch (err) {
      reply('failed', String((err as Error)?.message ?? err));
    }
  }

  hello(): boolean {
    return this._send({ type: 'hello', protocol_version: 1 });
  }

  private _send(command: PanelCommandMessage): boolean {
    if (this._transport === null) {
      return false;
    }
    this._transport.send(command);
    return true;
  }

  private _changed(): void {
    this._version++;
    for (const listener of [...this._listeners]) {
      listener();
    }
  }

  private _transport: ITransport | null;
  private _listeners = new Set<() => void>();
  private _version = 0;
  private _connection: ConnectionState = 'idle';
  private _connectionMessage = '';
  private _status: PanelStatus | null = null;
  private _transcript = new TranscriptModel();
  private _notices: INotice[] = [];
  private _noticeId = 0;
  private _sessions: SessionSummary[] | null = null;
  private _edits: IPendingEdit[] = [];
  private _undoApplier: UndoApplier | null = null;
}
