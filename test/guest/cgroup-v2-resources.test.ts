// Every cgroup v2 resource, for real, on a host that is cgroup v2 only (the guest of scripts/guest:
// systemd, nsdelegate, the root's subtree_control holding only what systemd's units asked for). Each
// limit is read back twice: from the container's cgroup directory on the host and from inside the
// container, through its own cgroup namespace (its cgroup is the root of the /sys/fs/cgroup it mounts).
// Skipped elsewhere: on this project's hybrid development host memory, cpu and io are v1 controllers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCgroupLayout } from '../../src/linux/cgroups/layout';
import { blkioWeightToIoWeight, cpuSharesToWeight } from '../../src/linux/cgroups/convert';
import type { Resources } from '../../src/oci/types';
import { TestEnv } from '../support/env';
import { withCgroupNamespace } from '../support/base-spec';
import { leftoversOf, reap, setConfig, specWith, waitFor } from '../oci-conformance/helpers';

const layout = detectCgroupLayout();
const mount = layout.mode === 'v2' ? layout.unified : undefined;
const rootControllers = mount ? fs.readFileSync(path.join(mount, 'cgroup.controllers'), 'utf8').trim().split(/\s+/) : [];
const usable = process.getuid?.() === 0 && ['memory', 'cpu', 'cpuset', 'io', 'pids'].every((c) => rootControllers.includes(c));
const FOREVER = 'while :; do sleep 0.1; done';
const MiB = 1024 * 1024;

/** A block device of this host for the per-device io settings: the first disk in /sys/block. */
function blockDevice(): { major: number; minor: number } | undefined {
  for (const name of fs.existsSync('/sys/block') ? fs.readdirSync('/sys/block') : []) {
    if (/^(loop|ram|zram|sr)/.test(name)) continue;
    const [major, minor] = fs.readFileSync(`/sys/block/${name}/dev`, 'utf8').trim().split(':').map(Number);
    return { major, minor };
  }
  return undefined;
}

describe.skipIf(!usable)(`every cgroup v2 resource on a v2-only host (${mount})`, () => {
  let env: TestEnv;
  let bundle: string;
  const parent = `tsrunc-test-v2r-${process.pid}`;

  beforeAll(() => {
    env = new TestEnv('v2r');
    bundle = env.bundle('b', specWith(['true']));
  });

  afterAll(async () => {
    expect(await env.cleanup()).toEqual([]);
    // delete removes the parent it made once it is empty; this is for a test that failed half way.
    if (fs.existsSync(path.join(mount!, parent))) fs.rmdirSync(path.join(mount!, parent));
  });

  /** Runs `sh -c script` detached in a container with `resources` under /<parent>/<id>; its id, pid and host directory. */
  function start(label: string, resources: Resources, edit?: Parameters<typeof specWith>[1]) {
    const id = env.id(label);
    setConfig(bundle, specWith(['sh', '-c', FOREVER], (s) => {
      s.linux!.resources = resources;
      s.linux!.cgroupsPath = `/${parent}/${id}`;
      withCgroupNamespace(s);
      edit?.(s);
    }));
    const r = env.ok(['run', '--detach', '--bundle', bundle, id]);
    const { pid } = env.state(id);
    return { id, pid, dir: path.join(mount!, parent, id), warnings: r.stderr };
  }

  async function stop(c: { id: string; pid: number; dir: string }) {
    // The OOM test's init may be the process the OOM killer chose.
    if (env.state(c.id).status !== 'stopped') env.ok(['kill', c.id, 'KILL']);
    await waitFor(`${c.id} to stop`, () => env.state(c.id).status === 'stopped');
    env.ok(['delete', c.id]);
    await reap(c.pid);
    expect(fs.existsSync(c.dir)).toBe(false);
    expect(leftoversOf(env, c.id, { bundle, pid: c.pid })).toEqual([]);
  }

  const hostRead = (dir: string, file: string) => fs.readFileSync(path.join(dir, file), 'utf8').trim();
  const insideRead = (id: string, files: string[]) => Object.fromEntries(
    env.ok(['exec', id, 'sh', '-c', files.map((f) => `echo "${f}=$(cat /sys/fs/cgroup/${f})"`).join('; ')]).stdout
      .trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  /** The file's value, the same from the host and from inside the container. */
  function readBoth(c: { id: string; dir: string }, files: string[]): Record<string, string> {
    const host = Object.fromEntries(files.map((f) => [f, hostRead(c.dir, f)]));
    expect(insideRead(c.id, files)).toEqual(host);
    return host;
  }

  it('memory: max, low from reservation, swap as memory+swap minus memory, oom group through unified', async () => {
    const swapFile = fs.existsSync(path.join(mount!, 'init.scope', 'memory.swap.max')) || fs.existsSync(path.join(mount!, 'system.slice', 'memory.swap.max'));
    const c = start('mem', {
      memory: { limit: 64 * MiB, reservation: 32 * MiB, ...(swapFile ? { swap: 96 * MiB } : {}) },
      unified: { 'memory.oom.group': '1', 'memory.high': String(60 * MiB) },
    });
    const files = ['memory.max', 'memory.low', 'memory.oom.group', 'memory.high', ...(swapFile ? ['memory.swap.max'] : [])];
    expect(readBoth(c, files)).toEqual({
      'memory.max': String(64 * MiB), 'memory.low': String(32 * MiB), 'memory.oom.group': '1', 'memory.high': String(60 * MiB),
      ...(swapFile ? { 'memory.swap.max': String(32 * MiB) } : {}),
    });
    await stop(c);
  });

  it('cpu: weight from shares (runc\'s conversion), max from quota and period, burst, idle; cpuset cpus and mems', async () => {
    const c = start('cpu', { cpu: { shares: 512, quota: 50_000, period: 100_000, burst: 10_000, cpus: '0', mems: '0' } });
    expect(cpuSharesToWeight(512)).toBe(20);
    expect(readBoth(c, ['cpu.weight', 'cpu.max', 'cpu.max.burst', 'cpuset.cpus', 'cpuset.mems'])).toEqual({
      'cpu.weight': '20', 'cpu.max': '50000 100000', 'cpu.max.burst': '10000', 'cpuset.cpus': '0', 'cpuset.mems': '0',
    });
    expect(hostRead(path.dirname(c.dir), 'cgroup.subtree_control').split(' ')).toEqual(expect.arrayContaining(['cpu', 'cpuset', 'io', 'memory', 'pids']));
    await stop(c);
    const idle = start('idle', { cpu: { idle: 1 } });
    expect(readBoth(idle, ['cpu.idle'])).toEqual({ 'cpu.idle': '1' });
    await stop(idle);
  });

  const disk = blockDevice();
  it.skipIf(!disk)('io: weight (BFQ\'s, or io.weight scaled), per-device weight with BFQ, and max', async () => {
    const { major, minor } = disk!;
    const c = start('io', {
      blockIO: {
        weight: 500,
        weightDevice: [{ major, minor, weight: 300 }],
        throttleReadBpsDevice: [{ major, minor, rate: 2 * MiB }],
        throttleWriteIOPSDevice: [{ major, minor, rate: 100 }],
      },
    });
    if (fs.existsSync(path.join(c.dir, 'io.bfq.weight'))) {
      expect(hostRead(c.dir, 'io.bfq.weight').split('\n')).toEqual(expect.arrayContaining(['default 500', `${major}:${minor} 300`]));
    } else {
      // As runc: without BFQ the weight is scaled into io.weight and per-device weights are left out.
      expect(readBoth(c, ['io.weight'])).toEqual({ 'io.weight': `default ${blkioWeightToIoWeight(500)}` });
    }
    expect(readBoth(c, ['io.max'])['io.max']).toBe(`${major}:${minor} rbps=${2 * MiB} wbps=max riops=max wiops=100`);
    await stop(c);
  });

  it('pids: max, and a fork beyond it fails inside', async () => {
    const c = start('pids', { pids: { limit: 20 } });
    expect(readBoth(c, ['pids.max'])).toEqual({ 'pids.max': '20' });
    const r = env.tsrunc(['exec', c.id, 'sh', '-c', 'for i in $(seq 40); do sleep 5 & done; wait']);
    expect(r.stderr + r.stdout).toMatch(/can't fork|Resource temporarily unavailable|fork/i);
    await stop(c);
  });

  it('update on v2: memory, cpu and pids changed while it runs, read back from both sides', async () => {
    const c = start('upd', { memory: { limit: 64 * MiB }, pids: { limit: 50 } });
    env.ok(['update', '--memory', String(128 * MiB), '--cpu-quota', '20000', '--cpu-period', '100000', '--pids-limit', '30', c.id]);
    expect(readBoth(c, ['memory.max', 'cpu.max', 'pids.max'])).toEqual({
      'memory.max': String(128 * MiB), 'cpu.max': '20000 100000', 'pids.max': '30',
    });
    const resources = path.join(env.tmp, 'r.json');
    fs.writeFileSync(resources, JSON.stringify({ memory: { limit: -1 }, unified: { 'memory.high': String(100 * MiB) } }));
    env.ok(['update', '--resources', resources, c.id]);
    expect(readBoth(c, ['memory.max', 'memory.high'])).toEqual({ 'memory.max': 'max', 'memory.high': String(100 * MiB) });
    await stop(c);
  });

  it('a memory limit is enforced: the container is OOM-killed past it', async () => {
    const c = start('oom', { memory: { limit: 16 * MiB, swap: 16 * MiB } });
    const r = env.tsrunc(['exec', c.id, 'sh', '-c', 'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived']);
    expect(r.stdout).not.toContain('survived');
    expect(Number(/oom_kill (\d+)/.exec(hostRead(c.dir, 'memory.events'))![1])).toBeGreaterThan(0);
    await stop(c);
  });
});
