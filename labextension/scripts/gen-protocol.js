// Generates src/protocol.ts from schema/protocol.schema.json (written by `python -m agent schema`).
//   node scripts/gen-protocol.js [OUT]      (default: print to stdout)
// A jest test regenerates it in memory and fails when the committed file differs.
'use strict';
const fs = require('fs');
const path = require('path');
const { compile } = require('json-schema-to-typescript');

const SCHEMA = path.join(__dirname, '..', 'schema', 'protocol.schema.json');
const BANNER =
  '/* eslint-disable */\n' +
  '// GENERATED from schema/protocol.schema.json by scripts/gen-protocol.js; never edit by hand.\n' +
  '// Regenerate: `make schema` (Python side), then `jlpm protocol` here.\n';

// pydantic titles every property ("Call Id"); json2ts would turn each into a named alias
// (CallId18). Keep titles on the definitions only, so properties are typed inline.
function dropPropertyTitles(node, isDefinition) {
  if (Array.isArray(node)) {
    node.forEach(n => dropPropertyTitles(n, false));
  } else if (node && typeof node === 'object') {
    if (!isDefinition) delete node.title;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$defs') {
        Object.values(value).forEach(def => dropPropertyTitles(def, true));
      } else if (key !== 'title') {
        dropPropertyTitles(value, false);
      }
    }
  }
  return node;
}

// The comm target names (protocol/comm.py), as constants after the types.
function commTargets(schema) {
  const targets = schema['x-comm-targets'] || {};
  delete schema['x-comm-targets'];
  return Object.entries(targets)
    .map(([name, value]) => `export const ${name} = ${JSON.stringify(value).replace(/"/g, "'")};\n`)
    .join('');
}

async function generate() {
  const schema = dropPropertyTitles(JSON.parse(fs.readFileSync(SCHEMA, 'utf8')), true);
  const constants = commTargets(schema);
  const types = await compile(schema, 'KernelAgentProtocol', {
    bannerComment: BANNER,
    additionalProperties: false,
    unreachableDefinitions: true,
    strictIndexSignatures: true,
    format: true,
    style: { singleQuote: true, printWidth: 100 }
  });
  return types + (constants ? '\n' + constants : '');
}

module.exports = { generate };

if (require.main === module) {
  generate().then(
    ts => {
      const out = process.argv[2];
      if (out) fs.writeFileSync(out, ts);
      else process.stdout.write(ts);
    },
    err => {
      console.error(err);
      process.exit(1);
    }
  );
}
