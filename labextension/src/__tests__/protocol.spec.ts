// src/protocol.ts is generated from schema/protocol.schema.json (itself generated from the
// Python models by `python -m agent schema`): regenerate, compare. The generator runs in a
// child node process (prettier, which it uses, needs dynamic import, unavailable in jest).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

describe('protocol.ts', () => {
  it('matches the JSON Schema it is generated from', () => {
    const root = path.join(__dirname, '..', '..');
    const committed = fs.readFileSync(path.join(root, 'src', 'protocol.ts'), 'utf8');
    const fresh = execFileSync(process.execPath, [path.join(root, 'scripts', 'gen-protocol.js')], { encoding: 'utf8' });
    expect(committed).toEqual(fresh); // if this fails: `make schema`, then `jlpm protocol`
  }, 60000);
});
