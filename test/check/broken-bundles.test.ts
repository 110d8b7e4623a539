// The corpus of broken bundles (test/fixtures/broken-bundles/<name>/config.json + expect.json): for each,
// `check --json` reports the expected problem at the expected path and line and exits 1, and `create`
// exits 1 having made nothing, with the same problems on stderr (every error in its message, every
// warning in a warn record). Fixtures whose problem is only a warning: check exits 0.
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProblem, type Problem } from '../../src/common/errors';
import { makeRootfs, TestEnv, TSRUNC } from '../support/env';
import { leftoversOf } from '../oci-conformance/helpers';
import { loadSyscallTable } from '../../src/runtime/bundle/host-checks';
import { detectCgroupLayout } from '../../src/linux/cgroups';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'broken-bundles');

interface Expected {
  path: string;
  line: number;
  severity: 'error' | 'warning';
  /** A regular expression the message matches. */
  message: string;
  /** A regular expression the hint matches. */
  hint?: string;
}

interface Fixture extends Expected {
  name: string;
  description: string;
  also?: Expected[];
  /**
   * rootfs: "none" (no rootfs), "file" (a file where the rootfs should be), or a symlink to the host's
   * root or to a rootfs elsewhere; symlinks to make in the rootfs, and in the bundle.
   */
  setup?: {
    rootfs?: 'none' | 'file' | 'link-to-host-root' | 'link-to-rootfs';
    symlinks?: Record<string, string>;
    symlinkInBundle?: Record<string, string>;
  };
  /** What the host must have for the mistake to be found: a syscall table, swap accounting. */
  requires?: 'syscall-table' | 'swap-accounting';
}

interface CheckJson {
  bundle: string;
  config: string;
  valid: boolean;
  errors: number;
  warnings: number;
  problems: (Problem & { line: number | null; column: number | null; found: string | null; expected: string | null; hint: string | null })[];
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The --log file's text, for the creates. */
  log?: string;
}

const corpus: Fixture[] = fs.readdirSync(FIXTURES).sort().map((name) => ({
  name,
  ...(JSON.parse(fs.readFileSync(path.join(FIXTURES, name, 'expect.json'), 'utf8')) as Omit<Fixture, 'name'>),
}));
const isError = (f: Fixture) => f.severity === 'error';

/** Whether this host can show the mistake (the names of system calls; memory+swap limits). */
function hostCan(requirement: Fixture['requires']): boolean {
  if (requirement === 'syscall-table') return loadSyscallTable() !== undefined;
  if (requirement === 'swap-accounting') {
    const layout = detectCgroupLayout();
    return layout.v1.memory === undefined || fs.existsSync(path.join(layout.v1.memory, 'memory.memsw.limit_in_bytes'));
  }
  return true;
}
const fixtures = corpus.filter((f) => hostCan(f.requires));
const unsupported = corpus.filter((f) => !hostCan(f.requires));

let env: TestEnv;
const bundles = new Map<string, string>();
const ids = new Map<string, string>();
const checks = new Map<string, Run>();
const creates = new Map<string, Run>();

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(TSRUNC, ['--root', env.root, ...args], { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      const status = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      resolve({ status, stdout, stderr });
    });
  });
}

/** Runs the jobs, at most `width` at a time. */
async function pool(jobs: (() => Promise<void>)[], width: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < jobs.length) await jobs[next++]();
  }));
}

/** The message of each log record of a level in logrus-style text on stderr. */
function records(stderr: string, level: 'error' | 'warn'): string[] {
  const re = new RegExp(`level=${level} msg=("(?:[^"\\\\]|\\\\.)*")`, 'g');
  return [...stderr.matchAll(re)].map((m) => JSON.parse(m[1]) as string);
}

beforeAll(async () => {
  env = new TestEnv('check');
  // One busybox rootfs, hard-linked into each bundle (cheap, and each bundle can add its own links).
  const proto = path.join(env.tmp, 'proto-rootfs');
  makeRootfs(proto);
  for (const f of fixtures) {
    const dir = path.join(env.tmp, f.name);
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(FIXTURES, f.name, 'config.json'), path.join(dir, 'config.json'));
    const rootfs = path.join(dir, 'rootfs');
    if (f.setup?.rootfs === 'file') fs.writeFileSync(rootfs, 'not a directory\n');
    else if (f.setup?.rootfs === 'link-to-host-root') fs.symlinkSync('/', rootfs);
    else if (f.setup?.rootfs === 'link-to-rootfs') fs.symlinkSync(proto, rootfs);
    else if (f.setup?.rootfs !== 'none') {
      const cp = spawnSync('cp', ['-al', proto, rootfs]);
      if (cp.status !== 0) throw new Error(`cp -al: ${cp.stderr}`);
      for (const [link, target] of Object.entries(f.setup?.symlinks ?? {})) fs.symlinkSync(target, path.join(rootfs, link));
    }
    for (const [link, target] of Object.entries(f.setup?.symlinkInBundle ?? {})) fs.symlinkSync(target, path.join(dir, link));
    bundles.set(f.name, dir);
    ids.set(f.name, env.id(f.name.slice(0, 20)));
  }
  await pool(fixtures.map((f) => async () => {
    checks.set(f.name, await run(['check', '--json', '--bundle', bundles.get(f.name)!]));
    if (isError(f)) {
      const log = path.join(env.tmp, `${f.name}.log`);
      const r = await run(['--log', log, 'create', '--bundle', bundles.get(f.name)!, ids.get(f.name)!]);
      creates.set(f.name, { ...r, log: fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '' });
    }
  }), 4);
}, 120_000);

afterAll(async () => {
  expect(await env.cleanup()).toEqual([]);
});

describe('the corpus', () => {
  it('has at least 40 different mistakes that are errors, and some that are only warnings', () => {
    expect(corpus.filter(isError).length).toBeGreaterThanOrEqual(40);
    expect(corpus.filter((f) => !isError(f)).length).toBeGreaterThan(0);
    expect(new Set(corpus.map((f) => f.description)).size).toBe(corpus.length);
  });

  it.skipIf(unsupported.length === 0).each(unsupported)('$name: not shown by this host (needs $requires)', () => undefined);
});

describe('check --json finds each mistake at its path and line', () => {
  it.each(fixtures)('$name: $description', (f) => {
    const r = checks.get(f.name)!;
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as CheckJson;
    expect(r.status, r.stdout).toBe(isError(f) ? 1 : 0);
    expect(report.valid).toBe(!isError(f));
    expect(report.errors).toBe(report.problems.filter((p) => p.severity === 'error').length);
    for (const want of [f, ...(f.also ?? [])]) {
      const found = report.problems.filter((p) => p.path === want.path && p.severity === want.severity);
      expect(found.map((p) => p.message), `${want.path} in ${JSON.stringify(report.problems.map((p) => `${p.path}: ${p.message}`))}`).toContainEqual(expect.stringMatching(new RegExp(want.message)));
      const p = found.find((q) => new RegExp(want.message).test(q.message))!;
      expect(p.line, `${want.path}: ${p.message}`).toBe(want.line);
      expect(p.column).toBeGreaterThan(0);
      if (want.hint !== undefined) expect(p.hint ?? '').toMatch(new RegExp(want.hint));
    }
    // Problems come in document order.
    const lines = report.problems.map((p) => p.line ?? Infinity);
    expect([...lines].sort((a, b) => a - b)).toEqual(lines);
  });
});

describe('create refuses each with the same problems, and leaves nothing behind', () => {
  it.each(fixtures.filter(isError))('$name', (f) => {
    const r = creates.get(f.name)!;
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    // The log has every record; stderr has the error alone (it may be the container's stream).
    const [error] = records(r.log!, 'error');
    expect(error, r.log).toBeDefined();
    expect(r.stderr.trim()).toBe(error);
    const report = JSON.parse(checks.get(f.name)!.stdout) as CheckJson;
    for (const p of report.problems) {
      const problem: Problem = {
        severity: p.severity, path: p.path, message: p.message,
        ...(p.line !== null ? { line: p.line, column: p.column! } : {}),
        ...(p.found !== null ? { found: p.found } : {}),
        ...(p.expected !== null ? { expected: p.expected } : {}),
        ...(p.hint !== null ? { hint: p.hint } : {}),
      };
      if (p.path === '' && /not valid JSON/.test(p.message)) {
        // No document: create says so in its own words, with the same position.
        expect(error).toContain(`line ${p.line}, column ${p.column}`);
      } else if (p.severity === 'error') {
        expect(error).toContain(formatProblem(problem));
      } else {
        expect(records(r.log!, 'warn')).toContain(formatProblem(problem));
      }
    }
    expect(error).toContain(f.path);
    expect(error).toContain(`line ${f.line}`);
    expect(leftoversOf(env, ids.get(f.name)!, { bundle: bundles.get(f.name)! })).toEqual([]);
    expect(fs.existsSync(path.join(env.root, ids.get(f.name)!))).toBe(false);
  });
});
