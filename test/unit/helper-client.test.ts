// The helper client (src/runtime/helper-client.ts) with the real tsrunc-init (needs root): whatever goes
// wrong on the way (a plan that cannot be encoded, a helper that died, a message outside the protocol),
// run() ends promptly with one error, the helper killed and reaped, the container process killed and
// left to the caller to reap; it never waits on a helper that waits on it.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLONE_PARENT, SIGCHLD } from '../../src/linux/constants';
import type { ContainerOpName, HostOpName, OpOf, Plan } from '../../src/linux/plan';
import { StartedHelper, unreapedPid } from '../../src/runtime/helper-client';
import { realHost } from '../../src/runtime/host';

// Raw ops, any arguments: these tests talk to the helper's wire format directly.
const host = (op: HostOpName, ...args: string[]) => ({ op, args }) as OpOf<HostOpName>;
const ctr = (op: ContainerOpName, ...args: string[]) => ({ op, args }) as OpOf<ContainerOpName>;
const HEAD = [host('cloexec-from', '3')];
const CLONE = [host('clone', String(CLONE_PARENT | SIGCHLD)), host('report-pid'), host('release')];

const watchdogs: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const w of watchdogs.splice(0)) w.kill('SIGKILL');
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * Runs `command` in a shell after `ms`: what ends a wait that the client should not have entered, so
 * that a regression fails the test (too slow, wrong error) instead of hanging the test run.
 */
function watchdog(ms: number, command: string): void {
  watchdogs.push(spawn('sh', ['-c', `sleep ${ms / 1000}; ${command}`], { stdio: 'ignore' }));
}

/** run() of the plan: its error and how long it took to come. */
function failedRun(helper: StartedHelper, plan: Plan, onHooks?: () => undefined): { err: Error; ms: number } {
  const t0 = Date.now();
  try {
    helper.run(plan, onHooks ? { onHooks } : {});
  } catch (err) {
    return { err: err as Error, ms: Date.now() - t0 };
  }
  throw new Error('run() succeeded');
}

const gone = (pid: number) => !fs.existsSync(`/proc/${pid}`);

describe('the helper client never blocks on a helper that cannot go on', () => {
  it('a plan with a NUL byte: refused before anything is sent; the helper (given its head) is killed and reaped', () => {
    const helper = StartedHelper.start(realHost, 0);
    helper.sendHead(HEAD);
    watchdog(5000, `kill -9 ${helper.pid}`);
    const plan: Plan = { host: [...HEAD, ...CLONE], container: [ctr('wait-release'), { op: 'exec', args: ['1', 'a\0b', 'PATH=/bin'], origin: 'process.args' }] };
    const { err, ms } = failedRun(helper, plan);
    expect(err.message).toMatch(/NUL byte/);
    expect(err.message).toContain('process.args');
    expect(ms).toBeLessThan(2000);
    expect(unreapedPid(err)).toBeUndefined();
    expect(gone(helper.pid)).toBe(true);
  });

  it('a head with a NUL byte: sendHead throws and sends nothing', () => {
    const helper = StartedHelper.start(realHost, 0);
    try {
      expect(() => helper.sendHead([...HEAD, host('join-cgroup', '/sys/fs/cgroup/a\0b/cgroup.procs')])).toThrow(/NUL byte/);
    } finally {
      helper.abandon();
    }
    expect(gone(helper.pid)).toBe(true);
  });

  it('a helper killed before its plan: one error naming the signal, at once', async () => {
    const helper = StartedHelper.start(realHost, 0);
    helper.sendHead(HEAD);
    process.kill(helper.pid, 'SIGKILL');
    // Dead (a zombie, ours to reap) before run() writes to it.
    for (let i = 0; i < 200 && !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${helper.pid}/status`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 10));
    const { err, ms } = failedRun(helper, { host: [...HEAD, ...CLONE], container: [ctr('wait-release'), ctr('ready')] });
    expect(err.message).toMatch(/signal 9/);
    expect(ms).toBeLessThan(2000);
    expect(gone(helper.pid)).toBe(true);
  });

  it('an argument that would smuggle a second line into a message: refused before any op runs', () => {
    const helper = StartedHelper.start(realHost, 0);
    helper.sendHead(HEAD);
    watchdog(5000, `kill -9 ${helper.pid}`);
    // A phase with a newline would put a line of its own on the sync fd ("hooks prestart\nbogus 1 2");
    // the op schema allows only the phases there are, so the plan fails its check and nothing is cloned
    // (the helper's own check of the same is in test/native/op-args.test.ts).
    const plan: Plan = {
      host: [...HEAD, ...CLONE],
      container: [ctr('wait-release'), ctr('hooks', 'prestart\nbogus 1 2'), ctr('ready')],
    };
    const { err, ms } = failedRun(helper, plan, () => undefined);
    expect(err.message).toMatch(/hooks: bad phase "prestart/);
    expect(ms).toBeLessThan(2000);
    expect(gone(helper.pid)).toBe(true);
    expect(unreapedPid(err)).toBeUndefined();
  });
});
