import { describe, expect, it } from 'vitest';
import { buildCreatePlan, execCandidates, PlanInput } from '../../src/linux/plan-builder';
import { encodePlan, Plan } from '../../src/linux/plan';
import { defaultSpec } from '../../src/runtime/default-spec';
import { baseSpec, withCgroupNamespace } from '../support/base-spec';
import { CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWUTS, CLONE_PARENT, MS, SIGCHLD } from '../../src/linux/constants';
import type { Spec } from '../../src/oci/types';

function input(spec: Spec, over: Partial<PlanInput> = {}): PlanInput {
  return {
    spec, rootfs: '/b/rootfs', bundle: '/b', stateDir: '/run/tsrunc/c', preserveFds: 0, noPivot: false,
    cgroup: { driver: 'v1', newCgroupNamespace: true, hierarchies: [{ name: 'memory', hostPath: '/sys/fs/cgroup/memory/c' }], join: ['/sys/fs/cgroup/memory/c/cgroup.procs'] },
    env: spec.process?.env ?? [],
    host: { capLastCap: 40, boundingSet: 0x1fffeffffffn, hasKcore: true, sourceKind: () => 'dir' },
    ...over,
  };
}

const ops = (plan: Plan, name: string) => [...plan.host, ...plan.container].filter((o) => o.op === name);

describe('plan builder', () => {
  it('clones every new namespace but time, as a child of the runtime', () => {
    const { plan, problems } = buildCreatePlan(input(withCgroupNamespace(baseSpec())));
    expect(problems).toEqual([]);
    const flags = Number(ops(plan, 'clone')[0].args[0]);
    expect(flags).toBe(CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_PARENT | SIGCHLD);
    expect(plan.host[0]).toEqual({ op: 'cloexec-from', args: ['3'] });
    expect(ops(plan, 'join-cgroup')[0].args).toEqual(['/sys/fs/cgroup/memory/c/cgroup.procs']);
  });

  it('joins namespaces by path, the user namespace first, and writes id maps for a new one', () => {
    const spec = baseSpec();
    spec.linux!.namespaces = [{ type: 'network', path: '/proc/1/ns/net' }, { type: 'user' }, { type: 'mount' }];
    spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    const { plan } = buildCreatePlan(input(spec));
    expect(ops(plan, 'setns')).toEqual([{ op: 'setns', args: ['/proc/1/ns/net', String(CLONE_NEWNET)], origin: 'linux.namespaces[0]' }]);
    expect(Number(ops(plan, 'clone')[0].args[0]) & CLONE_NEWUSER).toBeTruthy();
    expect(ops(plan, 'uid-map')[0].args).toEqual(['0 100000 65536\n']);
    expect(ops(plan, 'become-root')).toHaveLength(1);
    // mknod is refused in a user namespace: devices are bind-mounted instead
    expect(ops(plan, 'mknod-in-root')).toHaveLength(0);
    expect(ops(plan, 'mount-in-root').some((o) => o.args[2] === '/dev/null' && Number(o.args[4]) === MS.BIND)).toBe(true);
  });

  it('turns mounts into mount-in-root ops with flags and data', () => {
    const { plan } = buildCreatePlan(input(baseSpec()));
    const shm = ops(plan, 'mount-in-root').find((o) => o.args[2] === '/dev/shm')!;
    expect(shm.args).toEqual(['/b/rootfs', 'shm', '/dev/shm', 'tmpfs', String(MS.NOSUID | MS.NOEXEC | MS.NODEV), 'mode=1777,size=65536k', 'dir', '0', '0']);
    expect(shm.origin).toBe('mounts[3]');
    const cg = ops(plan, 'mount-in-root').filter((o) => o.origin === 'mounts[6]');
    expect(cg.map((o) => o.args[2])).toEqual(['/sys/fs/cgroup', '/sys/fs/cgroup/memory']);
  });

  it('a tmpfs without mode= inherits the mode of the directory it covers (mode inherit), as runc; one with mode= does not', () => {
    const spec = baseSpec();
    spec.mounts!.push(
      { destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'size=1m'] },
      { destination: '/u', type: 'tmpfs', source: 'tmpfs', options: ['mode=0700'] },
    );
    const { plan } = buildCreatePlan(input(spec));
    const at = (dest: string) => ops(plan, 'mount-in-root').find((o) => o.args[2] === dest)!;
    expect(at('/t').args).toEqual(['/b/rootfs', 'tmpfs', '/t', 'tmpfs', String(MS.NOSUID), 'size=1m', 'dir', '0', '0', 'inherit']);
    expect(at('/u').args).toHaveLength(9);
    // The default /dev/shm gives mode=1777; proc and binds are no tmpfs.
    expect(at('/dev/shm').args).toHaveLength(9);
    expect(at('/proc').args).toHaveLength(9);
  });

  it('without a mount namespace: the runtime\'s is used as runc does, its propagation left alone, the rootfs entered with chroot', () => {
    const spec = baseSpec();
    spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) => n.type !== 'mount');
    const { plan, problems } = buildCreatePlan(input(spec));
    expect(problems).toEqual([]);
    expect(plan.container.some((o) => o.op === 'mount' && o.args[1] === '/')).toBe(false);
    expect(ops(plan, 'pivot-root')).toEqual([]);
    expect(ops(plan, 'chroot')).toEqual([{ op: 'chroot', args: ['/b/rootfs'], origin: 'linux.namespaces' }]);
    // The rootfs is still bound onto itself first, and the mounts made in it.
    expect(plan.container.find((o) => o.op === 'mount')?.args.slice(0, 2)).toEqual(['/b/rootfs', '/b/rootfs']);
    // --no-pivot would move the rootfs over the host's root: refused.
    const noPivot = buildCreatePlan(input(spec, { noPivot: true }));
    expect(noPivot.problems).toEqual([expect.objectContaining({ severity: 'error', path: '--no-pivot' })]);
  });

  it('binds read-only with a remount of exactly the flags asked for (bind-remount), relative sources from the bundle', () => {
    const spec = baseSpec();
    spec.mounts = [{ destination: '/data', source: 'data', options: ['rbind', 'ro', 'nosuid'] }];
    const { plan } = buildCreatePlan(input(spec, { host: { capLastCap: 40, boundingSet: 0x1fffeffffffn, hasKcore: false, sourceKind: () => 'file' } }));
    const m = ops(plan, 'mount-in-root')[0];
    expect(m.args.slice(1, 9)).toEqual(['/b/data', '/data', '', String(MS.BIND | MS.REC), '', 'file', '0', '0']);
    expect(ops(plan, 'bind-remount').map((o) => o.args.slice(1))).toEqual([['/data', String(MS.RDONLY | MS.NOSUID), '0']]);
    // Only cleared flags ("rw", "dev"): the remount clears them from what the source has; none asked: no remount.
    spec.mounts = [{ destination: '/data', source: 'data', options: ['rbind', 'rw', 'dev'] }, { destination: '/more', source: 'more', options: ['rbind'] }];
    const cleared = buildCreatePlan(input(spec, { host: { capLastCap: 40, boundingSet: 0x1fffeffffffn, hasKcore: false, sourceKind: () => 'dir' } }));
    expect(ops(cleared.plan, 'bind-remount').map((o) => o.args.slice(1))).toEqual([['/data', '0', String(MS.RDONLY | MS.NODEV)]]);
  });

  it('reports a missing bind source, an id-mapping of a tmpfs, and ignores tmpcopyup on a bind with a warning, naming the field', () => {
    const spec = baseSpec();
    spec.mounts = [
      { destination: '/x', source: '/nope', type: 'bind', options: ['bind'] },
      { destination: '/y', type: 'tmpfs', options: ['nosuid', 'idmap'] },
      { destination: '/z', source: '/srv', type: 'bind', options: ['rbind', 'tmpcopyup'] },
      { destination: '/proc', type: 'proc', source: 'proc' },
    ];
    const kinds: Record<string, 'dir' | 'missing'> = { '/nope': 'missing', '/srv': 'dir' };
    const { problems } = buildCreatePlan(input(spec, { host: { capLastCap: 40, boundingSet: 0x1fffeffffffn, hasKcore: false, sourceKind: (p) => kinds[p] } }));
    expect(problems.map((p) => [p.path, p.severity])).toEqual([
      ['mounts[0].source', 'error'], ['mounts[1].options[1]', 'error'], ['mounts[2].options[1]', 'warning'],
    ]);
    expect(problems[1].message).toMatch(/only supported for bind mounts/);
  });

  it('tmpcopyup: a tmpfs-copyup op, made read-only only after the copy', () => {
    const spec = baseSpec();
    spec.mounts!.push({ destination: '/etc', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'nosuid', 'tmpcopyup', 'size=1m', 'rprivate'] });
    const { plan, problems } = buildCreatePlan(input(spec));
    expect(problems).toEqual([]);
    expect(ops(plan, 'tmpfs-copyup')).toEqual([{
      op: 'tmpfs-copyup', args: ['/b/rootfs', 'tmpfs', '/etc', String(MS.NOSUID), 'size=1m', String(MS.RDONLY), String(MS.PRIVATE | MS.REC)],
      origin: 'mounts[7]',
    }]);
  });

  it('recursive attributes: mount-setattr right after the mount, the last option of an attribute winning, atime as runc', () => {
    const spec = baseSpec();
    spec.mounts!.push(
      { destination: '/data', source: '/srv', type: 'bind', options: ['rbind', 'rro', 'rnosuid', 'rsuid', 'rnoexec', 'rnoatime'] },
      { destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['ratime', 'rnosymfollow'] },
    );
    const { plan, problems } = buildCreatePlan(input(spec));
    expect(problems).toEqual([]);
    const names = plan.container.map((o) => o.op);
    const at = plan.container.findIndex((o) => o.op === 'mount-setattr');
    expect(names[at - 1]).toBe('mount-in-root');
    expect(plan.container[at - 1].origin).toBe('mounts[7]');
    // set ro|noexec|noatime; clear nosuid and the atime field
    expect(ops(plan, 'mount-setattr').map((o) => [o.args.slice(1), o.origin])).toEqual([
      [['/data', String(0x1 | 0x8 | 0x10), String(0x2 | 0x70)], 'mounts[7]'],
      // ratime clears noatime and the field (relatime), as runc does
      [['/t', String(0x200000), String(0x10 | 0x70)], 'mounts[8]'],
    ]);
  });

  it('a user namespace: bind sources are opened by P before the release, in the order C takes them', () => {
    const spec = baseSpec();
    spec.linux!.namespaces!.push({ type: 'user' });
    spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    spec.mounts!.push(
      { destination: '/a', source: '/srv/a', type: 'bind', options: ['rbind', 'ro'] },
      { destination: '/b', source: 'b', options: ['bind'] },
    );
    const { plan, problems } = buildCreatePlan(input(spec));
    expect(problems).toEqual([]);
    expect(plan.host.map((o) => o.op).slice(-5)).toEqual(['gid-map', 'report-pid', 'send-mount-source', 'send-mount-source', 'release']);
    expect(ops(plan, 'send-mount-source').map((o) => [o.args, o.origin])).toEqual([[['/srv/a'], 'mounts[7]'], [['/b/b'], 'mounts[8]']]);
    expect(ops(plan, 'mount-from-host').map((o) => o.args.slice(1))).toEqual([
      ['/srv/a', '/a', 'dir', 'bind', String(MS.BIND | MS.REC), '0', '0'],
      ['/b/b', '/b', 'dir', 'bind', String(MS.BIND), '0', '0'],
    ]);
    expect(ops(plan, 'bind-remount').map((o) => o.args.slice(1))).toEqual([['/a', String(MS.RDONLY), '0']]);
    // Without a user namespace C binds them itself.
    const plain = baseSpec();
    plain.mounts!.push({ destination: '/a', source: '/srv/a', type: 'bind', options: ['rbind'] });
    expect(ops(buildCreatePlan(input(plain)).plan, 'send-mount-source')).toEqual([]);
  });

  it('id-mapped binds: the container\'s user namespace for idmap alone or the same maps, else one of the mount\'s own', () => {
    const spec = baseSpec();
    spec.linux!.namespaces!.push({ type: 'user' });
    const maps = [{ containerID: 0, hostID: 100000, size: 65536 }];
    spec.linux!.uidMappings = maps;
    spec.linux!.gidMappings = maps;
    spec.mounts!.push(
      { destination: '/a', source: '/srv/a', type: 'bind', options: ['rbind', 'ridmap'] },
      { destination: '/b', source: '/srv/b', type: 'bind', options: ['bind', 'idmap'], uidMappings: maps, gidMappings: maps },
      { destination: '/c', source: '/srv/c', type: 'bind', options: ['bind', 'ro'], uidMappings: [{ containerID: 0, hostID: 5, size: 1 }], gidMappings: [{ containerID: 0, hostID: 7, size: 1 }] },
    );
    const { plan } = buildCreatePlan(input(spec));
    expect(ops(plan, 'send-idmapped-mount').map((o) => o.args)).toEqual([
      ['/srv/a', 'recursive', 'recursive', 'container', '', ''],
      ['/srv/b', 'single', 'single', 'container', '', ''],
      ['/srv/c', 'single', 'single', 'new', '0 5 1\n', '0 7 1\n'],
    ]);
    expect(ops(plan, 'mount-from-host').map((o) => [o.args[2], o.args[4], o.args[6]])).toEqual([['/a', 'move', '0'], ['/b', 'move', '0'], ['/c', 'move', '0']]);
    expect(ops(plan, 'bind-remount').map((o) => o.args.slice(1))).toEqual([['/c', String(MS.RDONLY), '0']]);
    // Without a user namespace: only the mount's own maps can map it.
    const plain = baseSpec();
    plain.mounts!.push({ destination: '/c', source: '/srv/c', type: 'bind', options: ['bind'], uidMappings: [{ containerID: 0, hostID: 5, size: 1 }], gidMappings: [{ containerID: 0, hostID: 7, size: 1 }] });
    const host = buildCreatePlan(input(plain)).plan.host.map((o) => o.op);
    expect(host.slice(-3)).toEqual(['report-pid', 'send-idmapped-mount', 'release']);
  });

  it('takes exec.fifo itself before the root change, never the state directory', () => {
    const { plan } = buildCreatePlan(input(baseSpec()));
    const names = plan.container.map((o) => o.op);
    expect(ops(plan, 'open-exec-fifo')).toEqual([{ op: 'open-exec-fifo', args: ['/run/tsrunc/c/exec.fifo'] }]);
    expect(names.indexOf('open-exec-fifo')).toBeLessThan(names.indexOf('pivot-root'));
    expect(names.indexOf('open-exec-fifo')).toBeLessThan(names.indexOf('wait-start'));
    // No op of the plan gets the state directory itself.
    expect([...plan.host, ...plan.container].filter((o) => o.args.includes('/run/tsrunc/c'))).toEqual([]);
  });

  it('refuses a container without /proc, which waiting for start needs; a bind of the host\'s /proc will do', () => {
    const spec = baseSpec();
    spec.mounts = spec.mounts!.filter((m) => m.destination !== '/proc');
    const { problems } = buildCreatePlan(input(spec));
    expect(problems.map((p) => [p.path, p.severity])).toEqual([['mounts', 'error']]);
    expect(problems[0].message).toMatch(/proc filesystem at \/proc/);
    spec.mounts.push({ destination: '/proc/', source: '/proc', options: ['rbind'] });
    expect(buildCreatePlan(input(spec)).problems).toEqual([]);
  });

  it('drops every capability outside the bounding set and warns about what it cannot grant', () => {
    const spec = baseSpec();
    spec.process!.capabilities!.bounding!.push('CAP_SYS_RESOURCE', 'CAP_BOGUS');
    const { plan, problems } = buildCreatePlan(input(spec));
    const dropped = ops(plan, 'drop-bounding')[0].args.map(Number);
    expect(dropped).not.toContain(5); // KILL
    expect(dropped).toContain(21); // SYS_ADMIN
    expect(dropped).toHaveLength(41 - 3);
    expect(problems.map((p) => p.severity)).toEqual(['warning', 'warning']);
    expect(ops(plan, 'capset')[0].args).toEqual(['0x20000420', '0x20000420', '0x0']);
  });

  it("runs runc's default config: each ambient capability that is not inheritable is a warning and left out", () => {
    const { plan, problems } = buildCreatePlan(input({ ...defaultSpec({ cgroupV2: false }), process: { ...defaultSpec({ cgroupV2: false }).process!, terminal: false } }));
    expect(problems.map((p) => [p.severity, p.path])).toEqual([0, 1, 2].map((i) => ['warning', `process.capabilities.ambient[${i}]`]));
    expect(problems[0].message).toBe("can't raise ambient capability CAP_AUDIT_WRITE: CAP_AUDIT_WRITE is ambient but not inheritable, so it is left out of the ambient set");
    expect(ops(plan, 'ambient')[0]?.args ?? []).toEqual([]);
  });

  it('orders the end of the plan: cwd before privileges are dropped, then user, caps, program, ready, start, exec', () => {
    const { plan } = buildCreatePlan(input(baseSpec()));
    const tail = plan.container.slice(-13).map((o) => o.op);
    expect(tail).toEqual([
      'umask', 'chdir', 'keep-caps', 'drop-bounding', 'setgroups-list', 'setresgid', 'setresuid', 'capset', 'ambient', 'no-new-privs', 'find-exec', 'ready', 'wait-start', 'exec',
    ].slice(-13));
    expect(ops(plan, 'exec')[0].args.slice(0, 2)).toEqual(['1', 'sh']);
  });

  it('uses move-root with --no-pivot and remounts a read-only root', () => {
    const { plan } = buildCreatePlan(input(baseSpec(), { noPivot: true }));
    expect(ops(plan, 'move-root')).toHaveLength(1);
    expect(ops(plan, 'pivot-root')).toHaveLength(0);
    expect(ops(plan, 'remount-ro')[0].args).toEqual(['/']);
  });

  it('encodes to NUL-separated records with a length prefix', () => {
    const buf = encodePlan({ host: [{ op: 'report-pid', args: [] }], container: [{ op: 'chdir', args: ['/'] }] });
    expect(buf.readUInt32LE(0)).toBe(buf.length - 4);
    expect(buf.subarray(4).toString().split('\0')).toEqual(['report-pid', '0', 'container', '0', 'chdir', '1', '/', '']);
  });

  it('places the hooks: prestart, createRuntime and createContainer before the root change, startContainer between start and exec', () => {
    const spec = baseSpec();
    spec.annotations = { k: 'v' };
    spec.hooks = {
      prestart: [{ path: '/h/pre' }],
      createRuntime: [{ path: '/h/cr', args: ['cr', '-x'], timeout: 5 }],
      createContainer: [{ path: '/h/cc', env: ['A=1'] }],
      startContainer: [{ path: '/sc', args: ['sc'] }, { path: '/sc2', args: ['sc2'], env: [] }],
      poststart: [{ path: '/h/ps' }],
      poststop: [{ path: '/h/pst' }],
    };
    const { plan, problems } = buildCreatePlan(input(spec, { id: 'c1' }));
    expect(problems).toEqual([]);
    const names = plan.container.map((o) => o.op);
    const root = names.indexOf('pivot-root');
    expect(names.slice(root - 4, root + 1)).toEqual(['hooks', 'hooks', 'chdir', 'run-hook', 'pivot-root']);
    expect(plan.container.slice(root - 4, root).map((o) => o.origin)).toEqual(['hooks.prestart', 'hooks.createRuntime', 'hooks.createContainer', 'hooks.createContainer[0]']);
    // createContainer hooks run in the rootfs, as runc enters it right before them.
    expect(plan.container[root - 2].args).toEqual(['/b/rootfs']);
    expect(ops(plan, 'hooks').map((o) => o.args)).toEqual([['prestart'], ['createRuntime']]);
    // The state for the helper's hooks, split around the pid it fills in.
    const state = (status: string) => [
      `{"ociVersion":"${spec.ociVersion}","id":"c1","status":"${status}","pid":`, ',"bundle":"/b","annotations":{"k":"v"}}',
    ];
    const [cc, sc, sc2] = ops(plan, 'run-hook');
    expect(cc.args).toEqual(['hooks.createContainer[0]', '0', ...state('creating'), '/h/cc', '1', '/h/cc', '1', 'A=1']);
    // startContainer without env gets the process's environment.
    expect(sc.args).toEqual(['hooks.startContainer[0]', '0', ...state('created'), '/sc', '1', 'sc', String(input(spec).env.length), ...input(spec).env]);
    expect(sc2.args).toEqual(['hooks.startContainer[1]', '0', ...state('created'), '/sc2', '1', 'sc2', '0']);
    expect(names.slice(-6)).toEqual(['ready', 'wait-start', 'run-hook', 'run-hook', 'report-start', 'exec']);
    expect(ops(plan, 'wait-start')[0].args).toEqual(['hold']);
    // poststart and poststop are tsrunc's, after create: not in the plan.
    expect(plan.container.filter((o) => (o.origin ?? '').match(/post/))).toEqual([]);
  });

  it('gives createContainer hooks without env the helper\'s environment, and leaves hook-less plans as they were', () => {
    const spec = baseSpec();
    spec.hooks = { createContainer: [{ path: '/h/cc' }], startContainer: [] };
    const { plan } = buildCreatePlan(input(spec));
    expect(ops(plan, 'run-hook')[0].args.slice(-1)).toEqual(['inherit']);
    // The id defaults to the state directory's name.
    expect(ops(plan, 'run-hook')[0].args[2]).toContain('"id":"c"');
    // No startContainer or poststart hooks: start's open of exec.fifo releases the init, which says nothing.
    expect(ops(plan, 'wait-start')[0].args).toEqual(['release']);
    expect(ops(plan, 'report-start')).toEqual([]);
    // With poststart hooks start waits for the execve, after the init's "0".
    spec.hooks = { poststart: [{ path: '/h/ps' }] };
    expect(ops(buildCreatePlan(input(spec)).plan, 'wait-start')[0].args).toEqual([]);
  });

  it('refuses a seccomp filter that blocks what startContainer hooks need when they run under it', () => {
    const spec = baseSpec();
    spec.process!.noNewPrivileges = false;
    spec.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['memfd_create'], action: 'SCMP_ACT_ERRNO' }] };
    expect(buildCreatePlan(input(spec)).problems).toEqual([]);
    spec.hooks = { startContainer: [{ path: '/sc' }] };
    const { problems } = buildCreatePlan(input(spec));
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ['linux.seccomp', expect.stringMatching(/blocks memfd_create, .* runs hooks\.startContainer under it/)],
    ]);
    // With noNewPrivileges too: the filter is loaded right after ready, before the hooks (as runc).
    spec.process!.noNewPrivileges = true;
    expect(buildCreatePlan(input(spec)).problems.map((p) => p.path)).toEqual(['linux.seccomp']);
  });

  it('finds the program along PATH', () => {
    expect(execCandidates('sh', ['PATH=/usr/bin:/bin'])).toEqual(['/usr/bin/sh', '/bin/sh']);
    expect(execCandidates('./x', [])).toEqual(['./x']);
    expect(execCandidates('ls', [])[0]).toBe('/usr/local/sbin/ls');
  });
});
