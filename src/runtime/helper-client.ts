// Runs tsrunc-init with a plan and reads what it reports (docs/plan-format.md).
import { spawn, StdioOptions } from 'node:child_process';
import type { Socket } from 'node:net';
import { getSystemErrorMap } from 'node:util';
import { encodePlan, opAt, Plan, PlanOp } from '../linux/plan';
import { helperPath } from '../linux/native';
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

/** Spawns the helper, sends the plan, and resolves once the container init reports `ready`. */
export function runHelper(plan: Plan, preserveFds: number): Promise<HelperResult> {
  const syncFd = 3 + preserveFds;
  const stdio: StdioOptions = ['inherit', 'inherit', 'inherit'];
  for (let fd = 3; fd < syncFd; fd++) stdio.push(fd);
  stdio.push('pipe');
  const child = spawn(helperPath(), [String(syncFd)], { stdio });
  const sock = child.stdio[syncFd] as Socket;

  return new Promise<HelperResult>((resolve, reject) => {
    let pid = 0;
    let ready = false;
    let failure: string | undefined;
    let buffered = '';
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let closed = false;

    const finish = () => {
      if (!closed || !exited) return;
      if (ready && !failure && exited.code === 0) resolve({ pid });
      else {
        const status = exited.signal ? `signal ${exited.signal}` : `exit status ${exited.code}`;
        const err = new RuntimeError(failure ?? `tsrunc-init failed before the container was ready (${status})`);
        (err as RuntimeError & { pid?: number }).pid = pid || undefined;
        reject(err);
      }
    };
    sock.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const [kind, ...rest] = line.split(' ');
        if (kind === 'pid') pid = Number(rest[0]);
        else if (kind === 'ready') ready = true;
        else if (kind === 'error' && failure === undefined) {
          failure = describeHelperError(plan, Number(rest[0]), Number(rest[1]), rest.slice(2).join(' '));
        }
      }
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      closed = true;
      finish();
    });
    child.on('error', (err) => reject(new RuntimeError(`cannot run ${helperPath()}: ${err.message}`)));
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      finish();
    });
    sock.end(encodePlan(plan));
  });
}
