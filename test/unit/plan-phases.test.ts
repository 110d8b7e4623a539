// The whole create and exec plans for configs that use every phase, pinned as snapshots: a change in
// what runs, or in what order, shows here op by op. Refresh with `npx vitest run -u` only when the
// change is meant. The seccomp op's items are pinned by seccomp.test.ts, so only their count is here.
import { describe, expect, it } from 'vitest';
import { buildCreatePlan, PlanInput } from '../../src/linux/plan-builder';
import { buildExecPlan, ExecPlanInput } from '../../src/linux/exec-plan';
import type { Plan } from '../../src/linux/plan';
import { baseSpec, withCgroupNamespace } from '../support/base-spec';
import type { Spec } from '../../src/oci/types';

const HOST = { capLastCap: 40, boundingSet: 0x1fffeffffffn, hasKcore: true, sourceKind: () => 'dir' as const };

function createInput(spec: Spec, over: Partial<PlanInput> = {}): PlanInput {
  return {
    spec, id: 'c', rootfs: '/b/rootfs', bundle: '/b', stateDir: '/run/tsrunc/c', preserveFds: 0, noPivot: false,
    cgroup: { driver: 'v1', newCgroupNamespace: true, hierarchies: [{ name: 'memory', hostPath: '/sys/fs/cgroup/memory/c' }], join: ['/sys/fs/cgroup/memory/c/cgroup.procs'] },
    env: spec.process?.env ?? [], host: HOST, ...over,
  };
}

function execInput(over: Partial<ExecPlanInput> = {}): ExecPlanInput {
  const process = { ...structuredClone(baseSpec().process!), args: ['sh', '-c', 'echo hi'] };
  return {
    process, env: process.env ?? [], preserveFds: 0,
    cgroup: { join: ['/sys/fs/cgroup/memory/c/cgroup.procs'] },
    namespaces: [{ type: 'mount', path: '/proc/42/ns/mnt' }, { type: 'user', path: '/proc/42/ns/user' }],
    host: HOST, ...over,
  };
}

/** One line per op: side, name, args, origin. */
function lines(plan: Plan): string[] {
  const line = (side: string) => (o: Plan['host'][number] | Plan['container'][number]) => {
    const args = o.op === 'seccomp' ? [`(${o.args.length} items)`] : o.args.map((a) => JSON.stringify(a));
    return `${side} ${o.op} ${args.join(' ')}${o.origin !== undefined ? `  [${o.origin}]` : ''}`;
  };
  return [...plan.host.map(line('P')), ...plan.container.map(line('C'))];
}

function everything(): Spec {
  const spec = withCgroupNamespace(baseSpec());
  spec.hostname = 'h';
  spec.domainname = 'd';
  spec.process!.oomScoreAdj = 10;
  spec.process!.terminal = true;
  spec.process!.consoleSize = { height: 24, width: 80 };
  spec.process!.scheduler = { policy: 'SCHED_OTHER', nice: -2 };
  spec.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 3 };
  spec.process!.user.additionalGids = [5, 6];
  spec.linux!.personality = { domain: 'LINUX32' };
  spec.linux!.namespaces!.push({ type: 'time' }, { type: 'user' });
  spec.linux!.timeOffsets = { monotonic: { secs: 1, nanosecs: 0 } };
  spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  spec.linux!.rootfsPropagation = 'rslave';
  spec.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
  spec.root!.readonly = true;
  spec.hooks = {
    prestart: [{ path: '/bin/pre' }],
    createRuntime: [{ path: '/bin/cr' }],
    createContainer: [{ path: '/bin/cc', args: ['cc', '-x'], timeout: 5 }],
    startContainer: [{ path: '/bin/sc', env: ['A=1'] }],
    poststart: [{ path: '/bin/ps' }],
  };
  spec.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdirat'], action: 'SCMP_ACT_ERRNO' }] };
  return spec;
}

describe('create plan, phase by phase', () => {
  it('the default spec', () => {
    // With the cgroup namespace runc's spec writes on a cgroup v2 host.
    expect(lines(buildCreatePlan(createInput(withCgroupNamespace(baseSpec()))).plan)).toMatchSnapshot();
  });

  it('every phase: terminal, namespaces joined and new, hooks, seccomp after no_new_privs, process attributes', () => {
    const spec = everything();
    spec.linux!.namespaces!.push({ type: 'network', path: '/proc/7/ns/net' });
    spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) => n.type !== 'network' || n.path !== undefined);
    const { plan, problems } = buildCreatePlan(createInput(spec, { consoleSocket: '/run/console.sock' }));
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(lines(plan)).toMatchSnapshot();
  });

  it('seccomp without no_new_privs, --no-pivot, cgroup v2 entry by clone, preserved fds', () => {
    const spec = everything();
    spec.process!.noNewPrivileges = false;
    delete spec.hooks!.startContainer;
    const { plan } = buildCreatePlan(createInput(spec, {
      noPivot: true, preserveFds: 2,
      cgroup: { driver: 'v2', newCgroupNamespace: false, hierarchies: [{ name: '', hostPath: '/sys/fs/cgroup/c' }], join: [], cloneInto: '/sys/fs/cgroup/c' },
    }));
    expect(lines(plan)).toMatchSnapshot();
  });
});

describe('exec plan, phase by phase', () => {
  it('a plain process', () => {
    expect(lines(buildExecPlan(execInput()).plan)).toMatchSnapshot();
  });

  it('a terminal, oom_score_adj, seccomp and the container personality', () => {
    const input = execInput({ consoleSocket: '/run/console.sock', seccomp: everything().linux!.seccomp, personality: { domain: 'LINUX32' } });
    input.process.terminal = true;
    input.process.oomScoreAdj = 3;
    expect(lines(buildExecPlan(input).plan)).toMatchSnapshot();
  });

  it('on cgroup v2, C joins the cgroup namespace after it is cloned into the cgroup (nsdelegate)', () => {
    const input = execInput({
      cgroup: { join: [], cloneInto: '/sys/fs/cgroup/c' },
      namespaces: [{ type: 'cgroup', path: '/proc/42/ns/cgroup' }, { type: 'pid', path: '/proc/42/ns/pid' }, { type: 'mount', path: '/proc/42/ns/mnt' }],
    });
    const { plan } = buildExecPlan(input);
    const text = (o: { op: string; args: string[] }) => [o.op, ...o.args].join(' ');
    expect(plan.host.map(text)).toEqual([
      'cloexec-from 3', 'open-cgroup /sys/fs/cgroup/c',
      'open-ns /proc/42/ns/pid', 'open-ns /proc/42/ns/cgroup', 'open-ns /proc/42/ns/mnt',
      `setns /proc/42/ns/pid ${0x20000000}`, `setns /proc/42/ns/mnt ${0x20000}`,
      `clone ${0x8000 | 17}`, 'report-pid', 'release',
    ]);
    expect(plan.container.slice(0, 2).map(text)).toEqual([`setns /proc/42/ns/cgroup ${0x2000000}`, 'wait-release']);
    // On v1 P joins every hierarchy before any setns, so it joins the cgroup namespace itself.
    const v1 = buildExecPlan({ ...input, cgroup: { join: ['/sys/fs/cgroup/memory/c/cgroup.procs'] } }).plan;
    expect(v1.host.some((o) => o.op === 'setns' && o.args[0] === '/proc/42/ns/cgroup')).toBe(true);
    expect(v1.container[0].op).toBe('wait-release');
  });
});
