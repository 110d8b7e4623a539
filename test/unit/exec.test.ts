// exec's plan (src/linux/exec-plan.ts), the process it builds from the config and the flags, its
// validation of a --process object, ps's row filter, and the engines' exec/ps/pause argv.
import { describe, expect, it } from 'vitest';
import { buildExecPlan, ExecPlanInput } from '../../src/linux/exec-plan';
import { encodePlan, Plan } from '../../src/linux/plan';
import { CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_PARENT, SIGCHLD } from '../../src/linux/constants';
import { baseSpec } from '../support/base-spec';
import { ExecOptions, processFromFlags, processProblems } from '../../src/runtime/exec';
import { dedupEnv } from '../../src/runtime/process-env';
import { filterPsOutput } from '../../src/runtime/commands/ps-table';
import { parseCommandLine } from '../../src/runtime/cli/parse';
import { describeHelperError } from '../../src/runtime/helper-client';
import type { Process } from '../../src/oci/types';

const HOST = { capLastCap: 40, boundingSet: 0x1ffffffffffn, hasKcore: true, sourceKind: () => 'dir' as const };

function baseProcess(): Process {
  return structuredClone(baseSpec().process!);
}

function input(over: Partial<ExecPlanInput> = {}): ExecPlanInput {
  const process = over.process ?? { ...baseProcess(), args: ['sh', '-c', 'echo hi'] };
  return {
    process,
    env: process.env ?? [],
    preserveFds: 0,
    cgroup: { join: ['/sys/fs/cgroup/memory/c/cgroup.procs', '/sys/fs/cgroup/pids/c/cgroup.procs'] },
    namespaces: [
      { type: 'mount', path: '/proc/42/ns/mnt' },
      { type: 'pid', path: '/proc/42/ns/pid' },
      { type: 'network', path: '/proc/42/ns/net' },
      { type: 'user', path: '/proc/42/ns/user' },
      { type: 'ipc', path: '/proc/42/ns/ipc' },
    ],
    host: HOST,
    ...over,
  };
}

const names = (ops: { op: string }[]) => ops.map((o) => o.op);
const ops = (plan: Plan, name: string) => [...plan.host, ...plan.container].filter((o) => o.op === name);

describe('exec plan', () => {
  it('joins the cgroup, then the namespaces (each other one tried before the user namespace, as runc; mount last), then clones a child of the runtime', () => {
    const { plan, problems } = buildExecPlan(input());
    expect(problems).toEqual([]);
    expect(names(plan.host)).toEqual([
      'cloexec-from', 'join-cgroup', 'join-cgroup', 'open-ns', 'open-ns', 'open-ns', 'open-ns', 'open-ns',
      'setns', 'setns', 'setns', 'setns', 'setns', 'setns', 'setns', 'setns', 'setns', 'clone', 'report-pid', 'release',
    ]);
    // Every namespace file is opened before the first setns (in the container's user namespace the
    // files of a created container's init, not dumpable, are closed to the helper).
    expect(new Set(ops(plan, 'open-ns').map((o) => o.args[0]))).toEqual(new Set(ops(plan, 'setns').map((o) => o.args[0])));
    expect(plan.host[0].args).toEqual(['3']);
    expect(ops(plan, 'join-cgroup').map((o) => o.args[0])).toEqual(['/sys/fs/cgroup/memory/c/cgroup.procs', '/sys/fs/cgroup/pids/c/cgroup.procs']);
    // Tried while the helper has the runtime's rights (EPERM leaves one for later), the user namespace,
    // then those left.
    const others = [['/proc/42/ns/ipc', String(CLONE_NEWIPC)], ['/proc/42/ns/net', String(CLONE_NEWNET)], ['/proc/42/ns/pid', String(CLONE_NEWPID)], ['/proc/42/ns/mnt', String(CLONE_NEWNS)]];
    expect(ops(plan, 'setns').map((o) => o.args)).toEqual([
      ...others.map((a) => [...a, 'try']),
      ['/proc/42/ns/user', String(CLONE_NEWUSER)],
      ...others.map((a) => [...a, 'pending']),
    ]);
    // No new namespaces: the child is born in those joined.
    expect(ops(plan, 'clone')[0].args).toEqual([String(CLONE_PARENT | SIGCHLD)]);
    // The helper accepts it (every op with its argc): it encodes.
    expect(encodePlan(plan).length).toBeGreaterThan(4);
  });

  it('sets up the process as create does, without mounts, setsid or wait-start', () => {
    const { plan } = buildExecPlan(input());
    const c = names(plan.container);
    expect(c[0]).toBe('wait-release');
    for (const absent of ['setsid', 'mount', 'mount-in-root', 'pivot-root', 'sethostname', 'wait-start', 'open-exec-fifo', 'become-root']) {
      expect(c, absent).not.toContain(absent);
    }
    // The default process has capabilities and noNewPrivileges.
    expect(c).toEqual([
      'wait-release', 'cpu-affinity', 'rlimit', 'umask', 'chdir', 'keep-caps', 'drop-bounding', 'setgroups-list', 'setresgid', 'setresuid', 'capset', 'ambient',
      'no-new-privs', 'find-exec', 'ready', 'exec',
    ]);
    expect(ops(plan, 'find-exec')[0].args).toEqual([
      '/usr/local/sbin/sh', '/usr/local/bin/sh', '/usr/sbin/sh', '/usr/bin/sh', '/sbin/sh', '/bin/sh',
    ]);
    expect(ops(plan, 'exec')[0].args.slice(0, 4)).toEqual(['3', 'sh', '-c', 'echo hi']);
    expect(ops(plan, 'chdir')[0]).toEqual({ op: 'chdir', args: ['/'], origin: 'process.cwd' });
  });

  it('passes --preserve-fds and writes oomScoreAdj before joining any namespace', () => {
    const process = { ...baseProcess(), args: ['true'], oomScoreAdj: 500 };
    const { plan } = buildExecPlan(input({ process, preserveFds: 2 }));
    expect(plan.host[0].args).toEqual(['5']);
    const oom = plan.host.findIndex((o) => o.op === 'write-file');
    expect(plan.host[oom].args).toEqual(['/proc/self/oom_score_adj', '500']);
    expect(oom).toBeLessThan(plan.host.findIndex((o) => o.op === 'setns'));
  });

  it('joins nothing when the container shares every namespace with the runtime', () => {
    const { plan } = buildExecPlan(input({ namespaces: [] }));
    expect(ops(plan, 'setns')).toEqual([]);
  });

  it('gives the process the container\'s seccomp filter, placed as create places it', () => {
    const seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    const late = buildExecPlan(input({ seccomp }));
    const c = names(late.plan.container);
    // noNewPrivileges: compiled before ready, installed right before exec.
    expect(c.slice(-4)).toEqual(['seccomp', 'ready', 'seccomp-load', 'exec']);
    const early = buildExecPlan(input({ seccomp, process: { ...baseProcess(), args: ['true'], noNewPrivileges: false } }));
    const e = names(early.plan.container);
    expect(e.indexOf('seccomp-load')).toBe(e.indexOf('setresuid') - 1);
    expect(e).not.toContain('no-new-privs');
  });

  it('reports process problems with the process field', () => {
    const process = { ...baseProcess(), args: ['true'], rlimits: [{ type: 'RLIMIT_NOPE', soft: 1, hard: 1 }] };
    const { problems } = buildExecPlan(input({ process }));
    expect(problems.map((p) => p.path)).toEqual(['process.rlimits[0].type']);
  });
});

function opts(over: Partial<ExecOptions> = {}): ExecOptions {
  return {
    id: 'c', args: ['sh'], env: [], additionalGids: [], caps: [], noNewPrivs: false, detach: false, preserveFds: 0, cgroups: [], ignorePaused: false, ...over,
  };
}

describe('the process of exec without --process', () => {
  it('is the config\'s with the command, and the flags applied', () => {
    const base = { ...baseProcess(), noNewPrivileges: false };
    const p = processFromFlags(base, opts({
      args: ['ls', '-l'], cwd: '/tmp', env: ['A=1'], user: '1000:100', additionalGids: ['5', '6'], caps: ['CAP_SYS_ADMIN'], noNewPrivs: true,
    }));
    expect(p.args).toEqual(['ls', '-l']);
    expect(p.cwd).toBe('/tmp');
    expect(p.env).toEqual([...base.env!, 'A=1']);
    expect(p.user).toEqual({ uid: 1000, gid: 100, additionalGids: [5, 6] });
    expect(p.capabilities!.bounding).toContain('CAP_SYS_ADMIN');
    expect(p.capabilities!.effective).toContain('CAP_SYS_ADMIN');
    expect(p.capabilities!.permitted).toContain('CAP_SYS_ADMIN');
    // Ambient only when the config has inheritable capabilities (runc's rule).
    expect(p.capabilities!.ambient ?? []).not.toContain('CAP_SYS_ADMIN');
    expect(p.noNewPrivileges).toBe(true);
    expect(p.terminal).toBe(false);
    // The config's process is not changed.
    expect(base.args).toEqual(['sh']);
    expect(base.capabilities!.bounding).not.toContain('CAP_SYS_ADMIN');
  });

  it('keeps the config\'s user and cwd without flags; --user UID keeps the gid', () => {
    const base = { ...baseProcess(), cwd: '/work', user: { uid: 7, gid: 8 } };
    expect(processFromFlags(base, opts())).toMatchObject({ cwd: '/work', user: { uid: 7, gid: 8 } });
    expect(processFromFlags(base, opts({ user: '9' })).user).toEqual({ uid: 9, gid: 8 });
    const withInheritable = { ...base, capabilities: { inheritable: [] } };
    expect(processFromFlags(withInheritable, opts({ caps: ['CAP_KILL'] })).capabilities!.ambient).toEqual(['CAP_KILL']);
  });

  it('refuses empty args, a bad uid or gid, a negative gid', () => {
    expect(() => processFromFlags(baseProcess(), opts({ args: [] }))).toThrow(/exec args cannot be empty/);
    expect(() => processFromFlags(baseProcess(), opts({ user: 'root' }))).toThrow(/bad uid/);
    expect(() => processFromFlags(baseProcess(), opts({ user: '0:wheel' }))).toThrow(/bad gid/);
    expect(() => processFromFlags(baseProcess(), opts({ additionalGids: ['-1'] }))).toThrow(/additional-gids must be a positive number/);
  });

  it('dedups the environment, the last value winning', () => {
    expect(dedupEnv(['A=1', 'B=2', 'A=3', 'C=4'])).toEqual(['B=2', 'A=3', 'C=4']);
    expect(dedupEnv([])).toEqual([]);
  });
});

describe('a --process object', () => {
  it('is checked like config.json\'s process, with its field paths', () => {
    expect(processProblems({ args: ['sh'], cwd: '/', user: { uid: 0, gid: 0 } }).filter((p) => p.severity === 'error')).toEqual([]);
    const paths = (v: unknown) => processProblems(v).filter((p) => p.severity === 'error').map((p) => p.path);
    expect(paths({ args: [], cwd: 'relative', user: { uid: 0, gid: 0 } })).toEqual(['process.args', 'process.cwd']);
    expect(paths({ args: ['sh'], user: { uid: 0, gid: 0 } })).toEqual(['process.cwd']);
    expect(paths({ args: ['sh'], cwd: '/', user: { uid: 'root', gid: 0 } })).toEqual(['process.user.uid']);
    const user = { uid: 0, gid: 0 };
    expect(paths({ args: ['sh'], cwd: '/', user, env: ['NOEQUALS'] })).toEqual(['process.env[0]']);
    // A terminal is a matter of --tty/--console-socket/--detach (exec checks them), not of the object.
    expect(paths({ args: ['sh'], cwd: '/', user, terminal: true })).toEqual([]);
    expect(paths({ args: ['sh'], cwd: '/' })).toEqual(['process.user']);
    expect(paths('not an object')).toEqual(['process']);
  });
});

describe('ps table', () => {
  const out = [
    'UID          PID    PPID  C STIME TTY          TIME CMD',
    'root           1       0  0 10:00 ?        00:00:01 /sbin/init',
    'root         100       1  0 10:00 ?        00:00:00 sh -c while :; do sleep 1; done',
    'user         101     100  0 10:00 ?        00:00:00 sleep 1',
    '',
  ].join('\n');

  it('keeps the header and the rows of the given pids', () => {
    expect(filterPsOutput(out, [100, 101])).toBe([
      'UID          PID    PPID  C STIME TTY          TIME CMD',
      'root         100       1  0 10:00 ?        00:00:00 sh -c while :; do sleep 1; done',
      'user         101     100  0 10:00 ?        00:00:00 sleep 1',
      '',
    ].join('\n'));
    expect(filterPsOutput('  PID COMMAND\n    5 sleep\n    6 sh\n', [6])).toBe('  PID COMMAND\n    6 sh\n');
  });

  it('fails without a PID column, as runc does', () => {
    expect(() => filterPsOutput('USER COMMAND\nroot sh\n', [1])).toThrow(/couldn't find PID field/);
  });
});

describe('engine argv', () => {
  it('containerd\'s shim: exec --process F --detach --pid-file P ID', () => {
    const cl = parseCommandLine(['--root', '/r', '--log', '/b/log.json', '--log-format', 'json', 'exec', '--process', '/tmp/runc-process1',
      '--detach', '--pid-file', '/b/e.pid', 'ctr']);
    expect(cl.command!.name).toBe('exec');
    expect(cl.flags).toMatchObject({ process: '/tmp/runc-process1', detach: true, 'pid-file': '/b/e.pid' });
    expect(cl.positionals).toEqual(['ctr']);
    expect(cl.globals).toMatchObject({ root: '/r', log: '/b/log.json', 'log-format': 'json' });
  });

  it('conmon: exec --pid-file P --process F --detach ID', () => {
    const cl = parseCommandLine(['--log-format=json', '--log', '/x/oci-log', 'exec', '--pid-file', '/x/exec_pid', '--process', '/x/exec-process-1', '--detach', 'ctr']);
    expect(cl.flags).toMatchObject({ process: '/x/exec-process-1', detach: true, 'pid-file': '/x/exec_pid' });
    expect(cl.positionals).toEqual(['ctr']);
  });

  it('the command keeps its own flags; repeated flags collect', () => {
    const cl = parseCommandLine(['exec', '-e', 'A=1', '--env=B=2', '-u', '1000:1000', 'ctr', 'sh', '-c', 'echo --detach']);
    expect(cl.flags).toMatchObject({ env: ['A=1', 'B=2'], user: '1000:1000', detach: false });
    expect(cl.positionals).toEqual(['ctr', 'sh', '-c', 'echo --detach']);
  });

  it('ps --format json ID, ps ID ps-args, pause ID, resume ID', () => {
    expect(parseCommandLine(['ps', '--format', 'json', 'ctr'])).toMatchObject({ flags: { format: 'json' }, positionals: ['ctr'] });
    expect(parseCommandLine(['ps', 'ctr', '-o', 'pid'])).toMatchObject({ flags: { format: 'table' }, positionals: ['ctr', '-o', 'pid'] });
    expect(parseCommandLine(['pause', 'ctr']).positionals).toEqual(['ctr']);
    expect(parseCommandLine(['resume', 'ctr']).positionals).toEqual(['ctr']);
    expect(() => parseCommandLine(['pause'])).toThrow(/missing argument/);
  });
});

describe('a program that is not found', () => {
  it('is "not found in $PATH" when it was searched for, even along a one-directory PATH', () => {
    const process = { ...baseProcess(), args: ['nope'], env: ['PATH=/bin'] };
    const { plan } = buildExecPlan(input({ process, env: process.env }));
    const at = plan.host.length + plan.container.findIndex((o) => o.op === 'find-exec');
    expect(describeHelperError(plan, at, 2, '')).toBe('process.args[0]: exec: "nope": executable file not found in $PATH');
    const abs = { ...baseProcess(), args: ['/bin/nope'] };
    const p2 = buildExecPlan(input({ process: abs })).plan;
    const at2 = p2.host.length + p2.container.findIndex((o) => o.op === 'find-exec');
    expect(describeHelperError(p2, at2, 2, '')).toMatch(/^process\.args\[0\]: exec: "\/bin\/nope": no such file or directory/);
  });
});
