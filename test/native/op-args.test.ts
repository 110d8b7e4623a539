// The helper checks every op's arguments against the op table generated from the op schema, before
// the first op runs (needs root: it runs the real tsrunc-init). What TypeScript's constructors make,
// the helper accepts; what a kind refuses, the helper refuses too, naming the op and the argument.
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { helperPath } from '../../src/linux/native';
import { encodePlan, type Plan } from '../../src/linux/plan';
import { checkArgs, makeOp, OPS, type ArgSpec, type OpName, type OpOf, type HostOpName, type ContainerOpName } from '../../src/linux/op-schema';
import { badTexts, sampleFields } from '../support/op-samples';

/** The first line the helper writes on its sync fd for the plan, once it has exited. */
async function firstLine(plan: Plan): Promise<string> {
  const child = spawn(helperPath(), ['3'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  const sync = child.stdio[3] as Socket;
  let text = '';
  sync.setEncoding('utf8');
  sync.on('data', (d: string) => { text += d; });
  sync.on('error', () => {});
  const exited = new Promise((resolve) => child.on('exit', resolve));
  sync.write(encodePlan(plan));
  await exited;
  return text.split('\n')[0];
}

const NAMES = Object.keys(OPS) as OpName[];
const isHost = (n: OpName) => OPS[n].side === 'host';
/** A plan with the op where it may be, after nothing (host) or after a clone (container) that never runs. */
function planWith(name: OpName, args: string[]): { plan: Plan; index: number } {
  const o = { op: name, args };
  if (isHost(name)) return { plan: { host: [o as OpOf<HostOpName>], container: [] }, index: 0 };
  return { plan: { host: [], container: [o as OpOf<ContainerOpName>] }, index: 0 };
}

describe('the helper checks op arguments against the op table', () => {
  it('accepts what every constructor makes: a plan of all of them fails only at the bad op put last', { timeout: 20_000 }, async () => {
    const host = NAMES.filter(isHost).map((n) => makeOp(n, sampleFields(n)) as OpOf<HostOpName>);
    const container = NAMES.filter((n) => !isHost(n)).map((n) => makeOp(n, sampleFields(n)) as OpOf<ContainerOpName>);
    container.push({ op: 'umask', args: ['512'] });
    const last = host.length + container.length - 1;
    expect(await firstLine({ host, container })).toBe(`error -1 0 op ${last}: umask: bad mask "512" (argument 1): must be a number, at most 511`);
  });

  for (const name of NAMES) {
    const specs = OPS[name].args as readonly ArgSpec[];
    const scalars = specs.map((s, i) => ({ s, i })).filter(({ s }) => s.kind !== 'list' && s.kind !== 'counted' && s.kind !== 'env-or-inherit');
    const bad = scalars.flatMap(({ s, i }) => (s.kind === 'list' || s.kind === 'counted' || s.kind === 'env-or-inherit' ? [] : badTexts(s).map((t) => ({ name: s.name, i, t }))));
    if (bad.length === 0) continue;
    it(`${name}: refuses a value of the wrong kind for each argument`, { timeout: 20_000 }, async () => {
      const good = makeOp(name, sampleFields(name)).args;
      for (const b of bad) {
        const args = [...good];
        args[b.i] = b.t;
        const { plan, index } = planWith(name, args);
        const line = await firstLine(plan);
        expect(line, `${b.name} = ${JSON.stringify(b.t)}`).toMatch(new RegExp(`^error -1 0 op ${index}: ${name}: bad ${b.name} "`));
        // TypeScript's check (run before anything is sent) says the same, in the same words.
        expect(line).toBe(`error -1 0 op ${index}: ${checkArgs({ op: name, args })}`);
      }
    });
  }

  it('refuses items of the wrong kind in lists and counts that do not add up', { timeout: 20_000 }, async () => {
    const cases: [OpName, string[], RegExp][] = [
      ['drop-bounding', ['1', '64'], /op 0: drop-bounding: bad caps "64" \(argument 2\): must be a number, at most 63/],
      ['setgroups-list', ['x'], /op 0: setgroups-list: bad gids "x" \(argument 1\)/],
      ['seccomp', [], /op 0: wrong argument count 0 for seccomp/],
      ['exec', ['5', 'a'], /op 0: wrong argument count 2 for exec/],
      ['run-hook', ['l', '0', '{', '}', '/bin/true', '3', 'a', 'inherit'], /wrong argument count 8 for run-hook/],
      ['run-hook', ['l', '0', '{', '}', '/bin/true', '1', 'true', '2', 'A=1'], /wrong argument count 9 for run-hook/],
      ['run-hook', ['l', '0', '{', '}', '/bin/true', '1', 'true', 'inherit', 'extra'], /wrong argument count 9 for run-hook/],
      ['wait-start', ['hold', 'more'], /wrong argument count 2 for wait-start/],
      ['mount', ['', '/'], /wrong argument count 2 for mount/],
    ];
    for (const [name, args, expected] of cases) {
      const line = await firstLine(planWith(name, args).plan);
      expect(line, name).toMatch(expected);
      expect(line).toBe(`error -1 0 op 0: ${checkArgs({ op: name, args })}`);
    }
  });
});
