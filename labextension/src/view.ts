// The panel's rendering: view state (model.ts) in, DOM out; user input out as callbacks.
// Rendering only: the panel (panel.ts) owns the lifecycle and wires callbacks to the model,
// the kernel link and the notebook.

import type { NotebookEditRequest } from './protocol';
import type { ApprovalPolicy, Decision, IPendingEdit, IViewState } from './model';
import type { IEditPreview } from './notebook_edit';
import type { ICodeAction } from './transcript/blocks';
import { h } from './transcript/dom';
import { TranscriptView } from './transcript/view';

export interface IViewCallbacks {
  send(text: string): boolean;
  stop(): void;
  decide(callId: string, decision: Decision): void;
  newSession(): void;
  listSessions(): void;
  resume(sessionId: string | null): void;
  closeSessions(): void;
  setModel(model: string): void;
  setApprovalPolicy(policy: ApprovalPolicy): void;
  dismissNotice(id: number): void;
  previewEdit(request: NotebookEditRequest): IEditPreview;
  acceptEdit(request: NotebookEditRequest): void;
  rejectEdit(request: NotebookEditRequest, reason: string): void;
  codeActions: ICodeAction[];
}

export class PanelView {
  readonly node: HTMLElement;

  constructor(private readonly cb: IViewCallbacks) {
    this._model = h('input', {
      class: 'jp-agent-panel-model',
      type: 'text',
      list: 'jp-agent-panel-models',
      title: 'Model for the next turns (Enter to apply)',
      placeholder: 'model',
      onkeydown: (e: KeyboardEvent) => {
        if (e.key === 'Enter') {
          this.cb.setModel(this._model.value);
        }
      },
      onchange: () => this.cb.setModel(this._model.value)
    }) as HTMLInputElement;
    this._approval = h('select', {
      class: 'jp-agent-panel-approval',
      title: 'Approval policy: when the agent must ask before acting',
      onchange: () => this.cb.setApprovalPolicy(this._approval.value as ApprovalPolicy)
    }) as HTMLSelectElement;
    this._status = h('div', { class: 'jp-agent-panel-status' });
    this._sessions = h('div', { class: 'jp-agent-panel-sessions' });
    this._connection = h('div', { class: 'jp-agent-panel-connection' });
    this._notices = h('div', { class: 'jp-agent-panel-notices' });
    this._transcript = new TranscriptView({
      decide: (callId, decision) => this.cb.decide(callId, decision),
      codeActions: cb.codeActions,
      statusClass: 'jp-agent-panel-turn'
    });
    this._empty = h('div', { class: 'jp-agent-panel-empty' }, 'Ask the agent to do something in this notebook\u2019s folder.');
    this._scroll = h('div', { class: 'jp-agent-panel-scroll' }, this._empty, h('div', { class: 'jp-agent-view' }, this._transcript.blocks, this._transcript.diff));
    this._edits = h('div', { class: 'jp-agent-panel-edits' });
    this._input = h('textarea', {
      class: 'jp-agent-panel-input',
      rows: 3,
      placeholder: 'Message the agent (Enter sends, Shift+Enter for a new line)',
      onkeydown: (e: KeyboardEvent) => this._onKey(e)
    }) as HTMLTextAreaElement;
    this._sendBtn = h('button', { class: 'jp-agent-btn jp-agent-panel-send', type: 'button', onclick: () => this._submit() }, 'Send') as HTMLButtonElement;
    this._stopBtn = h('button', { class: 'jp-agent-btn jp-agent-stop jp-agent-panel-stop', type: 'button', onclick: () => this.cb.stop() }, 'Stop') as HTMLButtonElement;
    const header = h(
      'div',
      { class: 'jp-agent-panel-header' },
      h(
        'div',
        { class: 'jp-agent-panel-controls' },
        this._model,
        h('datalist', { id: 'jp-agent-panel-models' }),
        this._approval,
        h('button', { class: 'jp-agent-btn jp-agent-panel-new', type: 'button', title: 'Start a new conversation', onclick: () => this.cb.newSession() }, 'New'),
        h('button', { class: 'jp-agent-btn jp-agent-panel-resume', type: 'button', title: 'Resume a recorded session', onclick: () => this.cb.listSessions() }, 'Resume\u2026')
      ),
      this._status,
      this._sessions
    );
    const footer = h(
      'div',
      { class: 'jp-agent-panel-footer' },
      this._transcript.status,
      h('div', { class: 'jp-agent-panel-compose' }, this._input, h('div', { class: 'jp-agent-panel-actions' }, this._sendBtn, this._stopBtn))
    );
    this.node = h('div', { class: 'jp-agent-panel-body' }, header, this._connection, this._notices, this._scroll, this._edits, footer);
    this._timer = window.setInterval(() => this._transcript.tick(), 500);
  }

  dispose(): void {
    window.clearInterval(this._timer);
  }

  /** Forget per-transcript UI state (a different notebook / session is shown). */
  reset(): void {
    this._transcript.reset();
    this._editKey = '';
  }

  focusInput(): void {
    this._input.focus();
  }

  update(state: IViewState): void {
    this._renderHeader(state);
    this._renderConnection(state);
    this._renderNotices(state);
    this._renderBlocks(state);
    this._renderEdits(state.edits);
    this._renderFooter(state);
  }

  // --- parts -------------------------------------------------------------------------------

  private _renderHeader(s: IViewState): void {
    const st = s.status;
    if (st !== null) {
      if (document.activeElement !== this._model) {
        this._model.value = st.model;
      }
      const policies = st.approval_policies.join(',');
      if (this._approval.dataset.options !== policies) {
        this._approval.dataset.options = policies;
        this._approval.replaceChildren(...st.approval_policies.map(p => h('option', { value: p }, p)));
      }
      this._approval.value = st.approval_policy;
    }
    const ready = s.connection === 'ready';
    this._model.disabled = this._approval.disabled = !ready;
    this.node.querySelectorAll<HTMLButtonElement>('.jp-agent-panel-new, .jp-agent-panel-resume').forEach(b => (b.disabled = !ready));
    const parts: (string | null)[] = [];
    if (st !== null) {
      // A cell's --model/--approval/--sandbox apply to its turn only: show what runs now.
      const turn = st.this_turn;
      const now = (value: string | null | undefined, fallback: string) => (value ? `${value} (this turn)` : fallback);
      parts.push(`model: ${now(turn?.model, st.model)}`, `approvals: ${now(turn?.approval_policy, st.approval_policy)}`);
      parts.push(`sandbox: ${now(turn?.sandbox, st.sandbox)}${st.sandbox_mechanism ? ` (${st.sandbox_mechanism})` : ''}`);
      parts.push(s.sessionId ? `session ${s.sessionId.slice(0, 8)}` : 'no session yet');
      if (st.queued) {
        parts.push(`${st.queued} queued`);
      }
    }
    const label = st === null ? connectionLabel(s) : ready ? 'Connected' : connectionLabel(s);
    this._status.replaceChildren(
      h('span', { class: `jp-agent-panel-dot jp-agent-panel-dot-${s.connection}` }),
      h('span', { class: 'jp-agent-panel-status-label' }, label),
      ...parts.map(p => h('span', { class: 'jp-agent-panel-status-item' }, p))
    );
    this._status.title = st ? `${st.provider} · ${st.cwd}` : '';
    const sessions = s.sessions;
    if (sessions === null) {
      this._sessions.replaceChildren();
    } else {
      this._sessions.replaceChildren(
        h(
          'div',
          { class: 'jp-agent-panel-sessions-head' },
          'Recorded sessions in this folder',
          h('button', { class: 'jp-agent-btn', type: 'button', onclick: () => this.cb.closeSessions() }, 'Close')
        ),
        sessions.length === 0
          ? h('div', { class: 'jp-agent-note' }, 'No recorded sessions here yet.')
          : h(
              'ul',
              { class: 'jp-agent-panel-session-list' },
              sessions.map(row =>
                h(
                  'li',
                  {},
                  h(
                    'button',
                    { class: 'jp-agent-panel-session', type: 'button', 'data-session-id': row.id, onclick: () => this.cb.resume(row.id) },
                    h('span', { class: 'jp-agent-meta' }, `${row.started} \u00B7 ${row.id.slice(0, 8)}`),
                    h('span', {}, row.first_user_message || '(no message)')
                  )
                )
              )
            )
      );
    }
  }

  private _renderConnection(s: IViewState): void {
    const show = s.connection !== 'ready';
    this._connection.hidden = !show;
    this._connection.className = `jp-agent-panel-connection jp-agent-panel-connection-${s.connection}`;
    this._connection.textContent = show ? connectionLabel(s) : '';
  }

  private _renderNotices(s: IViewState): void {
    this._notices.replaceChildren(
      ...s.notices.map(n =>
        h(
          'div',
          { class: `jp-agent-panel-notice jp-agent-panel-notice-${n.level}` },
          h('span', {}, n.message),
          h('button', { class: 'jp-agent-panel-dismiss', type: 'button', title: 'Dismiss', onclick: () => this.cb.dismissNotice(n.id) }, '\u00D7')
        )
      )
    );
  }

  private _renderBlocks(s: IViewState): void {
    const stick = this._scroll.scrollHeight - this._scroll.scrollTop - this._scroll.clientHeight < 24;
    this._transcript.update(s.transcript);
    this._empty.hidden = s.blocks.length > 0 || s.connection !== 'ready';
    if (stick) {
      this._scroll.scrollTop = this._scroll.scrollHeight;
    }
  }

  private _renderEdits(edits: readonly IPendingEdit[]): void {
    const key = edits.map(e => `${e.request.request_id}:${e.busy}`).join(',');
    if (key === this._editKey) {
      return;
    }
    this._editKey = key;
    this._edits.replaceChildren(...edits.map(e => this._editCard(e)));
  }

  private _editCard(edit: IPendingEdit): HTMLElement {
    const request = edit.request;
    const preview = this.cb.previewEdit(request);
    const diff = preview.diff.length
      ? h(
          'pre',
          { class: 'jp-agent-code jp-agent-panel-cell-diff' },
          preview.diff.map(line =>
            h(
              'div',
              { class: line.startsWith('+') ? 'jp-agent-tok-add' : line.startsWith('-') ? 'jp-agent-tok-del' : 'jp-agent-panel-diff-ctx' },
              line
            )
          )
        )
      : null;
    const buttons = h(
      'div',
      { class: 'jp-agent-buttons' },
      preview.error === null
        ? h('button', { class: 'jp-agent-btn jp-agent-btn-approved jp-agent-panel-accept', type: 'button', disabled: edit.busy, onclick: () => this.cb.acceptEdit(request) }, edit.busy ? 'Applying\u2026' : 'Accept')
        : null,
      h(
        'button',
        { class: 'jp-agent-btn jp-agent-btn-denied jp-agent-panel-reject', type: 'button', disabled: edit.busy, onclick: () => this.cb.rejectEdit(request, preview.error ?? '') },
        'Reject'
      )
    );
    return h(
      'div',
      { class: 'jp-agent-block jp-agent-approval jp-agent-panel-edit', 'data-request-id': request.request_id },
      h('div', { class: 'jp-agent-label' }, `Notebook edit: ${preview.title}`),
      preview.error ? h('div', { class: 'jp-agent-note jp-agent-error-text' }, preview.error) : null,
      diff,
      buttons
    );
  }

  private _renderFooter(s: IViewState): void {
    this._stopBtn.hidden = !s.active;
    this._stopBtn.disabled = s.stopping;
    this._stopBtn.textContent = s.stopping ? 'Stopping\u2026' : 'Stop';
    this._sendBtn.disabled = this._input.disabled = !s.canSend;
  }

  private _onKey(e: KeyboardEvent): void {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this._submit();
    }
  }

  private _submit(): void {
    const text = this._input.value;
    if (this.cb.send(text)) {
      this._input.value = '';
    }
  }

  private _transcript: TranscriptView;
  private _editKey = '';
  private _timer: number;
  private _model: HTMLInputElement;
  private _approval: HTMLSelectElement;
  private _status: HTMLElement;
  private _sessions: HTMLElement;
  private _connection: HTMLElement;
  private _notices: HTMLElement;
  private _empty: HTMLElement;
  private _scroll: HTMLElement;
  private _edits: HTMLElement;
  private _input: HTMLTextAreaElement;
  private _sendBtn: HTMLButtonElement;
  private _stopBtn: HTMLButtonElement;
}

function connectionLabel(s: IViewState): string {
  if (s.connectionMessage) {
    return s.connectionMessage;
  }
  switch (s.connection) {
    case 'idle':
      return 'Open a notebook to talk to the agent in its kernel.';
    case 'connecting':
      return 'Connecting to the kernel\u2026';
    case 'loading':
      return 'Loading the agent in the kernel\u2026';
    case 'unavailable':
      return 'The agent is not available in this kernel.';
    case 'error':
      return 'Could not connect to the kernel.';
    default:
      return '';
  }
}
