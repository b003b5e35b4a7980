// The panel's kernel connection (subshell.ts): asked on the control channel, so it is made
// while the main shell never answers (a `%%agent --wait` cell blocking it after a reload).

import type { Kernel } from '@jupyterlab/services';

import { panelKernel } from '../subshell';

const INFO = { status: 'ok', language_info: { name: 'python' }, supported_features: ['kernel subshells', 'debugger'] };

interface IFake {
  kernel: Kernel.IKernelConnection;
  sent: { channel: string; type: string; subshell: unknown }[];
  clones: Record<string, unknown>[];
}

function fakeKernel(replies: Record<string, unknown>, shellInfo: Promise<unknown> = new Promise(() => undefined)): IFake {
  const sent: IFake['sent'] = [];
  const clones: IFake['clones'] = [];
  const kernel = {
    username: 'u',
    clientId: 'client-1',
    connectionStatus: 'connected',
    info: shellInfo, // the main shell: never answers unless given
    sendControlMessage(msg: any) {
      sent.push({ channel: msg.channel, type: msg.header.msg_type, subshell: msg.header.subshell_id });
      const content = replies[msg.header.msg_type];
      return { done: content instanceof Error ? Promise.reject(content) : Promise.resolve({ content }) };
    },
    clone(options: Record<string, unknown>) {
      clones.push(options);
      return { cloneOf: 'client-1', options };
    }
  };
  return { kernel: kernel as unknown as Kernel.IKernelConnection, sent, clones };
}

describe('panelKernel', () => {
  it('opens a subshell over the control channel and talks on a clone bound to it', async () => {
    const fake = fakeKernel({ kernel_info_request: INFO, create_subshell_request: { status: 'ok', subshell_id: 'sub-7' } });
    const link = await panelKernel(fake.kernel);
    expect(fake.sent).toEqual([
      { channel: 'control', type: 'kernel_info_request', subshell: null },
      { channel: 'control', type: 'create_subshell_request', subshell: null }
    ]);
    expect(link.subshellId).toBe('sub-7');
    expect(fake.clones).toEqual([{ subshellId: 'sub-7', handleComms: true }]);
    expect(link.connection).not.toBe(fake.kernel);
    expect(link.info.language_info.name).toBe('python');
  });

  it('shares the notebook connection when the kernel has no subshells', async () => {
    const fake = fakeKernel({ kernel_info_request: { ...INFO, supported_features: [] } });
    const link = await panelKernel(fake.kernel);
    expect(link.connection).toBe(fake.kernel);
    expect(link.subshellId).toBeNull();
    expect(fake.sent.map(s => s.type)).toEqual(['kernel_info_request']);
    expect(fake.clones).toEqual([]);
  });

  it('waits for the websocket before asking (a request sent earlier would throw)', async () => {
    const fake = fakeKernel({ kernel_info_request: INFO, create_subshell_request: { status: 'ok', subshell_id: 'sub-8' } });
    const listeners: ((sender: unknown, status: string) => boolean)[] = [];
    Object.assign(fake.kernel, {
      connectionStatus: 'connecting',
      connectionStatusChanged: { connect: (fn: any) => listeners.push(fn), disconnect: (fn: any) => listeners.splice(listeners.indexOf(fn), 1) }
    });
    const pending = panelKernel(fake.kernel);
    await Promise.resolve();
    expect(fake.sent).toEqual([]);
    Object.assign(fake.kernel, { connectionStatus: 'connected' });
    [...listeners].forEach(fn => fn(fake.kernel, 'connected'));
    expect((await pending).subshellId).toBe('sub-8');
    expect(listeners).toEqual([]);
  });

  it("falls back to the connection's own kernel info when control does not answer it", async () => {
    const fake = fakeKernel({ kernel_info_request: new Error('not on control') }, Promise.resolve({ ...INFO, supported_features: undefined }));
    const link = await panelKernel(fake.kernel);
    expect(link.connection).toBe(fake.kernel);
    expect(link.subshellId).toBeNull();
  });

  it('keeps the notebook connection when the kernel refuses a subshell', async () => {
    const fake = fakeKernel({ kernel_info_request: INFO, create_subshell_request: { status: 'error' } });
    const link = await panelKernel(fake.kernel);
    expect(link.connection).toBe(fake.kernel);
    expect(link.subshellId).toBeNull();
  });
});
