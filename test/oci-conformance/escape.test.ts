// No way from inside a container to the host (issue #8, the class of runc's CVE-2024-21626): not
// through the working directory, not through the blocked init's descriptors while the container is
// `created`, not through /proc of the helper processes; and what the init holds while it waits.
// Each test puts a sentinel file in a folder of the test's temp dir, outside the bundle, and checks
// that the container neither reads it nor writes next to it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Spec } from '../../src/oci/types';
import { TestEnv } from '../support/env';
import { reap, runSpec, setConfig, specWith } from './helpers';

let env: TestEnv;
let bundle: string;
let outside: string;

const SECRET = 'HOST-SENTINEL-7f3a';

beforeAll(() => {
  env = new TestEnv('escape');
  bundle = env.bundle('b', specWith(['true']));
  outside = path.join(env.tmp, 'outside');
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'sentinel'), `${SECRET}\n`);
});

afterAll(async () => {
  expect(await env.cleanup()).toEqual([]);
});

/** Files the container may have written outside its rootfs (next to the sentinel, or in the test's dir). */
function written(): string[] {
  const names = (dir: string) => fs.readdirSync(dir).filter((n) => n.startsWith('PWNED')).map((n) => path.join(dir, n));
  return [...names(outside), ...names(env.tmp), ...names(env.root)];
}

/** A created container (blocked before `start`) running `sleep`; its id and init pid. */
function created(edit?: (s: Spec) => void, extra: string[] = [], extraFds: number[] = []): { id: string; pid: number } {
  setConfig(bundle, specWith(['sleep', '100'], edit));
  const id = env.id('c');
  env.ok(['create', ...extra, '--bundle', bundle, id], { extraFds });
  const st = env.state(id);
  expect(st.status).toBe('created');
  return { id, pid: st.pid };
}

async function remove(c: { id: string; pid: number }): Promise<void> {
  env.ok(['delete', '--force', c.id]);
  await reap(c.pid);
}

/** Opens a directory of the host as an fd to pass with --preserve-fds. */
function hostDirFd(): number {
  return fs.openSync(outside, 'r');
}

describe('the working directory', () => {
  it('a cwd through /proc/self/fd/N (the init\'s descriptors) is refused by check and create; nothing of the host is read or written', () => {
    // From the state directory <root>/<id>, ../.. is the test's temp dir, which holds `outside`.
    const spec = specWith(['sh', '-c', 'pwd; cat ../../outside/sentinel; echo x > ../../outside/PWNED'], (s) => {
      s.process!.cwd = '/proc/self/fd/4';
    });
    setConfig(bundle, spec);
    const check = env.tsrunc(['check', '--bundle', bundle]);
    expect(check.status).toBe(1);
    expect(check.stdout + check.stderr).toMatch(/process\.cwd\b.*magic link/);

    for (const cwd of ['/proc/self/fd/4', '/proc/thread-self/fd/4', '/proc/1/cwd', '/proc/self/root/..', '/proc/self/fd/4/../..']) {
      spec.process!.cwd = cwd;
      setConfig(bundle, spec);
      const r = env.tsrunc(['run', '--bundle', bundle, env.id('run')]);
      expect(r.stdout).not.toContain(SECRET);
      expect(r.status, cwd).toBe(1);
      expect(r.stderr).toMatch(/process\.cwd\b.*magic link/);
    }
    expect(written()).toEqual([]);
  });

  it('the helper refuses a cwd outside the root that validation cannot see (a rootfs symlink to a preserved host directory fd)', async () => {
    // check follows /evil only as far as the /proc mount point: it cannot tell what /proc/self/fd/3 is.
    const link = path.join(bundle, 'rootfs', 'evil');
    fs.symlinkSync('/proc/self/fd/3', link);
    try {
      const spec = specWith(['sh', '-c', `cat sentinel; echo x > PWNED`], (s) => {
        s.process!.cwd = '/evil';
      });
      setConfig(bundle, spec);
      const fd = hostDirFd();
      let r;
      try {
        r = env.tsrunc(['run', '--preserve-fds', '1', '--bundle', bundle, env.id('run')], { extraFds: [fd] });
      } finally {
        fs.closeSync(fd);
      }
      expect(r.stdout).not.toContain(SECRET);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('current working directory is outside of container mount namespace root -- possible container breakout detected');

      // The same for exec's process, in a running container.
      const c = created();
      env.ok(['start', c.id]);
      const fd2 = hostDirFd();
      let e;
      try {
        e = env.tsrunc(['exec', '--preserve-fds', '1', '--cwd', '/evil', c.id, 'sh', '-c', 'cat sentinel; echo x > PWNED'], { extraFds: [fd2] });
      } finally {
        fs.closeSync(fd2);
      }
      expect(e.stdout).not.toContain(SECRET);
      expect(e.status).not.toBe(0);
      expect(e.stderr).toContain('current working directory is outside of container mount namespace root');
      await remove(c);
    } finally {
      fs.unlinkSync(link);
    }
    expect(written()).toEqual([]);
  });
});

describe('a created container', () => {
  it('exec cannot reach the host through the blocked init\'s descriptors (read or write)', async () => {
    const c = created();
    // Every fd of the init, tried as a directory to climb out of: ../.. of the state dir is the test's temp dir.
    const script = 'for f in /proc/1/fd/*; do cat $f/../../outside/sentinel; echo x > $f/../../outside/PWNED-$(basename $f); cat $f/../../../outside/sentinel; done; echo done';
    const r = env.tsrunc(['exec', c.id, 'sh', '-c', script]);
    expect(r.stdout).toContain('done');
    expect(r.stdout).not.toContain(SECRET);
    expect(written()).toEqual([]);
    await remove(c);
  });

  it('the blocked init is not dumpable: its fds, cwd and environment are closed to the container', async () => {
    const c = created();
    const script = [
      'readlink /proc/1/fd/0 >/dev/null 2>&1 && echo fd:open || echo fd:denied',
      'readlink /proc/1/cwd >/dev/null 2>&1 && echo cwd:open || echo cwd:denied',
      'readlink /proc/1/root >/dev/null 2>&1 && echo root:open || echo root:denied',
      'cat /proc/1/environ >/dev/null 2>&1 && echo environ:open || echo environ:denied',
      // The exec'd process itself runs its program, dumpable again as usual.
      'readlink /proc/self/cwd >/dev/null 2>&1 && echo self:open || echo self:denied',
    ].join('; ');
    const r = env.tsrunc(['exec', c.id, 'sh', '-c', script]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['fd:denied', 'cwd:denied', 'root:denied', 'environ:denied', 'self:open']);
    await remove(c);
  });

  it('with a user namespace too: the init is closed to the container, reopens exec.fifo in its own /proc and starts', async () => {
    fs.chmodSync(env.tmp, 0o755);
    const c = created((s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 0, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 0, size: 65536 }];
    });
    const r = env.ok(['exec', c.id, 'sh', '-c', 'readlink /proc/1/cwd || echo denied; cat /proc/1/environ || echo denied']);
    expect(r.stdout.trim().split('\n')).toEqual(['denied', 'denied']);
    env.ok(['start', c.id]);
    expect(env.state(c.id).status).toBe('running');
    await remove(c);
  });

  it('with a user namespace, the bind sources the host side opened are all used and closed before the init waits for start', async () => {
    fs.chmodSync(env.tmp, 0o755);
    fs.mkdirSync(path.join(bundle, 'rootfs/outside'), { recursive: true });
    const c = created((s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.mounts!.push({ destination: '/outside', type: 'bind', source: outside, options: ['rbind', 'ro'] });
    });
    const fds = fs.readdirSync(`/proc/${c.pid}/fd`).map(Number).filter((n) => n > 2);
    for (const n of fds) expect(fs.readlinkSync(`/proc/${c.pid}/fd/${n}`)).toBe(path.join(env.root, c.id, 'exec.fifo'));
    expect(fds.length).toBeLessThanOrEqual(1);
    await remove(c);
  });

  it('the init holds only stdio, the preserved fds and the exec.fifo while it waits for start', async () => {
    const fd = fs.openSync(path.join(env.tmp, 'preserved'), 'w');
    let c;
    try {
      c = created(undefined, ['--preserve-fds', '1'], [fd]);
    } finally {
      fs.closeSync(fd);
    }
    const fds = fs.readdirSync(`/proc/${c.pid}/fd`).map(Number).sort((a, b) => a - b);
    const others = fds.filter((n) => n > 3);
    expect(fds.slice(0, 4)).toEqual([0, 1, 2, 3]);
    expect(fs.readlinkSync(`/proc/${c.pid}/fd/3`)).toBe(path.join(env.tmp, 'preserved'));
    // Whatever else is open is what waiting for start needs: the fifo, and never a directory or a file.
    expect(others.length).toBeLessThanOrEqual(1);
    for (const n of others) {
      const target = fs.readlinkSync(`/proc/${c.pid}/fd/${n}`);
      expect(target).toBe(path.join(env.root, c.id, 'exec.fifo'));
      expect(fs.statSync(`/proc/${c.pid}/fd/${n}`).isFIFO()).toBe(true);
    }
    await remove(c);
  });
});

describe('--no-pivot', () => {
  // With --no-pivot the old root stays under the container's root. A user namespace made inside the
  // container owns a new mount namespace, where mounting procfs is allowed only if no full procfs is
  // visible in it: the host's /proc left there would make that mount succeed, giving a /proc the masks
  // do not cover (/proc/sysrq-trigger, /proc/kcore, ...).
  it('a user namespace made inside the container cannot mount a fresh procfs', () => {
    const spec = specWith(['unshare', '-mrpf', 'sh', '-c', 'mount -t proc none /proc && echo MOUNTED && ls /proc/sysrq-trigger'], (s) => {
      // Writing uid 0 into the new namespace's uid_map needs CAP_SETFCAP.
      for (const set of ['bounding', 'permitted', 'effective'] as const) s.process!.capabilities![set] = [...(s.process!.capabilities![set] ?? []), 'CAP_SETFCAP', 'CAP_SYS_ADMIN'];
    });
    const r = runSpec(env, bundle, spec, ['--no-pivot']);
    expect(r.stdout).not.toContain('MOUNTED');
    expect(r.stderr).toMatch(/permission denied/i);
    expect(r.status).toBe(1);
    // The same container without --no-pivot is refused the same way (the masked /proc is no way out either).
    const pivoted = runSpec(env, bundle, spec);
    expect(pivoted.stdout).not.toContain('MOUNTED');
    expect(pivoted.status).toBe(1);
  });
});
