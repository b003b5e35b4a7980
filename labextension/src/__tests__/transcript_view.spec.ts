/**
 * @jest-environment jsdom
 */
// The transcript renderer: a patch stream draws what the full state draws, and only the
// blocks that changed are drawn again.
import { FrameScheduler } from '../transcript/frame';
import { TranscriptModel } from '../transcript/model';
import { TranscriptView } from '../transcript/view';
import { FINAL, STREAM, approval, patch, status } from './fixtures';

function newView(decide = jest.fn()): TranscriptView {
  return new TranscriptView({ decide, statusClass: 'jp-agent-footer-items', sessionDetails: true });
}

function html(view: TranscriptView): string[] {
  return [view.blocks.innerHTML, view.diff.innerHTML, view.status.innerHTML];
}

/** Block-list writes (children added or removed) while `fn` runs. */
function writes(view: TranscriptView, fn: () => void): number {
  const observer = new MutationObserver(() => undefined);
  observer.observe(view.blocks, { childList: true });
  fn();
  const records = observer.takeRecords();
  observer.disconnect();
  return records.reduce((n, r) => n + r.addedNodes.length + r.removedNodes.length, 0);
}

function streamedView(upTo: number): { model: TranscriptModel; view: TranscriptView } {
  const model = new TranscriptModel();
  const view = newView();
  STREAM.slice(0, upTo).forEach(p => {
    model.apply(p);
    view.update(model);
  });
  return { model, view };
}

describe('TranscriptView', () => {
  it('drawing a patch stream as it arrives ends in the same DOM as drawing the full state', () => {
    const { view } = streamedView(STREAM.length);
    const full = new TranscriptModel();
    full.load(FINAL);
    const fresh = newView();
    fresh.update(full);
    expect(html(view)).toEqual(html(fresh));
    expect(view.blocks.querySelector('.jp-agent-agent strong')?.textContent).toBe('world');
    expect(view.blocks.querySelector('.jp-agent-user-text')?.textContent).toBe('hi <there>');
    expect(view.blocks.querySelector('code.language-python .jp-agent-tok-number')?.textContent).toBe('1');
    expect(view.diff.querySelector('.jp-agent-tok-add')?.textContent).toBe('+b');
    expect(view.status.textContent).toContain('Done');
    expect([...view.blocks.children].map(n => (n as HTMLElement).dataset.blockId)).toEqual(['b0', 'b2', 'b1', 'b4']);
  });

  it('an append redraws only its block: the other nodes stay', () => {
    const { model, view } = streamedView(2);
    const [user, agent] = [...view.blocks.children];
    model.apply(STREAM[2]);
    expect(writes(view, () => view.update(model))).toBe(2); // the agent block's node replaced
    const [user2, agent2] = [...view.blocks.children];
    expect(user2).toBe(user);
    expect(agent2).not.toBe(agent);
    expect(agent2.textContent).toBe('Hello **wor');
  });

  it('nothing is redrawn when no rev moved (a status-only patch)', () => {
    const { model, view } = streamedView(4);
    const before = [...view.blocks.children];
    model.apply({ ...patch([], ['b0', 'b1', 'b2'], 'running'), status: status('running', { tokens_used: 1234 }) });
    expect(writes(view, () => view.update(model))).toBe(0);
    expect([...view.blocks.children]).toEqual(before);
    expect(view.status.textContent).toContain('1,234 tokens');
  });

  it('a reset redraws blocks whose id and rev repeat (a new session starts at b0 again)', () => {
    const { model, view } = streamedView(1);
    model.apply(patch([{ id: 'b0', kind: 'user', rev: 0, text: 'another session', images: 0 }], ['b0'], 'running', true));
    view.update(model);
    expect(view.blocks.textContent).toContain('another session');
  });

  it('a decision sent disables its approval at once and the click reaches decide()', () => {
    const decide = jest.fn();
    const model = new TranscriptModel();
    const view = newView(decide);
    model.apply(patch([approval('pending')], ['b2'], 'waiting_for_approval', true));
    view.update(model);
    view.blocks.querySelector<HTMLButtonElement>('button[data-decision="denied"]')?.click();
    expect(decide).toHaveBeenCalledWith('call-1', 'denied');
    model.markDecisionSent('call-1', 'denied');
    view.update(model);
    const buttons = [...view.blocks.querySelectorAll<HTMLButtonElement>('button')];
    expect(buttons).toHaveLength(4);
    expect(buttons.every(b => b.disabled)).toBe(true);
  });

  it('open <details> survive their block being redrawn', () => {
    const { model, view } = streamedView(5);
    const reasoning = view.blocks.querySelector<HTMLDetailsElement>('[data-block-id="b3"] details');
    expect(reasoning?.open).toBe(false);
    reasoning!.open = true;
    reasoning!.dispatchEvent(new Event('toggle'));
    model.apply({ ...patch([], ['b0', 'b1', 'b2', 'b3'], 'running'), appends: [{ id: 'b3', rev: 2, text: ' more', streaming: true }] });
    view.update(model);
    const redrawn = view.blocks.querySelector<HTMLDetailsElement>('[data-block-id="b3"] details');
    expect(redrawn).not.toBe(reasoning);
    expect(redrawn?.open).toBe(true);
  });
});

describe('FrameScheduler', () => {
  it('draws at most once per animation frame however often it is asked', () => {
    const frames: (() => void)[] = [];
    const draw = jest.fn();
    const scheduler = new FrameScheduler(draw, cb => frames.push(cb));
    for (let i = 0; i < 100; i++) {
      scheduler.request();
    }
    expect(frames).toHaveLength(1);
    expect(draw).not.toHaveBeenCalled();
    frames.shift()!();
    expect(draw).toHaveBeenCalledTimes(1);
    scheduler.request();
    scheduler.flush(); // drawn now: the pending frame does nothing
    frames.shift()!();
    expect(draw).toHaveBeenCalledTimes(2);
    scheduler.dispose();
    scheduler.request();
    expect(frames).toHaveLength(0);
  });
});
