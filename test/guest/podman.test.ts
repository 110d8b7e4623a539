// podman with cgroup_manager = "systemd" on a host like production (systemd as PID 1, cgroup v2 only:
// scripts/guest/run.sh boots one), tsrunc as its OCI runtime; and the podman paths a runc user takes for
// granted: --read-only with its tmpfs mounts (tmpcopyup), a user namespace of podman's own mapping,
// and logs holding only what the container wrote. Skipped where there is no podman or no systemd.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectCgroupLayout } from '../../src/linux/cgroups/layout';
import { systemdRunning } from '../../src/linux/cgroups/systemd/bus';
import { makeRootfs, TestEnv, TSRUNC, WARM } from '../support/env';
import { delay, hostMounts } from '../oci-conformance/helpers';

const hasPodman = spawnSync('sh', ['-c', 'command -v podman && command -v conmon']).status === 0;
const usable = process.getuid?.() === 0 && hasPodman && systemdRunning() && detectCgroupLayout().mode === 'v2';
const CG = '/sys/fs/cgroup';

/** `systemctl show UNIT -p ...` as a map (LoadState=not-found once the unit is gone). */
function show(unit: string, ...props: string[]): Record<string, string> {
  const r = spawnSync('systemctl', ['show', unit, ...props.flatMap((p) => ['-p', p])], { encoding: 'utf8' });
  return Object.fromEntries(r.stdout.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

describe.skipIf(!usable)('podman with cgroup_manager=systemd and tsrunc as its runtime', { timeout: 180_000 }, () => {
  let env: TestEnv;
  let rootfs = '';
  let store = '';
  const names: string[] = [];

  /**
   * podman with everything of its own (storage, run state, events) in the test's folder, tsrunc's state
   * root too (--runtime-flag): with TSRUNC_TEST_WARM=1 the test's daemon serves every runtime command.
   */
  const podman = (args: string[], timeout = 120_000) => {
    const r = spawnSync('podman', [
      '--root', path.join(store, 'storage'), '--runroot', path.join(store, 'run'), '--tmpdir', path.join(store, 'tmp'),
      '--storage-driver', 'vfs', '--cgroup-manager', 'systemd', '--events-backend', 'file', '--runtime', TSRUNC,
      '--runtime-flag', `root=${env.root}`, ...args,
    ], { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...(WARM ? { TSRUNC_DAEMON: 'required' } : {}) } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const expectOk = (r: { status: number | null; stderr: string }) => expect(r.status, r.stderr).toBe(0);
  const name = (label: string) => {
    const n = `tsrunc-test-${label}-${randomBytes(3).toString('hex')}`;
    names.push(n);
    return n;
  };
  /** podman run with its options, then the rootfs (which stands where an image would) and the command. */
  const run = (opts: string[], cmd: string[]) => podman(['run', '--network', 'none', ...opts, '--rootfs', rootfs, ...cmd]);

  beforeAll(() => {
    env = new TestEnv('podman');
    // The container's root in a user namespace of podman's mapping must reach its rootfs.
    fs.chmodSync(env.tmp, 0o711);
    rootfs = path.join(env.tmp, 'rootfs');
    makeRootfs(rootfs);
    store = path.join(env.tmp, 'podman');
    fs.mkdirSync(path.join(store, 'tmp'), { recursive: true });
  });

  afterAll(async () => {
    for (const n of names) podman(['rm', '--force', '--time', '0', n]);
    const left = podman(['ps', '--all', '--format', '{{.Names}}']);
    expect(left.stdout.trim()).toBe('');
    // podman's own mounts (shm, the rootfs overlay of a --read-only run) go with its containers.
    expect(hostMounts(env.tmp)).toEqual([]);
    expect(await env.cleanup()).toEqual([]);
  }, 180_000);

  it('run, exec, a memory limit seen inside, pause/unpause, stop and rm, in podman\'s scope', async () => {
    const n = name('sd');
    const r = run(['-d', '--name', n, '--memory', '64m'], ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const id = r.stdout.trim();
    const unit = `libpod-${id}.scope`;
    expect(show(unit, 'ActiveState', 'Delegate', 'MemoryMax')).toEqual({ ActiveState: 'active', Delegate: 'yes', MemoryMax: String(64 * 1024 * 1024) });
    const dir = path.join(CG, 'machine.slice', unit);
    expect(fs.readFileSync(path.join(dir, 'memory.max'), 'utf8').trim()).toBe(String(64 * 1024 * 1024));
    const inside = podman(['exec', n, 'sh', '-c', 'cat /proc/self/cgroup /sys/fs/cgroup/memory.max']);
    expect(inside.stderr).toBe('');
    expect(inside.stdout).toBe(`0::/\n${64 * 1024 * 1024}\n`);
    expectOk(podman(['pause', n]));
    expect(fs.readFileSync(path.join(dir, 'cgroup.freeze'), 'utf8').trim()).toBe('1');
    expect(podman(['inspect', '--format', '{{.State.Status}}', n]).stdout.trim()).toBe('paused');
    expectOk(podman(['unpause', n]));
    expect(fs.readFileSync(path.join(dir, 'cgroup.freeze'), 'utf8').trim()).toBe('0');
    expectOk(podman(['stop', '--time', '10', n]));
    expect(podman(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', n]).stdout.trim()).toBe('exited 0');
    expectOk(podman(['rm', n]));
    for (let i = 0; i < 50 && show(unit, 'LoadState').LoadState !== 'not-found'; i++) await delay(100);
    expect(show(unit, 'LoadState').LoadState).toBe('not-found');
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('--read-only with --tmpfs and --mount type=tmpfs (podman\'s tmpcopyup): the tmpfs mounts are writable, the root is not', () => {
    const r = run(['--rm', '--name', name('ro'), '--read-only', '--tmpfs', '/scratch', '--mount', 'type=tmpfs,destination=/x'],
      ['sh', '-c', 'touch /scratch/a /x/b /tmp/c /run/d && echo tmpfs-ok; touch /e 2>/dev/null || echo root-ro']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('tmpfs-ok\nroot-ro\n');
    expect(r.status).toBe(0);
  });

  it('--uidmap/--gidmap: the container runs in podman\'s mapping and its bind mounts of podman\'s own files work', () => {
    const r = run(['--rm', '--name', name('userns'), '--uidmap', '0:100000:65536', '--gidmap', '0:100000:65536'],
      ['sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map; id -u; cat /etc/hostname >/dev/null && echo hostname-ok']);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').map((l) => l.trim().split(/\s+/).join(' '))).toEqual(['0 100000 65536', '0 100000 65536', '0', 'hostname-ok', '']);
    expect(r.status).toBe(0);
  });

  it('podman logs hold only what the container wrote: nothing of tsrunc\'s own (podman passes no --log)', () => {
    const n = name('logs');
    expectOk(run(['--name', n], ['sh', '-c', 'echo out; echo err >&2']));
    const logs = podman(['logs', n]);
    expectOk(logs);
    expect(logs.stdout + logs.stderr).not.toMatch(/level=|tsrunc/);
    expect([logs.stdout, logs.stderr].join('').split('\n').filter(Boolean).sort()).toEqual(['err', 'out']);
    expectOk(podman(['rm', n]));
  });
});
