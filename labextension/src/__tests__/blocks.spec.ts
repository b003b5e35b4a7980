/**
 * @jest-environment jsdom
 */
// Single transcript blocks: what a declined or refused command and a clipped diff say.
import type { PatchBlock } from '../protocol';
import { renderBlock, type IRenderContext } from '../transcript/blocks';
import { plural } from '../transcript/text';
import { approval, command } from './fixtures';

const ctx: IRenderContext = { open: new Map(), sentDecisions: new Map(), decide: jest.fn(), codeActions: [] };

describe('transcript blocks', () => {
  it('shows a declined command as "declined" with no exit code', () => {
    // an older kernel (or a stored state) still carries the -1 placeholder of the end event
    const el = renderBlock({ ...command('b1', 2, 'declined'), exit_code: -1 }, ctx);
    expect(el.textContent).toContain('declined');
    expect(el.textContent).not.toContain('exit');
    expect(el.classList.contains('jp-agent-command-declined')).toBe(true);
    const failed = renderBlock({ ...command('b2', 2, 'failed'), exit_code: 2 }, ctx);
    expect(failed.textContent).toContain('exit 2');
  });

  it('shows a command a policy refused as "refused" with its reason, no exit code and no duration', () => {
    const reason = 'execpolicy forbids this command: no pushing from the hub';
    // exit_code -1 and 0 ms as an end event would carry them: neither may show
    const el = renderBlock({ ...command('b1', 2, 'refused', reason), exit_code: -1, duration_ms: 0 }, ctx);
    const meta = el.querySelector('.jp-agent-meta') as HTMLElement;
    expect(meta.textContent).toContain('refused');
    expect(el.textContent).not.toContain('exit');
    expect(el.textContent).not.toContain('failed');
    expect(el.textContent).not.toContain('ms');
    expect(el.classList.contains('jp-agent-command-refused')).toBe(true);
    const icon = el.querySelector('.jp-agent-icon-refused') as HTMLElement;
    expect(icon.textContent).toBe('\u2298');
    expect((el.querySelector('pre.jp-agent-output') as HTMLElement).textContent).toBe(reason);
    // the control: a command that ran and failed keeps its exit code and time
    const failed = renderBlock({ ...command('b2', 2, 'failed', 'boom'), exit_code: 1, duration_ms: 12 }, ctx);
    expect(failed.textContent).toContain('exit 1');
    expect(failed.textContent).toContain('12 ms');
    expect(failed.textContent).not.toContain('refused');
  });

  it('pluralises counts', () => {
    expect([plural(0, 'file'), plural(1, 'file'), plural(2, 'file')]).toEqual(['0 files', '1 file', '2 files']);
    const file = { path: 'a.py', change: 'update' as const, move_path: null, diff: '--- a/a.py\n+++ b/a.py\n', omitted_lines: 1 };
    const block: PatchBlock = { id: 'p1', kind: 'patch', rev: 0, call_id: 'c', files: [file], auto_approved: false, stdout: '', stderr: '', status: 'applied' };
    const el = renderBlock(block, ctx);
    expect(el.textContent).toContain('\u2026 1 more line not shown');
    expect(el.textContent).not.toContain('lines');
  });

  it('shows a run_python call as highlighted Python with its output below, not a shell command', () => {
    const code = "s = 'it\\'s'\nprint(s)\n";
    const el = renderBlock({ ...command('b3', 1, 'ok', "it's\n"), argv: ['run_python', code] }, ctx);
    const pre = el.querySelector('pre.jp-agent-code.jp-agent-lang-python') as HTMLElement;
    expect(pre).not.toBeNull();
    expect(pre.textContent).toBe("s = 'it\\'s'\nprint(s)");
    expect(pre.querySelector('.jp-agent-tok-string')).not.toBeNull();
    expect(el.textContent).not.toContain('$ run_python');
    expect(el.textContent).not.toContain(`'"'"'`);
    const out = el.querySelector('pre.jp-agent-output') as HTMLElement;
    expect(out.textContent).toBe("it's\n");
    expect(pre.compareDocumentPosition(out) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    const ask = renderBlock({ ...approval('pending'), argv: ['run_python', 'x = 1'] }, ctx);
    expect(ask.querySelector('pre.jp-agent-lang-python')?.textContent).toBe('x = 1');
    expect(ask.textContent).not.toContain('$ run_python');
    // a real shell command keeps its `$ argv` line
    expect(renderBlock(command('b4', 1, 'ok'), ctx).textContent).toContain('$ ls -la');
  });
});
