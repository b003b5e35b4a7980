// The patch-applying transcript model shared by the side panel and the cell widget.
import { TranscriptModel } from '../transcript/model';
import { FINAL, STREAM, approval, patch, status } from './fixtures';

function streamed(upTo = STREAM.length): TranscriptModel {
  const model = new TranscriptModel();
  STREAM.slice(0, upTo).forEach(p => expect(model.apply(p)).toBe(true));
  return model;
}

describe('TranscriptModel', () => {
  it('a patch stream ends in the same transcript as the full state', () => {
    const model = streamed();
    const full = new TranscriptModel();
    full.load(FINAL);
    expect(model.blocks()).toEqual(full.blocks());
    expect(model.blocks()).toEqual(FINAL.blocks);
    expect(model.turnDiff).toBe(FINAL.turn_diff);
    expect(model.status).toEqual(FINAL.status);
    expect(model.seq).toBe(7);
  });

  it('appends extend the held text and set the rev; blocks in the same patch come first', () => {
    const model = streamed(3);
    expect(model.blocks()[1]).toEqual({ id: 'b1', kind: 'agent', rev: 1, text: 'Hello **wor', streaming: true });
    const afterFive = streamed(5);
    expect(afterFive.blocks()[3]).toMatchObject({ id: 'b3', rev: 1, text: 'Thinking' });
  });

  it('appends to a block it does not hold change nothing', () => {
    const model = streamed(1);
    model.apply({ ...patch([], ['b0'], 'running'), appends: [{ id: 'zz', rev: 4, text: 'x', streaming: true }] });
    expect(model.blocks()).toEqual(STREAM[0].blocks);
  });

  it('an append can end the stream, and a status-less patch keeps the status', () => {
    const model = streamed(3);
    const before = model.status;
    model.apply({ ...patch([], ['b0', 'b1'], 'running'), seq: 9, status: null, appends: [{ id: 'b1', rev: 2, text: 'ld', streaming: false }] });
    expect(model.blocks()[1]).toEqual({ id: 'b1', kind: 'agent', rev: 2, text: 'Hello **world', streaming: false });
    expect(model.status).toBe(before);
    expect(model.seq).toBe(9);
  });

  it('a patch that leaves out what is unchanged keeps the order, status, diff and session', () => {
    const model = streamed(4);
    const [order, status, diff, session] = [model.blocks().map(b => b.id), model.status, model.turnDiff, model.sessionId];
    model.apply({ type: 'transcript', seq: 10, appends: [{ id: 'b1', rev: 3, text: '!', streaming: true }] });
    expect(model.blocks().map(b => b.id)).toEqual(order);
    expect(model.blocks()[1]).toMatchObject({ rev: 3, text: 'Hello **world**\n\n```python\nx = 1\n```\n!' });
    expect([model.status, model.turnDiff, model.sessionId, model.seq]).toEqual([status, diff, session, 10]);
  });

  it('ignores patches until the first reset (a view that just asked for a sync)', () => {
    const model = new TranscriptModel();
    expect(model.apply(STREAM[1])).toBe(false);
    expect(model.blocks()).toEqual([]);
    model.load(FINAL); // a saved state is shown, but it is not a sync
    expect(model.synced).toBe(false);
    expect(model.apply(STREAM[2])).toBe(false);
    expect(model.blocks()).toEqual(FINAL.blocks);
    expect(model.apply(STREAM[0])).toBe(true);
    expect(model.synced).toBe(true);
    expect(model.blocks().map(b => b.id)).toEqual(['b0']);
  });

  it('a reset starts a new generation and clears the turn diff unless it carries one', () => {
    const model = streamed();
    const generation = model.generation;
    model.apply(patch([], [], 'idle', true));
    expect(model.generation).toBe(generation + 1);
    expect(model.blocks()).toEqual([]);
    expect(model.turnDiff).toBeNull();
    model.apply({ ...patch([], [], 'running'), turn_diff: 'd' });
    model.apply(patch([], [], 'running'));
    expect(model.turnDiff).toBe('d');
  });

  it('remembers a decision sent until the kernel confirms it, once per pending approval', () => {
    const model = new TranscriptModel();
    model.apply(patch([approval('pending')], ['b2'], 'waiting_for_approval', true));
    expect(model.markDecisionSent('call-1', 'denied')).toBe(true);
    expect(model.markDecisionSent('call-1', 'approved')).toBe(false);
    expect(model.sentDecisions.get('call-1')).toBe('denied');
    model.apply(patch([approval('decided', 1, 'denied')], ['b2'], 'running'));
    expect(model.sentDecisions.size).toBe(0);
    expect(model.markDecisionSent('call-1', 'approved')).toBe(false); // no longer pending
  });

  it('a stop is asked once per running turn and ends with it', () => {
    const model = new TranscriptModel();
    expect(model.markStopSent()).toBe(false); // nothing runs
    model.apply(patch([], [], 'running', true));
    expect(model.markStopSent()).toBe(true);
    expect(model.stopping).toBe(true);
    expect(model.markStopSent()).toBe(false);
    model.apply(patch([], [], 'aborted'));
    expect(model.stopping).toBe(false);
    model.apply(patch([], [], 'running'));
    expect(model.markStopSent()).toBe(true);
    const elsewhere = new TranscriptModel();
    elsewhere.apply({ ...patch([], [], 'running', true), status: status('running', { stopping: true }) });
    expect(elsewhere.stopping).toBe(true);
  });
});
