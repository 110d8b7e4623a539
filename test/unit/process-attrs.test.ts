// linux.personality, process.scheduler, process.ioPriority: checks, number encodings, and where the
// ops sit in the plan (before the user switch).
import { describe, expect, it } from 'vitest';
import { buildCreatePlan, PlanInput } from '../../src/linux/plan-builder';
import { buildExecPlan } from '../../src/linux/exec-plan';
import { describeIoprio, describeSchedAttr, ioprioValue, personalityValue, schedAttr } from '../../src/linux/process-attrs';
import { baseSpec } from '../support/base-spec';
import type { Problem } from '../../src/common/errors';
import type { Scheduler, Spec } from '../../src/oci/types';

function input(spec: Spec): PlanInput {
  return {
    spec, rootfs: '/b/rootfs', bundle: '/b', stateDir: '/run/tsrunc/c', preserveFds: 0, noPivot: false,
    cgroup: { driver: 'v1', newCgroupNamespace: true, hierarchies: [], join: [] },
    env: spec.process?.env ?? [],
    host: { capLastCap: 40, boundingSet: 0x1fffeffffffn, hasKcore: true, sourceKind: () => 'dir' },
  };
}

const sched = (s: Scheduler) => {
  const problems: Problem[] = [];
  return { attr: schedAttr(s, problems), problems: problems.map((p) => `${p.path}: ${p.message}`) };
};

describe('process attributes', () => {
  it('encodes personality domains and warns about flags', () => {
    const problems: Problem[] = [];
    expect(personalityValue({ linux: { personality: { domain: 'LINUX32' } } }, problems)).toBe(8);
    expect(personalityValue({ linux: { personality: { domain: 'LINUX', flags: ['x'] } } }, problems)).toBe(0);
    expect(problems.map((p) => [p.severity, p.path])).toEqual([['warning', 'linux.personality.flags']]);
    expect(personalityValue({ linux: { personality: { domain: 'LINUX64' as 'LINUX' } } }, problems)).toBeUndefined();
    expect(problems[1].path).toBe('linux.personality.domain');
  });

  it('encodes scheduler policies, flags and fields', () => {
    expect(sched({ policy: 'SCHED_OTHER', nice: -5 }).attr).toEqual({ policy: 0, flags: 0, nice: -5, priority: 0, runtime: 0, deadline: 0, period: 0 });
    expect(sched({ policy: 'SCHED_FIFO', priority: 10, flags: ['SCHED_FLAG_RESET_ON_FORK', 'SCHED_FLAG_UTIL_CLAMP_MAX'] }).attr)
      .toMatchObject({ policy: 1, priority: 10, flags: 0x41 });
    expect(sched({ policy: 'SCHED_DEADLINE', runtime: 1e6, deadline: 2e6, period: 3e6 }).attr).toMatchObject({ policy: 6, runtime: 1e6, deadline: 2e6, period: 3e6 });
    expect(sched({ policy: 'SCHED_IDLE' }).attr?.policy).toBe(5);
  });

  it('refuses what runc or the kernel refuses, naming the field', () => {
    expect(sched({ policy: 'SCHED_OTHER', nice: 20 }).problems).toEqual(['process.scheduler.nice: nice 20 is out of range']);
    expect(sched({ policy: 'SCHED_BATCH', priority: 3 }).problems[0]).toMatch(/^process.scheduler.priority: a priority can only be given/);
    expect(sched({ policy: 'SCHED_RR' }).problems[0]).toMatch(/^process.scheduler.priority: SCHED_RR needs a priority from 1 to 99/);
    expect(sched({ policy: 'SCHED_OTHER', runtime: 5 }).problems[0]).toMatch(/only be given for SCHED_DEADLINE/);
    expect(sched({ policy: 'SCHED_DEADLINE', runtime: 5, deadline: 2 }).problems[0]).toMatch(/^process.scheduler.deadline:/);
    expect(sched({ policy: 'SCHED_OTHER', flags: ['SCHED_FLAG_NOPE' as 'SCHED_FLAG_RECLAIM'] }).problems).toEqual(['process.scheduler.flags[0]: unknown scheduler flag "SCHED_FLAG_NOPE"']);
  });

  it('encodes I/O priorities as class << 13 | priority', () => {
    const problems: Problem[] = [];
    expect(ioprioValue({ class: 'IOPRIO_CLASS_RT', priority: 0 }, problems)).toBe(1 << 13);
    expect(ioprioValue({ class: 'IOPRIO_CLASS_BE', priority: 7 }, problems)).toBe((2 << 13) | 7);
    expect(ioprioValue({ class: 'IOPRIO_CLASS_IDLE', priority: 0 }, problems)).toBe(3 << 13);
    expect(problems).toEqual([]);
    expect(ioprioValue({ class: 'IOPRIO_CLASS_BE', priority: 8 }, problems)).toBeUndefined();
    expect(problems[0].path).toBe('process.ioPriority.priority');
    expect(describeIoprio((2 << 13) | 7)).toBe('IOPRIO_CLASS_BE priority 7');
    expect(describeSchedAttr({ policy: 1, flags: 1, nice: 0, priority: 10, runtime: 0, deadline: 0, period: 0 })).toBe('SCHED_FIFO  nice 0  priority 10  flags SCHED_FLAG_RESET_ON_FORK');
  });

  it('places the ops after umask and before the user switch', () => {
    const spec = baseSpec();
    spec.linux!.personality = { domain: 'LINUX32' };
    spec.process!.scheduler = { policy: 'SCHED_BATCH', nice: 3 };
    spec.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 5 };
    const { plan, problems } = buildCreatePlan(input(spec));
    expect(problems).toEqual([]);
    const names = plan.container.map((o) => o.op);
    const at = (n: string) => names.indexOf(n as (typeof names)[number]);
    expect(plan.container.filter((o) => ['personality', 'sched-setattr', 'ioprio'].includes(o.op)))
      .toEqual([
        { op: 'personality', args: ['8'], origin: 'linux.personality' },
        { op: 'sched-setattr', args: ['3', '0', '3', '0', '0', '0', '0'], origin: 'process.scheduler' },
        { op: 'ioprio', args: [String((2 << 13) | 5)], origin: 'process.ioPriority' },
      ]);
    expect(at('umask')).toBeLessThan(at('personality'));
    expect(at('ioprio')).toBeLessThan(at('setresuid'));
    expect(at('ioprio')).toBeLessThan(at('drop-bounding'));
  });

  it('linux.memoryPolicy: set-mempolicy after ioprio (as runc, after the I/O priority), for the init and an exec\'d process', () => {
    const spec = baseSpec();
    spec.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 5 };
    spec.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0-1,64', flags: ['MPOL_F_STATIC_NODES'] };
    const { plan, problems } = buildCreatePlan(input(spec));
    expect(problems).toEqual([]);
    const names = plan.container.map((o) => o.op);
    expect(plan.container.filter((o) => o.op === 'set-mempolicy')).toEqual([{ op: 'set-mempolicy', args: [String(2 | (1 << 15)), '0x3', '0x1'], origin: 'linux.memoryPolicy' }]);
    expect(names.indexOf('set-mempolicy')).toBe(names.indexOf('ioprio') + 1);
    expect(names.indexOf('set-mempolicy')).toBeLessThan(names.indexOf('setresuid'));
    const exec = buildExecPlan({
      process: spec.process!, env: [], preserveFds: 0, namespaces: [], host: input(spec).host,
      cgroup: { join: [] }, memoryPolicy: { mode: 'MPOL_INTERLEAVE', nodes: '0' },
    });
    expect(exec.plan.container.filter((o) => o.op === 'set-mempolicy').map((o) => o.args)).toEqual([['3', '0x1']]);
  });
});
