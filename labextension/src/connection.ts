// The link between one notebook's kernel and a PanelModel: auto-load, two comms, restarts.
//
// 1. The panel talks to the kernel over a connection of its own on a kernel subshell
//    (subshell.ts): its checks, comm opens and comm messages never wait behind a cell that
//    blocks the main shell (a `%%agent --wait` cell awaiting an approval, even after a page
//    reload). Kernels without subshells share the notebook's connection (between cells).
// 2. `%load_ext agent` runs silently (no cell, no history, no output) unless the kernel
//    already has the panel's comm targets; a user expression confirms it. The load itself
//    runs on the main shell (the extension belongs to the main thread's event loop).
// 3. Two comms: `agent.panel.events` (the kernel publishes on it) and
//    `agent.panel.commands` (only the panel sends on it, so ipykernel keeps routing it to
//    the panel's subshell and clicks do not wait behind a busy cell).
// 4. A kernel restart or change reconnects (and loads the extension again).

import type { ISessionContext } from '@jupyterlab/apputils';
import type { Kernel, KernelMessage } from '@jupyterlab/services';

import { COMMANDS_TARGET, EVENTS_TARGET } from './protocol';
import type { PanelCommandMessage, PanelEventMessage } from './protocol';
import type { ITransport, PanelModel } from './model';
import { NO_SUBSHELLS, panelKernel } from './subshell';

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
      const attempt: Promise<void> = this._connect().catch(err => {
        if (this._connecting !== attempt) {
          return; // an older attempt, failing on a connection a reconnect disposed
        }
        this._connecting = null;
        this.model.setConnection('error', `Could not connect to the kernel: ${err?.message ?? err}`);
      });
      this._connecting = attempt;
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
    // A reconnect (kernel changed or restarted) starts a new attempt; an older one still
    // awaiting stops at its next step instead of opening comms on a connection now disposed.
    const attempt = ++this._attempt;
    const stale = (): boolean => this._disposed || attempt !== this._attempt;
    model.setConnection('connecting', 'Waiting for the kernel…');
    await this.sessionContext.ready;
    const kernel = this.sessionContext.session?.kernel ?? null;
    if (kernel === null) {
      model.setConnection('unavailable', 'This notebook has no kernel.');
      return;
    }
    const { connection, subshellId, info } = await panelKernel(kernel);
    if (stale() || kernel !== this.sessionContext.session?.kernel) {
      this._dispose(connection, kernel);
      return;
    }
    this._closeComms();
    this._connection = connection !== kernel ? connection : null;
    if (info.language_info?.name !== 'python') {
      model.setConnection('unavailable', `The agent needs a Python kernel (this one is ${info.language_info?.name ?? 'unknown'}).`);
      return;
    }
    const loaded = await this._loaded(connection, false);
    if (stale()) {
      return;
    }
    if (!loaded) {
      model.setConnection('loading', 'Loading the agent in the kernel (%load_ext agent)…');
      const ok = await this._loaded(kernel, true);
      if (stale()) {
        return;
      }
      if (!ok) {
        model.setConnection('error', 'The kernel could not load the agent: is kernel-agent installed in its environment?');
        return;
      }
    }
    // The kernel answers an events comm's open with the status and the transcript at once,
    // maybe before the open's reply: they are kept until the commands comm is open too (the
    // status makes the panel ready to send).
    const early: PanelEventMessage[] = [];
    let live = false;
    const events = await this._open(connection, EVENTS_TARGET, msg => {
      const data = msg.content.data as unknown as PanelEventMessage;
      if (live) {
        this.model.handle(data);
      } else {
        early.push(data);
      }
    });
    const commands = stale() ? null : await this._open(connection, COMMANDS_TARGET);
    if (commands === null || stale()) {
      [events, commands].forEach(comm => comm?.dispose());
      return;
    }
    this._events = events;
    this._commands = commands;
    live = true;
    early.forEach(data => this.model.handle(data));
    if (subshellId === null) {
      model.handle({ type: 'notice', level: 'info', message: NO_SUBSHELLS });
    }
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

  private async _open(kernel: Kernel.IKernelConnection, target: string, onMsg?: (msg: KernelMessage.ICommMsgMsg) => void): Promise<Kernel.IComm> {
    const comm = kernel.createComm(target);
    if (onMsg !== undefined) {
      comm.onMsg = onMsg;
    }
    comm.onClose = () => this._lost(comm);
    await comm.open({}).done;
    return comm;
  }

  /** Drop a panel connection made for `kernel` (closing its subshell), never the notebook's. */
  private _dispose(connection: Kernel.IKernelConnection | null, kernel: Kernel.IKernelConnection | null): void {
    if (connection !== null && connection !== kernel && !connection.isDisposed) {
      connection.dispose();
    }
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
    this._dispose(this._connection, null);
    this._connection = null;
  }

  private _onKernelChanged(): void {
    this._reconnect();
  }

  private _onStatus(_sender: ISessionContext, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
      this._events = this._commands = null;
      this._attempt++;
      this._dispose(this._connection, null); // its subshell is gone with the kernel
      this._connection = null;
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
    this._attempt++;
    void this.connect();
  }

  private _disposed = false;
  private _connecting: Promise<void> | null = null;
  private _attempt = 0;
  private _events: Kernel.IComm | null = null;
  private _commands: Kernel.IComm | null = null;
  /** The panel's own connection (on a subshell), when it has one. */
  private _connection: Kernel.IKernelConnection | null = null;
}
