// Builders for transcript patches, blocks and statuses shared by the specs.
import type { ApprovalBlock, CommandBlock, PanelStatus, TextAppend, TranscriptPatch, TranscriptStatus } from '../protocol';
import type { ITranscriptState, TranscriptBlock } from '../transcript/model';

/** The side panel's status message (the kernel's session, idle unless `extra` says). */
export function panelStatus(extra: Partial<PanelStatus> = {}): PanelStatus {
  return {
    type: 'status',
    protocol_version: 1,
    version: '0.1.0',
    session_id: 's1',
    running: false,
    model: 'gpt-4.1',
    provider: 'scripted',
    approval_policy: 'on-request',
    approval_policies: ['untrusted', 'on-failure', 'on-request', 'never'],
    sandbox: 'workspace-write',
    sandbox_mechanism: 'bubblewrap',
    cwd: '/w',
    notebook: null,
    notebook_edit: true,
    ...extra
  };
}

export function status(state: TranscriptStatus['state'], extra: Partial<TranscriptStatus> = {}): TranscriptStatus {
  return {
    state,
    reason: null,
    stopping: false,
    started_at: 100,
    ended_at: null,
    now: 101,
    elapsed_s: 1,
    tokens_used: 0,
    context_window: null,
    context_left_percent: null,
    model: 'gpt-4.1',
    provider: 'scripted',
    approval_policy: 'on-request',
    sandbox: 'workspace-write',
    sandbox_mechanism: 'bubblewrap',
    cwd: '/w',
    session_id: 's1',
    ...extra
  };
}

export function patch(
  blocks: TranscriptBlock[],
  order: string[],
  state: TranscriptStatus['state'],
  reset = false,
  extra: Partial<TranscriptStatus> = {}
): TranscriptPatch {
  return { type: 'transcript', session_id: 's1', reset, seq: 1, order, blocks, turn_diff: null, status: status(state, extra) };
}

export function approval(status: ApprovalBlock['status'], rev = 0, decision: ApprovalBlock['decision'] = null, id = 'b2'): ApprovalBlock {
  return {
    id,
    kind: 'approval',
    rev,
    call_id: 'call-1',
    request: 'exec',
    argv: ['rm', '-rf', 'build'],
    cwd: '/w',
    parsed_cmd: [],
    files: [],
    reason: null,
    grant_root: null,
    options: ['approved', 'approved_for_session', 'denied', 'abort'],
    decision,
    status
  };
}

export function command(id: string, rev: number, status: CommandBlock['status'], output = ''): CommandBlock {
  return {
    id,
    kind: 'command',
    rev,
    call_id: `call-${id}`,
    argv: ['ls', '-la'],
    cwd: '/w',
    parsed_cmd: [],
    source: null,
    output,
    truncated_bytes: 0,
    exit_code: status === 'ok' ? 0 : null,
    duration_ms: status === 'ok' ? 12 : null,
    status
  };
}

/** A patch as the kernel sends it: a reset has every field, others only what changed (and
 * the status only when `state` is given). */
function step(seq: number, extra: Partial<TranscriptPatch>, state?: TranscriptStatus['state']): TranscriptPatch {
  if (extra.reset) {
    return { ...patch([], [], state ?? 'running'), seq, ...extra };
  }
  return { type: 'transcript', seq, ...(state ? { status: status(state) } : {}), ...extra };
}

const append = (id: string, rev: number, text: string, streaming = true): TextAppend => ({ id, rev, text, streaming });

const ANSWER = 'Hel' + 'lo **wor' + 'ld**\n\n```python\nx = 1\n```\n';
const DIFF = '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b';

/** A turn as a stream of patches: new blocks, appends (also to a block new in the same
 * patch), a block replaced, a reorder, a dropped block, an unchanged turn diff. */
export const STREAM: TranscriptPatch[] = [
  step(1, { reset: true, order: ['b0'], blocks: [{ id: 'b0', kind: 'user', rev: 0, text: 'hi <there>', images: 0 }] }),
  step(2, { order: ['b0', 'b1'], blocks: [{ id: 'b1', kind: 'agent', rev: 0, text: 'Hel', streaming: true }] }),
  step(3, { appends: [append('b1', 1, 'lo **wor')] }),
  step(4, { order: ['b0', 'b1', 'b2'], appends: [append('b1', 2, 'ld**\n\n```python\nx = 1\n```\n')], blocks: [command('b2', 0, 'running')], turn_diff: DIFF }),
  step(5, {
    order: ['b0', 'b1', 'b2', 'b3'],
    blocks: [command('b2', 1, 'ok', 'total 0\n'), { id: 'b3', kind: 'reasoning', rev: 0, text: 'Think', streaming: true, raw: false }],
    appends: [append('b3', 1, 'ing')]
  }),
  step(6, {
    order: ['b0', 'b2', 'b1', 'b3', 'b4'],
    blocks: [{ id: 'b1', kind: 'agent', rev: 3, text: ANSWER, streaming: false }, approval('pending', 0, null, 'b4')]
  }, 'waiting_for_approval'),
  step(7, { order: ['b0', 'b2', 'b1', 'b4'], blocks: [approval('decided', 1, 'approved', 'b4')] }, 'done')
];

/** The state the stream ends in, as the widget's `state` trait would hold it. */
export const FINAL: ITranscriptState = {
  seq: 7,
  blocks: [
    { id: 'b0', kind: 'user', rev: 0, text: 'hi <there>', images: 0 },
    command('b2', 1, 'ok', 'total 0\n'),
    { id: 'b1', kind: 'agent', rev: 3, text: ANSWER, streaming: false },
    approval('decided', 1, 'approved', 'b4')
  ],
  turn_diff: DIFF,
  status: status('done')
};
