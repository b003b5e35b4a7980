// The panel model: kernel messages in, view state out; user actions out as commands.
import { PanelModel, type ITransport, type TranscriptBlock } from '../model';
import type { ApprovalBlock, PanelCommandMessage } from '../protocol';
import { FINAL, STREAM, approval, panelStatus, patch } from './fixtures';

class Recorder implements ITransport {
  sent: PanelCommandMessage[] = [];
  send(command: PanelCommandMessage): void {
    this.sent.push(command);
  }
}

const status = panelStatus();

function ready(): { model: PanelModel; wire: Recorder } {
  const wire = new Recorder();
  const model = new PanelModel(wire);
  model.handle(status);
  return { model, wire };
}

describe('PanelModel', () => {
  it('starts idle and becomes ready on the kernel status', () => {
    const model = new PanelModel(new Recorder());
    expect(model.state().connection).toBe('idle');
    expect(model.sendPrompt('hi')).toBe(false);
    model.setConnection('loading');
    expect(model.state().canSend).toBe(false);
    model.handle(status);
    const s = model.state();
    expect(s.connection).toBe('ready');
    expect(s.canSend).toBe(true);
    expect(s.status?.sandbox_mechanism).toBe('bubblewrap');
  });

  it('sends prompts, never blank ones', () => {
    const { model, wire } = ready();
    expect(model.sendPrompt('   ')).toBe(false);
    expect(model.sendPrompt('list the files')).toBe(true);
    expect(wire.sent).toEqual([{ type: 'user_input', text: 'list the files' }]);
  });

  it('merges streamed transcript patches by block id and rev', () => {
    const { model } = ready();
    const listener = jest.fn();
    model.onChange(listener);
    model.handle(patch([{ id: 'b0', kind: 'user', rev: 0, text: 'hi', images: 0 }, { id: 'b1', kind: 'agent', rev: 0, text: 'Hel', streaming: true }], ['b0', 'b1'], 'running', true));
    model.handle(patch([{ id: 'b1', kind: 'agent', rev: 3, text: 'Hello there', streaming: false }], ['b0', 'b1'], 'done'));
    const s = model.state();
    expect(s.blocks.map(b => b.id)).toEqual(['b0', 'b1']);
    expect(s.blocks[1]).toMatchObject({ text: 'Hello there', streaming: false });
    expect(s.active).toBe(false);
    expect(listener).toHaveBeenCalledTimes(2);
  });

  it('applies text appends and keeps the turn diff a patch leaves out', () => {
    const { model } = ready();
    STREAM.forEach(p => model.handle(p));
    const s = model.state();
    expect(s.blocks).toEqual(FINAL.blocks);
    expect(s.turnDiff).toBe(FINAL.turn_diff);
    expect(s.turn?.state).toBe('done');
  });

  it('a reset patch replaces the transcript (new or resumed session)', () => {
    const { model } = ready();
    model.handle(patch([{ id: 'b0', kind: 'user', rev: 0, text: 'old', images: 0 }], ['b0'], 'done', true));
    model.handle(patch([], [], 'idle', true));
    expect(model.state().blocks).toEqual([]);
    expect(model.state().turn?.state).toBe('idle');
  });

  it('drops blocks missing from the order (a retried stream removes its partial text)', () => {
    const { model } = ready();
    model.handle(patch([{ id: 'b0', kind: 'agent', rev: 0, text: 'partial', streaming: true }], ['b0'], 'running', true));
    model.handle(patch([], [], 'running'));
    expect(model.state().blocks).toEqual([]);
  });

  describe('approvals', () => {
    it('sends one decision for a pending approval and disables it until the kernel confirms', () => {
      const { model, wire } = ready();
      model.handle(patch([approval('pending')], ['b2'], 'waiting_for_approval', true));
      expect(model.decide('call-1', 'denied')).toBe(true);
      expect(wire.sent).toEqual([{ type: 'decision', call_id: 'call-1', decision: 'denied' }]);
      expect(model.state().sentDecisions.get('call-1')).toBe('denied');
      expect(model.decide('call-1', 'approved')).toBe(false); // a second click is a no-op
      model.handle(patch([approval('decided', 1, 'denied')], ['b2'], 'running'));
      expect(model.state().sentDecisions.has('call-1')).toBe(false);
      expect(model.state().blocks[0]).toMatchObject({ status: 'decided', decision: 'denied' });
      expect(wire.sent).toHaveLength(1);
    });

    it('reflects a decision made elsewhere (a cell widget): no longer decidable here', () => {
      const { model, wire } = ready();
      model.handle(patch([approval('pending')], ['b2'], 'waiting_for_approval', true));
      model.handle(patch([approval('decided', 1, 'approved')], ['b2'], 'running'));
      expect(model.decide('call-1', 'approved')).toBe(false);
      expect(wire.sent).toEqual([]);
    });

    it('refuses options the request does not offer, and unknown calls', () => {
      const { model, wire } = ready();
      const patchApproval: ApprovalBlock = { ...approval('pending'), request: 'patch', options: ['approved', 'denied', 'abort'] };
      model.handle(patch([patchApproval], ['b2'], 'waiting_for_approval', true));
      expect(model.decide('call-1', 'approved_for_session')).toBe(false);
      expect(model.decide('nope', 'approved')).toBe(false);
      expect(wire.sent).toEqual([]);
    });

    it('an approval aborted by the turn ending cannot be decided', () => {
      const { model } = ready();
      model.handle(patch([approval('pending')], ['b2'], 'waiting_for_approval', true));
      model.handle(patch([approval('aborted', 1)], ['b2'], 'aborted', false, { reason: 'interrupted' }));
      expect(model.decide('call-1', 'approved')).toBe(false);
      expect(model.state().active).toBe(false);
    });
  });

  describe('interrupts', () => {
    it('stop sends one interrupt while a turn runs and shows stopping', () => {
      const { model, wire } = ready();
      expect(model.stop()).toBe(false); // nothing running
      model.handle(patch([], [], 'running', true));
      expect(model.stop()).toBe(true);
      expect(model.state().stopping).toBe(true);
      expect(model.stop()).toBe(false);
      expect(wire.sent).toEqual([{ type: 'interrupt' }]);
    });

    it('the aborted turn clears stopping, and the next turn can be stopped again', () => {
      const { model, wire } = ready();
      model.handle(patch([], [], 'running', true));
      model.stop();
      model.handle(patch([{ id: 'b0', kind: 'notice', rev: 0, level: 'warning', message: 'Turn aborted (interrupted).' }], ['b0'], 'aborted', false, { reason: 'interrupted' }));
      let s = model.state();
      expect(s.active).toBe(false);
      expect(s.stopping).toBe(false);
      expect(s.turn?.reason).toBe('interrupted');
      model.handle(patch([], ['b0'], 'running'));
      expect(model.stop()).toBe(true);
      s = model.state();
      expect(s.stopping).toBe(true);
      expect(wire.sent).toEqual([{ type: 'interrupt' }, { type: 'interrupt' }]);
    });

    it('shows a stop requested from a cell widget (status.stopping)', () => {
      const { model } = ready();
      model.handle(patch([], [], 'running', true, { stopping: true }));
      expect(model.state().stopping).toBe(true);
    });
  });

  describe('notebook edits', () => {
    it('queues requests, answers each once, drops cancelled ones', () => {
      const { model, wire } = ready();
      model.handle({ type: 'notebook_edit_request', request_id: 'e1', action: 'insert', index: 0, source: 'x = 1', cell_type: 'code', run: false });
      model.handle({ type: 'notebook_edit_request', request_id: 'e2', action: 'delete', index: 3 });
      expect(model.state().edits.map(e => e.request.request_id)).toEqual(['e1', 'e2']);
      model.markEditBusy('e1');
      expect(model.state().edits[0].busy).toBe(true);
      expect(model.resolveEdit('e1', 'applied', 'Inserted cell 0.')).toBe(true);
      expect(model.resolveEdit('e1', 'applied')).toBe(false);
      model.handle({ type: 'notebook_edit_cancel', request_id: 'e2' });
      expect(model.state().edits).toEqual([]);
      expect(wire.sent).toEqual([
        { type: 'notebook_edit_result', request_id: 'e1', status: 'received', message: '' }, // shown: acknowledged at once
        { type: 'notebook_edit_result', request_id: 'e2', status: 'received', message: '' },
        { type: 'notebook_edit_result', request_id: 'e1', status: 'applied', message: 'Inserted cell 0.' }
      ]);
    });

    it('losing the connection drops pending edits', () => {
      const { model } = ready();
      model.handle({ type: 'notebook_edit_request', request_id: 'e1', action: 'run', index: 0 });
      model.setConnection('connecting', 'The kernel is restarting…');
      expect(model.state().edits).toEqual([]);
      expect(model.state().canSend).toBe(false);
    });
  });

  it('sessions, options and notices', () => {
    const { model, wire } = ready();
    model.listSessions();
    model.handle({ type: 'sessions', sessions: [{ id: 'abc', started: '2026-11-22 10:00', first_user_message: 'hi' }] });
    expect(model.state().sessions).toHaveLength(1);
    model.resume('abc');
    expect(model.state().sessions).toBeNull();
    expect(model.setModel('gpt-4.1')).toBe(false); // unchanged
    expect(model.setModel(' gpt-5 ')).toBe(true);
    expect(model.setApprovalPolicy('never')).toBe(true);
    model.newSession();
    expect(wire.sent).toEqual([
      { type: 'list_sessions' },
      { type: 'resume_session', session_id: 'abc' },
      { type: 'set_options', model: 'gpt-5' },
      { type: 'set_options', approval_policy: 'never' },
      { type: 'new_session' }
    ]);
    for (let i = 0; i < 7; i++) {
      model.handle({ type: 'notice', level: 'info', message: `n${i}` });
    }
    const notices = model.state().notices;
    expect(notices.map(n => n.message)).toEqual(['n2', 'n3', 'n4', 'n5', 'n6']);
    model.dismissNotice(notices[0].id);
    expect(model.state().notices).toHaveLength(4);
  });
});
