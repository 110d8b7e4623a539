// Runs hooks in tsrunc's own (the runtime's) namespaces: prestart and createRuntime for create,
// poststart for start, poststop for delete. A dist file of its own (scripts/build.mjs), loaded through
// withHookRunner only when a container has hooks; child_process only when one runs.
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Hook } from '../oci/types';
import type { Logger } from './log';
import { RuntimeError } from '../common/errors';
import { hookFailure, HookOutcome } from './hook-outcome';
import { hookArgv, HookPhase } from '../oci/hooks';

const OUTPUT_SHOWN = 1000;

/** The end of what a hook wrote. */
function outputTail(fd: number): string {
  const size = fs.fstatSync(fd).size;
  const length = Math.min(size, OUTPUT_SHOWN);
  const buf = Buffer.alloc(length);
  const n = length > 0 ? fs.readSync(fd, buf, 0, length, size - length) : 0;
  return buf.subarray(0, n).toString('utf8');
}

/**
 * A file for the hook's stdout and stderr: not a pipe, so that a hook that leaves a daemon holding its
 * output behind does not keep tsrunc waiting. Unlinked at once (O_TMPFILE where the filesystem has it).
 */
function outputFile(): number {
  const O_TMPFILE = 0o20000000 | fs.constants.O_DIRECTORY;
  try {
    return fs.openSync(os.tmpdir(), O_TMPFILE | fs.constants.O_RDWR, 0o600);
  } catch {
    // No O_TMPFILE here (the filesystem or the kernel lacks it, each with its own errno): a named
    // file, unlinked at once; a failure to make that one is thrown.
    const file = `${os.tmpdir()}/tsrunc-hook-${process.pid}-${Date.now()}`;
    const fd = fs.openSync(file, 'wx+', 0o600);
    fs.rmSync(file, { force: true });
    return fd;
  }
}

/** "K=V" entries as an environment object (a later entry for a name wins). */
function envObject(env: string[]): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const e of env) {
    const eq = e.indexOf('=');
    if (eq > 0) out[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return out;
}

/**
 * Runs one hook in this (the runtime's) namespaces with the state on stdin, and says how it ended.
 * Without `env` it gets tsrunc's environment and without `timeout` it may take as long as it takes,
 * as with runc and crun; the spec leaves both open.
 */
export function runHook(hook: Hook, state: string): HookOutcome {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const argv = hookArgv(hook);
  const out = outputFile();
  try {
    const r = spawnSync(hook.path, argv.slice(1), {
      argv0: argv[0],
      env: hook.env ? envObject(hook.env) : process.env,
      input: state,
      stdio: ['pipe', out, out],
      ...(hook.timeout !== undefined ? { timeout: hook.timeout * 1000, killSignal: 'SIGKILL' as const } : {}),
    });
    const output = outputTail(out);
    const error = r.error as NodeJS.ErrnoException | undefined;
    if (error?.code === 'ETIMEDOUT') return { kind: 'timed-out', seconds: hook.timeout!, output };
    // EPIPE: the hook exited without reading its stdin, which is its business.
    if (error && error.code !== 'EPIPE') return { kind: 'exec-failed', errno: Math.abs(error.errno ?? 0) };
    if (r.signal) return { kind: 'signaled', signal: os.constants.signals[r.signal], output };
    return { kind: 'exited', status: r.status ?? 0, output };
  } finally {
    fs.closeSync(out);
  }
}

/** What went wrong with hook `index` of `phase` ("hooks.poststop[1]: /x exited with status 2: …"), or undefined. */
function failureOf(phase: HookPhase, index: number, hook: Hook, state: string): string | undefined {
  return hookFailure(`hooks.${phase}[${index}]`, hook.path, runHook(hook, state));
}

/** Runs a phase's hooks in order; the first failure stops them and is thrown (a RuntimeError naming the hook). */
export function runHooksOrFail(phase: HookPhase, hooks: Hook[] | undefined, state: string): void {
  for (const [i, hook] of (hooks ?? []).entries()) {
    const failure = failureOf(phase, i, hook, state);
    if (failure !== undefined) throw new RuntimeError(failure);
  }
}

/** Runs every hook of a phase; a failure is a warning and the next hooks still run (poststop). */
export function runHooksWarning(phase: HookPhase, hooks: Hook[] | undefined, state: string, log: Logger): void {
  for (const [i, hook] of (hooks ?? []).entries()) {
    const failure = failureOf(phase, i, hook, state);
    if (failure !== undefined) log.warn(failure);
  }
}
