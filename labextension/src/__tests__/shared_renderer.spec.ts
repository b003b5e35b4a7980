// The transcript renderer is bundled into the cell widget's ES module, which runs without
// JupyterLab: it (and the widget's entry) may import only each other and protocol types.
import { readdirSync, readFileSync } from 'fs';
import path from 'path';

const SRC = path.join(__dirname, '..');
const IMPORT_RE = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm;

function importsOf(file: string): { spec: string; typeOnly: boolean }[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT_RE)].map(m => ({ spec: m[1], typeOnly: /^\s*(?:import|export)\s+type\s/.test(m[0]) }));
}

describe('the shared transcript renderer', () => {
  const files = [
    path.join(SRC, 'widget.ts'),
    ...readdirSync(path.join(SRC, 'transcript')).map(f => path.join(SRC, 'transcript', f))
  ];

  it.each(files.map(f => [path.relative(SRC, f), f]))('%s imports only the renderer and protocol types', (_name, file) => {
    for (const { spec, typeOnly } of importsOf(file)) {
      const target = path.relative(SRC, path.resolve(path.dirname(file), spec));
      const local = spec.startsWith('.');
      const allowed = local && (target.startsWith('transcript' + path.sep) || (target === 'protocol' && typeOnly));
      expect({ spec, allowed }).toEqual({ spec, allowed: true });
    }
  });
});
