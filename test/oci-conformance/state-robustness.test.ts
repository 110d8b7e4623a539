// State that cannot be used, and input that cannot name a container: one clear error line (never a
// JavaScript stack), exit 1; `list` goes on past a bad entry; `delete --force` still removes a container
// whose state.json is corrupt, its init and cgroups included.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepCgroups } from '../support/sweep';
import { Result, TestEnv, TSRUNC } from '../support/env';
import { cgroupDirs, reap, specWith } from './helpers';

let env: TestEnv;
let bundle: string;

beforeAll(() => {
  env = new TestEnv('state');
  bundle = env.bundle('b', specWith(['sleep', '100']));
});

/** Ids whose removal is what a test checks: swept after it (test/support/sweep.ts) if tsrunc failed to. */
const swept: string[] = [];

afterAll(async () => {
  const left = await env.cleanup();
  for (const id of swept) sweepCgroups(id);
  expect(left).toEqual([]);
});

/** The messages of tsrunc's log records of `level` on stderr. */
function messages(stderr: string, level: 'error' | 'warn'): string[] {
  return [...stderr.matchAll(new RegExp(`level=${level} msg=("(?:[^"\\\\]|\\\\.)*")`, 'g'))].map((m) => JSON.parse(m[1]) as string);
}

/** Exit 1 with exactly one error line, on one line, no stack; its text. */
function oneError(r: Result): string {
  expect(r.status).toBe(1);
  const errors = messages(r.stderr, 'error');
  expect(errors).toHaveLength(1);
  expect(errors[0]).not.toMatch(/\n|\bat .*\(.*:\d+:\d+\)|internal error/);
  expect(r.stdout).toBe('');
  return errors[0];
}

const CORRUPT: Record<string, (good: string) => string> = {
  empty: () => '',
  truncated: (good) => good.slice(0, Math.floor(good.length / 2)),
  garbage: () => 'not json at all \u0001\u0002',
  'an empty object': () => '{}',
  null: () => 'null',
};

describe('a created container whose state.json is corrupt', () => {
  for (const [form, corrupt] of Object.entries(CORRUPT)) {
    it(`${form}: every command says so in one line, list shows the others, delete --force removes it all`, async () => {
      const id = env.id('bad');
      swept.push(id);
      const other = env.id('good');
      env.ok(['create', '--bundle', bundle, id]);
      env.ok(['create', '--bundle', bundle, other]);
      const pid = env.state(id).pid;
      expect(pid).toBeGreaterThan(0);
      const file = path.join(env.root, id, 'state.json');
      fs.writeFileSync(file, corrupt(fs.readFileSync(file, 'utf8')));

      for (const args of [['state', id], ['start', id], ['kill', id, 'KILL'], ['pause', id], ['ps', id], ['delete', id]]) {
        expect(oneError(env.tsrunc(args)), args.join(' ')).toContain(`cannot read the state of container ${id}: ${file}: `);
      }
      // exec reports its failure its own way ("exec failed: …", exit 255), still one line.
      const exec = env.tsrunc(['exec', id, 'true']);
      expect(exec.status).toBe(255);
      expect(messages(exec.stderr, 'error')).toEqual([expect.stringContaining(`cannot read the state of container ${id}: ${file}: `)]);

      const list = env.tsrunc(['list', '--format', 'json']);
      expect(list.status).toBe(0);
      expect((JSON.parse(list.stdout) as { id: string }[]).map((s) => s.id)).toEqual([other]);
      expect(messages(list.stderr, 'warn')).toEqual([expect.stringContaining(`cannot read the state of container ${id}: ${file}: `)]);
      const quiet = env.tsrunc(['list', '-q']);
      expect(quiet.stdout).toBe(`${other}\n`);

      // Its init is still there until delete --force finds it through the cgroup create made.
      expect(fs.existsSync(`/proc/${pid}`)).toBe(true);
      const del = env.tsrunc(['delete', '--force', id]);
      expect(del.status, del.stderr).toBe(0);
      await reap(pid);
      expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
      expect(cgroupDirs(id)).toBe('');
      expect(fs.existsSync(path.join(env.root, id))).toBe(false);
      env.ok(['delete', '--force', other]);
    });
  }
});

describe('ids', () => {
  it('an id longer than a file name may be is refused with runc\'s message, for every command, leaving nothing', () => {
    for (const id of ['x'.repeat(1000), 'x'.repeat(256)]) {
      for (const args of [['create', '--bundle', bundle, id], ['run', '--bundle', bundle, id], ['state', id], ['delete', '--force', id], ['kill', id]]) {
        expect(oneError(env.tsrunc(args)), args[0]).toMatch(/^invalid container ID format: "x{40}"\.\.\. \(\d+ characters\): at most 255 characters$/);
      }
    }
    expect(env.stateEntries()).toEqual([]);
  });

  it('an id of 255 characters is a container like any other', () => {
    const id = `l${'x'.repeat(254)}`;
    env.ok(['create', '--bundle', bundle, id]);
    expect(env.state(id).status).toBe('created');
    env.ok(['delete', '--force', id]);
    expect(cgroupDirs(id)).toBe('');
  });

  it('an id with other characters is refused with runc\'s message', () => {
    expect(oneError(env.tsrunc(['create', '--bundle', bundle, 'a b']))).toBe('invalid container ID format: "a b": use letters, digits and _ + - . only');
    expect(oneError(env.tsrunc(['state', '..']))).toMatch(/^invalid container ID format: /);
  });
});

describe('a --root that cannot be a directory', () => {
  it('is named in one error line, whatever the command', () => {
    const file = path.join(env.tmp, 'a-file');
    fs.writeFileSync(file, '');
    const cases: [string, string][] = [[file, `--root ${file} is not a directory`], [path.join(file, 'sub'), `--root ${path.join(file, 'sub')}: ${file} is not a directory`]];
    for (const [root, text] of cases) {
      for (const args of [['list'], ['state', 'x'], ['create', '--bundle', bundle, 'x'], ['run', '--bundle', bundle, 'x'], ['delete', '--force', 'x'], ['kill', 'x']]) {
        // Not env.tsrunc, which gives the TestEnv's own --root; nothing can outlive these commands.
        const r = spawnSync(TSRUNC, ['--root', root, ...args], { encoding: 'utf8', timeout: 20_000 });
        expect(oneError({ status: r.status, stdout: r.stdout, stderr: r.stderr }), `${args[0]} with --root ${root}`).toBe(text);
      }
    }
    expect(cgroupDirs('x')).toBe('');
  });
});
