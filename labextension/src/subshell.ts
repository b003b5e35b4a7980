// The side panel's own connection to a kernel, on a kernel subshell (JEP 91, ipykernel >= 7).
//
// A cell that blocks the main shell (`%%agent --wait` awaiting an approval) holds back every
// shell request behind it, `kernel_info` included: after a page reload the notebook's
// connection cannot even learn the kernel's status. So the panel asks its questions on the
// control channel (answered by the kernel's control thread whatever the main shell does):
// `kernel_info` (its language, whether it has subshells), then `create_subshell_request`; and
// it talks over a clone of the notebook's connection whose shell messages (execute, comm open,
// comm messages, its own kernel_info) all carry that subshell's id, so the subshell's thread
// answers them. A kernel without subshells gets the notebook's own connection: the panel then
// works between cells only, and says so.

import { KernelMessage, type Kernel } from '@jupyterlab/services';

/** What the panel talks to: a connection and whether it is on a subshell of its own. */
export interface IPanelKernel {
  connection: Kernel.IKernelConnection;
  /** The subshell's id, or null when the panel shares the notebook's main shell. */
  subshellId: string | null;
  info: KernelMessage.IInfoReply;
}

export const NO_SUBSHELLS =
  'This kernel has no subshells (ipykernel 7 or later has them): the panel waits while a cell runs.';

/** Send one control request and return its reply's content. */
async function control<T>(kernel: Kernel.IKernelConnection, msgType: string, content: object): Promise<T> {
  const create = KernelMessage.createMessage as (options: object) => KernelMessage.IControlMessage;
  const msg = create({
    msgType,
    channel: 'control',
    username: kernel.username,
    session: kernel.clientId,
    content
  });
  const reply = await kernel.sendControlMessage(msg, true, true).done;
  return (reply as KernelMessage.IMessage).content as unknown as T;
}

/** Resolves once the connection's websocket is up (a control request sent before would throw:
 * the connection does not queue a kernel_info request while it starts). */
export function whenConnected(kernel: Kernel.IKernelConnection): Promise<void> {
  if (kernel.connectionStatus === 'connected') {
    return Promise.resolve();
  }
  return new Promise(resolve => {
    const changed = (_sender: unknown, status: Kernel.ConnectionStatus): void => {
      if (status === 'connected') {
        kernel.connectionStatusChanged.disconnect(changed);
        resolve();
      }
    };
    kernel.connectionStatusChanged.connect(changed);
  });
}

/** The kernel's info, asked on the control channel (answered while a cell blocks the main
 * shell); whichever comes first of that and the connection's own (shell) kernel_info reply,
 * since a kernel may not answer kernel_info on control. */
export async function kernelInfo(kernel: Kernel.IKernelConnection): Promise<KernelMessage.IInfoReply> {
  await whenConnected(kernel);
  const onControl = control<KernelMessage.IInfoReply>(kernel, 'kernel_info_request', {}).then(info =>
    info.status === 'ok' ? info : kernel.info
  );
  return Promise.race([onControl.catch(() => kernel.info), kernel.info]);
}

/** The panel's connection: a clone on a new subshell when the kernel has subshells, else the
 * notebook's connection itself. */
export async function panelKernel(kernel: Kernel.IKernelConnection): Promise<IPanelKernel> {
  const info = await kernelInfo(kernel);
  if (!(info.supported_features ?? []).includes('kernel subshells')) {
    return { connection: kernel, subshellId: null, info };
  }
  const reply = await control<{ status: string; subshell_id?: string }>(kernel, 'create_subshell_request', {});
  if (reply.status !== 'ok' || !reply.subshell_id) {
    return { connection: kernel, subshellId: null, info };
  }
  // Comms use the clone's subshell (commsOverSubshells: disabled, so none starts its own).
  // (`clone`'s declared options omit `subshellId`, which KernelConnection takes.)
  const options = { subshellId: reply.subshell_id, handleComms: true };
  const connection = kernel.clone(options as Parameters<Kernel.IKernelConnection['clone']>[0]);
  return { connection, subshellId: reply.subshell_id, info };
}
