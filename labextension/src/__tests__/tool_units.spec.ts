/**
 * @jest-environment jsdom
 */
// A tool call drawn as one block: a command with its approval right under it (its output
// after), a patch with its diff once and its approval under the diff, a declined patch small.
import type { ApprovalBlock, FileEntry, PatchBlock, ToolBlock } from '../protocol';
import { groupBlocks, renderUnit, toolArguments, type IRenderContext } from '../transcript/blocks';
import { TranscriptModel } from '../transcript/model';
import { TranscriptView } from '../transcript/view';
import { approval, command, patch } from './fixtures';

const ctx = (): IRenderContext => ({ open: new Map(), sentDecisions: new Map(), decide: jest.fn(), codeActions: [] });
const FILE: FileEntry = { path: 'src/f.py', change: 'update', move_path: null, diff: '--- a/src/f.py\n+++ b/src/f.py\n-    return 1\n+    return 2\n', omitted_lines: 0 };

function patchApproval(status: ApprovalBlock['status'], decision: ApprovalBlock['decision'] = null, rev = 0): ApprovalBlock {
  return { ...approval(status, rev, decision, 'a1'), call_id: 'p1', request: 'patch', argv: [], cwd: null, files: [FILE], reason: 'fix f' };
}

const applied = (status: PatchBlock['status']): PatchBlock => ({
  id: 'p2', kind: 'patch', rev: 1, call_id: 'p1', files: [FILE], auto_approved: false, stdout: 'M src/f.py\n', stderr: '', status
});

const occurrences = (text: string, part: string): number => text.split(part).length - 1;

describe('tool units', () => {
  it("puts a command's approval right under the command, above its output", () => {
    const cmd = { ...command('b1', 3, 'ok', 'total 0\n'), call_id: 'call-1' };
    const units = groupBlocks([cmd, approval('decided', 1, 'approved')]);
    expect(units.map(u => [u.id, u.blocks.map(b => b.id)])).toEqual([['b1', ['b1', 'b2']]]);
    const el = renderUnit(units[0], ctx());
    expect(el.dataset.blockId).toBe('b1');
    const head = el.querySelector('.jp-agent-argv') as HTMLElement;
    const box = el.querySelector('.jp-agent-approval') as HTMLElement;
    const out = el.querySelector('pre.jp-agent-output') as HTMLElement;
    expect(head.compareDocumentPosition(box) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(box.compareDocumentPosition(out) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(box.querySelector('.jp-agent-verdict-approved')?.textContent).toBe('Approved');
    expect(occurrences(el.textContent ?? '', 'ls -la')).toBe(1); // the command is not repeated in the box
  });

  it('shows a pending patch as one diff with its approval under it, offering Approve for session', () => {
    const decide = jest.fn();
    const el = renderUnit(groupBlocks([patchApproval('pending')])[0], { ...ctx(), decide });
    expect(el.classList.contains('jp-agent-patch-pending')).toBe(true);
    expect(el.querySelectorAll('pre.jp-agent-lang-diff')).toHaveLength(1);
    const diff = el.querySelector('pre.jp-agent-lang-diff') as HTMLElement;
    const box = el.querySelector('.jp-agent-approval-pending') as HTMLElement;
    expect(diff.compareDocumentPosition(box) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    const session = box.querySelector('button.jp-agent-btn-approved_for_session') as HTMLButtonElement;
    expect(session.textContent).toBe('Approve for session');
    expect(session.title).toContain('this exact patch in this directory');
    session.click();
    expect(decide).toHaveBeenCalledWith('p1', 'approved_for_session');
  });

  it('draws an approved, applied patch once: its approval and its patch block are one unit', () => {
    const failedCall: ToolBlock = { id: 't1', kind: 'tool', rev: 1, call_id: 'other', name: 'shell', arguments: '', output: '', omitted_chars: 0, success: true, duration_ms: 1, status: 'ok' };
    const units = groupBlocks([patchApproval('decided', 'approved_for_session', 1), failedCall, applied('applied')]);
    expect(units.map(u => u.blocks.map(b => b.id))).toEqual([['a1', 'p2'], ['t1']]);
    const el = renderUnit(units[0], ctx());
    expect(el.classList.contains('jp-agent-patch-applied')).toBe(true);
    expect(el.querySelectorAll('pre.jp-agent-lang-diff')).toHaveLength(1);
    expect(occurrences(el.textContent ?? '', '+    return 2')).toBe(1);
    expect(el.querySelector('.jp-agent-verdict-approved_for_session')?.textContent).toBe('Approved for this session');
  });

  it('shows a declined patch as a small "rejected by user" block, its diff collapsed, no raw output', () => {
    const el = renderUnit(groupBlocks([patchApproval('decided', 'denied', 1)])[0], ctx());
    expect(el.classList.contains('jp-agent-patch-declined')).toBe(true);
    expect(el.querySelector('.jp-agent-label')?.textContent).toBe('Patch rejected by user');
    expect((el.querySelector('details') as HTMLDetailsElement).open).toBe(false);
    expect(el.querySelector('.jp-agent-approval')).toBeNull();
    expect(el.textContent).not.toContain('{');
  });

  it('a patch approved then refused shows the error in the same block', () => {
    const refused: ToolBlock = {
      id: 't2', kind: 'tool', rev: 1, call_id: 'p1', name: 'apply_patch', arguments: '',
      output: 'apply_patch verification failed: the files changed while waiting for approval', omitted_chars: 0, success: false, duration_ms: 1, status: 'failed'
    };
    const units = groupBlocks([patchApproval('decided', 'approved', 1), refused]);
    expect(units).toHaveLength(1);
    const el = renderUnit(units[0], ctx());
    expect(el.classList.contains('jp-agent-patch-failed')).toBe(true);
    expect(el.querySelector('.jp-agent-error-text')?.textContent).toContain('files changed while waiting');
  });

  it('the view redraws a unit when its approval is decided and keeps one node per unit', () => {
    const model = new TranscriptModel();
    const view = new TranscriptView({ decide: jest.fn(), statusClass: 's' });
    const cmd = { ...command('b1', 1, 'waiting'), call_id: 'call-1' };
    model.apply(patch([cmd, approval('pending')], ['b1', 'b2'], 'waiting_for_approval', true));
    view.update(model);
    expect(view.blocks.children).toHaveLength(1);
    expect(view.blocks.querySelector('.jp-agent-approval-pending button.jp-agent-btn-approved')).not.toBeNull();
    model.apply({ ...patch([approval('decided', 1, 'denied'), { ...cmd, rev: 2, status: 'declined' }], ['b1', 'b2'], 'done'), seq: 2 });
    view.update(model);
    expect(view.blocks.children).toHaveLength(1);
    expect(view.blocks.querySelector('.jp-agent-command-declined .jp-agent-verdict-denied')?.textContent).toBe('Denied');
  });
});

describe('a declined patch after it was pending', () => {
  it('starts collapsed even though its pending diff was open', async () => {
    const model = new TranscriptModel();
    const view = new TranscriptView({ decide: jest.fn(), statusClass: 's' });
    model.apply(patch([patchApproval('pending')], ['a1'], 'waiting_for_approval', true));
    view.update(model);
    const pending = view.blocks.querySelector('details') as HTMLDetailsElement;
    expect(pending.open).toBe(true);
    pending.dispatchEvent(new Event('toggle')); // what the browser fires when it opens
    model.apply({ ...patch([patchApproval('decided', 'denied', 1)], ['a1'], 'running'), seq: 2 });
    view.update(model);
    expect((view.blocks.querySelector('.jp-agent-patch-declined details') as HTMLDetailsElement).open).toBe(false);
  });
});

describe('tool arguments', () => {
  it('shows JSON arguments as names and values, multi-line text with real line breaks', () => {
    const el = toolArguments(JSON.stringify({ action: 'insert', index: 0, source: 'x = 41 + 1\nx', run: true }));
    expect(el.textContent).not.toContain('\\n');
    expect(el.textContent).not.toContain('{');
    expect((el.querySelector('pre') as HTMLElement).textContent).toBe('x = 41 + 1\nx');
    expect([...el.querySelectorAll('code')].map(c => c.textContent)).toEqual(['insert', '0', 'true']);
    expect(toolArguments('not json').textContent).toBe('not json');
    expect(toolArguments('[1, 2]').textContent).toBe('[1, 2]');
  });
});
