// The container's filesystem as it sees it: mounts and their flags (from /proc/self/mountinfo inside),
// a read-only root, masked and read-only paths, devices, --no-pivot, rootfs propagation, symlinks
// in the rootfs that point out of it, and the file descriptors the process gets.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Spec } from '../../src/oci/types';
import { TestEnv } from '../support/env';
import { withCgroupNamespace } from '../support/base-spec';
import {
  hostMounts, MountEntry, mountAt, output, parseMountinfo, reap, runSpec, setConfig, specWith, leftoversOf } from './helpers';

let env: TestEnv;
let bundle: string;
let rootfs: string;

beforeAll(() => {
  env = new TestEnv('rootfs');
  bundle = env.bundle('b', specWith(['true']));
  rootfs = path.join(bundle, 'rootfs');
});

afterAll(async () => {
  expect(await env.cleanup()).toEqual([]);
});

function mountinfo(spec: Spec, extra: string[] = []): MountEntry[] {
  spec.process!.args = ['cat', '/proc/self/mountinfo'];
  return parseMountinfo(output(env, bundle, spec, extra));
}

function must(entries: MountEntry[], mountPoint: string): MountEntry {
  const e = mountAt(entries, mountPoint);
  if (!e) throw new Error(`no mount at ${mountPoint} in\n${entries.map((x) => x.mountPoint).join('\n')}`);
  return e;
}

function hostDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(env.tmp, `${name}-`));
  return dir;
}

describe('mounts', () => {
  it('the default mounts with their types and flags', () => {
    const all = mountinfo(specWith([], (s) => {
      s.mounts![0].options = ['nosuid', 'noexec', 'nodev'];
    }));
    expect(must(all, '/').root).toBe(rootfs);
    expect(all[0].mountPoint).toBe('/');

    const proc = must(all, '/proc');
    expect(proc.fstype).toBe('proc');
    expect(proc.options).toEqual(expect.arrayContaining(['rw', 'nosuid', 'nodev', 'noexec']));

    const dev = must(all, '/dev');
    expect(dev.fstype).toBe('tmpfs');
    expect(dev.options).toEqual(expect.arrayContaining(['rw', 'nosuid']));
    expect(dev.options).not.toContain('noexec');
    expect(dev.superOptions).toEqual(expect.arrayContaining(['size=65536k', 'mode=755']));

    const pts = must(all, '/dev/pts');
    expect(pts.fstype).toBe('devpts');
    expect(pts.options).toEqual(expect.arrayContaining(['nosuid', 'noexec']));
    expect(pts.superOptions).toEqual(expect.arrayContaining(['gid=5', 'mode=620', 'ptmxmode=666']));

    const shm = must(all, '/dev/shm');
    expect([shm.fstype, shm.source]).toEqual(['tmpfs', 'shm']);
    expect(shm.options).toEqual(expect.arrayContaining(['nosuid', 'nodev', 'noexec']));
    expect(shm.superOptions).toContain('size=65536k');

    const mq = must(all, '/dev/mqueue');
    expect(mq.fstype).toBe('mqueue');
    expect(mq.options).toEqual(expect.arrayContaining(['nosuid', 'nodev', 'noexec']));

    const sys = must(all, '/sys');
    expect(sys.fstype).toBe('sysfs');
    expect(sys.options).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));

    // /sys/fs/cgroup: cgroup2, or (v1) a tmpfs with one bind per hierarchy; read-only all the way.
    const cg = must(all, '/sys/fs/cgroup');
    expect(['tmpfs', 'cgroup2']).toContain(cg.fstype);
    const hierarchies = all.filter((e) => e.mountPoint.startsWith('/sys/fs/cgroup/'));
    if (cg.fstype === 'tmpfs') {
      expect(hierarchies.map((e) => e.mountPoint)).toContain('/sys/fs/cgroup/memory');
      for (const h of hierarchies) {
        expect(h.fstype, h.mountPoint).toBe('cgroup');
        expect(h.options, h.mountPoint).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));
      }
    }
    expect(cg.options).toEqual(expect.arrayContaining(['nosuid', 'nodev', 'noexec']));
  });

  it('/sys/fs/cgroup (options ro) cannot be written', () => {
    const r = runSpec(env, bundle, specWith(['sh', '-c', 'mkdir /sys/fs/cgroup/x 2>&1; touch /sys/fs/cgroup/memory/x 2>&1; true']));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/mkdir: can't create directory '\/sys\/fs\/cgroup\/x': Read-only file system/);
    expect(r.stdout).toMatch(/touch: \/sys\/fs\/cgroup\/memory\/x: Read-only file system/);
  });

  it('with a cgroup namespace, the container sees its own cgroup at the root of /sys/fs/cgroup/<controller>', () => {
    const out = output(env, bundle, specWith(['sh', '-c', 'cat /proc/self/cgroup; ls /sys/fs/cgroup/pids'], withCgroupNamespace));
    expect(out).toMatch(/^\d+:pids:\/$/m);
    expect(out).toMatch(/^cgroup\.procs$/m);
  });

  it('without one (tsrunc spec on a host that is not cgroup v2 only), /sys/fs/cgroup/<controller> is its own cgroup, which /proc/self/cgroup names by its host path', () => {
    const out = output(env, bundle, specWith(['sh', '-c', 'cat /proc/self/cgroup; echo; cat /sys/fs/cgroup/pids/cgroup.procs']));
    const [cgroups, procs] = out.split('\n\n');
    expect(cgroups).toMatch(/^\d+:pids:\/.+$/m);
    expect(cgroups).not.toMatch(/^\d+:pids:\/$/m);
    // The cgroup's own cgroup.procs: sh (pid 1 in the container) is in it.
    expect(procs.trim().split('\n')).toContain('1');
  });

  it('bind mounts, read-only and read-write: writes reach the host, read-only refuses them', () => {
    const ro = hostDir('ro');
    const rw = hostDir('rw');
    fs.writeFileSync(path.join(ro, 'file'), 'from the host\n');
    const spec = specWith(['sh', '-c', [
      'cat /ro/file',
      'echo written >/rw/file && echo rw-ok',
      'touch /ro/new 2>&1 || echo ro-refused',
      'grep -E " /(ro|rw) " /proc/self/mountinfo',
    ].join('; ')], (s) => {
      s.mounts!.push(
        { destination: '/ro', type: 'bind', source: ro, options: ['rbind', 'ro'] },
        { destination: '/rw', type: 'none', source: rw, options: ['bind', 'rw'] },
      );
    });
    const out = output(env, bundle, spec);
    expect(out).toMatch(/^from the host\nrw-ok\n/);
    expect(out).toMatch(/touch: \/ro\/new: Read-only file system\nro-refused/);
    expect(fs.readFileSync(path.join(rw, 'file'), 'utf8')).toBe('written\n');
    expect(fs.existsSync(path.join(ro, 'new'))).toBe(false);
    const entries = parseMountinfo(out.split('\n').filter((l) => / - /.test(l)).join('\n'));
    expect(must(entries, '/ro').options).toContain('ro');
    expect(must(entries, '/rw').options).toContain('rw');
    // The mount points were made in the rootfs, and nothing of them stays mounted on the host.
    expect(fs.statSync(path.join(rootfs, 'ro')).isDirectory()).toBe(true);
    expect(hostMounts(ro)).toEqual([]);
    expect(hostMounts(rw)).toEqual([]);
  });

  it('a bind mount of a file onto a file', () => {
    const dir = hostDir('file');
    fs.writeFileSync(path.join(dir, 'hosts'), '10.0.0.1 conformance\n');
    const out = output(env, bundle, specWith(['cat', '/etc/hosts'], (s) => {
      s.mounts!.push({ destination: '/etc/hosts', type: 'bind', source: path.join(dir, 'hosts'), options: ['bind', 'ro'] });
    }));
    expect(out).toBe('10.0.0.1 conformance\n');
    expect(fs.statSync(path.join(rootfs, 'etc/hosts')).isFile()).toBe(true);
  });

  it('a bind source in the rootfs that an earlier mount makes is found at its turn (as runc); with a user namespace it is refused, saying why', () => {
    const src = hostDir('tree');
    for (const sub of ['a/x', 'b/y']) {
      fs.mkdirSync(path.join(src, sub), { recursive: true });
      fs.writeFileSync(path.join(src, sub, 'file'), `${sub}\n`);
    }
    fs.rmSync(path.join(rootfs, 'mnt'), { recursive: true, force: true });
    const tree = (s: Spec) => {
      s.mounts!.push(
        { destination: '/mnt', type: 'bind', source: path.join(src, 'a'), options: ['rbind'] },
        { destination: '/mnt/x/y', type: 'bind', source: path.join(src, 'b/y'), options: ['rbind'] },
        // rootfs/mnt/x exists only through the first mount; the whole tree above comes along (rbind).
        { destination: '/final', type: 'bind', source: path.join(rootfs, 'mnt/x'), options: ['rbind'] },
        // A destination written as the host's path into the rootfs is that place (as runc reads it).
        { destination: path.join(rootfs, 'again'), type: 'bind', source: path.join(rootfs, 'mnt/x/y'), options: ['rbind'] },
      );
    };
    expect(output(env, bundle, specWith(['cat', '/final/file', '/final/y/file', '/again/file'], tree))).toBe('a/x\nb/y\nb/y\n');
    expect(fs.existsSync(path.join(rootfs, 'mnt/x'))).toBe(false);
    const r = runSpec(env, bundle, specWith(['true'], (s) => {
      tree(s);
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 0, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 0, size: 65536 }];
    }));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/mounts\[\d+\]\.source .*mnt\/x does not exist \(with a user namespace or id-mapping/);
  });

  it('a bind gets exactly the flags asked for, not its source\'s (as runc); in a user namespace the locked ones stay, and clearing one is refused', () => {
    const src = hostDir('flagged');
    execFileSync('mount', ['--bind', src, src]);
    try {
      execFileSync('mount', ['-o', 'remount,bind,nosuid,nodev,noexec', src]);
      const flagsAt = (options: string[], userns = false) => {
        const spec = specWith(['true'], (s) => {
          s.mounts!.push({ destination: '/flagged', type: 'bind', source: src, options });
          if (userns) {
            s.linux!.namespaces!.push({ type: 'user' });
            s.linux!.uidMappings = [{ containerID: 0, hostID: 0, size: 65536 }];
            s.linux!.gidMappings = [{ containerID: 0, hostID: 0, size: 65536 }];
          }
        });
        const m = must(mountinfo(spec), '/flagged');
        return ['ro', 'nosuid', 'nodev', 'noexec'].filter((f) => m.options.includes(f));
      };
      expect(flagsAt(['bind'])).toEqual(['nosuid', 'nodev', 'noexec']);
      expect(flagsAt(['bind', 'dev', 'exec', 'suid'])).toEqual([]);
      expect(flagsAt(['bind', 'ro'])).toEqual(['ro']);
      expect(flagsAt(['bind', 'ro'], true)).toEqual(['ro', 'nosuid', 'nodev', 'noexec']);
      const r = runSpec(env, bundle, specWith(['true'], (s) => {
        s.mounts!.push({ destination: '/flagged', type: 'bind', source: src, options: ['bind', 'dev'] });
        s.linux!.namespaces!.push({ type: 'user' });
        s.linux!.uidMappings = [{ containerID: 0, hostID: 0, size: 65536 }];
        s.linux!.gidMappings = [{ containerID: 0, hostID: 0, size: 65536 }];
      }));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/cannot clear the flags .* of \/flagged: its source has them/);
    } finally {
      execFileSync('umount', [src]);
    }
  });

  it('a tmpfs with size and mode options', () => {
    const spec = specWith(['sh', '-c', 'stat -c %a /data; grep " /data " /proc/self/mountinfo'], (s) => {
      s.mounts!.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'size=1m', 'mode=0700'] });
    });
    const [mode, line] = output(env, bundle, spec).trim().split('\n');
    expect(mode).toBe('700');
    const e = parseMountinfo(line)[0];
    expect(e.fstype).toBe('tmpfs');
    expect(e.options).toEqual(expect.arrayContaining(['nosuid', 'nodev']));
    expect(e.superOptions).toEqual(expect.arrayContaining(['size=1024k', 'mode=700']));
  });

  it('a tmpfs without mode= takes the mode of the directory it covers (runc), a made one keeps 1777, mode= wins', () => {
    const covered = path.join(rootfs, 'covered');
    fs.rmSync(covered, { recursive: true, force: true });
    fs.mkdirSync(covered);
    fs.chmodSync(covered, 0o6751);
    fs.rmSync(path.join(rootfs, 'made'), { recursive: true, force: true });
    try {
      const spec = specWith(['sh', '-c', 'stat -c %a /covered /made /given; grep " /covered " /proc/self/mountinfo'], (s) => {
        s.mounts!.push(
          { destination: '/covered', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev'] },
          { destination: '/made', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] },
          { destination: '/given', type: 'tmpfs', source: 'tmpfs', options: ['mode=0410'] },
        );
      });
      const [coveredMode, madeMode, givenMode, line] = output(env, bundle, spec).trim().split('\n');
      expect([coveredMode, madeMode, givenMode]).toEqual(['6751', '1777', '410']);
      expect(parseMountinfo(line)[0].superOptions).toEqual(expect.arrayContaining(['mode=6751']));
    } finally {
      for (const d of ['covered', 'made', 'given']) fs.rmSync(path.join(rootfs, d), { recursive: true, force: true });
    }
  });

  it('root.readonly refuses writes to the root, but a tmpfs on /tmp is writable', () => {
    const out = output(env, bundle, specWith(['sh', '-c', [
      'touch /x 2>&1 || echo refused',
      'touch /tmp/y && echo tmp-ok',
      'awk \'$5 == "/"\' /proc/self/mountinfo',
    ].join('; ')], (s) => {
      s.root!.readonly = true;
      s.mounts!.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev'] });
    }));
    const lines = out.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual(['touch: /x: Read-only file system', 'refused', 'tmp-ok']);
    expect(parseMountinfo(lines[3])[0].options).toContain('ro');
    expect(fs.existsSync(path.join(rootfs, 'x'))).toBe(false);
    expect(fs.existsSync(path.join(rootfs, 'tmp/y'))).toBe(false);
  });
});

describe('masked and read-only paths', () => {
  it('a masked file reads empty, a masked directory is an empty read-only tmpfs', () => {
    fs.mkdirSync(path.join(rootfs, 'secretdir'), { recursive: true });
    fs.writeFileSync(path.join(rootfs, 'secretdir/key'), 'secret');
    fs.writeFileSync(path.join(rootfs, 'etc/secret'), 'secret');
    const out = output(env, bundle, specWith(['sh', '-c', [
      'echo "keys:$(wc -c </proc/keys)"',
      'echo "secret:$(cat /etc/secret)"',
      'echo "dir:$(ls -A /secretdir)"',
      'touch /secretdir/new 2>/dev/null || echo dir-ro',
      'echo "acpi:$(ls -A /proc/acpi)"',
      'grep -E " /(secretdir|proc/acpi|etc/secret|proc/keys) " /proc/self/mountinfo',
    ].join('; ')], (s) => {
      s.linux!.maskedPaths!.push('/secretdir', '/etc/secret', '/does/not/exist');
    }));
    const lines = out.trim().split('\n');
    expect(lines.slice(0, 5)).toEqual(['keys:0', 'secret:', 'dir:', 'dir-ro', 'acpi:']);
    const entries = parseMountinfo(lines.slice(5).join('\n'));
    for (const dir of ['/secretdir', '/proc/acpi']) {
      expect(must(entries, dir).fstype, dir).toBe('tmpfs');
      expect(must(entries, dir).options, dir).toContain('ro');
    }
    expect(must(entries, '/etc/secret').root).toBe('/null');
    expect(fs.readFileSync(path.join(rootfs, 'etc/secret'), 'utf8')).toBe('secret');
  });

  it('masked directories share one read-only tmpfs, and a path listed twice is masked once (as runc)', () => {
    for (const d of ['m1', 'm2', 'm3']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
    const out = output(env, bundle, specWith(['sh', '-c', [
      'stat -c %d /m1 /m2 /m3 | uniq | wc -l',
      'touch /m2/new 2>&1 | grep -c "Read-only file system"',
      'grep -c " /m1 " /proc/self/mountinfo',
    ].join('; ')], (s) => {
      s.linux!.maskedPaths!.push('/m1', '/m2', '/m3', '/m1');
    }));
    expect(out.trim().split('\n')).toEqual(['1', '1', '1']);
  });

  it('read-only paths: /proc/sys and a rootfs directory cannot be written', () => {
    const out = output(env, bundle, specWith(['sh', '-c', [
      '{ echo other >/proc/sys/kernel/hostname; } 2>&1',
      'touch /etc/new 2>&1',
      'cat /proc/sys/kernel/hostname',
      'echo ok >/tmp/writable && cat /tmp/writable',
      'grep -E " /(proc/sys|etc) " /proc/self/mountinfo',
    ].join('; ')], (s) => {
      s.linux!.readonlyPaths!.push('/etc', '/does/not/exist');
    }));
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/\/proc\/sys\/kernel\/hostname: Read-only file system/);
    expect(lines[1]).toBe('touch: /etc/new: Read-only file system');
    expect(lines.slice(2, 4)).toEqual(['runc', 'ok']);
    const entries = parseMountinfo(lines.slice(4).join('\n'));
    expect(must(entries, '/proc/sys').options).toContain('ro');
    expect(must(entries, '/etc').options).toContain('ro');
    expect(fs.existsSync(path.join(rootfs, 'etc/new'))).toBe(false);
    fs.rmSync(path.join(rootfs, 'tmp/writable'));
  });
});

describe('devices', () => {
  it('the default devices with their numbers, modes and owners, and the /dev links', () => {
    const devices = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];
    const out = output(env, bundle, specWith(['sh', '-c', [
      ...devices.map((d) => `stat -c '%n %F %t:%T %a %u:%g' /dev/${d}`),
      ...['fd', 'stdin', 'stdout', 'stderr', 'ptmx'].map((l) => `echo "/dev/${l} -> $(readlink /dev/${l})"`),
      'test -c /dev/pts/ptmx && echo pts-ptmx',
      'echo hi >/dev/null && head -c 4 /dev/zero | wc -c',
    ].join('; ')]));
    expect(out.trim().split('\n')).toEqual([
      '/dev/null character special file 1:3 666 0:0',
      '/dev/zero character special file 1:5 666 0:0',
      '/dev/full character special file 1:7 666 0:0',
      '/dev/random character special file 1:8 666 0:0',
      '/dev/urandom character special file 1:9 666 0:0',
      '/dev/tty character special file 5:0 666 0:0',
      '/dev/fd -> /proc/self/fd',
      '/dev/stdin -> /proc/self/fd/0',
      '/dev/stdout -> /proc/self/fd/1',
      '/dev/stderr -> /proc/self/fd/2',
      '/dev/ptmx -> pts/ptmx',
      'pts-ptmx',
      '4',
    ]);
  });

  it('a device from linux.devices is created and allowed', () => {
    const out = output(env, bundle, specWith(['sh', '-c', "stat -c '%F %t:%T %a %u:%g' /dev/fuse-like; head -c 3 /dev/fuse-like | wc -c"], (s) => {
      // /dev/zero's numbers under another name.
      s.linux!.devices = [{ path: '/dev/fuse-like', type: 'c', major: 1, minor: 5, fileMode: 0o604, uid: 1000, gid: 1000 }];
    }));
    expect(out).toBe('character special file 1:5 604 1000:1000\n3\n');
  });

  it('a read-only /dev is made read-only after everything under it, as runc does', () => {
    const r = runSpec(env, bundle, specWith(['sh', '-c', 'test -c /dev/null && test -d /dev/pts/ && grep -c " /dev/pts \\| /dev/shm " /proc/self/mounts; touch /dev/new'], (s) => {
      s.mounts!.find((m) => m.destination === '/dev')!.options!.push('ro');
    }));
    expect(r.stdout).toBe('2\n');
    expect(r.stderr).toMatch(/touch: \/dev\/new: Read-only file system/);
  });

  it('a device of linux.devices is allowed only by a rule of linux.resources.devices, as with runc', () => {
    const withFuse = (rules: boolean) => runSpec(env, bundle, specWith(['sh', '-c', ': < /dev/fuse-like && echo opened'], (s) => {
      s.linux!.devices = [{ path: '/dev/fuse-like', type: 'c', major: 10, minor: 229, fileMode: 0o600 }];
      if (rules) s.linux!.resources!.devices!.push({ allow: true, type: 'c', major: 10, minor: 229, access: 'r' });
    }));
    const refused = withFuse(false);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/Operation not permitted/);
    expect(withFuse(true).stdout).toBe('opened\n');
  });

  it('access letters other than r, w and m are ignored with a warning, as runc ignores them', () => {
    const log = path.join(env.tmp, 'access.log');
    const withZero = (access: string) => {
      setConfig(bundle, specWith(['sh', '-c', 'head -c 1 /dev/zero | wc -c; echo x > /dev/zero || echo write-refused'], (s) => {
        s.linux!.devices = [{ path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666 }];
        s.linux!.resources!.devices!.push({ allow: true, type: 'c', major: 1, minor: 5, access });
      }));
      return env.tsrunc(['--log', log, 'run', '--bundle', bundle, env.id('acc')]);
    };
    const readOnly = withZero('rxa');
    expect(readOnly.status).toBe(0);
    expect(readOnly.stderr).toMatch(/can't create \/dev\/zero: Operation not permitted/);
    expect(readOnly.stdout.trim().split('\n')).toEqual(['1', 'write-refused']);
    expect(fs.readFileSync(log, 'utf8')).toMatch(/level=warn msg="linux\.resources\.devices\[\d+\]\.access \(line \d+, column \d+\): not applied: the letters \\"xa\\" of access \\"rxa\\" are ignored/);
    // Nothing of it left: the rule does nothing, so the device stays refused.
    const nothing = withZero('a');
    expect(nothing.stdout.trim().split('\n')).toEqual(['0', 'write-refused']);
    expect(nothing.stderr).toMatch(/Operation not permitted/);
    fs.rmSync(log, { force: true });
  });

  it('a device the cgroup does not allow cannot be opened', () => {
    const r = runSpec(env, bundle, specWith(['sh', '-c', 'mknod /tmp/mem c 1 1 && head -c 1 /tmp/mem >/dev/null'], (s) => {
      s.process!.capabilities!.bounding!.push('CAP_MKNOD');
      s.process!.capabilities!.effective!.push('CAP_MKNOD');
      s.process!.capabilities!.permitted!.push('CAP_MKNOD');
    }));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Operation not permitted/);
    fs.rmSync(path.join(rootfs, 'tmp/mem'), { force: true });
  });
});

describe('no mount namespace: the runtime\'s is shared, as runc 1.2+ shares it', () => {
  const shared = (args: string[], edit?: (s: Spec) => void) => specWith(args, (s) => {
    s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'mount');
    s.linux!.maskedPaths = [];
    s.linux!.readonlyPaths = [];
    edit?.(s);
  });
  const underRootfs = () => hostMounts(`${fs.realpathSync(rootfs)}/`).length + hostMounts(` ${fs.realpathSync(rootfs)} `).length;

  it('runs in the host\'s mount namespace with the rootfs as its root; delete leaves no mount of it on the host', async () => {
    fs.writeFileSync(path.join(rootfs, 'marker-shared'), 'in the rootfs\n');
    try {
      const before = underRootfs();
      const out = output(env, bundle, shared(['sh', '-c', 'readlink /proc/self/ns/mnt; cat /marker-shared; grep -c " /proc " /proc/self/mountinfo']));
      expect(out.trim().split('\n')).toEqual([fs.readlinkSync('/proc/self/ns/mnt'), 'in the rootfs', expect.stringMatching(/^[1-9]/)]);
      expect(underRootfs()).toBe(before);

      setConfig(bundle, shared(['sleep', '1000']));
      const id = env.id('hostmnt');
      env.ok(['run', '--detach', '--bundle', bundle, id]);
      const { pid } = env.state(id);
      expect(underRootfs()).toBeGreaterThan(before);
      env.ok(['delete', '--force', id]);
      await reap(pid);
      expect(underRootfs()).toBe(before);
      expect(leftoversOf(env, id, { bundle })).toEqual([]);
    } finally {
      fs.rmSync(path.join(rootfs, 'marker-shared'), { force: true });
    }
  });

  it('a create that fails after the mounts leaves none; --no-pivot and masked paths are refused before anything is made', () => {
    const before = underRootfs();
    const failing = runSpec(env, bundle, shared(['true'], (s) => { s.hooks = { createRuntime: [{ path: '/bin/false' }] }; }));
    expect(failing.status).toBe(1);
    expect(failing.stderr).toMatch(/hooks\.createRuntime\[0\]/);
    expect(underRootfs()).toBe(before);
    const noPivot = runSpec(env, bundle, shared(['true']), ['--no-pivot']);
    expect(noPivot.status).toBe(1);
    expect(noPivot.stderr).toMatch(/--no-pivot.*cannot be used without a mount namespace/);
    const masked = runSpec(env, bundle, shared(['true'], (s) => { s.linux!.maskedPaths = ['/proc/kcore']; }));
    expect(masked.status).toBe(1);
    expect(masked.stderr).toMatch(/linux\.maskedPaths.*cannot be applied without a mount namespace/);
    expect(underRootfs()).toBe(before);
  });
});

describe('root', () => {
  it('the container cannot see the host\'s root', () => {
    const marker = path.join(env.tmp, 'host-marker');
    fs.writeFileSync(marker, 'x');
    const out = output(env, bundle, specWith(['sh', '-c', `stat -c %i /; ls -a /; test -e ${marker} && echo visible; test -e /proc/1/root${marker} && echo visible; true`]));
    const [ino, ...names] = out.trim().split('\n');
    expect(Number(ino)).toBe(fs.statSync(rootfs).ino);
    const expected = ['.', '..', ...fs.readdirSync(rootfs)].sort();
    expect(names.sort()).toEqual(expected);
    expect(out).not.toMatch(/visible/);
  });

  it('--no-pivot runs the container in its rootfs', () => {
    const out = output(env, bundle, specWith(['sh', '-c', 'stat -c %i /; cat /proc/self/mountinfo']), ['--no-pivot']);
    const [ino, ...rest] = out.trim().split('\n');
    expect(Number(ino)).toBe(fs.statSync(rootfs).ino);
    const entries = parseMountinfo(rest.join('\n'));
    expect(must(entries, '/proc').fstype).toBe('proc');
    expect(entries.some((e) => e.mountPoint === '/dev/pts')).toBe(true);
    const marker = path.join(env.tmp, 'host-marker-2');
    fs.writeFileSync(marker, 'x');
    expect(output(env, bundle, specWith(['sh', '-c', `test -e ${marker} && echo visible; cd /..; ls`]), ['--no-pivot']).split('\n').sort())
      .toEqual(['', ...fs.readdirSync(rootfs)].sort());
  });

  describe('rootfsPropagation', () => {
    let shared: string;
    let sharedRootfs: string;

    beforeAll(() => {
      // A bundle whose rootfs is a shared mount on the host, so rslave (master:N) is visible too.
      shared = env.bundle('shared', specWith(['true']));
      sharedRootfs = path.join(shared, 'rootfs');
      execFileSync('mount', ['--bind', sharedRootfs, sharedRootfs]);
      execFileSync('mount', ['--make-shared', sharedRootfs]);
    });

    afterAll(() => {
      execFileSync('umount', ['-l', sharedRootfs]);
    });

    function rootEntry(propagation: string | undefined): MountEntry {
      setConfig(shared, specWith(['cat', '/proc/self/mountinfo'], (s) => {
        if (propagation) s.linux!.rootfsPropagation = propagation;
      }));
      const r = env.tsrunc(['run', '--bundle', shared, env.id('prop')]);
      if (r.status !== 0) throw new Error(r.stderr);
      return must(parseMountinfo(r.stdout), '/');
    }

    it('rprivate: no peer group, no master', () => {
      expect(rootEntry('rprivate').optional).toEqual([]);
    });

    it('rslave: a slave of the host\'s peer group', () => {
      const hostGroup = hostMounts(sharedRootfs).map((l) => /shared:(\d+)/.exec(l)?.[1]).find(Boolean);
      expect(hostGroup).toBeDefined();
      expect(rootEntry('rslave').optional).toEqual([`master:${hostGroup}`]);
    });

    it('shared: a peer group of its own', () => {
      const opt = rootEntry('shared').optional;
      expect(opt.some((o) => /^shared:\d+$/.test(o))).toBe(true);
      const hostGroup = hostMounts(sharedRootfs).map((l) => /shared:(\d+)/.exec(l)?.[1]).find(Boolean);
      expect(opt).not.toContain(`shared:${hostGroup}`);
    });

    it('the container\'s mounts never propagate to the host', () => {
      rootEntry('shared');
      rootEntry('rslave');
      expect(hostMounts(sharedRootfs)).toHaveLength(1);
    });
  });

  it('a mount destination through a symlink pointing out of the rootfs stays in the rootfs', () => {
    const evil = env.bundle('evil', specWith(['true']));
    const evilRootfs = path.join(evil, 'rootfs');
    const name = `tsrunc-test-evil-${randomBytes(4).toString('hex')}`;
    fs.symlinkSync('/etc', path.join(evilRootfs, 'evil'));
    fs.symlinkSync('../../../../../../../../../etc', path.join(evilRootfs, 'evil2'));
    const host = (n: string) => path.join('/etc', n);
    try {
      setConfig(evil, specWith(['sh', '-c', `grep -E " /(etc/)?${name}-[123] " /proc/self/mountinfo; stat -c '%F %t:%T' /etc/${name}-dev`], (s) => {
        s.mounts!.push(
          { destination: `/evil/${name}-1`, type: 'tmpfs', source: 'tmpfs', options: ['size=64k'] },
          { destination: `/evil2/${name}-2`, type: 'tmpfs', source: 'tmpfs', options: ['size=64k'] },
          { destination: `/../../../../../../../../../${name}-3`, type: 'tmpfs', source: 'tmpfs', options: ['size=64k'] },
        );
        s.linux!.devices = [{ path: `/evil/${name}-dev`, type: 'c', major: 1, minor: 3, fileMode: 0o666 }];
      }));
      const r = env.tsrunc(['run', '--bundle', evil, env.id('evil')]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      // Inside, the mounts are at the rootfs's /etc (where the links point when read in the rootfs).
      const lines = r.stdout.trim().split('\n');
      expect(parseMountinfo(lines.slice(0, -1).join('\n')).map((e) => [e.mountPoint, e.fstype])).toEqual([
        [`/etc/${name}-1`, 'tmpfs'], [`/etc/${name}-2`, 'tmpfs'], [`/${name}-3`, 'tmpfs'],
      ]);
      expect(lines.at(-1)).toBe('character special file 1:3');
      expect(fs.existsSync(path.join(evilRootfs, 'etc', `${name}-1`))).toBe(true);
      expect(fs.existsSync(path.join(evilRootfs, `${name}-3`))).toBe(true);
      for (const n of ['1', '2', 'dev']) expect(fs.existsSync(host(`${name}-${n}`)), host(`${name}-${n}`)).toBe(false);
      expect(fs.existsSync(`/${name}-3`)).toBe(false);
      expect(hostMounts(name)).toEqual([]);
      expect(hostMounts(' /etc')).toEqual([]);
    } finally {
      for (const p of [host(`${name}-1`), host(`${name}-2`), host(`${name}-dev`), `/${name}-3`]) {
        if (hostMounts(p).length > 0) execFileSync('umount', ['-l', p]);
        fs.rmSync(p, { recursive: true, force: true });
      }
    }
  });

  it('a mount destination through a dangling symlink is made inside the rootfs, where the symlink points (as runc)', () => {
    const dangling = env.bundle('dangling', specWith(['true']));
    const dRootfs = path.join(dangling, 'rootfs');
    const name = `tsrunc-test-dangling-${randomBytes(4).toString('hex')}`;
    // Absolute, relative in the middle of the path, and climbing above the root: none of the targets exists.
    fs.symlinkSync(`/${name}/abs`, path.join(dRootfs, 'abs'));
    fs.symlinkSync(`../${name}/mid`, path.join(dRootfs, 'tmp', 'rel'));
    fs.symlinkSync(`../../../../../../../../tmp/${name}/up`, path.join(dRootfs, 'up'));
    try {
      setConfig(dangling, specWith(['sh', '-c', `grep ${name} /proc/self/mountinfo`], (s) => {
        s.mounts!.push(
          { destination: '/abs', type: 'tmpfs', source: 'tmpfs', options: ['size=64k'] },
          { destination: '/tmp/rel/x', type: 'tmpfs', source: 'tmpfs', options: ['size=64k'] },
          { destination: '/up', type: 'tmpfs', source: 'tmpfs', options: ['size=64k'] },
        );
      }));
      const r = env.tsrunc(['run', '--bundle', dangling, env.id('dangling')]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(parseMountinfo(r.stdout).map((e) => [e.mountPoint, e.fstype])).toEqual([
        [`/${name}/abs`, 'tmpfs'], [`/${name}/mid/x`, 'tmpfs'], [`/tmp/${name}/up`, 'tmpfs'],
      ]);
      for (const made of [`${name}/abs`, `${name}/mid/x`, `tmp/${name}/up`]) {
        expect(fs.statSync(path.join(dRootfs, made)).isDirectory(), made).toBe(true);
      }
      // The links are still links, and nothing was made on the host.
      for (const link of ['abs', 'tmp/rel', 'up']) expect(fs.lstatSync(path.join(dRootfs, link)).isSymbolicLink()).toBe(true);
      expect(fs.existsSync(`/${name}`)).toBe(false);
      expect(fs.existsSync(`/tmp/${name}`)).toBe(false);
      expect(hostMounts(name)).toEqual([]);
    } finally {
      for (const p of [`/${name}`, `/tmp/${name}`]) fs.rmSync(p, { recursive: true, force: true });
    }
  });

  it('/proc (or /sys) that is a symlink in the rootfs is refused, as runc refuses it, and not followed', () => {
    const linked = env.bundle('proc-link', specWith(['true']));
    const lRootfs = path.join(linked, 'rootfs');
    fs.rmSync(path.join(lRootfs, 'proc'), { recursive: true, force: true });
    fs.mkdirSync(path.join(lRootfs, 'elsewhere'));
    fs.symlinkSync('elsewhere', path.join(lRootfs, 'proc'));
    const r = env.tsrunc(['run', '--bundle', linked, env.id('proclink')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('mounts[0].destination');
    expect(r.stderr).toContain('/proc in the rootfs is a symlink; filesystem \\"proc\\" must be mounted on ordinary directory');
    expect(fs.readdirSync(path.join(lRootfs, 'elsewhere'))).toEqual([]);
    expect(env.tsrunc(['check', '--bundle', linked]).stdout).toContain('mounts[0].destination: /proc in the rootfs is a symlink');
  });

  it('a bind mount whose destination is a symlink to a host file does not touch the host file', () => {
    const evil = env.bundle('evil-file', specWith(['true']));
    const evilRootfs = path.join(evil, 'rootfs');
    const target = path.join(env.tmp, 'host-target');
    fs.writeFileSync(target, 'host content\n');
    fs.symlinkSync(target, path.join(evilRootfs, 'link'));
    const src = path.join(env.tmp, 'bind-src');
    fs.writeFileSync(src, 'bound\n');
    setConfig(evil, specWith(['cat', target], (s) => {
      s.mounts!.push({ destination: '/link', type: 'bind', source: src, options: ['bind'] });
    }));
    env.tsrunc(['run', '--bundle', evil, env.id('evilfile')]);
    expect(fs.readFileSync(target, 'utf8')).toBe('host content\n');
    expect(hostMounts(target)).toEqual([]);
  });
});

describe('file descriptors', () => {
  /** The shell lists its own open fds (the glob's directory fd is closed again before the loop). */
  const LIST_FDS = 'for f in /proc/$$/fd/*; do [ -e "$f" ] && echo "fd ${f##*/}"; done';
  const fdsOf = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('fd ')).map((l) => l.slice(3));

  it('the process gets only stdio, even when the runtime inherited more', () => {
    setConfig(bundle, specWith(['sh', '-c', `${LIST_FDS}; ls /proc/self/fd`]));
    const extra = fs.openSync(path.join(env.tmp, 'extra-fd'), 'w');
    try {
      const r = env.ok(['run', '--bundle', bundle, env.id('fds')], { extraFds: [extra, extra] });
      expect(fdsOf(r.stdout)).toEqual(['0', '1', '2']);
      // ls: stdio and its own directory fd.
      expect(r.stdout.split('\n').filter((l) => /^\d+$/.test(l))).toEqual(['0', '1', '2', '3']);
    } finally {
      fs.closeSync(extra);
    }
  });

  it('--preserve-fds 1 passes fd 3 and nothing after it', () => {
    const file = path.join(env.tmp, 'preserved');
    fs.writeFileSync(file, 'through fd 3\n');
    setConfig(bundle, specWith(['sh', '-c', `cat <&3; ${LIST_FDS}; true`]));
    const fd3 = fs.openSync(file, 'r');
    const fd4 = fs.openSync(file, 'r');
    try {
      const r = env.tsrunc(['run', '--preserve-fds', '1', '--bundle', bundle, env.id('pfd')], { extraFds: [fd3, fd4] });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout.split('\n')[0]).toBe('through fd 3');
      expect(fdsOf(r.stdout)).toEqual(['0', '1', '2', '3']);
    } finally {
      fs.closeSync(fd3);
      fs.closeSync(fd4);
    }
  });

  it.each([[2, 1, 4], [100, 10, 13]])('--preserve-fds %i with %i descriptors open fails at once, naming fd %i, and leaves nothing', (n, open, missing) => {
    setConfig(bundle, specWith(['true']));
    const fds = Array.from({ length: open }, () => fs.openSync('/dev/null', 'r'));
    const id = env.id('pfdx');
    try {
      const r = env.tsrunc(['run', '--preserve-fds', String(n), '--bundle', bundle, id], { extraFds: fds, timeout: 10_000 });
      expect({ status: r.status, stderr: r.stderr.trim() }).toEqual({
        status: 1, stderr: expect.stringMatching(new RegExp(`level=error msg="--preserve-fds ${n}: file descriptor ${missing} is not open"$`)),
      });
      expect(leftoversOf(env, id, { bundle })).toEqual([]);
    } finally {
      for (const fd of fds) fs.closeSync(fd);
    }
  });
});
