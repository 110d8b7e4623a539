// Writes what the op schema (src/linux/op-schema.ts) becomes outside TypeScript: native/helper/op_table.h
// and the args column of docs/plan-format.md's op tables (scripts/op-table.ts renders both). Run it
// after changing the schema; test/unit/op-schema.test.ts fails until you do.
import { buildSync } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const out = buildSync({ entryPoints: [path.join(root, 'scripts/op-table.ts')], bundle: true, platform: 'node', format: 'cjs', write: false });
const module = { exports: {} };
new Function('module', 'exports', 'require', out.outputFiles[0].text)(module, module.exports, createRequire(import.meta.url));
const { renderOpTable, renderOpReference } = module.exports;

const header = path.join(root, 'native/helper/op_table.h');
writeFileSync(header, renderOpTable());
const docs = path.join(root, 'docs/plan-format.md');
writeFileSync(docs, renderOpReference(readFileSync(docs, 'utf8')));
console.log(`gen-op-table: wrote ${path.relative(root, header)} and the args column of ${path.relative(root, docs)}`);
