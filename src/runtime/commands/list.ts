import { print } from '../output';
import type { CommandHandler } from './types';
import type { State } from '../../oci/types';
import { statusOf } from '../container';
import { RuntimeError } from '../../common/errors';
import { isCreating } from '../state-store';

/** Columns padded like Go's tabwriter (minwidth 12, padding 1), as runc prints them. */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(12, ...rows.map((r) => r[c].length + 1)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('')).join('\n');
}

export const list: CommandHandler = async (ctx) => {
  const format = ctx.flags.format as string;
  if (format !== 'table' && format !== 'json') throw new RuntimeError(`invalid format option ${JSON.stringify(format)}: use table or json`);
  // As runc: a --root that does not exist is an error; the default root not made yet lists nothing.
  if (ctx.givenGlobals.has('root')) ctx.store.mustHaveRoot();
  const states: State[] = [];
  for (const id of ctx.store.ids()) {
    const loaded = ctx.store.load(id);
    if (loaded?.kind === 'unreadable') {
      // One bad entry does not hide the others (runc goes on too).
      ctx.log.warn(loaded.error.message);
    } else if (loaded?.kind === 'record') {
      const { record } = loaded;
      states.push(isCreating(record) ? ctx.store.creatingState(record) : ctx.store.ociState(record, statusOf(ctx.store, record)));
    }
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
