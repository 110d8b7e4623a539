// Runs tsrunc-init with a plan and reads what it reports (docs/plan-format.md).
import { checkPlan, encodeHead, encodePlan, HostOpName, opAt, OpOf, Plan, PlanOp } from '../linux/plan';
import { fieldsOf, type OpName } from '../linux/op-schema';
import { helperPath } from '../linux/native';
import { decodeSeccomp, flagsOfItems, seccompItemText } from '../linux/seccomp';
import { errnoText } from './errno-text';
import { fallbackText, hookReportText, parseHookReport, withFilterNote } from './helper-reports';
import type { Logger } from './log';
import type { Host } from './host';
import { errnoOf, HelperError, isHelperError, isRuntimeError, RuntimeError } from '../common/errors';

export interface HelperResult {
  /** The container process, a child of this process (CLONE_PARENT). */
  pid: number;
}

/** A helper failure as the user should read it: the config field, what was done, why it failed. */
export function describeHelperError(plan: Plan, index: number, errno: number, text: string): string {
  const op = index >= 0 ? opAt(plan, index) : undefined;
  if (!op) return `tsrunc-init: ${text}`;
  // The program as the config gave it (exec's first argument): a PATH search or a path of its own.
  const exec = plan.container.find((o): o is PlanOp<'exec'> => o.op === 'exec');
  const program = exec !== undefined ? fieldsOf(exec).argv[0] : undefined;
  return withFilterNote(describeOpError(op, errno, text, program), filterInForce(plan, index));
}

/** True when op `index` runs once the plan's seccomp filter is installed. */
function filterInForce(plan: Plan, index: number): boolean {
  const loadedAt = plan.container.findIndex((o) => o.op === 'seccomp-load');
  return loadedAt >= 0 && index > plan.host.length + loadedAt;
}

/** runc's words for a cwd that getcwd cannot place under the root (`chdir` reports "cwd-outside-root"). */
const CWD_OUTSIDE_ROOT = 'current working directory is outside of container mount namespace root -- possible container breakout detected';

function describeOpError(op: OpOf<OpName>, errno: number, text: string, given?: string): string {
  const where = op.origin ? `${op.origin}: ` : '';
  const why = errno > 0 ? errnoText(errno) : text;
  switch (op.op) {
    case 'seccomp':
      return `${where}${seccompText(op, text)}${errno > 0 ? `: ${errnoText(errno)}` : ''}`;
    case 'seccomp-load':
      return `${where}${text}${errno > 0 ? `: ${errnoText(errno)}` : ''}`;
    case 'find-exec': {
      const { candidates } = fieldsOf(op);
      const searched = given !== undefined ? !given.includes('/') : candidates.length > 1;
      const program = searched ? candidates[0].split('/').pop()! : candidates[0];
      return errno === 2 && searched
        ? `${where}exec: ${JSON.stringify(program)}: executable file not found in $PATH`
        : `${where}exec: ${JSON.stringify(program)}: ${why}`;
    }
    case 'mount-in-root': {
      const { source, dest, fstype } = fieldsOf(op);
      if (text === 'not-ordinary-dir') return `${where}error mounting ${JSON.stringify(fstype)} to rootfs at ${JSON.stringify(dest)}: filesystem ${JSON.stringify(fstype)} must be mounted on ordinary directory`;
      return `${where}mount ${source} on ${dest} (type ${fstype || 'bind'}): ${why}`;
    }
    // The helper's text says which step failed (a file of the copy, the id-mapping, …).
    case 'mount-from-host': {
      const { source, dest, how } = fieldsOf(op);
      return `${where}mount ${source} on ${dest} (${how === 'move' ? 'id-mapped bind' : 'bind'}, opened by the host side): ${text}${errno > 0 ? `: ${why}` : ''}`;
    }
    case 'tmpfs-copyup':
      return `${where}tmpfs with tmpcopyup on ${fieldsOf(op).dest}: ${text}${errno > 0 ? `: ${why}` : ''}`;
    case 'bind-remount':
      return `${where}bind mount on ${fieldsOf(op).dest}: ${text}${errno > 0 ? `: ${why}` : ''}`;
    case 'mount-setattr':
    case 'send-mount-source':
    case 'send-idmapped-mount':
      return `${where}${text}${errno > 0 ? `: ${why}` : ''}`;
    case 'chdir':
      return `${where}cannot change to directory ${fieldsOf(op).path}: ${text === 'cwd-outside-root' ? CWD_OUTSIDE_ROOT : why}`;
    case 'run-hook':
      // How the hook ended comes as a `hook` report; this is the runner's own failure (memfd_create, …),
      // which names the hook where it matters, also for `start` (exec.fifo), which has no plan.
      return errno > 0 ? `${text}: ${errnoText(errno)}` : text;
    default:
      return `${where}${op.op} ${op.args.map((a) => JSON.stringify(a)).join(' ')}: ${why}`.replace(/ : /, ': ');
  }
}

/** The helper names a `seccomp` item by its index ("seccomp item 3: add the rule"); shown here as it reads in names. */
function seccompText(op: PlanOp<'seccomp'>, text: string): string {
  const m = /^seccomp item (\d+): (.*)$/.exec(text);
  const item = m ? fieldsOf(op).items[Number(m[1])] : undefined;
  if (!m || item === undefined) return text;
  return `seccomp: item ${JSON.stringify(seccompItemText(decodeSeccomp([item])[0]))}: ${m[2]}`;
}

/** The container pid a helper failure left to reap, if any. */
export function unreapedPid(err: unknown): number | undefined {
  return isHelperError(err) && err.pid !== undefined && err.pid > 0 ? err.pid : undefined;
}

/** A message from the helper that is not in the protocol (docs/plan-format.md). */
class ProtocolError extends Error {}

/** The other end of the socket is closed: the helper (and its container process) are gone. */
function isPeerGone(err: unknown): boolean {
  const code = errnoOf(err);
  return code === 'EPIPE' || code === 'ECONNRESET';
}

/** Calls onLine for each line read from the socket, until EOF: every process holding the other end (P, then C after `ready`) is done. */
function readLines(host: Host, fd: number, onLine: (line: string) => void): void {
  const buf = Buffer.alloc(4096);
  // Bytes, not text, until a whole line is there: a read may end inside a UTF-8 sequence.
  let pending = Buffer.alloc(0);
  for (;;) {
    let n: number;
    try {
      n = host.read(fd, buf);
    } catch (err) {
      if (errnoOf(err) === 'EINTR') continue;
      // The helper died with bytes of ours unread: an EOF, whose reason is its exit status.
      if (errnoOf(err) === 'ECONNRESET') n = 0;
      else throw err;
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
   * it; a RuntimeError it throws is the failure the init is told of, and becomes the create's error.
   */
  onHooks?: (phase: string, pid: number) => void;
  /**
   * Sends the seccomp notification fd `fd` of the container process `pid` to the agent when the init
   * asks (`seccomp-listener <fd>`); a RuntimeError it throws is the failure the init is told of.
   */
  onSeccompListener?: (pid: number, fd: number) => void;
  /** Told the container process's pid as soon as the helper reports it (create records it before going on). */
  onPid?: (pid: number) => void;
  /** Gets the fallbacks the helper reports, at debug level. */
  log?: Pick<Logger, 'debug'>;
}

/**
 * A running tsrunc-init that has not been given its whole plan yet. sendHead() may give it the first
 * host ops (encodeHead), which it runs at once, such as the cgroup joins, whose first migration makes
 * the kernel wait for an RCU grace period (10 ms or more on cgroup v1): that wait then overlaps
 * whatever tsrunc does before run(). Every started helper ends in run() or abandon().
 */
export class StartedHelper {
  private open = true;
  private head: PlanOp<HostOpName>[] = [];

  private constructor(private readonly host: Host, readonly pid: number, private readonly fd: number) {}

  static start(host: Host, preserveFds: number): StartedHelper {
    const syncFd = 3 + preserveFds;
    const { pid, fd } = host.spawnHelper(helperPath(), ['tsrunc-init', String(syncFd)], syncFd);
    return new StartedHelper(host, pid, fd);
  }

  /**
   * Sends the first ops of the plan ahead (at most once, before run()); the helper runs them at once.
   * Throws when the head cannot be encoded (nothing is sent then: the caller abandons the helper).
   */
  sendHead(head: PlanOp<HostOpName>[]): void {
    if (!this.open || this.head.length > 0) throw new Error('tsrunc-init: a head after the helper was ended, or a second one');
    checkPlan(head);
    const payload = encodeHead(head);
    this.head = head;
    // A helper that is gone already (it failed a head op) is not an error here: run() reads why.
    this.send(payload);
  }

  /** Writes all of payload; false when the helper has closed its end (EPIPE: it exited, its reason is still to read). */
  private send(payload: Buffer): boolean {
    try {
      for (let off = 0; off < payload.length; ) off += this.host.write(this.fd, payload, off);
      return true;
    } catch (err) {
      if (isPeerGone(err)) return false;
      throw err;
    }
  }

  /**
   * Sends the plan (what follows the head, which must be its start) and waits, synchronously, until
   * the container init reports `ready` (or something fails). The helper's messages are small lines on
   * a socketpair; the one that asks something (`hooks <phase>`) gets a line back (`ok`, or `fail`,
   * after which the init exits).
   */
  /** The phase's hooks run by onHooks: undefined when they succeeded, else the failure (a RuntimeError's text). */
  private runHooks(opts: HelperOptions, phase: string, pid: number): string | undefined {
    if (!opts.onHooks) return `hooks.${phase}: no one to run them`;
    try {
      opts.onHooks(phase, pid);
      return undefined;
    } catch (err) {
      if (!isRuntimeError(err)) throw err;
      return err.message;
    }
  }

  /** The notification fd handed to the agent by onSeccompListener: undefined when it was, else the failure. */
  private sendListener(opts: HelperOptions, pid: number, fd: number): string | undefined {
    if (!opts.onSeccompListener || pid === 0) return 'linux.seccomp.listenerPath: no one to send the seccomp notification fd to';
    try {
      opts.onSeccompListener(pid, fd);
      return undefined;
    } catch (err) {
      if (!isRuntimeError(err)) throw err;
      return err.message;
    }
  }

  run(plan: Plan, opts: HelperOptions = {}): HelperResult {
    if (!this.open) throw new Error('tsrunc-init: run() after the helper was ended');
    const headMatches = this.head.every((h, i) => plan.host[i]?.op === h.op && plan.host[i].args.join('\0') === h.args.join('\0'));
    if (!headMatches) {
      this.abandon();
      throw new Error('tsrunc-init: the plan does not start with the head sent ahead');
    }
    // Encoded whole before anything is sent: a plan that cannot be carried ends a helper that has
    // made nothing but joins.
    let payload: Buffer;
    try {
      checkPlan([...plan.host, ...plan.container]);
      payload = encodePlan(plan, this.head.length);
    } catch (err) {
      this.abandon();
      throw new RuntimeError(`cannot send the plan to tsrunc-init: ${(err as Error).message}`);
    }
    this.open = false;
    const seccompOp = plan.container.find((o): o is PlanOp<'seccomp'> => o.op === 'seccomp');
    if (seccompOp) opts.log?.debug(`seccomp filter flags: ${flagsOfItems(seccompOp.args)}`);
    const fd = this.fd;
    let pid = 0;
    let ready = false;
    let failure: string | undefined;
    const opAtIndex = (index: number) => opAt(plan, index);
    const onLine = (line: string) => {
      const [kind, ...rest] = line.split(' ');
      // A pid once, and never 0, 1 or negative: it is killed if anything goes wrong.
      if (kind === 'pid' && pid === 0 && rest.length === 1 && /^\d+$/.test(rest[0]) && Number(rest[0]) > 1) {
        pid = Number(rest[0]);
        opts.onPid?.(pid);
      } else if (kind === 'ready' && rest.length === 0) ready = true;
      else if (kind === 'error' && rest.length >= 2 && /^-?\d+$/.test(rest[0]) && /^\d+$/.test(rest[1])) {
        failure ??= describeHelperError(plan, Number(rest[0]), Number(rest[1]), rest.slice(2).join(' '));
      } else if (kind === 'fallback' && fallbackText(opAtIndex, line) !== undefined) {
        opts.log?.debug(fallbackText(opAtIndex, line)!);
      } else if (kind === 'hook' && parseHookReport(line)) {
        const report = parseHookReport(line)!;
        failure ??= withFilterNote(hookReportText(report), filterInForce(plan, report.index));
      } else if (kind === 'hooks' && rest.length === 1) {
        const hookFailure = failure ?? this.runHooks(opts, rest[0], pid);
        failure ??= hookFailure;
        // An init that is gone already (EPIPE) ends the read with its EOF.
        this.send(Buffer.from(hookFailure === undefined ? 'ok\n' : 'fail\n'));
      } else if (kind === 'seccomp-listener' && rest.length === 1 && /^\d+$/.test(rest[0])) {
        const sendFailure = failure ?? this.sendListener(opts, pid, Number(rest[0]));
        failure ??= sendFailure;
        this.send(Buffer.from(sendFailure === undefined ? 'ok\n' : 'fail\n'));
      } else {
        throw new ProtocolError(`tsrunc-init: unexpected message ${JSON.stringify(line.length > 80 ? `${line.slice(0, 79)}…` : line)}`);
      }
    };
    let broken: string | undefined;
    try {
      // A helper that failed in the head is gone (EPIPE): its `error` line is still there to read.
      this.send(payload);
      readLines(this.host, fd, onLine);
    } catch (err) {
      // The channel itself failed: the helper and the container process may be waiting on each other
      // or on us, and nothing they say can be trusted any more.
      broken = err instanceof ProtocolError || isRuntimeError(err) ? err.message : `tsrunc-init: ${(err as Error).message}`;
      for (const p of [this.pid, pid]) {
        try {
          if (p > 0) this.host.kill(p, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
    } finally {
      this.host.close(fd);
    }
    const exit = this.host.waitpidSync(this.pid);
    if (ready && !failure && !broken && exit.exitCode === 0) return { pid };
    const status = exit.signal !== null ? `signal ${exit.signal}` : `exit status ${exit.exitCode}`;
    const ended = pid > 0 && exit.exitCode === 0 ? 'the container process ended before it was ready' : `tsrunc-init failed before the container was ready (${status})`;
    throw new HelperError(broken ?? failure ?? ended, pid || undefined);
  }

  /** Ends a helper that will not get its plan (it has made nothing but joins: killing it is safe); reaped here. */
  abandon(): void {
    if (!this.open) return;
    this.open = false;
    this.host.close(this.fd);
    try {
      this.host.kill(this.pid, 'SIGKILL');
    } catch {
      // Gone already (it exits by itself at EOF).
    }
    this.host.waitpidSync(this.pid);
  }
}
