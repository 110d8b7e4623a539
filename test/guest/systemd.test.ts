// The systemd cgroup driver (--systemd-cgroup) on a host like production: systemd as PID 1, cgroup v2
// only (scripts/guest/run.sh boots one). Skipped anywhere else. The unit is read back with systemctl
// (the test may; tsrunc itself only speaks D-Bus).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCgroupLayout } from '../../src/linux/cgroups/layout';
import { systemdRunning } from '../../src/linux/cgroups/systemd/bus';
import { makeRootfs, TestEnv, TSRUNC } from '../support/env';
import { hasContainerd, type PrivateContainerd, startContainerd } from '../support/containerd';
import { childPids, delay, leftoversOf, specWith } from '../oci-conformance/helpers';
import { withCgroupNamespace } from '../support/base-spec';
import { native } from '../../src/linux/native';
import { readProcStat } from '../../src/linux/proc';

const usable = process.getuid?.() === 0 && systemdRunning() && detectCgroupLayout().mode === 'v2';
const CG = '/sys/fs/cgroup';

/** `systemctl show UNIT -p ...` as a map (LoadState=not-found once the unit is gone). */
function show(unit: string, ...props: string[]): Record<string, string> {
  const r = spawnSync('systemctl', ['show', unit, ...props.flatMap((p) => ['-p', p])], { encoding: 'utf8' });
  return Object.fromEntries(r.stdout.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

const gone = (unit: string) => show(unit, 'LoadState').LoadState === 'not-found';

/** Reaps the container inits that have exited (they come to this process, a subreaper). */
async function reapExited(): Promise<void> {
  for (const p of childPids()) if (readProcStat(p)?.state === 'Z') await native().waitpid(p);
}

/** Units of this test run that systemd still knows. */
function unitsLeft(pattern: string): string[] {
  const r = spawnSync('systemctl', ['list-units', '--all', '--no-legend', '--plain', pattern], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0]);
}

// A guest runs 5-8x slower than its host (or worse, beside another): generous limits.
describe.skipIf(!usable)('the systemd cgroup driver on a systemd host', { timeout: 120_000 }, () => {
  let env: TestEnv;
  let bundle: string;
  const sd = (args: string[]) => ['--systemd-cgroup', ...args];

  beforeAll(() => {
    env = new TestEnv('sd');
    bundle = env.bundle('b', specWith(['true']));
  });

  afterAll(async () => {
    expect(await env.cleanup()).toEqual([]);
    expect(unitsLeft('runc-tsrunc-test-sd-*')).toEqual([]);
  });

  const write = (spec: object) => fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));

  it('makes a scope with the container\'s limits as properties and in its files; update, pause, ps and delete use it', async () => {
    const id = env.id('sd');
    const unit = `runc-${id}.scope`;
    const dir = `${CG}/system.slice/${unit}`;
    write(specWith(['sh', '-c', 'while :; do sleep 0.1; done'], (s) => {
      s.linux!.resources = { memory: { limit: 64 << 20 }, cpu: { shares: 512, quota: 12345, period: 100000 }, pids: { limit: 50 } };
      s.annotations = { 'org.systemd.property.CollectMode': "'inactive-or-failed'", 'org.systemd.property.TimeoutStopSec': 'uint64 7' };
      // Its exec below sees its cgroup as /.
      withCgroupNamespace(s);
    }));
    env.ok(sd(['run', '--detach', '--bundle', bundle, id]));
    const { pid } = env.state(id);
    expect(show(unit, 'ActiveState', 'Slice', 'Delegate', 'ControlGroup', 'MemoryMax', 'TasksMax', 'CPUQuotaPerSecUSec', 'CPUWeight', 'CollectMode', 'TimeoutStopUSec', 'Description', 'MemoryAccounting'))
      .toEqual({
        ActiveState: 'active', Slice: 'system.slice', Delegate: 'yes', ControlGroup: `/system.slice/${unit}`,
        MemoryMax: String(64 << 20), TasksMax: '50', CPUQuotaPerSecUSec: '130ms', CPUWeight: '20',
        CollectMode: 'inactive-or-failed', TimeoutStopUSec: '7s', Description: `libcontainer container ${id}`, MemoryAccounting: 'yes',
      });
    expect(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toBe(`0::/system.slice/${unit}\n`);
    // The helper that systemd moved in has left: only the container is in the scope.
    const procs = fs.readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
    expect(procs).toContain(pid);
    const comm = (p: number) => { try { return fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim(); } catch { return 'exited'; } };
    expect(procs.map(comm)).not.toContain('tsrunc-init');
    expect(fs.readFileSync(`${dir}/memory.max`, 'utf8').trim()).toBe(String(64 << 20));
    expect(fs.readFileSync(`${dir}/cpu.max`, 'utf8').trim()).toBe('13000 100000');
    expect(env.ok(['exec', id, 'cat', '/sys/fs/cgroup/memory.max', '/proc/self/cgroup']).stdout).toBe(`${64 << 20}\n0::/\n`);

    env.ok(['update', '--memory', '100m', '--pids-limit', '70', id]);
    expect(show(unit, 'MemoryMax', 'TasksMax')).toEqual({ MemoryMax: String(100 << 20), TasksMax: '70' });
    expect(fs.readFileSync(`${dir}/memory.max`, 'utf8').trim()).toBe(String(100 << 20));

    env.ok(['pause', id]);
    expect(env.state(id).status).toBe('paused');
    expect(fs.readFileSync(`${dir}/cgroup.freeze`, 'utf8').trim()).toBe('1');
    env.ok(['resume', id]);
    expect(JSON.parse(env.ok(['ps', '--format', 'json', id]).stdout)).toContain(pid);
    env.ok(['kill', '--all', id, 'KILL']);
    env.ok(['delete', '--force', id]);
    expect(gone(unit)).toBe(true);
    expect(fs.existsSync(dir)).toBe(false);
    await reapExited();
    expect(leftoversOf(env, id, { pid })).toEqual([]);
  });

  it('refuses a malformed slice:prefix:name in one line naming linux.cgroupsPath, leaving nothing', () => {
    for (const [cgroupsPath, message] of [
      ['system.slice:tsrunc', 'is not in the systemd driver\'s "slice:prefix:name" form'],
      ['not-a-slice:tsrunc:x', 'which is not a systemd slice name'],
      ['a--b.slice:tsrunc:x', 'which is not a systemd slice name'],
    ]) {
      const id = env.id('sdbad');
      write(specWith(['true'], (s) => { s.linux!.cgroupsPath = cgroupsPath; }));
      const r = env.tsrunc(sd(['create', '--bundle', bundle, id]));
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`linux.cgroupsPath (line 1, column`);
      expect(r.stderr.replace(/\\"/g, '"')).toContain(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(leftoversOf(env, id)).toEqual([]);
    }
  });

  it('puts the scope in a slice that does not exist yet (systemd makes it, as with runc); delete removes the scope', () => {
    const id = env.id('sdslice');
    const slice = `tsrunctest${randomBytes(3).toString('hex')}-x.slice`;
    const parent = slice.replace(/-x\.slice$/, '.slice');
    const unit = `tsrunc-${id}.scope`;
    write(specWith(['sleep', '100'], (s) => { s.linux!.cgroupsPath = `${slice}:tsrunc:${id}`; }));
    try {
      env.ok(sd(['run', '--detach', '--bundle', bundle, id]));
      const { pid } = env.state(id);
      expect(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toBe(`0::/${parent}/${slice}/${unit}\n`);
      expect(show(slice, 'ActiveState').ActiveState).toBe('active');
      env.ok(['delete', '--force', id]);
      expect(gone(unit)).toBe(true);
      expect(fs.existsSync(`${CG}/${parent}/${slice}/${unit}`)).toBe(false);
    } finally {
      spawnSync('systemctl', ['stop', slice, parent]);
    }
  });

  it('stops the unit again when the bundle is refused after the head start made it', () => {
    const id = env.id('sdref');
    // Valid enough for the head start (it reads only cgroupsPath, annotations, resources), refused by create.
    write(specWith(['true'], (s) => { s.process!.cwd = 'relative'; }));
    const r = env.tsrunc(sd(['create', '--bundle', bundle, id]));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('process.cwd');
    expect(gone(`runc-${id}.scope`)).toBe(true);
    expect(leftoversOf(env, id)).toEqual([]);
  });

  it('leaves nothing after delete --force of a create killed at any instant', async () => {
    write(specWith(['true']));
    for (const ms of [150, 400, 700, 1000, 1500, 2200, 3000]) {
      const id = env.id('sdkill');
      const child = spawn(TSRUNC, ['--root', env.root, '--systemd-cgroup', 'create', '--bundle', bundle, id], { stdio: 'ignore' });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await delay(ms);
      child.kill('SIGKILL');
      await exited;
      env.tsrunc(['delete', '--force', id]);
      await reapExited();
      expect(gone(`runc-${id}.scope`), `killed after ${ms} ms`).toBe(true);
      expect(leftoversOf(env, id), `killed after ${ms} ms`).toEqual([]);
      expect(fs.existsSync(`${CG}/system.slice/runc-${id}.scope`)).toBe(false);
    }
  });
});

describe.skipIf(!usable || !hasContainerd)('containerd\'s shim with SystemdCgroup (ctr --runc-systemd-cgroup)', { timeout: 120_000 }, () => {
  let env: TestEnv;
  let rootfs = '';
  let containerd: PrivateContainerd | undefined;
  const ctr = (args: string[]) => containerd!.ctr(args, 60_000);

  beforeAll(async () => {
    env = new TestEnv('sdctr');
    rootfs = path.join(env.tmp, 'rootfs');
    makeRootfs(rootfs);
    containerd = await startContainerd(path.join(env.tmp, 'containerd'), 30_000);
  }, 60_000);

  afterAll(async () => {
    await containerd?.stop();
    expect(await env.cleanup()).toEqual([]);
  }, 60_000);

  it('runs the container in the scope the engine names; exec, pause and delete go with it', async () => {
    const id = `sdctr${randomBytes(3).toString('hex')}`;
    const unit = `ctr-${id}.scope`;
    const r = ctr(['run', '-d', '--runc-binary', TSRUNC, '--runc-systemd-cgroup', '--cgroup', `system.slice:ctr:${id}`, '--memory-limit', String(64 << 20), '--rootfs', rootfs, id,
      'sh', '-c', 'while :; do sleep 0.1; done']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(show(unit, 'ActiveState', 'Delegate', 'MemoryMax')).toEqual({ ActiveState: 'active', Delegate: 'yes', MemoryMax: String(64 << 20) });
    expect(fs.readFileSync(`${CG}/system.slice/${unit}/memory.max`, 'utf8').trim()).toBe(String(64 << 20));
    // ctr's spec has neither a cgroup namespace nor a cgroup mount: the process sees its scope from the
    // host's root, and /sys/fs/cgroup is sysfs's empty directory (runc shows the same), so the limit is
    // read from the host.
    const exec = ctr(['task', 'exec', '--exec-id', 'e1', id, 'sh', '-c', 'cat /proc/self/cgroup; ls /sys/fs/cgroup']);
    expect(exec.status, `${exec.stdout}${exec.stderr}`).toBe(0);
    expect(exec.stdout).toBe(`0::/system.slice/${unit}\n`);
    expect(ctr(['task', 'pause', id]).status).toBe(0);
    expect(fs.readFileSync(`${CG}/system.slice/${unit}/cgroup.freeze`, 'utf8').trim()).toBe('1');
    expect(ctr(['task', 'resume', id]).status).toBe(0);
    expect(ctr(['task', 'kill', '-s', 'SIGKILL', id]).status).toBe(0);
    for (let i = 0; i < 100 && !/STOPPED/.test(ctr(['task', 'ls']).stdout); i++) await delay(100);
    expect(ctr(['task', 'delete', id]).status).toBe(0);
    expect(ctr(['container', 'rm', id]).status).toBe(0);
    expect(gone(unit)).toBe(true);
    expect(fs.existsSync(`${CG}/system.slice/${unit}`)).toBe(false);
  });
});
