// events: a container's resource usage as runc prints it, one JSON object per line:
//   {"type":"stats","id":ID,"data":{cpu, memory, pids, blkio, hugetlb}}   every --interval (once with --stats)
//   {"type":"oom","id":ID}                                                 when the OOM killer acts in it
// The stream ends when the container has stopped.
import { RuntimeError } from '../../common/errors';
import { oomKills, statsJson, statsV1, statsV2, type CgroupStats } from '../../linux/cgroups/stats';
import { cgroupVersion } from '../../linux/cgroups/manager';
import { statusFor } from '../container';
import type { Host } from '../host';
import { print } from '../output';
import type { ContainerRecord } from '../state-store';
import type { CommandHandler } from './types';

const UNITS_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, '\u00b5s': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("5s", "500ms", "1m30s") in ms, as runc's --interval takes it. */
export function parseInterval(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|\u00b5s|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) throw new RuntimeError(`invalid --interval ${JSON.stringify(text)}: a duration such as 5s or 500ms`);
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNITS_MS[p[2]], 0);
  if (!(ms > 0)) throw new RuntimeError('duration interval must be greater than 0');
  return ms;
}

function statsOf(host: Host, record: ContainerRecord): CgroupStats {
  const read = (file: string) => {
    try {
      return host.readFile(file);
    } catch {
      return undefined; // a file this kernel or mount does not have: its fields are left out
    }
  };
  const list = (dir: string) => {
    try {
      return host.readdir(dir);
    } catch {
      return []; // gone, or not mounted
    }
  };
  const { driver, paths } = record.cgroup;
  return cgroupVersion(driver) === 'v2' ? statsV2(paths.unified, read, list) : statsV1(paths, read, list);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const events: CommandHandler = async (ctx) => {
  const id = ctx.positionals[0];
  const interval = parseInterval(ctx.flags.interval as string);
  const record = ctx.store.mustRead(id, 'events');
  statusFor(ctx.store, record, 'events');
  const line = (type: string, data?: CgroupStats) => print(`${statsJson({ type, id, ...(data !== undefined ? { data } : {}) })}\n`);
  if (ctx.flags.stats) {
    line('stats', statsOf(ctx.host, record));
    return 0;
  }
  const read = (file: string) => {
    try {
      return ctx.host.readFile(file);
    } catch {
      return undefined; // no OOM counter here
    }
  };
  const version = cgroupVersion(record.cgroup.driver);
  let ooms = oomKills(version, record.cgroup.paths, read);
  let next = 0;
  // OOM kills are looked for often, stats every interval; both until the container has stopped.
  for (;;) {
    // Read before the status: an OOM kill of the init is also what stops the container.
    const stopped = ctx.store.load(id)?.kind !== 'record' || statusFor(ctx.store, record, 'state') === 'stopped';
    const seen = oomKills(version, record.cgroup.paths, read);
    if (seen !== undefined && ooms !== undefined && seen > ooms) line('oom');
    ooms = seen ?? ooms;
    if (stopped) return 0;
    const now = Date.now();
    if (now >= next) {
      line('stats', statsOf(ctx.host, record));
      next = now + interval;
    }
    await sleep(Math.min(100, Math.max(1, next - Date.now())));
  }
};
