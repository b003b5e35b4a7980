/**
 * @jest-environment jsdom
 */
// The cell widget's module (built into frontends/notebook/static/agent_view.js): the anywidget
// wire, driven through a stand-in for anywidget's model.
import view, { type IWidgetModel } from '../widget';
import { FINAL, STREAM, approval, patch } from './fixtures';

type Callback = (...args: unknown[]) => void;

class FakeModel implements IWidgetModel {
  sent: Record<string, unknown>[] = [];
  handlers = new Map<string, Set<Callback>>();
  constructor(public state: unknown) {}
  get(): unknown {
    return this.state;
  }
  on(event: string, callback: Callback): void {
    this.handlers.set(event, (this.handlers.get(event) ?? new Set()).add(callback));
  }
  off(event: string, callback: Callback): void {
    this.handlers.get(event)?.delete(callback);
  }
  send(content: Record<string, unknown>): void {
    this.sent.push(content);
  }
  emit(event: string, ...args: unknown[]): void {
    this.handlers.get(event)?.forEach(cb => cb(...args));
  }
  /** A custom message from the kernel, then the next animation frame. */
  receive(content: unknown): void {
    this.emit('msg:custom', content, []);
    jest.advanceTimersByTime(20);
  }
}

function mount(state: unknown = {}): { model: FakeModel; el: HTMLElement; dispose: () => void } {
  const model = new FakeModel(state);
  const el = document.createElement('div');
  const dispose = view.render({ model, el });
  return { model, el, dispose };
}

const ids = (el: HTMLElement): string[] => [...el.querySelectorAll<HTMLElement>('[data-block-id]')].map(n => n.dataset.blockId ?? '');

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('the cell widget', () => {
  it('asks the kernel for a sync and shows the saved state until the reset arrives', () => {
    const { model, el, dispose } = mount(FINAL);
    expect(model.sent).toEqual([{ type: 'sync' }]);
    expect(ids(el)).toEqual(['b0', 'b2', 'b1', 'b4']);
    model.receive(STREAM[1]); // not a reset: it extends a transcript this view does not hold
    expect(ids(el)).toEqual(['b0', 'b2', 'b1', 'b4']);
    model.receive(STREAM[0]);
    expect(ids(el)).toEqual(['b0']);
    model.state = { ...FINAL, blocks: [] };
    model.emit('change:state');
    jest.advanceTimersByTime(20);
    expect(ids(el)).toEqual(['b0']); // patches rule once synced
    dispose();
    expect([...model.handlers.values()].every(set => set.size === 0)).toBe(true);
  });

  it('renders a streamed turn as the full state renders it, on the next frame', () => {
    const streamed = mount();
    STREAM.forEach(p => streamed.model.emit('msg:custom', p, []));
    expect(ids(streamed.el)).toEqual([]); // patches are applied at once, drawn once per frame
    jest.advanceTimersByTime(20);
    const saved = mount(FINAL);
    expect(streamed.el.innerHTML).toBe(saved.el.innerHTML);
    expect(streamed.el.querySelector('.jp-agent-footer-items')?.textContent).toContain('gpt-4.1');
  });

  it('applies a patch that carries only appends (what the kernel sends while text streams)', () => {
    const { model, el } = mount();
    model.receive(patch([{ id: 'b0', kind: 'agent', rev: 0, text: 'Hel', streaming: true }], ['b0'], 'running', true));
    model.receive({ type: 'transcript', seq: 2, appends: [{ id: 'b0', rev: 1, text: 'lo there', streaming: true }] });
    expect(el.querySelector('[data-block-id="b0"]')?.textContent).toContain('Hello there');
    expect(ids(el)).toEqual(['b0']);
  });

  it('sends one decision per pending approval, and one stop per turn', () => {
    const { model, el } = mount();
    model.receive(patch([approval('pending')], ['b2'], 'waiting_for_approval', true));
    const stop = el.querySelector<HTMLButtonElement>('button.jp-agent-stop')!;
    expect(stop.hidden).toBe(false);
    el.querySelector<HTMLButtonElement>('button[data-decision="approved"]')!.click();
    expect(el.querySelector<HTMLButtonElement>('button[data-decision="denied"]')!.disabled).toBe(true);
    el.querySelector<HTMLButtonElement>('button[data-decision="denied"]')!.click();
    stop.click();
    stop.click();
    expect(stop.textContent).toBe('Stopping\u2026');
    expect(model.sent).toEqual([
      { type: 'sync' },
      { kind: 'decision', call_id: 'call-1', decision: 'approved' },
      { kind: 'stop' }
    ]);
    model.receive(patch([approval('aborted', 1)], ['b2'], 'aborted', false, { reason: 'interrupted' }));
    expect(stop.hidden).toBe(true);
    expect(el.querySelector('.jp-agent-verdict-abort')).not.toBeNull();
  });
});
