// Containers on the cgroup v2 driver, on a real cgroup2 mount. On a hybrid host (like the one tsrunc is
// developed on: cgroup v1 controllers, cgroup2 at /sys/fs/cgroup/unified with only hugetlb) every
// command runs with TSRUNC_CGROUP2_ONLY naming that mount, so tsrunc sees a v2-only host; on a v2 host
// it is the host's own layout. What runs is the real v2 path: the container process cloned into its
// cgroup (clone3 CLONE_INTO_CGROUP, nothing migrated), exec'd processes likewise, cgroup.freeze for
// pause, hugetlb limits, and the cgroup removed by delete. memory, pids, cpu and io are not offered by
// this mount, so their limits are checked as write lists only (test/cgroups/resource-writes.test.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCgroupLayout, hugePageSizes } from '../../src/linux/cgroups/layout';
import { CGROUP2_ONLY_ENV } from '../../src/linux/cgroups/layout';
import { TestEnv } from '../support/env';
import { leftoversOf, reap, setConfig, specWith, waitFor } from './helpers';

const mount = detectCgroupLayout().unified;
const usable = process.getuid?.() === 0 && mount !== undefined;
const FOREVER = 'while :; do sleep 0.1; done';

/** The cgroup2 path of a process as the host sees it ("0::/x" → "/x"). */
function unifiedPath(pid: number): string {
  return /^0::(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'))![1];
}

describe.skipIf(!usable)(`containers on the cgroup v2 driver (${mount})`, () => {
  let env: TestEnv;
  let bundle: string;

  beforeAll(() => {
    env = new TestEnv('cg2', { env: { [CGROUP2_ONLY_ENV]: mount! } });
    bundle = env.bundle('b', specWith(['true']));
  });

  afterAll(async () => {
    expect(await env.cleanup()).toEqual([]);
  });

  it('clones the init and exec\'d processes into the container cgroup; pause freezes it; delete removes it', async () => {
    const id = env.id('v2');
    setConfig(bundle, specWith(['sh', '-c', FOREVER]));
    expect(env.ok(['explain', '--bundle', bundle, id]).stdout).toMatch(/entry: the process is cloned into .*CLONE_INTO_CGROUP/);
    env.ok(['run', '--detach', '--bundle', bundle, id]);
    const { pid } = env.state(id);
    const dir = path.join(mount!, unifiedPath(pid));
    expect(path.basename(dir)).toBe(id);
    expect(fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number)).toContain(pid);

    // Inside, its own cgroup is the root of its cgroup namespace, for the init and for exec'd processes.
    expect(env.ok(['exec', id, 'sh', '-c', 'cat /proc/$$/cgroup']).stdout).toMatch(/^0::\/$/m);
    const execd = env.ok(['exec', '--detach', '--pid-file', path.join(env.tmp, 'exec.pid'), id, 'sh', '-c', FOREVER]);
    expect(execd.status).toBe(0);
    const execPid = Number(fs.readFileSync(path.join(env.tmp, 'exec.pid'), 'utf8'));
    expect(unifiedPath(execPid)).toBe(unifiedPath(pid));

    env.ok(['pause', id]);
    expect(env.state(id).status).toBe('paused');
    expect(fs.readFileSync(path.join(dir, 'cgroup.freeze'), 'utf8').trim()).toBe('1');
    env.ok(['resume', id]);
    expect(env.state(id).status).toBe('running');

    env.ok(['kill', '--all', id, 'KILL']);
    // The exec'd process was orphaned to this test (the subreaper): the init cannot finish exiting
    // (zap_pid_ns_processes) until it is reaped.
    await reap(execPid);
    await waitFor(`${id} to stop`, () => env.state(id).status === 'stopped');
    env.ok(['delete', id]);
    expect(fs.existsSync(dir)).toBe(false);
    await reap(pid);
    expect(leftoversOf(env, id, { bundle, pid })).toEqual([]);
  });

  const size = hugePageSizes().includes('2MB') ? '2MB' : hugePageSizes()[0];
  const hugetlb = size !== undefined && fs.readFileSync(path.join(mount ?? '/', 'cgroup.controllers'), 'utf8').includes('hugetlb');
  it.skipIf(!hugetlb)('applies hugepageLimits through the v2 hugetlb files before the process runs', async () => {
    const id = env.id('v2h');
    const limit = 2 * Number(size!.slice(0, -2)) * { KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[size!.slice(-2) as 'KB' | 'MB' | 'GB'];
    setConfig(bundle, specWith(['sh', '-c', `cat /sys/fs/cgroup/hugetlb.${size}.max`], (s) => {
      s.linux!.resources = { ...s.linux!.resources, hugepageLimits: [{ pageSize: size!, limit }] };
    }));
    const r = env.tsrunc(['run', '--bundle', bundle, id]);
    expect(r.stderr.replace(/^.*level=warn.*\n/gm, '')).toBe('');
    expect({ status: r.status, out: r.stdout.trim() }).toEqual({ status: 0, out: String(limit) });
    expect(leftoversOf(env, id, { bundle })).toEqual([]);
  });
});
