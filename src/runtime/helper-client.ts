// Runs tsrunc-init with a plan and reads what it reports (docs/plan-format.md).
import * as fs from 'node:fs';
import { getSystemErrorMap } from 'node:util';
import { encodePlan, opAt, Plan, PlanOp } from '../linux/plan';
import { helperPath, native } from '../linux/native';
import { RuntimeError } from './problems';

export interface HelperResult {
  /** The container process, a child of this process (CLONE_PARENT). */
  pid: number;
}

function errnoText(errno: number): string {
  const entry = getSystemErrorMap().get(-errno);
  return entry ? `${entry[1].toLowerCase()} (${entry[0]})` : `errno ${errno}`;
}

/** A helper failure as the user should read it: the config field, what was done, why it failed. */
export function describeHelperError(plan: Plan, index: number, errno: number, text: string): string {
  const op: PlanOp | undefined = index >= 0 ? opAt(plan, index) : undefined;
  if (!op) return `tsrunc-init: ${text}`;
  // The program as the config gave it (exec's first argument): a PATH search or a path of its own.
  const program = plan.container.find((o) => o.op === 'exec')?.args[1];
  const message = describeOpError(op, errno, text, program);
  // A failure once the filter is in force may well be the filter's doing.
  const loadedAt = plan.container.findIndex((o) => o.op === 'seccomp-load');
  const filtered = loadedAt >= 0 && index > plan.host.length + loadedAt;
  return filtered ? `${message} (with the linux.seccomp filter in force)` : message;
}

function describeOpError(op: PlanOp, errno: number, text: string, given?: string): string {
  const where = op.origin ? `${op.origin}: ` : '';
  const why = errno > 0 ? errnoText(errno) : text;
  switch (op.op) {
    case 'seccomp':
    case 'seccomp-load':
      return `${where}${text}${errno > 0 ? `: ${errnoText(errno)}` : ''}`;
    case 'find-exec': {
      const searched = given !== undefined ? !given.includes('/') : op.args.length > 1;
      const program = searched ? op.args[0].split('/').pop()! : op.args[0];
      return errno === 2 && searched
        ? `${where}exec: ${JSON.stringify(program)}: executable file not found in $PATH`
        : `${where}exec: ${JSON.stringify(program)}: ${why}`;
    }
    case 'mount-in-root':
      return `${where}mount ${op.args[1]} on ${op.args[2]} (type ${op.args[3] || 'bind'}): ${why}`;
    case 'chdir':
      return `${where}cannot change to directory ${op.args[0]}: ${why}`;
    case 'run-hook':
      // The helper's text names the hook already ("hooks.createContainer[0]: /x exited with status 1: …").
      return errno > 0 ? `${text}: ${errnoText(errno)}` : text;
    default:
      return `${where}${op.op} ${op.args.map((a) => JSON.stringify(a)).join(' ')}: ${why}`.replace(/ : /, ': ');
  }
}

/** A helper failure after it reported the container's pid: the caller must reap that process. */
export class HelperError extends RuntimeError {
  constructor(message: string, readonly pid: number | undefined) {
    super(message);
  }
}

/** Calls onLine for each line read from the socket, until EOF: every process holding the other end (P, then C after `ready`) is done. */
function readLines(fd: number, onLine: (line: string) => void): void {
  const buf = Buffer.alloc(4096);
  // Bytes, not text, until a whole line is there: a read may end inside a UTF-8 sequence.
  let pending = Buffer.alloc(0);
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EINTR') continue;
      throw err;
    }
    if (n === 0) {
      if (pending.length > 0) onLine(pending.toString('utf8'));
      return;
    }
    pending = Buffer.concat([pending, buf.subarray(0, n)]);
    for (let nl = pending.indexOf(10); nl >= 0; nl = pending.indexOf(10)) {
      const line = pending.toString('utf8', 0, nl);
      pending = pending.subarray(nl + 1);
      onLine(line);
    }
  }
}

export interface HelperOptions {
  /**
   * Runs the hooks of a phase when the init asks (`hooks <phase>`), with the init's pid as tsrunc sees
   * it; returns undefined when they all succeeded, else the failure, which becomes the create's error.
   */
  onHooks?: (phase: string, pid: number) => string | undefined;
}

/**
 * Spawns the helper, sends the plan and waits, synchronously, until the container init reports
 * `ready` (or something fails). The helper's messages are small lines on a socketpair; the one that
 * asks something (`hooks <phase>`) gets a line back (`ok`, or `fail`, after which the init exits).
 */
export function runHelper(plan: Plan, preserveFds: number, opts: HelperOptions = {}): HelperResult {
  const syncFd = 3 + preserveFds;
  const { pid: helperPid, fd } = native().spawnHelper(helperPath(), ['tsrunc-init', String(syncFd)], syncFd);
  let pid = 0;
  let ready = false;
  let failure: string | undefined;
  const onLine = (line: string) => {
    const [kind, ...rest] = line.split(' ');
    if (kind === 'pid') pid = Number(rest[0]);
    else if (kind === 'ready') ready = true;
    else if (kind === 'error' && failure === undefined) {
      failure = describeHelperError(plan, Number(rest[0]), Number(rest[1]), rest.slice(2).join(' '));
    } else if (kind === 'hooks') {
      const hookFailure = failure ?? (opts.onHooks ? opts.onHooks(rest[0], pid) : `hooks.${rest[0]}: no one to run them`);
      if (failure === undefined) failure = hookFailure;
      try {
        fs.writeSync(fd, hookFailure === undefined ? 'ok\n' : 'fail\n');
      } catch {
        // The init is gone (EPIPE): its EOF ends the read.
      }
    }
  };
  try {
    const payload = encodePlan(plan);
    for (let off = 0; off < payload.length; ) off += fs.writeSync(fd, payload, off);
    readLines(fd, onLine);
  } catch (err) {
    if (failure === undefined) failure = describeHelperError(plan, -1, 0, (err as Error).message);
  } finally {
    fs.closeSync(fd);
  }
  const exit = native().waitpidSync(helperPid);
  if (ready && !failure && exit.exitCode === 0) return { pid };
  const status = exit.signal !== null ? `signal ${exit.signal}` : `exit status ${exit.exitCode}`;
  throw new HelperError(failure ?? `tsrunc-init failed before the container was ready (${status})`, pid || undefined);
}
