// A create killed with SIGKILL at any instant: `delete --force` afterwards leaves nothing (no process,
// cgroup, mount or state) and the id can be used again.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { native } from '../../src/linux/native';
import { readProcStat } from '../../src/linux/proc';
import { sweepCgroups } from '../support/sweep';
import { TestEnv, TSRUNC } from '../support/env';
import { cgroupDirs, childPids, delay, hostMounts, specWith, waitFor } from './helpers';

let env: TestEnv;
let bundle: string;

beforeAll(() => {
  env = new TestEnv('crash');
  bundle = env.bundle('b', specWith(['true']));
});

/** Ids whose removal is what a test checks: swept after it (test/support/sweep.ts) if tsrunc failed to. */
const swept: string[] = [];

afterAll(async () => {
  const left = await env.cleanup();
  for (const id of swept) sweepCgroups(id);
  expect(left).toEqual([]);
});

/** Starts `tsrunc create` of id and kills it with SIGKILL after ms (or lets it finish first); resolves once it is gone. */
async function createKilledAfter(id: string, ms: number): Promise<void> {
  const out = fs.openSync(path.join(env.tmp, 'killed.out'), 'w');
  const child = spawn(TSRUNC, ['--root', env.root, 'create', '--bundle', bundle, id], { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await delay(ms);
  child.kill('SIGKILL');
  await exited;
}

/** Reaps the orphans (container inits and helpers come to this subreaper) that have exited; the live ones. */
async function liveChildren(): Promise<string[]> {
  const live: string[] = [];
  for (const pid of childPids()) {
    const stat = readProcStat(pid);
    if (stat === undefined) continue;
    if (stat.state === 'Z') await native().waitpid(pid);
    else live.push(`process ${pid} (${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()})`);
  }
  return live;
}

function leftovers(id: string): string[] {
  const left: string[] = [];
  if (fs.existsSync(path.join(env.root, id))) left.push(`state ${fs.readdirSync(path.join(env.root, id)).join(' ') || '(empty dir)'}`);
  const cg = cgroupDirs(id);
  if (cg) left.push(`cgroups ${cg.split('\n').join(' ')}`);
  for (const m of [...hostMounts(id), ...hostMounts(env.tmp)]) left.push(`mount ${m}`);
  return left;
}

it('delete --force after a create killed at any instant leaves nothing, and the id is reusable', async () => {
  const id = env.id('kill');
  swept.push(id);
  // One create's duration here and now (the machine may be loaded), from spawn to exit.
  const durations: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    env.ok(['create', '--bundle', bundle, id]);
    durations.push(performance.now() - t0);
    env.ok(['delete', '--force', id]);
  }
  const duration = durations.sort((a, b) => a - b)[1];
  const POINTS = 48;
  const failures: string[] = [];
  for (let i = 0; i < POINTS; i++) {
    const ms = Math.round((i * 1.2 * duration) / (POINTS - 1));
    await createKilledAfter(id, ms);
    const del = env.tsrunc(['delete', '--force', id]);
    const left = [...(del.status === 0 ? [] : [`delete --force exited ${del.status}: ${del.stderr.trim()}`]), ...leftovers(id)];
    // Whatever still lives has had the bounded time delete gives it to go.
    left.push(...await liveChildren());
    const again = env.tsrunc(['create', '--bundle', bundle, id]);
    if (again.status !== 0) left.push(`create again exited ${again.status}: ${again.stderr.trim()}`);
    const del2 = env.tsrunc(['delete', '--force', id]);
    if (del2.status !== 0) left.push(`delete after the new create exited ${del2.status}: ${del2.stderr.trim()}`);
    await liveChildren();
    if (left.length > 0) failures.push(`killed after ${ms} ms: ${left.join('; ')}`);
  }
  expect(failures).toEqual([]);
}, 120_000);

it('while a create runs, state and list say creating; delete refuses it, delete --force removes it all', async () => {
  // The create waits in its createRuntime hook (run by tsrunc) with the init made and waiting.
  const hooked = env.bundle('hooked', specWith(['true'], (s) => {
    s.hooks = { createRuntime: [{ path: '/bin/sleep', args: ['sleep', '4'] }] };
  }));
  const id = env.id('creating');
  swept.push(id);
  const out = fs.openSync(path.join(env.tmp, 'creating.out'), 'w');
  const child = spawn(TSRUNC, ['--root', env.root, 'create', '--bundle', hooked, id], { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const state = await waitFor('the create to record its init', () => {
    const r = env.tsrunc(['state', id]);
    const s = r.status === 0 ? JSON.parse(r.stdout) as { status: string; pid: number } : undefined;
    return s?.status === 'creating' && s.pid > 0 ? s : undefined;
  });
  expect(fs.existsSync(`/proc/${state.pid}`)).toBe(true);
  const list = JSON.parse(env.ok(['list', '--format', 'json']).stdout) as { id: string; status: string }[];
  expect(list.map((s) => [s.id, s.status])).toEqual([[id, 'creating']]);
  const del = env.tsrunc(['delete', id]);
  expect(del.status).toBe(1);
  expect(del.stderr).toContain(`cannot delete container ${id} that is not stopped: creating`);
  for (const args of [['start', id], ['kill', id, 'KILL']]) {
    const r = env.tsrunc(args);
    expect(r.status, args[0]).toBe(1);
    expect(r.stderr, args[0]).toContain(`container ${id} is being created`);
  }

  const force = env.tsrunc(['delete', '--force', id]);
  expect(force.status, force.stderr).toBe(0);
  expect(leftovers(id)).toEqual([]);
  // The id is taken again while the first create still waits in its hook: when that create then finds
  // its init gone and fails, its rollback leaves the new container alone.
  env.ok(['create', '--bundle', bundle, id]);
  expect(await exited).toBe(1);
  expect(env.state(id).status).toBe('created');
  env.ok(['delete', '--force', id]);
  expect(await liveChildren()).toEqual([]);
  expect(leftovers(id)).toEqual([]);
});
