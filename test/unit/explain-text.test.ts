import { describe, expect, it } from 'vitest';
import { buildCreatePlan, PlanInput } from '../../src/linux/plan-builder';
import { baseSpec, withCgroupNamespace } from '../support/base-spec';
import { ExplainData, explainJson, explainText } from '../../src/runtime/explain';
import type { Spec } from '../../src/oci/types';
import { buildDeviceProgram } from '../../src/linux/cgroups/device-program';
import { deviceCgroupRules } from '../../src/linux/devices';

function data(spec: Spec): ExplainData {
  const input: PlanInput = {
    spec, rootfs: '/b/rootfs', bundle: '/b', stateDir: '/run/tsrunc/c', preserveFds: 0, noPivot: false,
    cgroup: { driver: 'v2', newCgroupNamespace: true, hierarchies: [{ name: '', hostPath: '/sys/fs/cgroup/c' }], join: [], cloneInto: '/sys/fs/cgroup/c' },
    env: [...(spec.process?.env ?? []), 'HOME=/root'],
    host: { capLastCap: 40, boundingSet: (1n << 41n) - 1n, hasKcore: true, sourceKind: () => 'dir' },
  };
  const { plan } = buildCreatePlan(input);
  return {
    id: 'c', bundle: '/b', plan, capLastCap: 40, warnings: [],
    cgroup: { driver: 'v2', paths: { unified: '/sys/fs/cgroup/c' }, writes: [{ file: '/sys/fs/cgroup/c/pids.max', value: '100', origin: 'linux.resources.pids.limit' }], unsupported: [{ path: 'linux.resources.memory.swappiness', reason: 'cgroup v2 has no per-cgroup swappiness' }] },
  };
}

describe('explain text', () => {
  it('shows the scheduler, I/O priority and personality', () => {
    const spec = baseSpec();
    spec.linux!.personality = { domain: 'LINUX32' };
    spec.process!.scheduler = { policy: 'SCHED_BATCH', nice: -3 };
    spec.process!.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 0 };
    const text = explainText(data(spec));
    expect(text).toContain('scheduler: SCHED_BATCH  nice -3  priority 0  [process.scheduler]');
    expect(text).toContain('I/O priority: IOPRIO_CLASS_IDLE priority 0  [process.ioPriority]');
    expect(text).toContain('personality: LINUX32  [linux.personality]');
    expect(explainText(data(baseSpec()))).not.toContain('Scheduling and personality');
  });

  it('shows namespaces, maps, cgroup writes, mounts, devices, sysctls, rlimits, capabilities, user and process', () => {
    const spec = withCgroupNamespace(baseSpec());
    spec.linux!.namespaces!.push({ type: 'user' }, { type: 'time', path: '/proc/7/ns/time' });
    spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    spec.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 1000 }];
    spec.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
    spec.process!.capabilities!.ambient = ['CAP_KILL'];
    spec.process!.capabilities!.inheritable = ['CAP_KILL'];
    const text = explainText(data(spec));
    for (const line of [
      'join time     /proc/7/ns/time  [linux.namespaces[7]]',
      'new  pid, network, mount, ipc, uts, user, cgroup  [linux.namespaces]',
      'uid 0-65535 → host 100000-165535 (65536 ids)  [linux.uidMappings]',
      'gid 0-999 → host 200000-200999 (1000 ids)  [linux.gidMappings]',
      '  /sys/fs/cgroup/c/pids.max = "100"  [linux.resources.pids.limit]',
      'not applied: linux.resources.memory.swappiness: cgroup v2 has no per-cgroup swappiness',
      'cgroup → /sys/fs/cgroup (in root)  type cgroup2  flags ro|nosuid|nodev|noexec|relatime  mount point made as dir  [mounts[6]]',
      'bind /dev/null from the host onto /dev/null (no mknod in a user namespace)  [default device]',
      'net.ipv4.ip_forward = "1"  [linux.sysctl["net.ipv4.ip_forward"]]',
      'RLIMIT_NOFILE  soft 1024  hard 1024  [process.rlimits[0]]',
      'ambient:     CAP_KILL  [process.capabilities.ambient]',
      'umask 0022  [process.user.umask]',
      'args: sh  [process.args]',
    ]) expect(text).toContain(line);
  });

  it('shows the device program of cgroup v2 as its rules, in order, each with its origin', () => {
    const rules = deviceCgroupRules([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 237, access: 'r' }],
      [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }]);
    const { program } = buildDeviceProgram(rules, 'linux.resources.devices');
    const d = data(baseSpec());
    d.cgroup.deviceProgram = { dir: '/sys/fs/cgroup/c', program: program!, origin: 'linux.resources.devices' };
    const text = explainText(d);
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.includes('device program:'));
    expect(lines.slice(at, at + 4)).toEqual([
      `  device program: BPF_PROG_TYPE_CGROUP_DEVICE, ${program!.insns.length} instructions, attached to /sys/fs/cgroup/c (BPF_F_ALLOW_MULTI)  [linux.resources.devices]`,
      '    for each access asked (r, w, m), the last rule naming the device and that access decides:',
      '    allow c 10:237 r    [linux.resources.devices[1]]',
      '    allow c *:* m       [default device rule]',
    ]);
    // linux.devices[0] (/dev/fuse) is not among them: a config's device is allowed only by its rules, as with runc.
    expect(lines.slice(at + 14, at + 16)).toEqual([
      '    allow c 5:0 rwm     [default device rule]',
      '    otherwise deny  [linux.resources.devices[0]]',
    ]);
    const json = explainJson(d) as { cgroup: { deviceProgram: { rules: { origin: string }[]; otherwise: object; instructions: string[] } } };
    expect(json.cgroup.deviceProgram.rules).toHaveLength(13);
    expect(json.cgroup.deviceProgram.rules[0]).toEqual({ allow: true, type: 'c', major: 10, minor: 237, access: 'r', origin: 'linux.resources.devices[1]' });
    expect(json.cgroup.deviceProgram.otherwise).toEqual({ allow: false, origin: 'linux.resources.devices[0]' });
    expect(json.cgroup.deviceProgram.instructions.slice(0, 2)).toEqual(['r2 = *(u32 *)(r1 + 0)', 'w2 &= 0xffff']);
    expect(json.cgroup.deviceProgram.instructions).toHaveLength(program!.insns.length);
  });

  it('shows runc\'s mount extensions: tmpcopyup, recursive attributes, sources opened by the host side, id-mapped binds', () => {
    const spec = baseSpec();
    spec.linux!.namespaces!.push({ type: 'user' });
    spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    spec.mounts!.push(
      { destination: '/etc', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'tmpcopyup', 'size=1m'] },
      { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind', 'rro', 'rnoatime'] },
      { destination: '/ids', type: 'bind', source: '/srv/ids', options: ['bind', 'idmap'], uidMappings: [{ containerID: 0, hostID: 5, size: 1 }], gidMappings: [{ containerID: 0, hostID: 7, size: 1 }] },
    );
    const text = explainText(data(spec));
    for (const line of [
      'tmpfs → /etc (in root)  type tmpfs  flags 0  data "mode=<the directory\'s>,size=1m", the directory\'s files copied up into it (tmpcopyup), then remount ro  [mounts[7]]',
      '/srv/data → /data (in root)  type bind  flags bind|rec  source opened by the host side (before the user namespace), mount point made as dir  [mounts[8]]',
      '/data and every mount below it (mount_setattr AT_RECURSIVE): set ro, atime noatime  [mounts[8]]',
      '/srv/ids → /ids (in root)  type bind  flags bind  id-mapped (uid 0-0 → host 5-5 (1 ids); gid 0-0 → host 7-7 (1 ids)), the mount made by the host side and moved in, mount point made as dir  [mounts[9]]',
      'host send-mount-source "/srv/data"  [mounts[8]]',
    ]) expect(text).toContain(line);
  });

  it('is read off the plan: changing an op changes the text, with no config involved', () => {
    const d = data(baseSpec());
    const hostname = d.plan.container.find((o) => o.op === 'sethostname')!;
    hostname.args[0] = 'from-the-plan';
    expect(explainText(d)).toContain('hostname "from-the-plan"  [hostname]');
    d.plan.container = d.plan.container.filter((o) => o.op !== 'mask');
    expect(explainText(d)).toMatch(/\nMasked paths\n {2}\(none\)\n/);
  });

  it('shows the hooks: where the plan runs them, and the ones tsrunc runs itself after create', () => {
    const spec = baseSpec();
    spec.hooks = {
      createRuntime: [{ path: '/h/cr', args: ['cr', '--net'], timeout: 5 }],
      createContainer: [{ path: '/h/cc' }],
      startContainer: [{ path: '/sbin/ldconfig', env: ['A=1'] }],
      poststop: [{ path: '/h/clean', env: [] }],
    };
    const d = { ...data(spec), hooks: spec.hooks };
    const text = explainText(d);
    const at = (label: string) => d.plan.host.length + d.plan.container.findIndex((o) => o.origin === label);
    for (const line of [
      `  createRuntime: run by tsrunc in the runtime namespace when the init reaches op ${at('hooks.createRuntime')} (before pivot-root); state "creating"  [hooks.createRuntime]`,
      "    /h/cr  argv cr --net  env: tsrunc's  timeout 5 s",
      `  createContainer[0]: run by the helper in the container's namespaces, op ${at('hooks.createContainer[0]')} (before pivot-root); path in the runtime's view; cwd the rootfs; state "creating"  [hooks.createContainer[0]]`,
      "    /h/cc  env: tsrunc's",
      `  startContainer[0]: run by the helper in the container after start, op ${at('hooks.startContainer[0]')} (before exec); path in the container; state "created"  [hooks.startContainer[0]]`,
      '    /sbin/ldconfig  env: 1 entry',
      '  poststop: run by tsrunc itself in delete, after the container is gone (not in the plan); a failure is a warning; state "stopped"  [hooks.poststop]',
      '    /h/clean  env: 0 entries',
    ]) expect(text).toContain(`${line}\n`);
    expect(text).not.toContain('poststart');
    expect(explainText(data(baseSpec()))).toMatch(/\nHooks\n {2}\(none\)\n/);
  });

  it('says when the mount namespace is the runtime\'s (no mount entry)', () => {
    const spec = baseSpec();
    spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) => n.type !== 'mount');
    expect(explainText(data(spec))).toContain("  shared mount: the runtime's (no mount entry); the mounts are made there, the rootfs entered with chroot, and delete detaches them  [linux.namespaces]\n");
    expect(explainText(data(baseSpec()))).not.toContain('shared mount');
  });

  it('--json: the plan ops with their origins, the cgroup writes, stable field names', () => {
    const json = explainJson(data(baseSpec())) as { plan: { host: unknown[]; container: unknown[] }; cgroup: object; warnings: unknown[] };
    expect(Object.keys(json)).toEqual(['id', 'bundle', 'plan', 'cgroup', 'warnings']);
    expect(Object.keys(json.cgroup)).toEqual(['driver', 'paths', 'writes', 'unsupported']);
    expect(json.plan.host[0]).toEqual({ op: 'cloexec-from', args: ['3'] });
    expect(json.plan.container).toContainEqual({ op: 'sethostname', args: ['runc'], origin: 'hostname' });
  });
});
