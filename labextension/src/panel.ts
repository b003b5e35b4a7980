// The side panel widget: follows the active notebook, one kernel link + model per notebook
// (switching notebooks switches the session shown), and wires the view's callbacks to the
// model, the kernel and the live notebook. Redraws are coalesced: at most one per animation
// frame, however many kernel messages arrive.

import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';
import type { Message } from '@lumino/messaging';

import { KernelLink } from './connection';
import { PanelModel } from './model';
import { applyEdit, insertCode, previewEdit, replaceActiveCell } from './notebook_edit';
import type { NotebookEditRequest } from './protocol';
import { FrameScheduler } from './transcript/frame';
import { PanelView } from './view';

export const PANEL_ID = 'jp-agent-panel';

interface IBinding {
  notebook: NotebookPanel;
  model: PanelModel;
  link: KernelLink;
}

export class AgentPanel extends Widget {
  constructor(private readonly tracker: INotebookTracker) {
    super();
    this.id = PANEL_ID;
    this.addClass('jp-agent-panel');
    this.title.label = 'Agent';
    this.title.caption = 'kernel-agent: chat with the agent in the active notebook\u2019s kernel';
    this._idle = new PanelModel();
    this._view = new PanelView({
      send: text => this._model.sendPrompt(text),
      stop: () => void this._model.stop(),
      decide: (callId, decision) => void this._model.decide(callId, decision),
      newSession: () => void this._model.newSession(),
      listSessions: () => void this._model.listSessions(),
      resume: id => void this._model.resume(id),
      closeSessions: () => this._model.closeSessionList(),
      setModel: name => void this._model.setModel(name),
      setApprovalPolicy: policy => void this._model.setApprovalPolicy(policy),
      dismissNotice: id => this._model.dismissNotice(id),
      previewEdit: request => this._preview(request),
      acceptEdit: request => void this._accept(request),
      rejectEdit: (request, reason) => void this._model.resolveEdit(request.request_id, 'rejected', reason),
      codeActions: [
        {
          label: 'Insert into notebook',
          className: 'jp-agent-insert-code',
          title: 'Insert this code as a new cell below the active cell',
          run: code => this._withNotebook(nb => insertCode(nb, code))
        },
        {
          label: 'Replace active cell',
          className: 'jp-agent-replace-cell',
          title: 'Replace the source of the active cell with this code',
          run: code => this._withNotebook(nb => replaceActiveCell(nb, code))
        }
      ]
    });
    this.node.appendChild(this._view.node);
    this._frame = new FrameScheduler(() => this._draw());
    this._idle.onChange(() => this._render());
    tracker.currentChanged.connect(this._onCurrentChanged, this);
    this._frame.flush();
  }

  /** The notebook whose session is shown (null: none). */
  get notebook(): NotebookPanel | null {
    return this._binding?.notebook ?? null;
  }

  focusInput(): void {
    this._view.focusInput();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.tracker.currentChanged.disconnect(this._onCurrentChanged, this);
    for (const binding of this._bindings.values()) {
      binding.link.dispose();
    }
    this._bindings.clear();
    this._frame.dispose();
    this._view.dispose();
    super.dispose();
  }

  protected onAfterShow(_msg: Message): void {
    this._bind(this.tracker.currentWidget);
  }

  private get _model(): PanelModel {
    return this._binding?.model ?? this._idle;
  }

  private _onCurrentChanged(): void {
    if (this.isVisible) {
      this._bind(this.tracker.currentWidget);
    }
  }

  private _bind(notebook: NotebookPanel | null): void {
    if (notebook === (this._binding?.notebook ?? null)) {
      return;
    }
    this._unsubscribe?.();
    this._unsubscribe = null;
    this._binding = notebook ? this._bindingFor(notebook) : null;
    this._view.reset();
    if (this._binding) {
      this._unsubscribe = this._binding.model.onChange(() => this._render());
      void this._binding.link.connect();
    }
    this._frame.flush();
  }

  private _bindingFor(notebook: NotebookPanel): IBinding {
    let binding = this._bindings.get(notebook);
    if (!binding) {
      const model = new PanelModel();
      model.undoApplier = async request => applyEdit(notebook, request);
      const link = new KernelLink(notebook.sessionContext, model);
      binding = { notebook, model, link };
      this._bindings.set(notebook, binding);
      notebook.disposed.connect(() => {
        link.dispose();
        this._bindings.delete(notebook);
        if (this._binding?.notebook === notebook) {
          this._bind(null);
        }
      });
    }
    return binding;
  }

  private _render(): void {
    this._frame.request();
  }

  private _draw(): void {
    const state = this._model.state();
    this.title.label = state.active ? 'Agent \u25CF' : 'Agent';
    this._view.update(state);
  }

  private _withNotebook(fn: (nb: NotebookPanel) => number): void {
    const notebook = this.notebook;
    if (notebook === null || fn(notebook) < 0) {
      this._model.handle({ type: 'notice', level: 'warning', message: 'No notebook cell to insert into or replace.' });
    }
  }

  private _preview(request: NotebookEditRequest) {
    const notebook = this.notebook;
    if (notebook === null) {
      return { title: 'Edit the notebook', diff: [], error: 'No notebook is open.' };
    }
    return previewEdit(notebook, request);
  }

  private async _accept(request: NotebookEditRequest): Promise<void> {
    const binding = this._binding;
    if (binding === null) {
      return;
    }
    binding.model.markEditBusy(request.request_id);
    try {
      const { message, ...outcome } = await applyEdit(binding.notebook, request);
      binding.model.resolveEdit(request.request_id, 'applied', message, outcome);
    } catch (err) {
      binding.model.resolveEdit(request.request_id, 'failed', String((err as Error)?.message ?? err));
    }
  }

  private _idle: PanelModel;
  private _view: PanelView;
  private _frame: FrameScheduler;
  private _binding: IBinding | null = null;
  private _bindings = new Map<NotebookPanel, IBinding>();
  private _unsubscribe: (() => void) | null = null;
}
