// The %%agent cell widget: an anywidget front-end module. `jlpm build:widget` bundles this
// file (no JupyterLab imports; the transcript renderer is the side panel's own, from
// ./transcript) into kernel_ext/agent/frontends/notebook/static/agent_view.js.
//
// The wire (agent/frontends/notebook/widget.py is the kernel's side):
// - kernel -> view: custom messages `{type: "transcript", ...}`, TranscriptPatches;
// - view -> kernel: `{type: "sync"}` when a view renders (the kernel answers with a reset
//   patch), `{kind: "decision", call_id, decision}` and `{kind: "stop"}`;
// - the `state` trait holds the whole transcript when a turn ends: it is shown until the
//   first reset patch arrives (a reopened notebook whose kernel is gone shows it for good).

import { h } from './transcript/dom';
import { FrameScheduler } from './transcript/frame';
import { TranscriptModel, type Decision, type ITranscriptState } from './transcript/model';
import { TranscriptView } from './transcript/view';
import type { TranscriptPatch } from './protocol';

export { commandText, escapeHtml, shellJoin } from './transcript/text';
export { highlight } from './transcript/highlight';
export { renderMarkdown } from './transcript/markdown';

/** The part of anywidget's model a view uses. */
export interface IWidgetModel {
  get(name: 'state'): unknown;
  on(event: string, callback: (content: unknown) => void): void;
  off(event: string, callback: (content: unknown) => void): void;
  send(content: Record<string, unknown>): void;
}

const openStates = new WeakMap<IWidgetModel, Map<string, boolean>>(); // survive view re-creation

function openStatesOf(model: IWidgetModel): Map<string, boolean> {
  let open = openStates.get(model);
  if (open === undefined) {
    open = new Map();
    openStates.set(model, open);
  }
  return open;
}

function isPatch(content: unknown): content is TranscriptPatch {
  const c = content as Partial<TranscriptPatch> | null;
  // A patch other than a reset leaves out what is unchanged: only `type` and `seq` are sure.
  return typeof c === 'object' && c !== null && c.type === 'transcript' && typeof c.seq === 'number';
}

function isState(state: unknown): state is ITranscriptState {
  const s = state as Partial<ITranscriptState> | null;
  return typeof s === 'object' && s !== null && Array.isArray(s.blocks) && typeof s.status === 'object' && s.status !== null;
}

export function render({ model, el }: { model: IWidgetModel; el: HTMLElement }): () => void {
  const transcript = new TranscriptModel();
  const decide = (callId: string, decision: Decision): void => {
    if (transcript.markDecisionSent(callId, decision)) {
      model.send({ kind: 'decision', call_id: callId, decision });
      frame.flush();
    }
  };
  const view = new TranscriptView({ decide, open: openStatesOf(model), statusClass: 'jp-agent-footer-items', sessionDetails: true });
  // One Stop button for the view's life: re-creating it on every redraw would detach it
  // between mousedown and mouseup and lose the click.
  const stop = h('button', { class: 'jp-agent-btn jp-agent-stop', type: 'button', hidden: true, onclick: onStop }, 'Stop') as HTMLButtonElement;
  el.append(h('div', { class: 'jp-agent-view' }, view.blocks, view.diff, h('div', { class: 'jp-agent-footer' }, view.status, stop)));
  const frame = new FrameScheduler(draw);

  function draw(): void {
    view.update(transcript);
    stop.hidden = !transcript.active;
    stop.disabled = transcript.stopping;
    const label = transcript.stopping ? 'Stopping\u2026' : 'Stop';
    if (stop.textContent !== label) {
      stop.textContent = label;
    }
  }

  function onStop(): void {
    if (transcript.markStopSent()) {
      model.send({ kind: 'stop' });
      frame.flush();
    }
  }

  function onState(): void {
    const state = model.get('state');
    if (!transcript.synced && isState(state)) {
      transcript.load(state);
      frame.request();
    }
  }

  function onMessage(content: unknown): void {
    if (isPatch(content) && transcript.apply(content)) {
      frame.request();
    }
  }

  model.on('change:state', onState);
  model.on('msg:custom', onMessage);
  onState();
  frame.flush();
  model.send({ type: 'sync' });
  const timer = setInterval(() => view.tick(), 500);
  return () => {
    clearInterval(timer);
    frame.dispose();
    model.off('change:state', onState);
    model.off('msg:custom', onMessage);
  };
}

export default { render };
