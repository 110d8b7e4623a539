// Containers on the cgroup v2 driver, on a real cgroup2 mount. On a hybrid host (like the one tsrunc is
// developed on: cgroup v1 controllers, cgroup2 at /sys/fs/cgroup/unified with only hugetlb) every
// command runs with TSRUNC_CGROUP2_ONLY naming that mount, so tsrunc sees a v2-only host; on a v2 host
// it is the host's own layout. What runs is the real v2 path: the container process cloned into its
// cgroup (clone3 CLONE_INTO_CGROUP, nothing migrated), exec'd processes likewise, cgroup.freeze for
// pause, hugetlb limits, device rules as a BPF_CGROUP_DEVICE program (which attaches to any cgroup2
// directory), and the cgroup removed by delete. memory, pids, cpu and io are not offered by this mount,
// so their limits are checked as write lists only (test/cgroups/resource-writes.test.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCgroupLayout, hugePageSizes } from '../../src/linux/cgroups/layout';
import { CGROUP2_ONLY_ENV } from '../../src/linux/cgroups/layout';
import { spawnSync } from 'node:child_process';
import { TestEnv, TSRUNC } from '../support/env';
import { leftoversOf, reap, setConfig, specWith, waitFor } from './helpers';
import { withCgroupNamespace } from '../support/base-spec';

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
    setConfig(bundle, specWith(['sh', '-c', FOREVER], withCgroupNamespace));
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

  // /dev/loop-control (c 10:237) is not among the devices every container may use, and opening it is
  // harmless: bound into the container, it is what the rules allow or refuse.
  const loopControl = fs.existsSync('/dev/loop-control');
  it.skipIf(!loopControl)('enforces the device rules with a device program from before the process runs; update replaces the program', async () => {
    const id = env.id('v2d');
    const attempt = [
      '{ true < /dev/loop-control && echo lc-read-ok; } 2>&1',
      '{ true > /dev/loop-control && echo lc-write-ok; } 2>&1',
      '{ echo x > /dev/null && echo null-ok; } 2>&1',
    ].join('; ');
    const allowRead = { allow: true, type: 'c' as const, major: 10, minor: 237, access: 'r' };
    setConfig(bundle, specWith(['sh', '-c', `${attempt}; ${FOREVER}`], (s) => {
      s.mounts!.push({ destination: '/dev/loop-control', type: 'bind', source: '/dev/loop-control', options: ['bind'] });
      s.linux!.resources = { ...s.linux!.resources, devices: [...(s.linux!.resources?.devices ?? []), allowRead] };
    }));
    const explained = env.ok(['explain', '--bundle', bundle, id]).stdout;
    expect(explained).toMatch(new RegExp(`device program: BPF_PROG_TYPE_CGROUP_DEVICE, \\d+ instructions, attached to \\S+/${id} \\(BPF_F_ALLOW_MULTI\\)  \\[linux\\.resources\\.devices\\]`));
    expect(explained).toMatch(/^ +allow c 1:3 rwm +\[default device rule\]$/m);
    expect(explained).toMatch(/^ +allow c 10:237 r +\[linux\.resources\.devices\[1\]\]$/m);
    expect(explained).toMatch(/^ +otherwise deny  \[linux\.resources\.devices\[0\]\]$/m);

    env.ok(['run', '--detach', '--bundle', bundle, id]);
    const { pid } = env.state(id);
    // The init's own tries: the program was in place before the container's program started.
    const first = await waitFor('the init to try the devices', () => {
      const text = fs.readFileSync(`/proc/${pid}/fd/1`, 'utf8');
      return text.includes('null-ok') ? text : undefined;
    });
    expect(first).toContain('lc-read-ok');
    expect(first).not.toContain('lc-write-ok');
    const tried = () => env.ok(['exec', id, 'sh', '-c', attempt]).stdout;
    let out = tried();
    expect(out).toContain('lc-read-ok');
    expect(out).toMatch(/\/dev\/loop-control: Operation not permitted/);
    expect(out).not.toContain('lc-write-ok');
    expect(out).toContain('null-ok');

    // The update's rules take the config's place; runc's defaults stay.
    env.ok(['update', '--resources', '-', id], { input: JSON.stringify({ devices: [{ allow: false, access: 'rwm' }, { ...allowRead, access: 'rw' }] }) });
    out = tried();
    expect(out).toContain('lc-read-ok');
    expect(out).toContain('lc-write-ok');
    expect(out).toContain('null-ok');
    env.ok(['update', '--resources', '-', id], { input: JSON.stringify({ devices: [{ allow: false, access: 'rwm' }] }) });
    out = tried();
    expect(out).not.toContain('lc-read-ok');
    expect(out).not.toContain('lc-write-ok');
    expect(out).toContain('null-ok');

    env.ok(['kill', id, 'KILL']);
    await waitFor(`${id} to stop`, () => env.state(id).status === 'stopped');
    env.ok(['delete', id]);
    await reap(pid);
    expect(leftoversOf(env, id, { bundle, pid })).toEqual([]);
  });

  it('check says when this process cannot load a device program (no capabilities)', () => {
    setConfig(bundle, specWith(['true']));
    const r = spawnSync('setpriv', ['--inh-caps=-all', '--bounding-set=-all', TSRUNC, '--root', env.root, 'check', '--bundle', bundle], {
      encoding: 'utf8', env: { ...process.env, [CGROUP2_ONLY_ENV]: mount!, NO_COLOR: '1' },
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('error: linux.resources.devices: cgroup v2 enforces device rules with an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE), '
      + 'and this process cannot load one: bpf(BPF_PROG_LOAD): Operation not permitted (bpf() needs CAP_SYS_ADMIN, or CAP_BPF with CAP_NET_ADMIN');
    expect(env.ok(['check', '--bundle', bundle]).stdout).toMatch(/^no problems found/);
  });
});
