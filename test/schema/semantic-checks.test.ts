// semanticProblems: config → the exact set of (path, severity) it reports.

import { describe, expect, test } from 'vitest';
import type { Spec } from '../../src/oci/types';
import type { Severity } from '../../src/common/errors';
import { semanticProblems, sysctlNamespace } from '../../src/runtime/bundle/semantic-checks';

/** A config with nothing wrong: every later case changes one thing. */
function base(): Spec {
  return {
    ociVersion: '1.2.0',
    root: { path: 'rootfs' },
    process: { user: { uid: 0, gid: 0 }, args: ['sh'], cwd: '/', env: ['PATH=/bin'] },
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc' }, { type: 'uts' }, { type: 'network' }] },
  };
}

/**
 * base() with a change applied in place. The document is untyped here on purpose: the cases add
 * misspelled and unknown keys, which is what a config.json from disk can contain.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;
function withChange(change: (s: Doc) => unknown): Spec {
  const s: Doc = base();
  change(s);
  return s as Spec;
}

const withoutNs = (s: Doc, type: string) => {
  s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => n.type !== type);
};

type Expect = [path: string, severity: Severity][];

const CASES: [name: string, spec: Spec, expected: Expect][] = [
  ['a clean config', base(), []],

  // Namespaces
  ['a duplicate namespace type', withChange((s) => s.linux.namespaces.push({ type: 'pid' })), [['linux.namespaces[5].type', 'error']]],
  ['a relative namespace path', withChange((s) => { s.linux.namespaces[4] = { type: 'network', path: 'var/run/netns/a' }; }), [['linux.namespaces[4].path', 'error']]],
  ['an absolute namespace path', withChange((s) => { s.linux.namespaces[4] = { type: 'network', path: '/var/run/netns/a' }; }), []],
  // The runtime's mount namespace is shared then (runc 1.2+), but nothing can be masked for the container alone.
  ['no mount namespace', withChange((s) => withoutNs(s, 'mount')), []],
  ['no mount namespace, with masked and read-only paths', withChange((s) => {
    withoutNs(s, 'mount');
    s.linux.maskedPaths = ['/proc/kcore'];
    s.linux.readonlyPaths = ['/proc/sys'];
  }), [['linux.maskedPaths', 'error'], ['linux.readonlyPaths', 'error']]],
  ['no mount namespace, with a user namespace', withChange((s) => {
    withoutNs(s, 'mount');
    s.linux.namespaces.push({ type: 'user' });
    s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    s.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  }), [['linux.namespaces', 'error']]],
  // Every namespace is the runtime's then, the mount namespace too (runc takes it).
  ['no linux section at all', withChange((s) => { delete s.linux; }), []],
  ['a joined mount namespace', withChange((s) => { s.linux.namespaces[1] = { type: 'mount', path: '/proc/1/ns/mnt' }; }), []],

  // User namespace and mappings
  ['a new user namespace without mappings', withChange((s) => s.linux.namespaces.push({ type: 'user' })),
    [['linux.uidMappings', 'error'], ['linux.gidMappings', 'error']]],
  ['a new user namespace with uidMappings only', withChange((s) => {
    s.linux.namespaces.push({ type: 'user' });
    s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  }), [['linux.gidMappings', 'error']]],
  ['a new user namespace with empty gidMappings', withChange((s) => {
    s.linux.namespaces.push({ type: 'user' });
    s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    s.linux.gidMappings = [];
  }), [['linux.gidMappings', 'error']]],
  ['a new user namespace with both mappings', withChange((s) => {
    s.linux.namespaces.push({ type: 'user' });
    s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    s.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  }), []],
  ['a joined user namespace without mappings', withChange((s) => s.linux.namespaces.push({ type: 'user', path: '/proc/42/ns/user' })), []],
  ['mappings without a user namespace', withChange((s) => {
    s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    s.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  }), [['linux.uidMappings', 'error'], ['linux.gidMappings', 'error']]],

  // Time namespace
  ['timeOffsets with a new time namespace', withChange((s) => {
    s.linux.namespaces.push({ type: 'time' });
    s.linux.timeOffsets = { monotonic: { secs: 10 } };
  }), []],
  ['timeOffsets with a joined time namespace', withChange((s) => {
    s.linux.namespaces.push({ type: 'time', path: '/proc/42/ns/time' });
    s.linux.timeOffsets = { boottime: { secs: 10 } };
  }), [['linux.timeOffsets', 'error']]],
  ['timeOffsets without a time namespace', withChange((s) => { s.linux.timeOffsets = { monotonic: { secs: 1, nanosecs: 5 } }; }), [['linux.timeOffsets', 'error']]],
  ['empty timeOffsets without a time namespace', withChange((s) => { s.linux.timeOffsets = {}; }), []],

  // Host and domain names
  ['hostname without a UTS namespace', withChange((s) => { withoutNs(s, 'uts'); s.hostname = 'box'; }), [['hostname', 'error']]],
  ['domainname without a UTS namespace', withChange((s) => { withoutNs(s, 'uts'); s.domainname = 'example.test'; }), [['domainname', 'error']]],
  ['empty hostname without a UTS namespace', withChange((s) => { withoutNs(s, 'uts'); s.hostname = ''; }), []],
  ['hostname with a UTS namespace', withChange((s) => { s.hostname = 'box'; s.domainname = 'example.test'; }), []],

  // sysctl
  ['net.* with a network namespace', withChange((s) => { s.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'net/core/somaxconn': '256' }; }), []],
  ['net.* with a joined network namespace', withChange((s) => {
    s.linux.namespaces[4] = { type: 'network', path: '/var/run/netns/a' };
    s.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
  }), []],
  ['net.* without a network namespace', withChange((s) => { withoutNs(s, 'network'); s.linux.sysctl = { 'net.ipv4.ip_forward': '1' }; }),
    [['linux.sysctl["net.ipv4.ip_forward"]', 'error']]],
  ['IPC sysctls without an IPC namespace', withChange((s) => {
    withoutNs(s, 'ipc');
    s.linux.sysctl = { 'kernel.shmmax': '1', 'kernel.msgmax': '1', 'kernel.sem': '1 2 3 4', 'fs.mqueue.msg_max': '10' };
  }), [['linux.sysctl["kernel.shmmax"]', 'error'], ['linux.sysctl["kernel.msgmax"]', 'error'], ['linux.sysctl["kernel.sem"]', 'error'], ['linux.sysctl["fs.mqueue.msg_max"]', 'error']]],
  ['IPC sysctls with an IPC namespace', withChange((s) => { s.linux.sysctl = { 'kernel.shm_rmid_forced': '1', 'fs.mqueue.queues_max': '8' }; }), []],
  ['kernel.domainname without a UTS namespace', withChange((s) => { withoutNs(s, 'uts'); s.linux.sysctl = { 'kernel.domainname': 'x' }; }),
    [['linux.sysctl["kernel.domainname"]', 'error']]],
  ['kernel.domainname with a UTS namespace', withChange((s) => { s.linux.sysctl = { 'kernel.domainname': 'x' }; }), []],
  ['kernel.hostname next to the hostname field', withChange((s) => { s.hostname = 'a'; s.linux.sysctl = { 'kernel.hostname': 'b' }; }),
    [['linux.sysctl["kernel.hostname"]', 'error']]],
  ['a sysctl that is not namespaced', withChange((s) => { s.linux.sysctl = { 'vm.swappiness': '10', 'kernel.pid_max': '100' }; }),
    [['linux.sysctl["vm.swappiness"]', 'error'], ['linux.sysctl["kernel.pid_max"]', 'error']]],

  // root and process
  ['an empty root.path', withChange((s) => { s.root.path = ''; }), [['root.path', 'error']]],
  ['no root', withChange((s) => { delete s.root; }), [['root', 'error']]],
  ['empty process.args', withChange((s) => { s.process.args = []; }), [['process.args', 'error']]],
  ['missing process.args', withChange((s) => { delete s.process.args; }), [['process.args', 'error']]],
  ['an empty program name', withChange((s) => { s.process.args = ['', '-c']; }), [['process.args[0]', 'error']]],
  ['no process at all', withChange((s) => { delete s.process; }), []],
  ['a relative process.cwd', withChange((s) => { s.process.cwd = 'app'; }), [['process.cwd', 'error']]],
  ['an env entry without "="', withChange((s) => { s.process.env = ['PATH=/bin', 'DEBUG', '=x']; }),
    [['process.env[1]', 'error'], ['process.env[2]', 'error']]],
  ['a duplicate rlimit', withChange((s) => {
    s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1, hard: 2 }, { type: 'RLIMIT_CORE', soft: 0, hard: 0 }, { type: 'RLIMIT_NOFILE', soft: 3, hard: 4 }];
  }), [['process.rlimits[2].type', 'error']]],
  ['an rlimit soft above hard', withChange((s) => { s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 2 }]; }), [['process.rlimits[0].soft', 'error']]],

  // mounts
  ['a relative mount destination', withChange((s) => s.mounts.push({ destination: 'data', type: 'tmpfs', source: 'tmpfs' })),
    [['mounts[1].destination', 'warning']]],
  ['idmap without any mapping', withChange((s) => s.mounts.push({ destination: '/data', source: '/srv', type: 'bind', options: ['rbind', 'idmap'] })),
    [['mounts[1].options', 'error']]],
  ['idmap taking the user namespace mapping', withChange((s) => {
    s.linux.namespaces.push({ type: 'user' });
    s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    s.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    s.mounts.push({ destination: '/data', source: '/srv', type: 'bind', options: ['rbind', 'ridmap'] });
  }), []],
  ['mount mappings without idmap', withChange((s) => s.mounts.push({
    destination: '/data', source: '/srv', type: 'bind', options: ['rbind'],
    uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
  })), [['mounts[1].options', 'warning']]],

  // hooks
  ['relative hook paths', withChange((s) => {
    s.hooks = { prestart: [{ path: '/bin/ok' }], poststop: [{ path: '/bin/ok' }, { path: 'cleanup.sh' }], startContainer: [{ path: 'ldconfig' }] };
  }), [['hooks.startContainer[0].path', 'error'], ['hooks.poststop[1].path', 'error']]],

  // seccomp
  ['errnoRet with a non-errno action', withChange((s) => {
    s.linux.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1,
      syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 5 }, { names: ['kill'], action: 'SCMP_ACT_KILL', errnoRet: 1 }],
    };
  }), [['linux.seccomp.defaultErrnoRet', 'error'], ['linux.seccomp.syscalls[1].errnoRet', 'error']]],

  // Misspelled keys
  ['misspelled top-level keys', withChange((s) => { s.mount = []; s.procss = {}; s.Linux = {}; s['com.example.extension'] = 1; s.hoks = {}; }),
    [['mount', 'warning'], ['procss', 'warning'], ['Linux', 'warning'], ['hoks', 'warning']]],
  ['misspelled nested keys', withChange((s) => {
    s.linux.namespace = [];
    s.root.readOnly = true;
    s.process.user.additionalGid = [1];
    s.mounts[0].option = ['ro'];
    s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', arg: [] }] };
    s.linux.resources = { memory: { limt: 1 }, cpu: { quota: 1, period: 1, vendorKnob: 1 } };
  }), [['linux.namespace', 'warning'], ['root.readOnly', 'warning'], ['process.user.additionalGid', 'warning'], ['mounts[0].option', 'warning'],
    ['linux.seccomp.syscalls[0].arg', 'warning'], ['linux.resources.memory.limt', 'warning']]],
  ['genuinely unknown keys', withChange((s) => { s.vendor = { x: 1 }; s.linux.futureThing = true; s.process.myExtension = 'x'; }), []],
  ['keys of maps are not checked', withChange((s) => { s.annotations = { namespace: 'x' }; s.linux.sysctl = {}; s.linux.resources = { unified: { 'memory.hig': '1' } }; }), []],

  // NUL bytes: in any string or property name that reaches the helper or the kernel
  ['NUL bytes in strings and names', withChange((s) => {
    s.process.args.push('a\0b');
    s.process.env.push('X=\0');
    s.process.cwd = '/\0';
    s.hostname = 'h\0';
    s.mounts[0].destination = '/proc\0';
    s.mounts[0].options = ['ro', '\0'];
    s.linux.sysctl = { 'net.ipv4.ip_forward\0': '1', 'kernel.shmmax': '1\0' };
    s.linux.cgroupsPath = '/a\0';
    s.linux.namespaces[0].path = '/proc/1/ns/pid\0';
    s.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read\0'], action: 'SCMP_ACT_ERRNO' }] };
    s.hooks = { prestart: [{ path: '/bin/true', env: ['A=\0'] }] };
    s['x-vendor'] = { deep: [['\0']] };
  }), [
    ['process.args[1]', 'error'], ['process.env[1]', 'error'], ['process.cwd', 'error'], ['hostname', 'error'],
    ['mounts[0].destination', 'error'], ['mounts[0].options[1]', 'error'], ['linux.sysctl["net.ipv4.ip_forward\\u0000"]', 'error'],
    ['linux.sysctl["kernel.shmmax"]', 'error'], ['linux.cgroupsPath', 'error'], ['linux.namespaces[0].path', 'error'],
    ['linux.seccomp.syscalls[0].names[0]', 'error'], ['hooks.prestart[0].env[0]', 'error'], ['["x-vendor"].deep[0][0]', 'error'],
  ]],
  ['annotations may hold NUL bytes (they reach hooks and state only as JSON)', withChange((s) => { s.annotations = { 'a\0': 'b\0' }; }), []],
];

/** The (path, severity) pairs, sorted: the order of problems is not part of the contract. */
function summary(spec: Spec): Expect {
  return sorted(semanticProblems(spec).map((p) => [p.path, p.severity]));
}

function sorted(list: Expect): Expect {
  return [...list].sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : a[0] + a[1] > b[0] + b[1] ? 1 : 0));
}

describe('semanticProblems', () => {
  test.each(CASES)('%s', (_name, spec, expected) => {
    expect(summary(spec)).toEqual(sorted(expected));
  });

  test('messages and hints', () => {
    const [dup] = semanticProblems(withChange((s) => s.linux.namespaces.push({ type: 'network' })));
    expect(dup.message).toMatch(/linux\.namespaces\[4\]/);

    const [user] = semanticProblems(withChange((s) => {
      s.linux.namespaces.push({ type: 'user' });
      s.linux.gidMappings = [{ containerID: 0, hostID: 1, size: 1 }];
    }));
    expect(user).toMatchObject({ path: 'linux.uidMappings', severity: 'error' });
    expect(user.message).toMatch(/linux\.namespaces\[5\].*user namespace/);

    const [mount] = semanticProblems(withChange((s) => { withoutNs(s, 'mount'); s.linux.maskedPaths = ['/x']; }));
    expect(mount.hint).toBe('add {"type": "mount"} to linux.namespaces, or make linux.maskedPaths empty');

    const typos = semanticProblems(withChange((s) => { s.linux.namespace = []; s.mount = []; s.procss = {}; }));
    expect(Object.fromEntries(typos.map((p) => [p.path, p.hint]))).toEqual({
      mount: "did you mean 'mounts'?",
      procss: "did you mean 'process'?",
      'linux.namespace': "did you mean 'namespaces'?",
    });

    const [cwd] = semanticProblems(withChange((s) => { s.process.cwd = 'srv/app'; }));
    expect(cwd).toMatchObject({ path: 'process.cwd', found: '"srv/app"', hint: "did you mean '/srv/app'?" });

    const [nul] = semanticProblems(withChange((s) => { s.process.args.push('a\0b'); }));
    expect(nul).toMatchObject({ path: 'process.args[1]', message: 'contains a NUL byte', found: '"a\\u0000b"' });

    const [args] = semanticProblems(withChange((s) => { s.process.args = []; }));
    expect(args.message).toBe('must have at least one entry (the program to run)');
  });

  test('never throws on a document of the wrong shape', () => {
    const odd: unknown[] = [
      null, 42, [], {},
      { linux: { namespaces: 'x', sysctl: [], timeOffsets: 3, seccomp: { syscalls: {} } }, process: 5, mounts: {}, hooks: [] },
      { linux: { namespaces: [null, 1, { type: 5 }, { path: 7 }] }, process: { args: 'sh', env: [1, null], rlimits: [null, { type: 1 }] }, mounts: [null, { destination: 5 }] },
      { hooks: { prestart: {}, poststop: [null, { path: 1 }] }, root: 'x' },
    ];
    for (const doc of odd) expect(() => semanticProblems(doc as Spec)).not.toThrow();
  });
});

describe('sysctlNamespace', () => {
  test.each([
    ['net.ipv4.ip_forward', 'network'],
    ['net/ipv6/conf/all/disable_ipv6', 'network'],
    ['kernel.shmmax', 'ipc'],
    ['kernel.msgmnb', 'ipc'],
    ['kernel.sem', 'ipc'],
    ['fs.mqueue.msg_max', 'ipc'],
    ['kernel.hostname', 'uts'],
    ['kernel.domainname', 'uts'],
    ['vm.overcommit_memory', undefined],
    ['kernel.panic', undefined],
    ['fs.file-max', undefined],
  ])('%s → %s', (key, ns) => {
    expect(sysctlNamespace(key)).toBe(ns);
  });
});
