// notebook_edit.ts over an in-memory notebook model: what an applied edit reports (so the
// kernel can undo it), the provenance it stamps, and `%agent undo`'s reverse edits.
jest.mock('@jupyterlab/notebook', () => ({ NotebookActions: {} }));

import type { NotebookPanel } from '@jupyterlab/notebook';

import { PanelModel, type ITransport } from '../model';
import { PROVENANCE_KEY, applyEdit } from '../notebook_edit';
import type { NotebookEditRequest, PanelCommandMessage } from '../protocol';

let ids = 0;

class FakeCell {
  constructor(
    public type: string,
    private source: string,
    private metadata: Record<string, unknown> = {},
    public id = `cell-${++ids}`
  ) {}
  get sharedModel() {
    return {
      getSource: () => this.source,
      setSource: (s: string) => (this.source = s),
      getMetadata: () => this.metadata,
      setMetadata: (key: string | Record<string, unknown>, value?: unknown) => {
        this.metadata = typeof key === 'string' ? { ...this.metadata, [key]: value } : { ...key };
      }
    };
  }
  toJSON() {
    return { outputs: [] };
  }
}

function fakeNotebook(sources: string[]) {
  const cells: FakeCell[] = sources.map(s => new FakeCell('code', s));
  const model = {
    cells: {
      get length() {
        return cells.length;
      },
      get: (i: number) => cells[i]
    },
    sharedModel: {
      insertCell: (i: number, c: { cell_type: string; source?: string; metadata?: Record<string, unknown>; id?: string }) => {
        cells.splice(i, 0, new FakeCell(c.cell_type, c.source ?? '', c.metadata ?? {}, c.id));
      },
      deleteCell: (i: number) => void cells.splice(i, 1)
    }
  };
  const panel = { content: { model, widgets: [] } } as unknown as NotebookPanel;
  return { panel, cells };
}

const provenance = { session_id: 's-1', turn_id: '7', model: 'gpt-test', provider: 'local' };

function request(fields: Partial<NotebookEditRequest>): NotebookEditRequest {
  return { type: 'notebook_edit_request', request_id: 'r', action: 'insert', ...fields } as NotebookEditRequest;
}

describe('applyEdit', () => {
  it('insert: names the new cell and stamps its provenance', async () => {
    const { panel, cells } = fakeNotebook(['a = 1']);
    const out = await applyEdit(panel, request({ action: 'insert', index: 1, source: 'b = 2', provenance }));
    expect(out).toMatchObject({ cell_id: cells[1].id, index: 1, previous: null });
    const stamp = cells[1].sharedModel.getMetadata()[PROVENANCE_KEY] as Record<string, string>;
    expect(stamp).toMatchObject({ ...provenance, action: 'inserted' });
    expect(new Date(stamp.time).toISOString()).toBe(stamp.time);
  });

  it('replace and delete report the cell as it was', async () => {
    const { panel, cells } = fakeNotebook(['a = 1', 'b = 2']);
    cells[0].sharedModel.setMetadata('tags', ['keep']);
    const id0 = cells[0].id;
    const replaced = await applyEdit(panel, request({ action: 'replace', index: 0, source: 'a = 10', provenance }));
    expect(replaced.previous).toEqual({ cell_type: 'code', source: 'a = 1', metadata: { tags: ['keep'] }, id: id0 });
    expect(cells[0].sharedModel.getMetadata()[PROVENANCE_KEY]).toMatchObject({ action: 'replaced', turn_id: '7' });
    const id1 = cells[1].id;
    const deleted = await applyEdit(panel, request({ action: 'delete', cell_id: id1 }));
    expect(deleted).toMatchObject({ cell_id: id1, index: 1, previous: { source: 'b = 2', id: id1 } });
    expect(cells).toHaveLength(1);
  });

  it('undo requests reverse an edit, re-insert a deleted cell with its id, and read a cell', async () => {
    const { panel, cells } = fakeNotebook(['a = 1', 'mine']);
    const inserted = await applyEdit(panel, request({ action: 'insert', index: 0, source: 'new' }));
    const read = await applyEdit(panel, request({ action: 'read', cell_id: inserted.cell_id, undo: true }));
    expect(read).toMatchObject({ source: 'new', index: 0 });
    await applyEdit(panel, request({ action: 'delete', cell_id: inserted.cell_id, expected_source: 'new', undo: true }));
    expect(cells.map(c => c.sharedModel.getSource())).toEqual(['a = 1', 'mine']);
    const back = await applyEdit(panel, request({ action: 'insert', index: 1, source: 'gone', cell_id: 'old-id', metadata: { x: 1 }, undo: true }));
    expect(back).toMatchObject({ cell_id: 'old-id', index: 1 });
    expect(cells[1].sharedModel.getMetadata()).toEqual({ x: 1 });
    await applyEdit(panel, request({ action: 'replace', cell_id: cells[0].id, source: 'a = 0', metadata: {}, expected_source: 'a = 1', undo: true }));
    expect(cells[0].sharedModel.getSource()).toBe('a = 0');
  });

  it('refuses an undo when the cell changed since the turn', async () => {
    const { panel, cells } = fakeNotebook(['edited by the user']);
    const undo = request({ action: 'delete', cell_id: cells[0].id, expected_source: 'what the agent wrote', undo: true });
    await expect(applyEdit(panel, undo)).rejects.toThrow('cell 0 was edited since the turn');
    expect(cells).toHaveLength(1);
    await expect(applyEdit(panel, request({ action: 'read', cell_id: 'nope', undo: true }))).rejects.toThrow('no longer in the notebook');
  });
});

class Recorder implements ITransport {
  sent: PanelCommandMessage[] = [];
  send(command: PanelCommandMessage): void {
    this.sent.push(command);
  }
}

describe('PanelModel with undo requests', () => {
  it('applies them at once (no Accept) and answers with the details', async () => {
    const { panel, cells } = fakeNotebook(['x']);
    const wire = new Recorder();
    const model = new PanelModel(wire);
    model.undoApplier = async r => applyEdit(panel, r);
    model.handle({ type: 'notebook_edit_request', request_id: 'u1', action: 'read', cell_id: cells[0].id, undo: true });
    expect(model.state().edits).toEqual([]);
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(wire.sent[1]).toMatchObject({ type: 'notebook_edit_result', request_id: 'u1', status: 'applied', source: 'x', index: 0 });
  });

  it('a request without the marker waits for Accept; applied results carry the cell', () => {
    const wire = new Recorder();
    const model = new PanelModel(wire);
    model.handle({ type: 'notebook_edit_request', request_id: 'e1', action: 'delete', index: 0 });
    expect(model.state().edits).toHaveLength(1);
    const previous = { cell_type: 'code' as const, source: 'x', metadata: {}, id: 'c1' };
    model.resolveEdit('e1', 'applied', 'Deleted cell 0.', { cell_id: 'c1', index: 0, previous });
    expect(wire.sent[1]).toEqual({ type: 'notebook_edit_result', request_id: 'e1', status: 'applied', message: 'Deleted cell 0.', cell_id: 'c1', index: 0, previous });
  });

  it('without a notebook an undo request fails with a message', async () => {
    const wire = new Recorder();
    const model = new PanelModel(wire);
    model.handle({ type: 'notebook_edit_request', request_id: 'u2', action: 'delete', cell_id: 'c', undo: true });
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(wire.sent[1]).toMatchObject({ status: 'failed', message: 'no notebook is open in the panel' });
  });
});
