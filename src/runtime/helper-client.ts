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
  const message = describeOpError(op, errno, text);
  // A failure once the filter is in force may well be the filter's doing.
  const loadedAt = plan.container.findIndex((o) => o.op === 'seccomp-load');
  const filtered = loadedAt >= 0 && index > plan.host.length + loadedAt;
  return filtered ? `${message} (with the linux.seccomp filter in force)` : message;
}

function describeOpError(op: PlanOp, errno: number, text: string): string {
  const where = op.origin ? `${op.origin}: ` : '';
  const why = errno > 0 ? errnoText(errno) : text;
  switch (op.op) {
    case 'seccomp':
    case 'seccomp-load':
      return `${where}${text}${errno > 0 ? `: ${errnoText(errno)}` : ''}`;
    case 'find-exec': {
      const program = op.args.length === 1 ? op.args[0] : op.args[0].split('/').pop()!;
      return errno === 2 && op.args.length > 1
        ? `${where}exec: ${JSON.stringify(program)}: executable file not found in $PATH`
        : `${where}exec: ${JSON.stringify(program)}: ${why}`;
    }
    case 'mount-in-root':
      return `${where}mount ${op.args[1]} on ${op.args[2]} (type ${op.args[3] || 'bind'}): ${why}`;
    case 'chdir':
      return `${where}cannot change to directory ${op.args[0]}: ${why}`;
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

/** Reads the socket to EOF: every process holding the other end (P, then C after `ready`) is done. */
function readAll(fd: number): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(4096);
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EINTR') continue;
      throw err;
    }
    if (n === 0) return Buffer.concat(chunks).toString('utf8');
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
}

/**
 * Spawns the helper, sends the plan and waits, synchronously, until the container init reports
 * `ready` (or something fails). The helper's messages are small lines on a socketpair.
 */
export function runHelper(plan: Plan, preserveFds: number): HelperResult {
  const syncFd = 3 + preserveFds;
  const { pid: helperPid, fd } = native().spawnHelper(helperPath(), ['tsrunc-init', String(syncFd)], syncFd);
  let text: string;
  try {
    const payload = encodePlan(plan);
    for (let off = 0; off < payload.length; ) off += fs.writeSync(fd, payload, off);
    text = readAll(fd);
  } catch (err) {
    text = `error -1 0 ${(err as Error).message}\n`;
  } finally {
    fs.closeSync(fd);
  }
  const exit = native().waitpidSync(helperPid);
  let pid = 0;
  let ready = false;
  let failure: string | undefined;
  for (const line of text.split('\n')) {
    const [kind, ...rest] = line.split(' ');
    if (kind === 'pid') pid = Number(rest[0]);
    else if (kind === 'ready') ready = true;
    else if (kind === 'error' && failure === undefined) {
      failure = describeHelperError(plan, Number(rest[0]), Number(rest[1]), rest.slice(2).join(' '));
    }
  }
  if (ready && !failure && exit.exitCode === 0) return { pid };
  const status = exit.signal !== null ? `signal ${exit.signal}` : `exit status ${exit.exitCode}`;
  throw new HelperError(failure ?? `tsrunc-init failed before the container was ready (${status})`, pid || undefined);
}
