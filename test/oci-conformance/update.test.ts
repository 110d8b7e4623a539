// update and features through bin/tsrunc with real busybox containers: update writes the new limits
// to the container's cgroup (seen from outside and inside), keeps them in the state, refuses unknown
// ids and stopped containers with runc's texts; features prints runtime-spec features JSON.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv } from '../support/env';
import { reap, setConfig, specWith, waitFor } from './helpers';

let env: TestEnv;
let bundle: string;

beforeAll(() => {
  env = new TestEnv('update');
  bundle = env.bundle('b', specWith(['true']));
});

afterAll(async () => {
  expect(await env.cleanup()).toEqual([]);
});

interface StateRecord { pid: number; cgroup: { driver: 'v1' | 'v2'; paths: Record<string, string> }; resources?: unknown }
const record = (id: string) => JSON.parse(fs.readFileSync(path.join(env.root, id, 'state.json'), 'utf8')) as StateRecord;

/** The host file of a controller's setting for the container: v1 name, v2 name. */
function cgroupFile(id: string, controller: string, v1: string, v2: string): string {
  const r = record(id);
  return r.cgroup.driver === 'v2' ? path.join(r.cgroup.paths.unified, v2) : path.join(r.cgroup.paths[controller], v1);
}

function runDetached(): string {
  setConfig(bundle, specWith(['sh', '-c', 'while :; do sleep 0.1; done']));
  const id = env.id('u');
  env.ok(['run', '--detach', '--bundle', bundle, id]);
  return id;
}

async function remove(id: string): Promise<void> {
  const { pid } = record(id);
  env.ok(['delete', '--force', id]);
  await reap(pid);
}

describe('update', () => {
  it('sets the memory limit of a running container, seen outside and inside, and keeps it in the state', async () => {
    const id = runDetached();
    const limitFile = cgroupFile(id, 'memory', 'memory.limit_in_bytes', 'memory.max');
    env.ok(['update', '--memory', '64m', id]);
    expect(fs.readFileSync(limitFile, 'utf8').trim()).toBe(String(64 * 1024 * 1024));
    const inside = record(id).cgroup.driver === 'v2' ? '/sys/fs/cgroup/memory.max' : '/sys/fs/cgroup/memory/memory.limit_in_bytes';
    const r = env.tsrunc(['exec', id, 'cat', inside]);
    expect(r.stdout.trim()).toBe(String(64 * 1024 * 1024));
    // go-runc's form: the LinuxResources JSON on stdin.
    const viaStdin = env.tsrunc(['update', '--resources=-', id], { input: JSON.stringify({ memory: { limit: 96 * 1024 * 1024 }, cpu: { shares: 512 } }) });
    expect(viaStdin.stderr).toBe('');
    expect(viaStdin.status).toBe(0);
    expect(fs.readFileSync(limitFile, 'utf8').trim()).toBe(String(96 * 1024 * 1024));
    expect(record(id).resources).toMatchObject({ memory: { limit: 96 * 1024 * 1024 }, cpu: { shares: 512 } });
    await remove(id);
  });

  it('sets the pids limit; a flag overrides the --resources document', async () => {
    const id = runDetached();
    const file = path.join(env.tmp, 'res.json');
    fs.writeFileSync(file, JSON.stringify({ pids: { limit: 50 } }));
    env.ok(['update', '--resources', file, '--pids-limit', '42', id]);
    expect(fs.readFileSync(cgroupFile(id, 'pids', 'pids.max', 'pids.max'), 'utf8').trim()).toBe('42');
    await remove(id);
  });

  it.runIf(fs.existsSync('/sys/fs/cgroup/cpu/cpu.rt_runtime_us'))('a realtime period below the runtime the cgroup has now: the runtime is written first (as runc retries)', async () => {
    setConfig(bundle, specWith(['sh', '-c', 'while :; do sleep 0.1; done'], (s) => {
      s.linux!.resources = { ...s.linux!.resources, cpu: { realtimePeriod: 900001, realtimeRuntime: 600001 } };
    }));
    const id = env.id('rt');
    env.ok(['run', '--detach', '--bundle', bundle, id]);
    const period = cgroupFile(id, 'cpu', 'cpu.rt_period_us', 'cpu.max');
    const runtime = cgroupFile(id, 'cpu', 'cpu.rt_runtime_us', 'cpu.max');
    const now = () => [period, runtime].map((f) => fs.readFileSync(f, 'utf8').trim());
    expect(now()).toEqual(['900001', '600001']);
    env.ok(['update', '--cpu-rt-period', '10000', '--cpu-rt-runtime', '3000', id]);
    expect(now()).toEqual(['10000', '3000']);
    env.ok(['update', '--cpu-rt-period', '100000', '--cpu-rt-runtime', '20000', id]);
    expect(now()).toEqual(['100000', '20000']);
    await remove(id);
  });

  it.runIf(fs.existsSync('/sys/fs/cgroup/cpu/cpu.cfs_burst_us') || fs.existsSync('/sys/fs/cgroup/cpu.max.burst'))('--cpu-burst sets the CFS burst; a later update of another resource keeps it', async () => {
    const id = runDetached();
    const burst = cgroupFile(id, 'cpu', 'cpu.cfs_burst_us', 'cpu.max.burst');
    expect(fs.readFileSync(burst, 'utf8').trim()).toBe('0');
    env.ok(['update', '--cpu-period', '900000', '--cpu-burst', '500000', id]);
    expect(fs.readFileSync(burst, 'utf8').trim()).toBe('500000');
    env.ok(['update', '--memory', '100M', id]);
    expect(fs.readFileSync(burst, 'utf8').trim()).toBe('500000');
    env.ok(['update', '--cpu-period', '900000', '--cpu-burst', '0', id]);
    expect(fs.readFileSync(burst, 'utf8').trim()).toBe('0');
    await remove(id);
  });

  it('refuses an invalid document naming the field, and bad flag values, changing nothing', async () => {
    const id = runDetached();
    const bad = env.tsrunc(['update', '-r', '-', id], { input: JSON.stringify({ memory: { limit: 'lots' } }) });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('memory.limit');
    const flag = env.tsrunc(['update', '--cpu-period', 'soon', id]);
    expect(flag.status).toBe(1);
    expect(flag.stderr).toContain('--cpu-period');
    expect(record(id).resources).toBeUndefined();
    await remove(id);
  });

  it('device rules take the config\'s place; runc\'s defaults stay, and a linux.devices entry is still allowed only by a rule (cgroup v1: devices.list)', async () => {
    setConfig(bundle, specWith(['sh', '-c', 'while :; do sleep 0.1; done'], (s) => {
      s.linux!.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600 }];
    }));
    const id = env.id('dev');
    env.ok(['run', '--detach', '--bundle', bundle, id]);
    const r = record(id);
    // (On cgroup v2 the program is what changes: test/oci-conformance/cgroup-v2.test.ts.)
    const list = () => (r.cgroup.driver === 'v1' ? fs.readFileSync(path.join(r.cgroup.paths.devices, 'devices.list'), 'utf8').trim().split('\n') : []);
    expect(list()).not.toContain('c 10:237 r');
    env.ok(['update', '--resources', '-', id], { input: JSON.stringify({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 237, access: 'r' }] }) });
    if (r.cgroup.driver === 'v1') {
      expect(list()).toEqual(expect.arrayContaining(['c 10:237 r', 'c 1:3 rwm', 'c 136:* rwm']));
      expect(list()).not.toContain('c 10:229 rwm');
    }
    expect(record(id).resources).toEqual({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 237, access: 'r' }] });
    await remove(id);
  });

  it('an unknown id: "container does not exist"; a stopped container: "container not running"', async () => {
    const r = env.tsrunc(['update', '--memory', '64m', 'no-such-container']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('container does not exist');
    setConfig(bundle, specWith(['true']));
    const id = env.id('s');
    env.ok(['run', '--detach', '--bundle', bundle, id]);
    await waitFor('stopped', () => env.state(id).status === 'stopped');
    const stopped = env.tsrunc(['update', '--memory', '64m', id]);
    expect(stopped.status).toBe(1);
    expect(stopped.stderr).toContain('container not running');
    await remove(id);
  });
});

describe('features', () => {
  it('prints runtime-spec features JSON with the namespaces, seccomp names and versions', () => {
    const f = JSON.parse(env.ok(['features']).stdout);
    expect(f.ociVersionMin).toBe('1.0.0');
    expect(f.ociVersionMax).toBe('1.3.0');
    expect(f.linux.namespaces).toContain('time');
    expect(f.linux.seccomp.actions).toContain('SCMP_ACT_ERRNO');
    expect(f.linux.capabilities).toContain('CAP_SYS_ADMIN');
    expect(f.mountOptions).toEqual(expect.arrayContaining(['rbind', 'nosuid', 'rprivate']));
    expect(f.hooks).toContain('createContainer');
  });

  it('--version prints runc-shaped lines', () => {
    const lines = env.ok(['--version']).stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^tsrunc version \d+\.\d+\.\d+/);
    expect(lines[1]).toMatch(/^commit: \S+/);
    expect(lines[2]).toBe('spec: 1.3.0');
  });
});
