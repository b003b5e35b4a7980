/**
 * @jest-environment jsdom
 */
// The panel's status line says what the running turn uses (a cell's --approval/--model
// flags apply to its turn only), and the defaults otherwise.
import { PanelModel } from '../model';
import type { PanelStatus } from '../protocol';
import { panelStatus } from './fixtures';
import { PanelView, type IViewCallbacks } from '../view';

const defaults = panelStatus({ running: true });

function render(status: PanelStatus): { items: string[]; select: string } {
  const noop = () => undefined;
  const cb = new Proxy({ codeActions: [] }, { get: (t, k) => (k in t ? (t as any)[k] : noop) }) as unknown as IViewCallbacks;
  const view = new PanelView(cb);
  const model = new PanelModel({ send: noop });
  model.handle(status);
  view.update(model.state());
  const items = [...view.node.querySelectorAll('.jp-agent-panel-status-item')].map(n => n.textContent ?? '');
  return { items, select: (view.node.querySelector('.jp-agent-panel-approval') as HTMLSelectElement).value };
}

describe('PanelView status line', () => {
  it('shows the defaults when the running turn uses them', () => {
    const { items, select } = render(defaults);
    expect(items).toContain('approvals: on-request');
    expect(items).toContain('model: gpt-4.1');
    expect(select).toBe('on-request');
  });

  it("shows a cell's per-turn settings as this turn's, the selector keeps the default", () => {
    const { items, select } = render({ ...defaults, this_turn: { approval_policy: 'untrusted', model: 'gpt-5.1-codex', sandbox: null } });
    expect(items).toContain('approvals: untrusted (this turn)');
    expect(items).toContain('model: gpt-5.1-codex (this turn)');
    expect(items.find(i => i.startsWith('sandbox:'))).toBe('sandbox: workspace-write (bubblewrap)');
    expect(select).toBe('on-request');
  });
});
