// ps: the processes in a container's cgroup. `--format json` prints their host pids as a JSON array
// (null when there are none, as runc's encoder does); `table` runs the host's ps (with the given
// arguments, -ef by default) and keeps its header and the rows whose PID is in the cgroup. The table
// needs child_process, which stays out of the core dist file: main passes it in from the lazy commands.
import { print } from '../output';
import type { CommandHandler } from './types';
import { cgroupOf, statusFor } from '../container';
import { RuntimeError } from '../../common/errors';

/** Runs the host's ps with args and returns the rows of pids (see ps-table.ts). */
export type PsTable = (args: string[], pids: readonly number[]) => string;

export function psCommand(table: () => PsTable): CommandHandler {
  return async (ctx) => {
    const [id, ...psArgs] = ctx.positionals;
    const record = ctx.store.mustRead(id, 'ps');
    statusFor(ctx.store, record, 'ps');
    const pids = cgroupOf(ctx.host, record).pids();
    const format = ctx.flags.format as string;
    if (format === 'json') {
      print(`${JSON.stringify(pids.length > 0 ? pids : null)}\n`);
      return 0;
    }
    if (format !== 'table') throw new RuntimeError(`invalid format option ${JSON.stringify(format)}: use table or json`);
    print(table()(psArgs.length > 0 ? psArgs : ['-ef'], pids));
    return 0;
  };
}
