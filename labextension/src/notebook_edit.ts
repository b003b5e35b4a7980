// Carrying out notebook edits through the live notebook model (never the file on disk):
// the `notebook_edit` tool's requests after the user's Accept, `%agent undo`'s reverse
// edits (no Accept: the user asked for them), and the panel's "insert into notebook" /
// "replace active cell" buttons on code blocks. Inserted and replaced cells get the
// request's provenance as `metadata["kernel-agent"]`; an answer names the cell and what
// it was before, so the kernel can undo the edit.

import { NotebookActions, type NotebookPanel } from '@jupyterlab/notebook';
import type { ICellModel } from '@jupyterlab/cells';

import type { NotebookCell, NotebookEditRequest } from './protocol';
import { lineDiff } from './line_diff';

export interface IEditPreview {
  /** What the user is asked to accept, e.g. "Replace cell 3". */
  title: string;
  /** Diff lines (' x', '-x', '+x') of the cell source; empty for a run. */
  diff: string[];
  /** Set when the request cannot apply (e.g. no such cell). */
  error: string | null;
}

const OUTPUT_CHARS = 8000;

/** Cell metadata as the shared model takes it (JSON from the kernel). */
type CellMetadata = Parameters<ICellModel['sharedModel']['setMetadata']>[0] & object;

function findIndex(panel: NotebookPanel, request: NotebookEditRequest): number {
  const cells = panel.content.model?.cells;
  if (!cells) {
    return -1;
  }
  if (request.cell_id) {
    for (let i = 0; i < cells.length; i++) {
      if (cells.get(i).id === request.cell_id) {
        return i;
      }
    }
    return -1;
  }
  const index = request.index ?? -1;
  return index >= 0 && index < cells.length ? index : -1;
}

function label(index: number): string {
  return `cell ${index} (0-based)`;
}

export function previewEdit(panel: NotebookPanel, request: NotebookEditRequest): IEditPreview {
  const cells = panel.content.model?.cells;
  if (!cells) {
    return { title: 'Edit the notebook', diff: [], error: 'The notebook is not open.' };
  }
  const source = request.source ?? '';
  const run = request.run ? ' and run it' : '';
  if (request.action === 'insert') {
    const at = Math.min(request.index ?? cells.length, cells.length);
    return { title: `Insert a ${request.cell_type ?? 'code'} cell at position ${at}${run}`, diff: lineDiff('', source), error: null };
  }
  const index = findIndex(panel, request);
  if (index < 0) {
    return { title: `${request.action} a cell`, diff: [], error: `No cell ${request.cell_id ?? request.index} in this notebook (it has ${cells.length}).` };
  }
  const old = cells.get(index).sharedModel.getSource();
  if (request.action === 'replace') {
    return { title: `Replace ${label(index)}${run}`, diff: lineDiff(old, source), error: null };
  }
  if (request.action === 'delete') {
    return { title: `Delete ${label(index)}`, diff: lineDiff(old, ''), error: null };
  }
  const kind = cells.get(index).type;
  return {
    title: `Run ${label(index)}`,
    diff: old.split('\n').map(l => ' ' + l),
    error: kind === 'code' ? null : `Cell ${index} is a ${kind} cell, not code.`
  };
}

/** What an applied edit did: the text for the model and what undoing it needs. */
export interface IEditOutcome {
  message: string;
  cell_id?: string | null;
  index?: number | null;
  /** replace / delete: the cell before the edit. */
  previous?: NotebookCell | null;
  /** read: the cell's current source. */
  source?: string | null;
}

/** The metadata key of a cell's provenance (saved in the .ipynb with the cell). */
export const PROVENANCE_KEY = 'kernel-agent';

function snapshot(cell: ICellModel): NotebookCell {
  const shared = cell.sharedModel;
  return {
    cell_type: cell.type as NotebookCell['cell_type'],
    source: shared.getSource(),
    metadata: JSON.parse(JSON.stringify(shared.getMetadata() ?? {})),
    id: cell.id
  };
}

function stamp(cell: ICellModel, request: NotebookEditRequest, action: 'inserted' | 'replaced'): void {
  if (request.provenance) {
    const time = new Date().toISOString();
    cell.sharedModel.setMetadata(PROVENANCE_KEY, { ...request.provenance, action, time });
  }
}

/** Apply an accepted request (or an undo request, see `applyUndo`). Throws on failure. */
export async function applyEdit(panel: NotebookPanel, request: NotebookEditRequest): Promise<IEditOutcome> {
  if (request.undo) {
    return applyUndo(panel, request);
  }
  const notebook = panel.content;
  const model = notebook.model;
  if (!model) {
    throw new Error('the notebook is not open');
  }
  let index: number;
  let previous: NotebookCell | null = null;
  if (request.action === 'insert') {
    index = Math.min(request.index ?? model.cells.length, model.cells.length);
    model.sharedModel.insertCell(index, { cell_type: request.cell_type ?? 'code', source: request.source ?? '' });
    stamp(model.cells.get(index), request, 'inserted');
  } else {
    index = findIndex(panel, request);
    if (index < 0) {
      throw new Error(`no cell ${request.cell_id ?? request.index} (the notebook has ${model.cells.length} cells)`);
    }
    if (request.action === 'replace') {
      previous = snapshot(model.cells.get(index));
      model.cells.get(index).sharedModel.setSource(request.source ?? '');
      stamp(model.cells.get(index), request, 'replaced');
    } else if (request.action === 'delete') {
      previous = snapshot(model.cells.get(index));
      model.sharedModel.deleteCell(index);
      const message = `Deleted cell ${index}. The notebook now has ${model.cells.length} cells.`;
      return { message, cell_id: previous.id, index, previous };
    }
  }
  const cellId = model.cells.get(index).id;
  const done = request.action === 'insert' ? `Inserted cell ${index} (id ${cellId})` : request.action === 'replace' ? `Replaced cell ${index} (id ${cellId})` : `Cell ${index} (id ${cellId})`;
  const outcome = { cell_id: cellId, index, previous };
  if (!request.run) {
    return { message: done + '.', ...outcome };
  }
  return { message: `${done}; ran it.\n${await runCell(panel, index)}`, ...outcome };
}

/**
 * A request of `%agent undo` (marked `undo` by the kernel, never by the model; applied
 * without Accept / Reject): `read` a cell's source, or reverse an earlier edit. A reverse
 * edit of a cell whose source is no longer `expected_source` is refused (it throws).
 */
export function applyUndo(panel: NotebookPanel, request: NotebookEditRequest): IEditOutcome {
  const model = panel.content.model;
  if (!model) {
    throw new Error('the notebook is not open');
  }
  if (request.action === 'insert') {
    const index = Math.min(request.index ?? model.cells.length, model.cells.length);
    const metadata = (request.metadata ?? {}) as CellMetadata;
    const cell = { cell_type: request.cell_type ?? 'code', source: request.source ?? '', metadata };
    model.sharedModel.insertCell(index, request.cell_id ? { ...cell, id: request.cell_id } : cell);
    return { message: `Re-inserted cell ${index}.`, cell_id: model.cells.get(index).id, index };
  }
  const index = request.cell_id ? findIndex(panel, request) : -1;
  if (index < 0) {
    throw new Error(`cell ${request.cell_id} is no longer in the notebook`);
  }
  const cell = model.cells.get(index);
  const source = cell.sharedModel.getSource();
  if (request.action === 'read') {
    return { message: '', cell_id: cell.id, index, source };
  }
  if (request.expected_source !== null && request.expected_source !== undefined && source !== request.expected_source) {
    throw new Error(`cell ${index} was edited since the turn`);
  }
  if (request.action === 'delete') {
    model.sharedModel.deleteCell(index);
    return { message: `Deleted cell ${index}.`, cell_id: request.cell_id, index };
  }
  if (request.action === 'replace') {
    cell.sharedModel.setSource(request.source ?? '');
    cell.sharedModel.setMetadata((request.metadata ?? {}) as CellMetadata);
    return { message: `Restored cell ${index}.`, cell_id: cell.id, index };
  }
  throw new Error(`${request.action} cannot be undone`);
}

/** Run the code cell at `index` through NotebookActions; resolves with its outputs as text. */
export async function runCell(panel: NotebookPanel, index: number): Promise<string> {
  const notebook = panel.content;
  const cell = notebook.widgets[index];
  if (!cell || cell.model.type !== 'code') {
    throw new Error(`cell ${index} is not a code cell`);
  }
  const ok = await NotebookActions.runCells(notebook, [cell], panel.sessionContext);
  return (ok ? '' : 'The cell raised an error.\n') + outputsText(cell.model);
}

export function outputsText(cell: ICellModel): string {
  const outputs = (cell.toJSON() as { outputs?: any[] }).outputs ?? [];
  if (outputs.length === 0) {
    return 'outputs: (none)';
  }
  const parts = outputs.map(o => {
    const text = (v: unknown): string => (Array.isArray(v) ? v.join('') : String(v ?? ''));
    if (o.output_type === 'stream') {
      return `${o.name}:\n${text(o.text)}`;
    }
    if (o.output_type === 'error') {
      return `error: ${o.ename}: ${o.evalue}`;
    }
    const data = o.data ?? {};
    const plain = data['text/plain'] !== undefined ? text(data['text/plain']) : Object.keys(data).map(k => `<${k}>`).join(' ');
    return `${o.output_type === 'execute_result' ? 'result' : 'display'}:\n${plain}`;
  });
  let all = 'outputs:\n' + parts.join('\n');
  if (all.length > OUTPUT_CHARS) {
    all = all.slice(0, OUTPUT_CHARS) + `\n… (${all.length - OUTPUT_CHARS} more characters)`;
  }
  return all;
}

/** "Insert into notebook": a new code cell below the active one (or at the end). */
export function insertCode(panel: NotebookPanel, code: string): number {
  const model = panel.content.model;
  if (!model) {
    return -1;
  }
  const active = panel.content.activeCellIndex;
  const at = active >= 0 ? active + 1 : model.cells.length;
  model.sharedModel.insertCell(at, { cell_type: 'code', source: code });
  panel.content.activeCellIndex = at;
  return at;
}

/** "Replace active cell": the active cell's source becomes `code`. */
export function replaceActiveCell(panel: NotebookPanel, code: string): number {
  const cell = panel.content.activeCell;
  if (!cell) {
    return -1;
  }
  cell.model.sharedModel.setSource(code);
  return panel.content.activeCellIndex;
}
