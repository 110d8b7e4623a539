// Where the terminal ops go in the create and exec plans (docs/plan-format.md "Terminal").
import { describe, expect, it } from 'vitest';
import { buildCreatePlan, PlanInput } from '../../src/linux/plan-builder';
import { buildExecPlan } from '../../src/linux/exec-plan';
import { baseSpec } from '../support/base-spec';
import type { Spec } from '../../src/oci/types';
import { checkTerminal } from '../../src/runtime/terminal';

const host = { capLastCap: 40, boundingSet: 0x1fffeffffffn, hasKcore: true, sourceKind: () => 'dir' as const };

function input(spec: Spec, over: Partial<PlanInput> = {}): PlanInput {
  return {
    spec, rootfs: '/b/rootfs', bundle: '/b', stateDir: '/run/tsrunc/c', preserveFds: 0, noPivot: false,
    cgroup: { driver: 'v1', newCgroupNamespace: true, hierarchies: [], join: ['/sys/fs/cgroup/memory/c/cgroup.procs'] },
    env: [], host, ...over,
  };
}

function terminalSpec(): Spec {
  const spec = baseSpec();
  spec.process = { ...spec.process!, terminal: true, consoleSize: { height: 30, width: 90 }, user: { uid: 1000, gid: 1000 } };
  return spec;
}

describe('terminal ops', () => {
  it('create: console-connect after the start ops (cloexec-from, cgroup joins), console right after the root change, before the user switch', () => {
    const { plan } = buildCreatePlan(input(terminalSpec(), { consoleSocket: '/run/s.sock' }));
    const joins = plan.host.filter((o) => o.op === 'join-cgroup').length;
    expect(joins).toBeGreaterThan(0);
    expect(plan.host[1 + joins]).toEqual({ op: 'console-connect', args: ['/run/s.sock'], origin: '--console-socket' });
    const names = plan.container.map((o) => o.op);
    const at = names.indexOf('console');
    expect(names[at - 1]).toBe('pivot-root');
    expect(at).toBeLessThan(names.indexOf('setresuid'));
    expect(names.indexOf('setsid')).toBeLessThan(at);
    expect(plan.container[at].args).toEqual(['/dev/ptmx', '30', '90', '1000', '/dev/console', 'keep']);
  });

  it('a pty tsrunc relays itself gets ONLCR cleared by the console op, before the process runs (as runc)', () => {
    const consoleOp = (over: Partial<PlanInput>) => buildCreatePlan(input(terminalSpec(), over)).plan.container.find((o) => o.op === 'console')!;
    expect(consoleOp({ consoleSocket: '/run/s.sock', relaysTerminal: true }).args.at(-1)).toBe('clear');
    expect(consoleOp({ consoleSocket: '/run/s.sock' }).args.at(-1)).toBe('keep');
  });

  it('create: no console ops without a socket, or without process.terminal', () => {
    const none = (spec: Spec, over: Partial<PlanInput>) => {
      const { plan } = buildCreatePlan(input(spec, over));
      return [...plan.host, ...plan.container].filter((o) => o.op.startsWith('console'));
    };
    expect(none(terminalSpec(), {})).toEqual([]);
    expect(none(baseSpec(), { consoleSocket: '/run/s.sock' })).toEqual([]);
  });

  it('exec: console-connect before the setns ops; setsid and console right after wait-release', () => {
    const { plan } = buildExecPlan({
      process: { ...terminalSpec().process!, args: ['sh'] }, env: [], preserveFds: 0, cgroup: { join: [] }, host,
      namespaces: [{ type: 'mount', path: '/proc/9/ns/mnt' }], consoleSocket: '/run/s.sock',
    });
    expect(plan.host.map((o) => o.op).slice(0, 3)).toEqual(['cloexec-from', 'console-connect', 'open-ns']);
    expect(plan.container.slice(0, 3).map((o) => o.op)).toEqual(['wait-release', 'setsid', 'console']);
    expect(plan.container[2].args).toEqual(['/dev/ptmx', '30', '90', '1000', '', 'keep']);
  });

  it("checkTerminal: runc's refusals", () => {
    expect(() => checkTerminal(true, undefined, true)).toThrow(/cannot allocate tty/);
    expect(() => checkTerminal(false, '/s', true)).toThrow(/cannot use console socket/);
    expect(() => checkTerminal(true, '/s', false)).toThrow(/cannot use console socket/);
    expect(() => checkTerminal(true, `/${'x'.repeat(120)}`, true)).toThrow(/1 to 107 bytes/);
    expect(() => checkTerminal(true, '/s', true)).not.toThrow();
    expect(() => checkTerminal(true, undefined, false)).not.toThrow();
    expect(() => checkTerminal(false, undefined, false)).not.toThrow();
  });
});
