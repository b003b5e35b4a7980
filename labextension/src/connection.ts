// The link between one notebook's kernel and a PanelModel: auto-load, two comms, restarts.
//
// 1. `%load_ext agent` runs silently (no cell, no history, no output) unless the kernel
//    already has the panel's comm targets; a user expression confirms it.
// 2. Two comms: `agent.panel.events` (the kernel publishes on it) and
//    `agent.panel.commands` (only the panel sends on it, so ipykernel keeps routing it to
//    the panel's subshell and clicks do not wait behind a busy cell). With JupyterLab's
//    default `commsOverSubshells: perCommTarget` each comm gets its own subshell; we must
//    await `subshellStarted` before `open()`, or the open goes to the main shell. Kernels
//    without subshells use the main shell: it works, between cells.
// 3. A kernel restart or change reconnects (and loads the extension again).

import type { ISessionContext } from '@jupyterlab/apputils';
import type { Kernel, KernelMessage } from '@jupyterlab/services';

import { COMMANDS_TARGET, EVENTS_TARGET } from './protocol';
import type { PanelCommandMessage, PanelEventMessage } from './protocol';
import type { ITransport, PanelModel } from './model';

export { COMMANDS_TARGET, EVENTS_TARGET };

const CHECK = `__import__('sys').modules.get('agent.frontends.notebook.panel_bridge') is not None and '${COMMANDS_TARGET}' in get_ipython().kernel.comm_manager.targets`;

export class KernelLink implements ITransport {
  constructor(
    readonly sessionContext: ISessionContext,
    readonly model: PanelModel
  ) {
    model.transport = this;
    sessionContext.kernelChanged.connect(this._onKernelChanged, this);
    sessionContext.statusChanged.connect(this._onStatus, this);
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Connect (once; later calls wait for the same attempt). */
  connect(): Promise<void> {
    if (this._connecting === null) {
      this._connecting = this._connect().catch(err => {
        this._connecting = null;
        this.model.setConnection('error', `Could not connect to the kernel: ${err?.message ?? err}`);
      });
    }
    return this._connecting;
  }

  send(command: PanelCommandMessage): void {
    const comm = this._commands;
    if (comm === null || comm.isDisposed) {
      this.model.setConnection('error', 'Not connected to the kernel.');
      return;
    }
    comm.send(command as any);
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.sessionContext.kernelChanged.disconnect(this._onKernelChanged, this);
    this.sessionContext.statusChanged.disconnect(this._onStatus, this);
    this._closeComms();
    this.model.transport = null;
  }

  private async _connect(): Promise<void> {
    const model = this.model;
    model.setConnection('connecting', 'Waiting for the kernel…');
    await this.sessionContext.ready;
    const kernel = this.sessionContext.session?.kernel ?? null;
    if (kernel === null) {
      model.setConnection('unavailable', 'This notebook has no kernel.');
      return;
    }
    const info = await kernel.info;
    if (info.language_info?.name !== 'python') {
      model.setConnection('unavailable', `The agent needs a Python kernel (this one is ${info.language_info?.name ?? 'unknown'}).`);
      return;
    }
    if (!(await this._loaded(kernel, false))) {
      model.setConnection('loading', 'Loading the agent in the kernel (%load_ext agent)…');
      if (!(await this._loaded(kernel, true))) {
        model.setConnection('error', 'The kernel could not load the agent: is kernel-agent installed in its environment?');
        return;
      }
    }
    if (this._disposed) {
      return;
    }
    this._closeComms();
    const events = await this._open(kernel, EVENTS_TARGET);
    events.onMsg = (msg: KernelMessage.ICommMsgMsg) => this.model.handle(msg.content.data as unknown as PanelEventMessage);
    events.onClose = () => this._lost(events);
    const commands = await this._open(kernel, COMMANDS_TARGET);
    commands.onClose = () => this._lost(commands);
    this._events = events;
    this._commands = commands;
    model.hello();
  }

  /** Whether the panel's comm targets exist in the kernel; with `load`, load them first. */
  private async _loaded(kernel: Kernel.IKernelConnection, load: boolean): Promise<boolean> {
    const code = load ? '%load_ext agent' : '';
    const future = kernel.requestExecute(
      { code, silent: true, store_history: false, user_expressions: { loaded: CHECK }, allow_stdin: false, stop_on_error: false },
      true
    );
    const reply = await future.done;
    const content = reply.content as KernelMessage.IExecuteReply & { user_expressions?: Record<string, any> };
    const loaded = content.user_expressions?.loaded;
    return content.status === 'ok' && loaded?.status === 'ok' && loaded?.data?.['text/plain'] === 'True';
  }

  private async _open(kernel: Kernel.IKernelConnection, target: string): Promise<Kernel.IComm> {
    const comm = kernel.createComm(target);
    const started = (comm as unknown as { subshellStarted?: Promise<void> }).subshellStarted;
    if ((kernel as unknown as { supportsSubshells?: boolean }).supportsSubshells && started) {
      await started;
    }
    await comm.open({}).done;
    return comm;
  }

  private _lost(comm: Kernel.IComm): void {
    if (comm === this._events || comm === this._commands) {
      this._events = this._commands = null;
      if (!this._disposed) {
        this.model.setConnection('connecting', 'The kernel closed the panel connection.');
      }
    }
  }

  private _closeComms(): void {
    for (const comm of [this._events, this._commands]) {
      if (comm !== null && !comm.isDisposed) {
        try {
          comm.close();
        } catch {
          // the kernel may be gone already
        }
      }
    }
    this._events = this._commands = null;
  }

  private _onKernelChanged(): void {
    this._reconnect();
  }

  private _onStatus(_sender: ISessionContext, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
      this._events = this._commands = null;
      this._connecting = null;
      this.model.setConnection('connecting', 'The kernel is restarting…');
    } else if (status === 'idle' && this._connecting === null && !this._disposed) {
      void this.connect();
    }
  }

  private _reconnect(): void {
    if (this._disposed) {
      return;
    }
    this._closeComms();
    this._connecting = null;
    void this.connect();
  }

  private _disposed = false;
  private _connecting: Promise<void> | null = null;
  private _events: Kernel.IComm | null = null;
  private _commands: Kernel.IComm | null = null;
}
