// The v2 manager against a real cgroup2 hierarchy: on this hybrid machine that is /sys/fs/cgroup/unified,
// which offers only hugetlb. So this exercises v2 create (mkdir + subtree_control down the path),
// hugetlb.<size>.max, joining, cgroup.freeze, pids and destroy; memory/cpu/io/pids limits on v2 can
// only be checked as write lists here (resource-writes.test.ts), and their absence must be a clear error.

import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type CgroupLayout, cgroupControllers, detectCgroupLayout, hugePageSizes } from '../../src/linux/cgroups/layout';
import { cgroupManagerFor, cgroupManagerFromPaths } from '../../src/linux/cgroups/manager';
import { RuntimeError } from '../../src/common/errors';
import { cleanupTestCgroups, isRoot, readValue, startSleep, stop, testId } from './helpers';

const host = detectCgroupLayout();
const mount = host.unified;
const usable = isRoot && mount !== undefined;
// A v2-only view of the host: the manager sees just the cgroup2 hierarchy, wherever it is mounted.
const layout: CgroupLayout = { mode: 'v2', unified: mount, v1: {} };
const sizes = hugePageSizes();
const huge = sizes.includes('2MB') ? '2MB' : sizes[0];
const hugeBytes = (s: string): number => Number(s.slice(0, -2)) * { KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[s.slice(-2) as 'KB' | 'MB' | 'GB'];

describe.skipIf(!usable)(`cgroup v2 manager on the real cgroup2 mount (${mount})`, () => {
  let id = '';
  let child: ChildProcess | undefined;

  afterEach(async () => {
    await stop(child);
    child = undefined;
    await cleanupTestCgroups(id);
  });

  it('creates with controllers enabled down the path, limits hugetlb, holds a process, freezes, destroys', async () => {
    id = testId('cg2');
    const m = cgroupManagerFor({ id, cgroupsPath: `/${id}/ctr`, layout });
    expect(m.driver).toBe('v2');
    expect(m.paths).toEqual({ unified: join(mount!, id, 'ctr') });
    const offered = cgroupControllers(mount!);
    m.create();
    expect(m.created).toEqual([join(mount!, id), join(mount!, id, 'ctr')]);
    // Every standard controller the root offers is now enabled on the way down.
    for (const dir of [mount!, join(mount!, id)]) {
      const enabled = readValue(join(dir, 'cgroup.subtree_control')).split(' ');
      for (const c of offered.filter((c) => ['cpu', 'cpuset', 'io', 'memory', 'hugetlb', 'pids'].includes(c))) {
        expect(enabled, `${dir}/cgroup.subtree_control`).toContain(c);
      }
    }
    expect(cgroupControllers(m.paths.unified).sort()).toEqual(offered.filter((c) => c !== 'misc' && c !== 'rdma').sort());

    if (huge && offered.includes('hugetlb')) {
      const limit = 2 * hugeBytes(huge);
      const r = { hugepageLimits: [{ pageSize: huge, limit }] };
      const writes = m.resourceWrites(r);
      expect(writes.map((w) => w.file.split('/').pop())).toEqual(
        existsSync(join(m.paths.unified, `hugetlb.${huge}.rsvd.max`)) ? [`hugetlb.${huge}.max`, `hugetlb.${huge}.rsvd.max`] : [`hugetlb.${huge}.max`],
      );
      m.apply(r);
      for (const w of writes) expect(readValue(w.file)).toBe(String(limit));
    }

    child = await startSleep();
    const pid = child.pid!;
    expect(m.procsFiles()).toEqual([join(m.paths.unified, 'cgroup.procs')]);
    for (const f of m.procsFiles()) writeFileSync(f, String(pid));
    expect(readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toMatch(new RegExp(`^0::/${id}/ctr$`, 'm'));
    expect(m.pids()).toEqual([pid]);
    expect(cgroupManagerFromPaths('v2', m.paths, m.created, { layout }).pids()).toEqual([pid]);

    const second = cgroupManagerFor({ id, cgroupsPath: `/${id}/ctr`, layout });
    second.create();
    expect(second.warnings().join('\n')).toMatch(/^container's cgroup is not empty: 1 process\(es\) found in /);

    m.freeze();
    expect(m.frozen()).toBe(true);
    expect(readFileSync(join(m.paths.unified, 'cgroup.events'), 'utf8')).toMatch(/^frozen 1$/m);
    m.thaw();
    expect(m.frozen()).toBe(false);
    expect(readFileSync(join(m.paths.unified, 'cgroup.events'), 'utf8')).toMatch(/^frozen 0$/m);

    await stop(child);
    child = undefined;
    cgroupManagerFromPaths('v2', m.paths, m.created, { layout }).destroy();
    expect(existsSync(join(mount!, id))).toBe(false);
  });

  it('controllers this cgroup2 hierarchy lacks give a RuntimeError naming the field and the controller', () => {
    id = testId('cg2miss');
    const m = cgroupManagerFor({ id, cgroupsPath: `/${id}`, layout });
    const offered = cgroupControllers(mount!);
    if (offered.includes('memory')) return; // a pure v2 host: nothing is missing
    let err: unknown;
    try {
      m.resourceWrites({ memory: { limit: 1 << 26 }, cpu: { shares: 1024 } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RuntimeError);
    const e = err as RuntimeError;
    expect(e.problems.map((p) => p.path)).toEqual(['linux.resources.memory', 'linux.resources.cpu']);
    expect(e.message).toContain(`linux.resources.memory: the memory controller is not available here: the cgroup2 hierarchy at ${mount}`);
    expect(() => m.apply({ pids: { limit: 3 } })).toThrow(/linux\.resources\.pids\.limit: the pids controller is not available/);
    expect(existsSync(join(mount!, id))).toBe(false); // nothing was created by asking
  });
});
