// What the op schema (src/linux/op-schema.ts) becomes outside TypeScript: the helper's op table with
// its argument specs (native/helper/op_table.h) and the args column of the op reference
// (docs/plan-format.md). scripts/gen-op-table.mjs writes both; test/unit/op-schema.test.ts checks that
// the checked-in copies are what this renders.
import { OPS, describeArgs, type ArgKind, type ArgSpec, type OpName, type OpSpec } from '../src/linux/op-schema';

const GENERATED = '/* Generated from src/linux/op-schema.ts by scripts/gen-op-table.mjs: do not edit. */';

const cId = (name: string) => name.replace(/-/g, '_');
const cString = (s: string) => JSON.stringify(s);

const KIND: Record<ArgKind['kind'] | 'list' | 'counted' | 'env-or-inherit', string> = {
  int: 'ARG_INT', signed: 'ARG_SIGNED', u64: 'ARG_U64', hex64: 'ARG_HEX64', string: 'ARG_STRING', path: 'ARG_PATH',
  enum: 'ARG_ENUM', list: 'ARG_LIST', counted: 'ARG_COUNTED', 'env-or-inherit': 'ARG_ENV_OR_INHERIT',
};

/** { name, kind, item kind, max, min, flags, values } of struct arg_spec (native/helper/op_args.h). */
function argSpec(opId: string, spec: ArgSpec, values: string[]): string {
  const scalar = spec.kind === 'list' || spec.kind === 'counted' ? spec.item : spec.kind === 'env-or-inherit' ? { kind: 'string' as const } : spec;
  const max = scalar.kind === 'int' || scalar.kind === 'signed' ? `${scalar.max}ULL` : '0';
  const flags = [
    'nullable' in scalar && scalar.nullable ? 'ARG_NULLABLE' : '',
    'optional' in spec && spec.optional ? 'ARG_OPTIONAL' : '',
  ].filter(Boolean).join(' | ') || '0';
  const min = spec.kind === 'list' ? spec.min ?? 0 : 0;
  let valuesRef = 'NULL';
  if (scalar.kind === 'enum') {
    const name = `op_values_${opId}_${spec.name}`;
    values.push(`static const char *const ${name}[] = { ${[...scalar.values.map(cString), 'NULL'].join(', ')} };`);
    valuesRef = name;
  }
  return `\t{ ${cString(spec.name)}, ${KIND[spec.kind]}, ${KIND[scalar.kind]}, ${max}, ${min}, ${flags}, ${valuesRef} },`;
}

const SIDE: Record<OpSpec['side'], string> = { host: 'HOST', container: 'CONTAINER', both: 'BOTH' };

/** native/helper/op_table.h: each op's argument specs, and OP_TABLE(OP) listing OP(name, c_id, side). */
export function renderOpTable(): string {
  const out = [GENERATED, '#ifndef TSRUNC_OP_TABLE_H', '#define TSRUNC_OP_TABLE_H', '', '#include "op_args.h"', ''];
  const table: string[] = [];
  for (const name of Object.keys(OPS) as OpName[]) {
    const spec = OPS[name] as OpSpec;
    const id = cId(name);
    const values: string[] = [];
    const rows = spec.args.map((a) => argSpec(id, a, values));
    out.push(...values, `static const struct arg_spec op_args_${id}[] = {`, ...rows, '\t{ NULL },', '};', '');
    const side = spec.head ? `${SIDE[spec.side]} | HEAD` : SIDE[spec.side];
    table.push(`\tOP(${cString(name)}, ${id}, ${side})`);
  }
  out.push('#define OP_TABLE(OP) \\', table.join(' \\\n'), '', '#endif', '');
  return out.join('\n');
}

/** A row of an op table in the reference: | `name` | args | does |. */
const ROW = /^\| `([a-z-]+)` \| ((?:[^|\\]|\\.)*)\| /;
const OP_SECTIONS = ['## Host ops (P)', '## Container ops (C)'];

/** Calls row(name, line, match) for each op row of the reference's two op tables; returns the lines. */
function eachOpRow(doc: string, row: (name: string, line: string, m: RegExpExecArray) => string): string {
  let inOps = false;
  return doc.split('\n').map((line) => {
    if (/^#+ /.test(line)) inOps = OP_SECTIONS.includes(line);
    const m = inOps ? ROW.exec(line) : null;
    return m ? row(m[1], line, m) : line;
  }).join('\n');
}

/** The op names the reference's op tables have a row for, in order. */
export function opsInReference(doc: string): string[] {
  const names: string[] = [];
  eachOpRow(doc, (name, line) => { names.push(name); return line; });
  return names;
}

/** The reference with each op row's args column rendered from the schema. */
export function renderOpReference(doc: string): string {
  return eachOpRow(doc, (name, line, m) => {
    if (!(name in OPS)) return line;
    return `| \`${name}\` | ${describeArgs(name as OpName).replace(/\|/g, '\\|')} | ${line.slice(m[0].length)}`;
  });
}
