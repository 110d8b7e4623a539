// Real cgroup v1 (hybrid) on this machine: create, apply, join a process, read back, freeze, destroy.

import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectCgroupLayout, hugePageSizes } from '../../src/linux/cgroups/layout';
import { type CgroupManager, cgroupManagerFor, cgroupManagerFromPaths } from '../../src/linux/cgroups/manager';
import { RuntimeError } from '../../src/common/errors';
import { cleanupTestCgroups, isRoot, readValue, startSleep, stop, testId } from './helpers';

const layout = detectCgroupLayout();
const usable = isRoot && layout.mode !== 'v2' && ['memory', 'pids', 'cpu', 'cpuset', 'freezer'].every((c) => layout.v1[c]);

describe.skipIf(!usable)('cgroup v1 manager on this machine', () => {
  let id = '';
  let child: ChildProcess | undefined;

  afterEach(async () => {
    await stop(child);
    child = undefined;
    await cleanupTestCgroups(id);
  });

  const join1 = (m: CgroupManager, pid: number): void => {
    for (const f of m.procsFiles()) writeFileSync(f, String(pid));
  };

  it('creates, limits, holds a process in every hierarchy, freezes, and is removed without a trace', async () => {
    id = testId('cg');
    const m = cgroupManagerFor({ id, cgroupsPath: `/${id}/ctr` });
    expect(m.driver).toBe('v1');
    const leafOf = (key: string): string => m.paths[key];
    m.create();
    // The intermediate level and the leaf, in every hierarchy, were made by create() and are recorded.
    for (const dir of Object.values(m.paths)) {
      expect(existsSync(dir)).toBe(true);
      expect(m.created).toContain(dir);
      expect(m.created).toContain(join(dir, '..'));
    }
    // A fresh cpuset got its cpus/mems from the ancestors, so it can take tasks.
    expect(readValue(join(leafOf('cpuset'), 'cpuset.cpus'))).not.toBe('');
    expect(readValue(join(leafOf('cpuset'), 'cpuset.mems'))).not.toBe('');

    const sizes = hugePageSizes();
    const huge = sizes.includes('2MB') ? '2MB' : sizes[0];
    const r = {
      memory: { limit: 64 * 1024 * 1024 },
      pids: { limit: 32 },
      cpu: { shares: 512, cpus: '0', mems: '0' },
      ...(huge && layout.unified ? { hugepageLimits: [{ pageSize: huge, limit: 0 }] } : {}),
    };
    // explain and apply agree: apply writes exactly resourceWrites().
    const writes = m.resourceWrites(r);
    m.apply(r);
    expect(writes.map((w) => w.file.split('/').pop())).toContain('pids.max');
    for (const w of writes) expect(readValue(w.file), w.file).toBe(w.value);

    child = await startSleep();
    const pid = child.pid!;
    join1(m, pid);

    // /proc/<pid>/cgroup: the same path in every hierarchy, the cgroup2 one (hybrid) included.
    const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
    const seen = new Map(lines.map((l) => [l.slice(l.indexOf(':') + 1, l.lastIndexOf(':')), l.slice(l.lastIndexOf(':') + 1)]));
    for (const key of Object.keys(m.paths)) {
      const hier = key === 'unified' ? '' : [...seen.keys()].find((k) => k.split(',').includes(key));
      expect(hier, `hierarchy ${key} in /proc/${pid}/cgroup`).toBeDefined();
      expect(seen.get(hier!)).toBe(`/${id}/ctr`);
    }
    if (layout.unified) expect(seen.get('')).toBe(`/${id}/ctr`);

    // Read back what apply() wrote.
    expect(readValue(join(leafOf('memory'), 'memory.limit_in_bytes'))).toBe(String(64 * 1024 * 1024));
    expect(readValue(join(leafOf('pids'), 'pids.max'))).toBe('32');
    expect(readValue(join(leafOf('cpu'), 'cpu.shares'))).toBe('512');
    expect(readValue(join(leafOf('cpuset'), 'cpuset.cpus'))).toBe('0');
    if (huge && layout.unified) expect(readValue(join(m.paths.unified, `hugetlb.${huge}.max`))).toBe('0');
    expect(readValue(join(leafOf('pids'), 'pids.current'))).toBe('1');

    expect(m.pids()).toEqual([pid]);
    // What kill/delete get from the state store works the same.
    const again = cgroupManagerFromPaths('v1', m.paths, m.created);
    expect(again.pids()).toEqual([pid]);

    // A second container may take this cgroup while it has a process, with a warning (as runc).
    const second = cgroupManagerFor({ id, cgroupsPath: `/${id}/ctr` });
    second.create();
    expect(second.warnings()).toEqual(expect.arrayContaining([expect.stringMatching(
      new RegExp(`^container's cgroup is not empty: 1 process\\(es\\) found in /sys/fs/cgroup/\\S+/${id}/ctr \\(${pid}\\)`),
    )]));

    m.freeze();
    expect(m.frozen()).toBe(true);
    expect(readValue(join(leafOf('freezer'), 'freezer.state'))).toBe('FROZEN');
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^State:\s+[DS]/m);
    m.thaw();
    expect(m.frozen()).toBe(false);
    expect(readValue(join(leafOf('freezer'), 'freezer.state'))).toBe('THAWED');

    await stop(child);
    child = undefined;
    again.destroy();
    for (const dir of [...Object.values(m.paths), ...m.created]) expect(existsSync(dir), dir).toBe(false);
    // Idempotent.
    again.destroy();
  });

  it('memory limits can be raised and lowered with swap (memsw ordering), and a bad value names its field', async () => {
    id = testId('cgmem');
    const m = cgroupManagerFor({ id, cgroupsPath: `/${id}` });
    m.create();
    const mem = m.paths.memory;
    const MB = 1024 * 1024;
    const hasMemsw = existsSync(join(mem, 'memory.memsw.limit_in_bytes'));
    for (const [limit, swap] of [[64, 128], [256, 512], [32, 48], [32, 32]]) {
      m.apply({ memory: { limit: limit * MB, swap: swap * MB } });
      expect(readValue(join(mem, 'memory.limit_in_bytes'))).toBe(String(limit * MB));
      if (hasMemsw) expect(readValue(join(mem, 'memory.memsw.limit_in_bytes'))).toBe(String(swap * MB));
    }
    expect(() => m.apply({ cpu: { cpus: '99' } })).toThrow(/^linux\.resources\.cpu\.cpus: cannot write "99" to \S+cpuset\.cpus: /);
    expect(() => m.apply({ cpu: { cpus: '99' } })).toThrow(RuntimeError);
    m.destroy();
    expect(existsSync(mem)).toBe(false);
    expect(existsSync(join(layout.v1.memory, id))).toBe(false);
  });

  it('network settings fail clearly when net_cls/net_prio are not mounted', () => {
    id = testId('cgnet');
    const m = cgroupManagerFor({ id, cgroupsPath: `/${id}` });
    if (layout.v1.net_cls) return;
    expect(() => m.resourceWrites({ network: { classID: 0x100001 } })).toThrow(
      /linux\.resources\.network\.classID: the net_cls controller is not available here/,
    );
  });

  it('create() refuses a frozen cgroup, even an empty one', () => {
    id = testId('cgfrz');
    const m = cgroupManagerFor({ id, cgroupsPath: `/${id}` });
    m.create();
    m.freeze();
    expect(m.frozen()).toBe(true);
    expect(() => cgroupManagerFor({ id, cgroupsPath: `/${id}` }).create()).toThrow(/^container's cgroup unexpectedly frozen: \S+ is frozen/);
    m.thaw();
    m.destroy();
  });

  it('destroy() leaves a parent that existed before create(), and a parent another container still uses', async () => {
    id = testId('cgpar');
    const a = cgroupManagerFor({ id, cgroupsPath: `/${id}/a` });
    a.create();
    const b = cgroupManagerFor({ id, cgroupsPath: `/${id}/b` });
    b.create();
    expect(b.created.some((d) => d.endsWith(`/${id}`))).toBe(false);
    a.destroy(); // its parent /<id> is still used by b
    expect(existsSync(join(layout.v1.memory, id))).toBe(true);
    expect(existsSync(a.paths.memory)).toBe(false);
    b.destroy(); // b did not make /<id>, so it stays
    expect(existsSync(join(layout.v1.memory, id))).toBe(true);
    expect(existsSync(b.paths.memory)).toBe(false);
  });
});
