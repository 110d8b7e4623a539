// linux.seccomp → the `seccomp` op's items, and where the plan builder puts the filter.
import { describe, expect, it } from 'vitest';
import {
  blockedNeeds, decodeSeccomp, encodeSeccomp, SeccompTables, seccompItemText, surelyBlocks, syscallsAfterFilter, translateSeccomp,
} from '../../src/linux/seccomp';
import { buildCreatePlan, PlanInput } from '../../src/linux/plan-builder';
import { native } from '../../src/linux/native';
import { baseSpec } from '../support/base-spec';
import { describeHelperError } from '../../src/runtime/helper-client';
import type { Seccomp, Spec } from '../../src/oci/types';

/** libseccomp's tables as a fake: every system call in KNOWN numbered by its place, the rest unknown. */
const KNOWN = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'x', 'clone', 'personality', 'read', 'write', 'mkdir',
  ...Array.from({ length: 33 }, (_, i) => `s${i}`)];
const ARCH_TOKENS: Record<string, number> = { native: 1000, x86_64: 1000, x86: 1001, x32: 1002, aarch64: 1003 };
const fakeTables: SeccompTables = {
  seccompArch: (name) => ARCH_TOKENS[name ?? 'native'] ?? 0,
  seccompSyscallNumbers: (_arch, names) => names.map((n) => (KNOWN.includes(n) ? KNOWN.indexOf(n) : null)),
  seccompSyscallNames: (_arch, numbers) => numbers.map((n) => KNOWN[n] ?? null),
  seccompVersion: () => '2.5.4',
};

/** The numbers of the items, from the names (as the fake numbers them). */
const ALLOW = 0x7fff0000, KILL_THREAD = 0, KILL_PROCESS = 0x80000000, TRAP = 0x30000, LOG = 0x7ffc0000;
const ERRNO = (e: number) => 0x50000 + e;
const TRACE = (e: number) => 0x7ff00000 + e;
const rule = (name: string, action: number, ...conds: string[]) => [`rule ${KNOWN.indexOf(name)} ${action}`, ...conds].join(' ');
const CMP = { ne: 1, lt: 2, le: 3, eq: 4, ge: 5, gt: 6, 'masked-eq': 7 };

/** The items of a profile; without `flags` in it, with none (the default, SPEC_ALLOW, has a test of its own). */
const items = (s: Seccomp, tables = fakeTables) => {
  const { filter, problems } = translateSeccomp({ flags: [], ...s });
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  const encoded = encodeSeccomp(filter!, tables);
  expect(encoded.problems).toEqual([]);
  return encoded.items;
};

/** The items without the -ENOSYS stub (seccomp-enosys.test.ts runs it). */
const noStub = (xs: string[]) => xs.filter((i) => !i.startsWith('prefix '));

const errors = (s: Seccomp) => translateSeccomp(s).problems.filter((p) => p.severity === 'error').map((p) => [p.path, p.message]);

describe('seccomp translation', () => {
  it('translates every action, with EPERM as the default errno of ERRNO and TRACE', () => {
    expect(items({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['a'], action: 'SCMP_ACT_KILL' },
        { names: ['b'], action: 'SCMP_ACT_KILL_THREAD' },
        { names: ['c'], action: 'SCMP_ACT_KILL_PROCESS' },
        { names: ['d'], action: 'SCMP_ACT_TRAP' },
        { names: ['e'], action: 'SCMP_ACT_ERRNO' },
        { names: ['f'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
        { names: ['g'], action: 'SCMP_ACT_TRACE' },
        { names: ['h'], action: 'SCMP_ACT_TRACE', errnoRet: 7 },
        { names: ['i'], action: 'SCMP_ACT_LOG' },
        { names: ['j'], action: 'SCMP_ACT_ERRNO', errnoRet: 0 },
      ],
    })).toEqual([
      `default ${ALLOW}`,
      rule('a', KILL_THREAD), rule('b', KILL_THREAD), rule('c', KILL_PROCESS), rule('d', TRAP),
      rule('e', ERRNO(1)), rule('f', ERRNO(38)), rule('g', TRACE(1)), rule('h', TRACE(7)), rule('i', LOG), rule('j', ERRNO(0)),
    ]);
  });

  it('encodes the default errno, architectures (libseccomp tokens, once each) and flags (one mask; TSYNC left out, as runc)', () => {
    expect(items({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 38,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_X86', 'SCMP_ARCH_AARCH64'],
      flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
      syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }],
    })).toEqual([
      `default ${ERRNO(38)}`,
      'arch 1000', 'arch 1001', 'arch 1002', 'arch 1003',
      'flags 6',
      rule('read', ALLOW), rule('write', ALLOW),
    ]);
    expect(items({ defaultAction: 'SCMP_ACT_ERRNO' })).toEqual([`default ${ERRNO(1)}`]);
    // No flags at all means SPEC_ALLOW, as runc and crun; an empty list means none.
    expect(translateSeccomp({ defaultAction: 'SCMP_ACT_ALLOW' }).filter!.flags).toEqual(['SECCOMP_FILTER_FLAG_SPEC_ALLOW']);
    expect(translateSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags: [] }).filter!.flags).toEqual([]);
    expect(items({ defaultAction: 'SCMP_ACT_KILL_PROCESS' })).toEqual([`default ${KILL_PROCESS}`]);
  });

  it('leaves out a system call libseccomp does not know, and refuses an architecture it does not know', () => {
    expect(items({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'no_such_call'], action: 'SCMP_ACT_ERRNO' }] }))
      .toEqual([`default ${ALLOW}`, rule('mkdir', ERRNO(1))]);
    const { filter } = translateSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_SHEB'] });
    expect(encodeSeccomp(filter!, fakeTables).problems.map((p) => [p.severity, p.path, p.message])).toEqual([
      ['error', 'linux.seccomp.architectures', 'SCMP_ARCH_SHEB is unknown to the installed libseccomp 2.5.4'],
    ]);
  });

  it('translates argument comparisons, valueTwo defaulting to 0', () => {
    const ops = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
    expect(items({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: ops.map((op, i) => ({ names: ['x'], action: 'SCMP_ACT_ERRNO', args: [{ index: i % 6, value: 10 + i, op }] })),
    }).slice(1)).toEqual([
      rule('x', ERRNO(1), `0 ${CMP.ne} 10 0`), rule('x', ERRNO(1), `1 ${CMP.lt} 11 0`), rule('x', ERRNO(1), `2 ${CMP.le} 12 0`),
      rule('x', ERRNO(1), `3 ${CMP.eq} 13 0`), rule('x', ERRNO(1), `4 ${CMP.ge} 14 0`), rule('x', ERRNO(1), `5 ${CMP.gt} 15 0`),
      rule('x', ERRNO(1), `0 ${CMP['masked-eq']} 16 0`),
    ]);
    expect(items({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{
        names: ['clone'], action: 'SCMP_ACT_ERRNO',
        args: [{ index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }, { index: 2, value: 4294967295, op: 'SCMP_CMP_EQ' }],
      }],
    })).toEqual([`default ${ALLOW}`, rule('clone', ERRNO(1), `0 ${CMP['masked-eq']} 2114060288 0`, `2 ${CMP.eq} 4294967295 0`)]);
  });

  it('splits conditions on the same argument into one rule each, as runc does', () => {
    expect(items({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{
        names: ['personality'], action: 'SCMP_ACT_ERRNO',
        args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }, { index: 0, value: 131072, op: 'SCMP_CMP_EQ' }],
      }],
    }).slice(1)).toEqual([rule('personality', ERRNO(1), `0 ${CMP.eq} 8 0`), rule('personality', ERRNO(1), `0 ${CMP.eq} 131072 0`)]);
  });

  it('leaves out rules with the default action and errno', () => {
    expect(items({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['a'], action: 'SCMP_ACT_ERRNO' },
        { names: ['b'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
        { names: ['c'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
        { names: ['d'], action: 'SCMP_ACT_ALLOW' },
      ],
    }).filter((i) => !i.startsWith('prefix '))).toEqual([`default ${ERRNO(1)}`, rule('c', ERRNO(38)), rule('d', ALLOW)]);
  });

  it('asks libseccomp for a binary tree above 32 rules', () => {
    const names = Array.from({ length: 33 }, (_, i) => `s${i}`);
    expect(noStub(items({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names, action: 'SCMP_ACT_ALLOW' }] }))[1]).toBe('attr 8 2');
    expect(noStub(items({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: names.slice(1), action: 'SCMP_ACT_ALLOW' }] }))[1]).toBe(rule('s1', ALLOW));
    // Counted after the names libseccomp does not know are left out.
    const unknown = Array.from({ length: 33 }, (_, i) => `unknown${i}`);
    expect(noStub(items({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['s0', ...unknown], action: 'SCMP_ACT_ALLOW' }] }))).toEqual([
      `default ${ERRNO(1)}`, rule('s0', ALLOW),
    ]);
  });

  it('SCMP_ACT_NOTIFY: the notify action and NEW_LISTENER, the listener and its metadata; TSYNC left out', () => {
    const { filter, problems } = translateSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock', listenerMetadata: 'bar',
      flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
      syscalls: [{ names: ['a'], action: 'SCMP_ACT_ERRNO' }, { names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
    });
    expect(problems).toEqual([]);
    expect(filter!.listener).toEqual({ path: '/run/agent.sock', metadata: 'bar' });
    // WAIT_KILLABLE_RECV 32 + NEW_LISTENER 8, as runc logs it ("seccomp filter flags: 40").
    expect(encodeSeccomp(filter!, fakeTables).items).toEqual([`default ${ALLOW}`, 'flags 40', rule('a', ERRNO(1)), rule('mkdir', 0x7fc00000)]);
    expect(decodeSeccomp(encodeSeccomp(filter!, fakeTables).items, fakeTables).map(seccompItemText).slice(1)).toEqual([
      'flags SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV SECCOMP_FILTER_FLAG_NEW_LISTENER', 'rule a errno 1', 'rule mkdir notify 0',
    ]);
    // An abstract socket.
    expect(errors({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '@agent', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] })).toEqual([]);
  });

  it('refuses what runc refuses of SCMP_ACT_NOTIFY, and a listenerPath it cannot connect to, naming the field', () => {
    const notify = { names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' };
    expect(errors({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [notify] }))
      .toEqual([['linux.seccomp.listenerPath', expect.stringMatching(/must name the seccomp agent's unix socket: linux\.seccomp\.syscalls\[0\] uses SCMP_ACT_NOTIFY/)]]);
    expect(errors({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '', syscalls: [notify] }).map(([p]) => p)).toEqual(['linux.seccomp.listenerPath']);
    expect(errors({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: 'agent.sock', syscalls: [notify] }))
      .toEqual([['linux.seccomp.listenerPath', expect.stringMatching(/must be an absolute path/)]]);
    expect(errors({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: `/${'x'.repeat(120)}`, syscalls: [notify] }).map(([p]) => p)).toEqual(['linux.seccomp.listenerPath']);
    expect(errors({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/a.sock', syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_NOTIFY' }] }))
      .toEqual([['linux.seccomp.syscalls[0].names[1]', expect.stringMatching(/^SCMP_ACT_NOTIFY cannot be used for the write syscall/)]]);
    expect(errors({ defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/a.sock' }))
      .toEqual([['linux.seccomp.defaultAction', expect.stringMatching(/^SCMP_ACT_NOTIFY cannot be used as default action/)]]);
    expect(translateSeccomp({ defaultAction: 'SCMP_ACT_NOTIFY' }).filter).toBeUndefined();
  });

  it('refuses unknown actions, operators, architectures and flags', () => {
    expect(errors({
      defaultAction: 'SCMP_ACT_BOGUS',
      architectures: ['SCMP_ARCH_VAX'],
      flags: ['SECCOMP_FILTER_FLAG_BOGUS'],
      syscalls: [
        { names: ['a'], action: 'SCMP_ACT_NOPE' },
        { names: ['b'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_ABOUT' }] },
      ],
    }).map(([p]) => p)).toEqual([
      'linux.seccomp.defaultAction', 'linux.seccomp.architectures[0]', 'linux.seccomp.flags[0]',
      'linux.seccomp.syscalls[0].action', 'linux.seccomp.syscalls[1].args[0].op',
    ]);
  });

  it('refuses bad numbers: an argument index above 5, an errno above 16 bits, values JSON cannot hold exactly', () => {
    expect(errors({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 70000,
      syscalls: [
        { names: ['a'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] },
        { names: ['b'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2 ** 60 + 1, op: 'SCMP_CMP_EQ' }] },
        { names: ['c'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] },
        { names: ['d'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 },
      ],
    }).map(([p]) => p)).toEqual([
      'linux.seccomp.defaultErrnoRet', 'linux.seccomp.syscalls[0].args[0].index', 'linux.seccomp.syscalls[1].args[0].value',
      'linux.seccomp.syscalls[2].args[0].value', 'linux.seccomp.syscalls[3].errnoRet',
    ]);
  });

  it('warns about what it leaves out: WAIT_KILLABLE_RECV, a listener path, names that are no syscall names', () => {
    const { filter, problems } = translateSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW',
      flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
      listenerPath: '/run/agent.sock',
      syscalls: [{ names: ['mkdir', 'not a name'], action: 'SCMP_ACT_ERRNO' }],
    });
    expect(problems.map((p) => [p.severity, p.path])).toEqual([
      ['warning', 'linux.seccomp.syscalls[0].names[1]'], ['warning', 'linux.seccomp.listenerPath'], ['warning', 'linux.seccomp.flags[0]'],
    ]);
    expect(encodeSeccomp(filter!, fakeTables).items).toEqual([`default ${ALLOW}`, rule('mkdir', ERRNO(1))]);
  });

  it('knows when a filter surely blocks a system call', () => {
    const f = (s: Seccomp) => translateSeccomp(s).filter!;
    const denyDefault = f({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }, { names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] }] });
    expect(surelyBlocks(denyDefault, 'read')).toBe(false);
    expect(surelyBlocks(denyDefault, 'write')).toBe(false); // depends on the arguments
    expect(surelyBlocks(denyDefault, 'execve')).toBe(true);
    const allowDefault = f({ defaultAction: 'SCMP_ACT_LOG', syscalls: [{ names: ['execve'], action: 'SCMP_ACT_KILL' }, { names: ['open'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 1, op: 'SCMP_CMP_EQ' }] }] });
    expect(surelyBlocks(allowDefault, 'execve')).toBe(true);
    expect(surelyBlocks(allowDefault, 'open')).toBe(false);
    expect(surelyBlocks(allowDefault, 'read')).toBe(false);
    // One of the alternatives is enough.
    const statOnly = f({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['statx'], action: 'SCMP_ACT_ALLOW' }] });
    expect(blockedNeeds(statOnly, [['newfstatat', 'statx'], ['execve']])).toEqual(['execve']);
    const placement = { noNewPrivileges: true, hasCapabilities: true, waitsForStart: false, runsHooks: false, listener: false };
    expect(syscallsAfterFilter(placement)).toEqual([['execve']]);
    // create's init waits for start under the filter (as runc's), and hands a listener's fd over with write.
    expect(syscallsAfterFilter({ ...placement, waitsForStart: true }).map((n) => n[0])).toEqual(['openat', 'write', 'execve']);
    expect(syscallsAfterFilter({ ...placement, listener: true }).map((n) => n[0])).toEqual(['write', 'read', 'close', 'sendto', 'execve']);
    // What the agent answers is its own decision: a notified call is not surely blocked.
    const notifying = f({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/a.sock', syscalls: [{ names: ['openat'], action: 'SCMP_ACT_NOTIFY' }] });
    expect(surelyBlocks(notifying, 'openat')).toBe(false);
  });
});

describe('seccomp numbers from the installed libseccomp', () => {
  it('encodes names as libseccomp numbers them, and reads them back into the same names', () => {
    const tables = native();
    const profile: Seccomp = {
      defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38,
      architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'], flags: ['SECCOMP_FILTER_FLAG_LOG'],
      syscalls: [
        { names: ['mkdir', 'socketcall', 'no_such_call'], action: 'SCMP_ACT_ALLOW' },
        { names: ['chmod'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 1, value: 511, op: 'SCMP_CMP_EQ' }] },
      ],
    };
    const encoded = items(profile, tables);
    const [mkdir, socketcall] = tables.seccompSyscallNumbers(tables.seccompArch(), ['mkdir', 'socketcall']);
    expect(encoded).toContain(`rule ${mkdir} ${ALLOW}`);
    // A call the native architecture lacks has libseccomp's (negative) pseudo number.
    expect(socketcall).toBeLessThan(0);
    expect(encoded).toContain(`rule ${socketcall} ${ALLOW}`);
    expect(decodeSeccomp(encoded, tables).map(seccompItemText)).toEqual([
      'default errno 38', 'arch x86', 'arch x32', 'flags SECCOMP_FILTER_FLAG_LOG',
      'rule mkdir allow 0', 'rule socketcall allow 0', 'rule chmod errno 13 1 eq 511 0',
    ]);
  });
});

// ---- the plan ----

function input(spec: Spec): PlanInput {
  return {
    spec, rootfs: '/b/rootfs', bundle: '/b', stateDir: '/run/tsrunc/c', preserveFds: 0, noPivot: false,
    cgroup: { driver: 'v2', newCgroupNamespace: true, hierarchies: [{ name: '', hostPath: '/sys/fs/cgroup/c' }], join: [], cloneInto: '/sys/fs/cgroup/c' },
    env: spec.process?.env ?? [],
    host: { capLastCap: 40, boundingSet: 0x1fffeffffffn, hasKcore: true, sourceKind: () => 'dir' },
  };
}

const tail = (spec: Spec) => {
  const { plan, problems } = buildCreatePlan(input(spec));
  return { names: plan.container.map((o) => o.op).slice(-14), plan, problems };
};

describe('seccomp in the plan', () => {
  const profile: Seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: [], syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };

  it('with noNewPrivileges: compiled before ready, installed after it, before wait-start (as runc)', () => {
    const spec = baseSpec();
    spec.linux!.seccomp = profile;
    const { names, plan, problems } = tail(spec);
    expect(problems).toEqual([]);
    expect(names.slice(-7)).toEqual(['no-new-privs', 'find-exec', 'seccomp', 'ready', 'seccomp-load', 'wait-start', 'exec']);
    const op = plan.container.find((o) => o.op === 'seccomp')!;
    expect(op.origin).toBe('linux.seccomp');
    expect(decodeSeccomp(op.args).map(seccompItemText)).toEqual(['default allow 0', 'rule mkdir errno 1']);
  });

  it('without noNewPrivileges: compiled and installed before the user switch', () => {
    const spec = baseSpec();
    spec.process!.noNewPrivileges = false;
    spec.linux!.seccomp = profile;
    const { names } = tail(spec);
    expect(names.slice(-10)).toEqual(['setresgid', 'seccomp', 'seccomp-load', 'setresuid', 'capset', 'ambient', 'find-exec', 'ready', 'wait-start', 'exec']);
  });

  it('the startContainer hooks run under the filter, with and without noNewPrivileges (as runc)', () => {
    for (const nnp of [true, false]) {
      const spec = baseSpec();
      spec.process!.noNewPrivileges = nnp;
      spec.linux!.seccomp = profile;
      spec.hooks = { startContainer: [{ path: '/bin/true' }] };
      const { names } = tail(spec);
      expect(names.indexOf('seccomp-load')).toBeLessThan(names.indexOf('run-hook'));
    }
  });

  it('with a notification agent: the fd is handed over right after the filter is installed, before ready', () => {
    const notify: Seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] };
    const spec = baseSpec();
    spec.linux!.seccomp = notify;
    const { names, plan } = tail(spec);
    expect(names.slice(-7)).toEqual(['find-exec', 'seccomp', 'seccomp-load', 'seccomp-listener', 'ready', 'wait-start', 'exec']);
    expect(plan.container.find((o) => o.op === 'seccomp-listener')!.origin).toBe('linux.seccomp.listenerPath');
    spec.process!.noNewPrivileges = false;
    expect(tail(spec).names.slice(-10, -6)).toEqual(['seccomp', 'seccomp-load', 'seccomp-listener', 'setresuid']);
  });

  it('no seccomp ops without linux.seccomp', () => {
    expect(tail(baseSpec()).names).not.toContain('seccomp');
  });

  it('refuses a filter that surely blocks what the helper does after it, and NOTIFY, naming the field', () => {
    const spec = baseSpec();
    spec.linux!.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }] };
    let { problems } = tail(spec);
    expect(problems.map((p) => [p.path, p.message])).toEqual([['linux.seccomp', expect.stringMatching(/blocks openat, execve\b.*once it is ready/)]]);

    spec.linux!.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['execve', 'openat', 'write'], action: 'SCMP_ACT_ALLOW' }] };
    expect(tail(spec).problems).toEqual([]);
    spec.process!.noNewPrivileges = false;
    ({ problems } = tail(spec));
    expect(problems[0].path).toBe('linux.seccomp');
    expect(problems[0].message).toMatch(/blocks setresuid, capset, prctl, newfstatat, access, which/);
    expect(problems[0].hint).toMatch(/noNewPrivileges/);

    spec.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getcwd'], action: 'SCMP_ACT_NOTIFY' }] };
    expect(tail(spec).problems.map((p) => p.path)).toEqual(['linux.seccomp.listenerPath']);
  });

  it('says when a failure came with the filter in force', () => {
    const spec = baseSpec();
    spec.process!.noNewPrivileges = false;
    spec.linux!.seccomp = profile;
    const { plan } = buildCreatePlan(input(spec));
    const at = (name: string) => plan.host.length + plan.container.findIndex((o) => o.op === name);
    expect(describeHelperError(plan, at('setresuid'), 1, 'setresuid(0)')).toBe('process.user.uid: setresuid "0": operation not permitted (EPERM) (with the linux.seccomp filter in force)');
    expect(describeHelperError(plan, at('setresgid'), 1, 'setresgid(0)')).not.toMatch(/seccomp/);
    // The helper names an item by its index; the message shows it in names.
    expect(describeHelperError(plan, at('seccomp'), 22, 'seccomp item 1: add the rule'))
      .toBe('linux.seccomp: seccomp: item "rule mkdir errno 1": add the rule: invalid argument (EINVAL)');
  });
});
