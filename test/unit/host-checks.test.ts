import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cwdMagicLinkProblem, FsEntry, FsView, HostCheckFacts, hostProblems, loadSyscallTable, procMagicLink, resolveInRoot,
} from '../../src/runtime/bundle/host-checks';
import { baseSpec } from '../support/base-spec';
import type { Spec } from '../../src/oci/types';

// ---------------------------------------------------------------------------------------------
// A fake filesystem: path → entry; symlinks carry their target, files their text.

type FakeNode = { type: 'file'; mode?: number; text?: string } | { type: 'dir'; mode?: number } | { type: 'symlink'; target: string };

function fakeFs(tree: Record<string, FakeNode>): FsView {
  const norm = (p: string) => path.posix.normalize(p).replace(/\/$/, '') || '/';
  const get = (p: string) => tree[norm(p)];
  const entry = (n: FakeNode | undefined): FsEntry | undefined =>
    n === undefined ? undefined : { type: n.type, mode: n.type === 'symlink' ? 0o777 : n.mode ?? (n.type === 'dir' ? 0o755 : 0o644) };
  const follow = (p: string, depth = 0): FakeNode | undefined => {
    const n = get(p);
    if (n?.type === 'symlink' && depth < 40) return follow(path.posix.resolve(path.posix.dirname(p), n.target), depth + 1);
    return n;
  };
  return {
    lstat: (p) => entry(get(p)),
    stat: (p) => entry(follow(p)),
    readlink: (p) => { const n = get(p); return n?.type === 'symlink' ? n.target : undefined; },
    readdir: (p) => { const prefix = `${norm(p)}/`; return Object.keys(tree).filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/')).map((k) => k.slice(prefix.length)); },
    readFile: (p) => { const n = follow(p); return n?.type === 'file' ? n.text ?? '' : undefined; },
    statError: (p) => (follow(p) === undefined ? 'ENOENT' : undefined),
  };
}

const ROOT = '/b/rootfs';
const BASE_TREE: Record<string, FakeNode> = {
  '/': { type: 'dir' },
  '/b': { type: 'dir' },
  [ROOT]: { type: 'dir' },
  [`${ROOT}/bin`]: { type: 'dir' },
  [`${ROOT}/bin/busybox`]: { type: 'file', mode: 0o755 },
  [`${ROOT}/bin/sh`]: { type: 'symlink', target: 'busybox' },
  [`${ROOT}/bin/abs`]: { type: 'symlink', target: '/bin/busybox' },
  [`${ROOT}/bin/escape`]: { type: 'symlink', target: '../../../../usr/bin/env' },
  [`${ROOT}/etc`]: { type: 'dir' },
  [`${ROOT}/etc/passwd`]: { type: 'file', mode: 0o644 },
  [`${ROOT}/tmp`]: { type: 'dir', mode: 0o1777 },
  [`${ROOT}/loop`]: { type: 'symlink', target: '/loop' },
  // The host's own /usr/bin/env, which a symlink in the rootfs must never reach.
  '/usr': { type: 'dir' },
  '/usr/bin': { type: 'dir' },
  '/usr/bin/env': { type: 'file', mode: 0o755 },
  '/hooks': { type: 'dir' },
  '/hooks/ok': { type: 'file', mode: 0o755 },
  '/hooks/plain': { type: 'file', mode: 0o644 },
  '/proc': { type: 'dir' },
  '/proc/sys': { type: 'dir' },
  '/proc/sys/net': { type: 'dir' },
  '/proc/sys/net/ipv4': { type: 'dir' },
  '/proc/sys/net/ipv4/ip_forward': { type: 'file' },
  '/proc/sys/net/ipv4/tcp_syncookies': { type: 'file' },
  '/proc/42/ns/net': { type: 'symlink', target: 'net:[4026531840]' },
  '/proc/42/ns/ipc': { type: 'symlink', target: 'ipc:[4026531839]' },
  // What the kernel's magic links lead to, as the fake follows them (relative to their directory).
  '/proc/42/ns/net:[4026531840]': { type: 'file' },
  '/proc/42/ns/ipc:[4026531839]': { type: 'file' },
  '/dev': { type: 'dir' },
  '/dev/null': { type: 'file' },
};

function facts(over: Partial<HostCheckFacts> = {}, tree: Record<string, FakeNode> = {}): HostCheckFacts {
  return {
    fs: fakeFs({ ...BASE_TREE, ...tree }),
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: { has: (n) => ['read', 'write', 'getpid', 'clock_gettime', 'fchmodat', 'openat'].includes(n), names: ['read', 'write', 'getpid', 'clock_gettime', 'fchmodat', 'openat'], source: 'test table' },
    capLastCap: 40,
    boundingSet: (1n << 41n) - 1n,
    nrOpen: 1048576,
    filesystems: ['proc', 'tmpfs', 'sysfs', 'devpts', 'mqueue', 'cgroup', 'cgroup2', 'fuse'],
    canLoadModules: false,
    ...over,
  };
}

function spec(edit: (s: Spec) => void = () => undefined): Spec {
  const s = baseSpec();
  s.process!.args = ['sh'];
  edit(s);
  return s;
}

function problems(s: Spec, f: HostCheckFacts = facts()) {
  return hostProblems({ spec: s, rootfs: ROOT, bundle: '/b', env: s.process?.env ?? [] }, f).map((p) => `${p.severity} ${p.path}: ${p.message}`);
}

describe('resolveInRoot', () => {
  const fsv = fakeFs(BASE_TREE);
  it('follows symlinks inside the rootfs: an absolute target is read from the rootfs root', () => {
    expect(resolveInRoot(ROOT, '/bin/abs', { fs: fsv })).toMatchObject({ status: 'found', path: '/bin/busybox', hostPath: `${ROOT}/bin/busybox` });
    expect(resolveInRoot(ROOT, '/bin/sh', { fs: fsv })).toMatchObject({ status: 'found', path: '/bin/busybox', via: ['/bin/sh -> busybox'] });
  });

  it('".." stops at the root: a link climbing out lands in the rootfs, never on the host', () => {
    expect(resolveInRoot(ROOT, '/bin/escape', { fs: fsv })).toMatchObject({ status: 'missing', path: '/usr' });
    expect(resolveInRoot(ROOT, '/../../etc/passwd', { fs: fsv })).toMatchObject({ status: 'found', hostPath: `${ROOT}/etc/passwd` });
  });

  it('relative paths from cwd; not a directory; loops; mount points', () => {
    expect(resolveInRoot(ROOT, 'busybox', { fs: fsv, cwd: '/bin' })).toMatchObject({ status: 'found', path: '/bin/busybox' });
    expect(resolveInRoot(ROOT, '/etc/passwd/x', { fs: fsv })).toMatchObject({ status: 'not-dir', path: '/etc/passwd' });
    expect(resolveInRoot(ROOT, '/loop', { fs: fsv })).toMatchObject({ status: 'loop' });
    expect(resolveInRoot(ROOT, '/dev/null', { fs: fsv, covered: (p) => p === '/dev' })).toMatchObject({ status: 'covered', path: '/dev' });
  });

  describe('on a real directory', () => {
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-resolve-'));
      fs.mkdirSync(path.join(dir, 'bin'));
      fs.writeFileSync(path.join(dir, 'bin', 'prog'), '', { mode: 0o755 });
      fs.symlinkSync('/bin/prog', path.join(dir, 'bin', 'abs'));
      fs.symlinkSync('/bin/sh', path.join(dir, 'bin', 'host-sh'));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('an absolute symlink means the rootfs path, even when the host has that path', () => {
      expect(resolveInRoot(dir, '/bin/abs')).toMatchObject({ status: 'found', hostPath: path.join(dir, 'bin', 'prog') });
      expect(fs.existsSync('/bin/sh')).toBe(true);
      expect(resolveInRoot(dir, '/bin/host-sh')).toMatchObject({ status: 'missing', path: '/bin/sh' });
    });
  });
});

describe('hostProblems', () => {
  it('a good config on a good rootfs: nothing', () => {
    expect(problems(spec())).toEqual([]);
  });

  it('the program: along PATH, as given, not executable, through symlinks; under a mount it cannot be told', () => {
    expect(problems(spec((s) => { s.process!.args = ['bash']; }))).toEqual(['error process.args[0]: exec: "bash": executable file not found in $PATH']);
    expect(problems(spec((s) => { s.process!.args = ['/etc/passwd']; }))).toEqual(['error process.args[0]: exec: "/etc/passwd": permission denied (EACCES)']);
    expect(problems(spec((s) => { s.process!.args = ['/bin/escape']; }))).toEqual(['error process.args[0]: exec: "/bin/escape": no such file or directory (ENOENT)']);
    expect(problems(spec((s) => { s.process!.args = ['/bin/abs']; }))).toEqual([]);
    expect(problems(spec((s) => { s.process!.args = ['/opt/tool']; s.mounts!.push({ destination: '/opt', type: 'bind', source: '/opt', options: ['bind'] }); }))).toEqual([]);
  });

  it('the cwd', () => {
    // A missing one is made by the init, as runc makes it.
    expect(problems(spec((s) => { s.process!.cwd = '/work'; }))).toEqual([]);
    expect(problems(spec((s) => { s.process!.cwd = '/etc/passwd'; }))).toEqual(['error process.cwd: cannot change to directory /etc/passwd: not a directory (ENOTDIR)']);
    expect(problems(spec((s) => { s.process!.cwd = '/proc/self'; }))).toEqual([]);
  });

  it('a cwd through a /proc magic link, which can only lead out of the container', () => {
    const refused = (cwd: string, edit?: (s: Spec) => void) => problems(spec((s) => { s.process!.cwd = cwd; edit?.(s); }));
    const link = (cwd: string, at: string) =>
      [`error process.cwd: ${JSON.stringify(cwd)} goes through the /proc magic link ${at}, which can lead outside the container's root`];
    for (const cwd of ['/proc/self/fd/4', '/proc/thread-self/fd/4', '/proc/self/cwd', '/proc/1/root', '/proc/12/task/12/cwd', '/proc/self/map_files/x']) {
      expect(refused(cwd)).toEqual(link(cwd, cwd));
    }
    // Walked as the kernel walks it: ".." after the link climbs from its target, not back to /proc.
    expect(refused('/proc/self/fd/4/../../x')).toEqual(link('/proc/self/fd/4/../../x', '/proc/self/fd/4'));
    expect(refused('/tmp/../proc/./self//cwd')).toEqual(link('/tmp/../proc/./self//cwd', '/proc/self/cwd'));
    // A procfs mounted elsewhere, or bound from the host.
    expect(refused('/p/1/cwd', (s) => { s.mounts!.push({ destination: '/p', type: 'proc', source: 'proc' }); })).toEqual(link('/p/1/cwd', '/p/1/cwd'));
    expect(refused('/hp/self/root', (s) => { s.mounts!.push({ destination: '/hp', source: '/proc', options: ['rbind'] }); })).toEqual(link('/hp/self/root', '/hp/self/root'));
    // Not magic links: /proc/self itself, fd as a directory, or a path where no procfs is mounted.
    for (const cwd of ['/proc/self', '/proc/self/fd', '/proc/sys', '/proc/self/fdinfo']) expect(refused(cwd)).toEqual([]);
    expect(cwdMagicLinkProblem('/srv/self/cwd', ['/proc'])).toBeUndefined();
    expect(cwdMagicLinkProblem('/proc/self/cwd', [])).toBeUndefined();
    expect(procMagicLink('/proc/self/fd/3', ['/proc'])).toBe('/proc/self/fd/3');
  });

  it('ids the user namespace does not map; a joined one is read from /proc/<pid>/uid_map', () => {
    const userns = (s: Spec) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 1000 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 1000 }];
    };
    expect(problems(spec((s) => { userns(s); s.process!.user = { uid: 1000, gid: 999, additionalGids: [5, 2000] }; }))).toEqual([
      'error process.user.uid: uid 1000 is not mapped by linux.uidMappings, so the process cannot become it',
      'error process.user.additionalGids[1]: gid 2000 is not mapped by linux.gidMappings; setgroups would fail',
    ]);
    const joined = facts({}, {
      '/proc/42/ns/user': { type: 'symlink', target: 'user:[1]' }, '/proc/42/ns/user:[1]': { type: 'file' },
      '/proc/42/uid_map': { type: 'file', text: '         0     100000      65536\n' },
      '/proc/42/gid_map': { type: 'file', text: '0 100000 65536\n' },
    });
    expect(problems(spec((s) => { s.linux!.namespaces!.push({ type: 'user', path: '/proc/42/ns/user' }); s.process!.user.uid = 70000; }), joined))
      .toEqual(['error process.user.uid: uid 70000 is not mapped by the user namespace /proc/42/ns/user, so the process cannot become it']);
  });

  it('namespace files: missing, or of another kind', () => {
    expect(problems(spec((s) => { s.linux!.namespaces![1] = { type: 'network', path: '/proc/43/ns/net' }; })))
      .toEqual(['error linux.namespaces[1].path: /proc/43/ns/net does not exist, so there is no network namespace to join']);
    expect(problems(spec((s) => { s.linux!.namespaces![1] = { type: 'network', path: '/proc/42/ns/ipc' }; })))
      .toEqual(['error linux.namespaces[1].path: /proc/42/ns/ipc is a ipc namespace, not a net one']);
    expect(problems(spec((s) => { s.linux!.namespaces![1] = { type: 'network', path: '/proc/42/ns/net' }; }))).toEqual([]);
  });

  it('capabilities the kernel would refuse to set', () => {
    expect(problems(spec((s) => {
      s.process!.capabilities!.effective!.push('CAP_SYS_ADMIN');
      s.process!.capabilities!.bounding!.push('CAP_SYS_ADMIN');
    }))).toEqual([
      'error process.capabilities.effective[3]: CAP_SYS_ADMIN is effective but not permitted; the kernel refuses an effective capability outside the permitted set (capset: EPERM)',
    ]);
  });

  it('RLIMIT_NOFILE above fs.nr_open', () => {
    expect(problems(spec((s) => { s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 2_000_000 }]; })))
      .toEqual(["error process.rlimits[0].hard: is above this host's limit on open files (fs.nr_open = 1048576); setrlimit would fail with EPERM"]);
  });

  it('seccomp: a typo of a syscall is an error; an unknown name or a newer version of a call, a warning; foreign architectures', () => {
    const out = hostProblems({
      spec: spec((s) => {
        s.linux!.seccomp = {
          defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'],
          syscalls: [{ names: ['getpid', 'clock_getime', 'fchmodat2', 'arm_fadvise64_64'], action: 'SCMP_ACT_ERRNO' }],
        };
      }),
      rootfs: ROOT, bundle: '/b', env: [],
    }, facts());
    expect(out.map((p) => [p.severity, p.path, p.hint])).toEqual([
      ['warning', 'linux.seccomp.architectures[1]', undefined],
      ['error', 'linux.seccomp.syscalls[0].names[1]', "did you mean 'clock_gettime'?"],
      ['warning', 'linux.seccomp.syscalls[0].names[2]', "did you mean 'fchmodat'?"],
      ['warning', 'linux.seccomp.syscalls[0].names[3]', undefined],
    ]);
    const none = hostProblems({ spec: spec((s) => { s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO' }] }; }), rootfs: ROOT, bundle: '/b', env: [] }, facts({ syscalls: undefined }));
    expect(none.map((p) => p.message)).toEqual([expect.stringMatching(/not checked/)]);
  });

  it('the syscall table comes from <asm/unistd_*.h> at run time', () => {
    const table = loadSyscallTable(fakeFs({ '/usr/include/x86_64-linux-gnu/asm/unistd_64.h': { type: 'file', text: '#define __NR_read 0\n#define __NR_write 1\n' } }), 'x64');
    expect(table?.has('read')).toBe(true);
    expect(table?.has('clock_getime')).toBe(false);
    expect(loadSyscallTable(fakeFs({}), 'x64')).toBeUndefined();
  });

  it('hooks: missing or not executable', () => {
    expect(problems(spec((s) => { s.hooks = { prestart: [{ path: '/hooks/ok' }, { path: '/hooks/none' }], poststop: [{ path: '/hooks/plain' }], startContainer: [{ path: '/bin/sh' }] }; }))).toEqual([
      'error hooks.prestart[1].path: /hooks/none does not exist on the host',
      'error hooks.poststop[0].path: /hooks/plain is not executable',
    ]);
  });

  it('sysctls this kernel does not have, with a suggestion; interface-specific ones are left alone', () => {
    const out = hostProblems({ spec: spec((s) => { s.linux!.sysctl = { 'net.ipv4.ip_fowrard': '1', 'net.ipv4.conf.eth0.forwarding': '1', 'net.ipv4.ip_forward': '1' }; }), rootfs: ROOT, bundle: '/b', env: [] }, facts());
    expect(out.map((p) => [p.path, p.hint])).toEqual([['linux.sysctl["net.ipv4.ip_fowrard"]', "did you mean 'net.ipv4.ip_forward'?"]]);
  });

  it('devices: relative, repeated, missing on the host when bound in a user namespace', () => {
    expect(problems(spec((s) => {
      s.linux!.devices = [
        { path: 'dev/fuse', type: 'c', major: 10, minor: 229 },
        { path: '/dev/fuse', type: 'c', major: 10, minor: 229 },
        { path: '/dev/fuse', type: 'c', major: 10, minor: 229 },
      ];
    }))).toEqual([
      "error linux.devices[0].path: must be an absolute path in the container (starting with '/dev/')",
      'error linux.devices[2].path: repeats the device path of linux.devices[1]; the second would replace the first',
    ]);
    expect(problems(spec((s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }, { path: '/dev/null', type: 'c', major: 1, minor: 3 }];
    }))).toEqual([expect.stringMatching(/^error linux\.devices\[0\]\.path: with a new user namespace the device is bind-mounted from the host's \/dev\/fuse/)]);
  });

  it('filesystem types: a typo is an error; an unknown type a warning when a module could still provide it', () => {
    const withType = (type: string) => spec((s) => { s.mounts!.push({ destination: '/x', type, source: 'x' }); });
    expect(problems(withType('tmpfss'))).toEqual(['error mounts[7].type: "tmpfss" is not a filesystem type of this kernel (not in /proc/filesystems)']);
    expect(problems(withType('nfs4'))).toEqual(['error mounts[7].type: "nfs4" is not a filesystem type of this kernel (not in /proc/filesystems)']);
    expect(problems(withType('nfs4'), facts({ canLoadModules: true }))).toEqual(['warning mounts[7].type: "nfs4" is not in /proc/filesystems; the mount fails unless a kernel module provides it']);
    expect(problems(withType('fuse.sshfs'))).toEqual([]);
  });

  it('recursive attributes and id-mapped mounts on a kernel without mount_setattr are refused, naming the option', () => {
    const withMounts = spec((s) => {
      s.mounts!.push(
        { destination: '/a', type: 'bind', source: '/srv', options: ['rbind', 'rro', 'rnosymfollow'] },
        { destination: '/b', type: 'bind', source: '/srv', options: ['bind'], uidMappings: [{ containerID: 0, hostID: 1, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1, size: 1 }] },
        { destination: '/c', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup'] },
      );
    });
    expect(problems(withMounts, facts({ kernel: { release: '5.10.0-8-amd64', version: [5, 10] } }))).toEqual([
      'error mounts[7].options[1]: rro is applied with mount_setattr(2), which needs Linux 5.12 or later; this kernel is 5.10.0-8-amd64',
      'error mounts[7].options[2]: rnosymfollow is applied with mount_setattr(2) and MOUNT_ATTR_NOSYMFOLLOW, which needs Linux 5.14 or later; this kernel is 5.10.0-8-amd64',
      'error mounts[8].uidMappings: an id-mapped mount is made with mount_setattr(2) MOUNT_ATTR_IDMAP, which needs Linux 5.12 or later; this kernel is 5.10.0-8-amd64',
    ]);
    expect(problems(withMounts, facts({ kernel: { release: '5.13.1', version: [5, 13] } }))).toEqual([
      expect.stringMatching(/^error mounts\[7\]\.options\[2\]: rnosymfollow .* Linux 5\.14/),
    ]);
    expect(problems(withMounts, facts({ kernel: { release: '6.18.44', version: [6, 18] } }))).toEqual([]);
  });

  it('tolerant: a check that trips over a malformed field is skipped', () => {
    const bad = spec((s) => { (s.process!.capabilities as unknown as { effective: number }).effective = 3; });
    expect(() => hostProblems({ spec: bad, rootfs: ROOT, bundle: '/b', env: [] }, facts())).toThrow();
    expect(hostProblems({ spec: bad, rootfs: ROOT, bundle: '/b', env: [], tolerant: true }, facts())).toEqual([]);
  });
});
