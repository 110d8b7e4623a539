import { print } from '../output';
import type { CommandHandler } from './types';
import type { State } from '../../oci/types';
import { statusOf } from '../container';
import { RuntimeError } from '../problems';

/** Columns padded like Go's tabwriter (minwidth 12, padding 1), as runc prints them. */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(12, ...rows.map((r) => r[c].length + 1)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('')).join('\n');
}

export const list: CommandHandler = async (ctx) => {
  const format = ctx.flags.format as string;
  if (format !== 'table' && format !== 'json') throw new RuntimeError(`invalid format option ${JSON.stringify(format)}: use table or json`);
  const states: State[] = [];
  for (const id of ctx.store.ids()) {
    const record = ctx.store.read(id);
    if (record) states.push(ctx.store.ociState(record, statusOf(ctx.store, record)));
  }
  if (ctx.flags.quiet) {
    for (const s of states) print(`${s.id}\n`);
  } else if (format === 'json') {
    print(`${states.length === 0 ? 'null' : JSON.stringify(states)}\n`);
  } else {
    const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'],
      ...states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner])];
    print(`${table(rows)}\n`);
  }
  return 0;
};
