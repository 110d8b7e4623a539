import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectCgroupLayout } from '../../src/linux/cgroups/layout';
import { innerCgroupPath, resolveCgroupPaths } from '../../src/linux/cgroups/paths';
import { RuntimeError } from '../../src/common/errors';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');
const hybrid = detectCgroupLayout(fixture('hybrid-mountinfo.txt'));
const v1 = detectCgroupLayout(fixture('v1-mountinfo.txt'));
const v2 = detectCgroupLayout(fixture('v2-mountinfo.txt'));

// A /proc/self/cgroup like this machine's: the runtime sits in a memory cgroup of its own.
const hybridOwn = [
  '9:name=systemd:/', '8:pids:/', '7:blkio:/', '6:freezer:/', '5:devices:/',
  '4:memory:/process_api/abc', '3:cpuset:/', '2:cpuacct:/', '1:cpu:/', '0::/',
].join('\n');

describe('innerCgroupPath', () => {
  it("defaults to runc's relative <id>", () => {
    expect(innerCgroupPath('web', undefined)).toEqual({ inner: 'web', absolute: false });
    expect(innerCgroupPath('web', '')).toEqual({ inner: 'web', absolute: false });
  });

  it('keeps absolute and relative paths, cleaning // and .', () => {
    expect(innerCgroupPath('x', '/default/x')).toEqual({ inner: 'default/x', absolute: true });
    expect(innerCgroupPath('x', '//libpod_parent/./libpod-x/')).toEqual({ inner: 'libpod_parent/libpod-x', absolute: true });
    expect(innerCgroupPath('x', 'machine.slice/libpod-x.scope')).toEqual({ inner: 'machine.slice/libpod-x.scope', absolute: false });
  });

  it('refuses .., the systemd slice:prefix:name form, the root, and odd ids', () => {
    expect(() => innerCgroupPath('x', '/a/../../etc')).toThrow(/"\.\." component/);
    expect(() => innerCgroupPath('x', '../x')).toThrow(RuntimeError);
    expect(() => innerCgroupPath('x', 'machine.slice:libpod:x')).toThrow(/systemd driver/);
    expect(() => innerCgroupPath('x', '/')).toThrow(/root cgroup/);
    expect(() => innerCgroupPath('a/b', undefined)).toThrow(/cannot name a cgroup/);
    expect(() => innerCgroupPath('..', undefined)).toThrow(RuntimeError);
  });
});

describe('resolveCgroupPaths', () => {
  it('hybrid, absolute (containerd /default/<id>): every v1 hierarchy incl. name=systemd, plus unified', () => {
    const p = resolveCgroupPaths({ id: 'c1', cgroupsPath: '/default/c1', layout: hybrid, ownCgroups: hybridOwn });
    expect(p).toEqual({
      cpu: '/sys/fs/cgroup/cpu/default/c1',
      cpuacct: '/sys/fs/cgroup/cpuacct/default/c1',
      cpuset: '/sys/fs/cgroup/cpuset/default/c1',
      memory: '/sys/fs/cgroup/memory/default/c1',
      devices: '/sys/fs/cgroup/devices/default/c1',
      freezer: '/sys/fs/cgroup/freezer/default/c1',
      blkio: '/sys/fs/cgroup/blkio/default/c1',
      pids: '/sys/fs/cgroup/pids/default/c1',
      'name=systemd': '/sys/fs/cgroup/systemd/default/c1',
      unified: '/sys/fs/cgroup/unified/default/c1',
    });
  });

  it('hybrid, default: below our own cgroup in each v1 hierarchy, below its parent on cgroup2', () => {
    const p = resolveCgroupPaths({ id: 'c1', layout: hybrid, ownCgroups: hybridOwn });
    expect(p.memory).toBe('/sys/fs/cgroup/memory/process_api/abc/c1');
    expect(p.cpu).toBe('/sys/fs/cgroup/cpu/c1');
    expect(p.unified).toBe('/sys/fs/cgroup/unified/c1');
  });

  it('v1: co-mounted controllers share a directory; other named hierarchies are not joined', () => {
    const p = resolveCgroupPaths({ id: 'c1', cgroupsPath: '/libpod_parent/libpod-c1', layout: v1, ownCgroups: '' });
    expect(p.cpu).toBe('/sys/fs/cgroup/cpu,cpuacct/libpod_parent/libpod-c1');
    expect(p.cpuacct).toBe(p.cpu);
    expect(p['name=systemd']).toBe('/sys/fs/cgroup/systemd/libpod_parent/libpod-c1');
    expect(p['name=mygroup']).toBeUndefined();
    expect(p.unified).toBeUndefined();
  });

  it('v2: one directory; relative paths go below the parent of our own cgroup (runc fs2 defaultDirPath)', () => {
    expect(resolveCgroupPaths({ id: 'c1', cgroupsPath: '/default/c1', layout: v2, ownCgroups: '' })).toEqual({
      unified: '/sys/fs/cgroup/default/c1',
    });
    const own = '0::/user.slice/user-1000.slice/session-2.scope\n';
    expect(resolveCgroupPaths({ id: 'c1', layout: v2, ownCgroups: own })).toEqual({
      unified: '/sys/fs/cgroup/user.slice/user-1000.slice/c1',
    });
    expect(resolveCgroupPaths({ id: 'c1', cgroupsPath: 'machine.slice/libpod-c1.scope', layout: v2, ownCgroups: '0::/\n' })).toEqual({
      unified: '/sys/fs/cgroup/machine.slice/libpod-c1.scope',
    });
  });

  it('inside a container, relative paths are taken relative to the mount root', () => {
    const l = detectCgroupLayout(fixture('container-v1-mountinfo.txt'));
    const own = '12:memory:/docker/abc/init\n3:devices:/docker/abc\n1:name=systemd:/docker/abc\n';
    const p = resolveCgroupPaths({ id: 'c1', layout: l, ownCgroups: own });
    expect(p.memory).toBe('/sys/fs/cgroup/memory/init/c1');
    expect(p.devices).toBe('/sys/fs/cgroup/devices/c1');
  });

  it('reads /proc/self/cgroup only for relative paths', () => {
    const p = resolveCgroupPaths({
      id: 'c1', cgroupsPath: '/x', layout: v2,
      ownCgroups: () => { throw new Error('must not be read'); },
    });
    expect(p.unified).toBe('/sys/fs/cgroup/x');
  });

  it('no cgroup hierarchy at all is an error', () => {
    expect(() => resolveCgroupPaths({ id: 'c1', cgroupsPath: '/x', layout: { mode: 'v1', v1: {} }, ownCgroups: '' })).toThrow(/no cgroup hierarchy/);
  });
});
