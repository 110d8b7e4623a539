// A warm worker (docs/warm-path.md): a tsrunc process with its code loaded that takes the connections
// of the server's socket one at a time and runs each front's command with the same code the cold path
// runs (main), in the front's working directory, umask, environment and stdio, on a host whose helper
// and children are the front's. A peer that is not this server's user, or sees other namespaces, and a
// request this process reads differently from the front, go back to the front's cold path untouched.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { actFor } from '../../linux/proc';
import { NS_FILES } from '../../linux/exec-plan';
import type { AcceptedRequest } from '../../linux/native';
import { parseCommandLine, ParsedCommandLine } from '../cli/parse';
import type { Host } from '../host';
import type { Logger } from '../log';
import { FrontLink } from './front-link';
import { parseRequest, receivedFds, WarmRequest } from './request';
import { warmHost } from './warm-host';

/** Runs one command line as bin/tsrunc-node's main does (with the worker's loaded dist files). */
export type RunCommand = (line: string[] | ParsedCommandLine, host: Host) => Promise<number>;

const HELPER_COMMANDS = new Set(['create', 'run', 'exec']);
/** Larger than any environment a front sends (the kernel's ARG_MAX for argv and environment together). */
const MAX_REQUEST = 4 << 20;
/**
 * A request still running after this long is told to the server (`busy`), so that it keeps enough
 * workers idle; a shorter one is over before a new worker could have started (and its worker's event
 * loop may not run meanwhile, so the worker's peer-watch thread writes it).
 */
const BUSY_AFTER_MS = 5;

export interface WorkerOptions {
  host: Host;
  log: Logger;
  /** The state root this server serves (absolute). */
  root: string;
  run: RunCommand;
  /** The server's status pipe (`busy`, `idle`: it keeps enough workers idle). */
  statusFd?: number;
}

/** What a process is allowed (/proc/<pid>/status): a front is served only with exactly the server's. */
const IDENTITY_FIELDS = ['Uid', 'Gid', 'Groups', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs', 'Seccomp'];

const NS_TYPES = [...new Set(Object.values(NS_FILES))];

/** A process's credentials, LSM label and namespaces, as one text (processIdentity); undefined: unreadable. */
export function identityOf(host: Host, proc: string): string | undefined {
  return host.processIdentity(proc, IDENTITY_FIELDS, NS_TYPES) ?? undefined;
}

/** How the identity `theirs` differs from `mine` (both identityOf's), in words; undefined when it does not. */
export function identityDifference(mine: string, theirs: string): string | undefined {
  if (theirs === mine) return undefined;
  const fields = (text: string) => new Map(text.split('\n').filter(Boolean).map((line) => {
    const tab = line.indexOf(':\t');
    return [line.slice(0, tab), line.slice(tab + 2).trim()] as const;
  }));
  const their = fields(theirs);
  for (const [name, value] of fields(mine)) {
    const other = their.get(name);
    if (other === value) continue;
    if (name.startsWith('ns ')) return `another ${name.slice(3)} namespace`;
    return `another ${name} (${other ?? 'none'}, not ${value})`;
  }
  return 'another identity';
}

/**
 * Why the peer is left to its cold path; undefined when it may be served: the same user, credentials,
 * capabilities, no_new_privs, seccomp and LSM label as the server (`mine`: a worker must never do for
 * a caller what the caller could not do itself), and the same namespaces of every type.
 */
export function refusal(host: Host, peer: { pid: number; uid: number }, mine: string): string | undefined {
  if (peer.uid !== process.getuid?.()) return `uid ${peer.uid}, not this server's ${process.getuid?.()}`;
  if (peer.pid <= 0) return 'a pid namespace this server cannot see';
  const theirs = identityOf(host, `/proc/${peer.pid}`);
  if (theirs === undefined) return 'a process whose status cannot be read';
  return identityDifference(mine, theirs);
}

/**
 * The command line as this process reads it, or why the front's reading of it differs (so it must run
 * cold). A line that does not parse is left to main, which fails it as the cold path would.
 */
function readCommandLine(request: WarmRequest, root: string): { line: string[] | ParsedCommandLine } | { mismatch: string } {
  let parsed;
  try {
    parsed = parseCommandLine(request.argv);
  } catch {
    return { line: request.argv }; // the command fails the same way either path takes
  }
  const command = parsed.command?.name;
  if (command === 'daemon') return { mismatch: 'a daemon is not started by a daemon' };
  if (path.resolve(request.cwd, String(parsed.globals.root)) !== root) return { mismatch: `another --root (${String(parsed.globals.root)})` };
  const needsHelper = command !== undefined && HELPER_COMMANDS.has(command);
  if (needsHelper !== (request.helperPid !== undefined)) return { mismatch: 'the front read another command' };
  const preserve = needsHelper ? Number(parsed.flags['preserve-fds'] ?? 0) : 0;
  if (needsHelper && preserve !== request.preserveFds) return { mismatch: `--preserve-fds ${preserve}, where the front read ${request.preserveFds}` };
  return { line: parsed };
}

/** The process state a request changes, to put back after it (the worker's own stdio: WorkerContext). */
interface Saved {
  cwd: string;
  umask: number;
  env: NodeJS.ProcessEnv;
}

function enter(host: Host, request: WarmRequest, byFrontFd: Map<number, number>, frontPid: number, ctx: WorkerContext): Saved {
  const saved: Saved = { cwd: process.cwd(), umask: process.umask(), env: process.env };
  process.chdir(request.cwd);
  process.umask(request.umask);
  process.env = request.env;
  for (const fd of [0, 1, 2]) host.dup2(byFrontFd.get(fd) ?? ctx.devNull, fd);
  actFor(frontPid);
  return saved;
}

function leave(host: Host, saved: Saved, ctx: WorkerContext): void {
  actFor(undefined);
  ctx.stdio.forEach((copy, fd) => host.dup2(copy, fd));
  process.env = saved.env;
  process.umask(saved.umask);
  process.chdir(saved.cwd);
}

/** What a worker reads or opens once and every connection uses. */
export interface WorkerContext {
  /** The worker's own identity, which a peer must have. */
  mine: string;
  /** /dev/null, for the stdio a front did not have open. */
  devNull: number;
  /** Close-on-exec copies of the worker's own fds 0..2, put back after each request. */
  stdio: number[];
}

export function workerContext(host: Host): WorkerContext {
  const mine = identityOf(host, '/proc/self');
  if (mine === undefined) throw new Error('cannot read /proc/self/status');
  return { mine, devNull: host.open('/dev/null', 'r+'), stdio: [0, 1, 2].map((fd) => host.dup(fd)) };
}

/** Whether the front still waits for `hello`: it gives up at the request's deadline (CLOCK_MONOTONIC ms, as process.hrtime). */
function beforeDeadline(request: WarmRequest): boolean {
  return Number(process.hrtime.bigint() / 1_000_000n) < request.deadlineMs;
}

/** Serves one connection; every descriptor that came with it is closed when it returns (the connection is the caller's). */
export async function serveConnection(o: WorkerOptions, accepted: AcceptedRequest, ctx: WorkerContext): Promise<void> {
  const { host, log } = o;
  const { conn, fds } = accepted;
  const link = new FrontLink(host, conn);
  let request: WarmRequest;
  try {
    request = parseRequest(accepted.body);
  } catch (err) {
    for (const fd of fds) host.close(fd);
    throw err;
  }
  const refused = refusal(host, accepted, ctx.mine);
  if (refused !== undefined) {
    for (const fd of fds) host.close(fd);
    log.debug(`daemon: cold path for a peer with ${refused}`);
    link.cold();
    return;
  }
  // `hello` before anything runs tells the front a worker has its request.
  link.send('hello');
  const { byFrontFd, helperFd } = receivedFds(request, fds);
  const helper = request.helperPid !== undefined && helperFd !== undefined ? { pid: request.helperPid, fd: helperFd } : undefined;
  const warm = warmHost(host, link, helper);
  try {
    // hello went before this look at the clock: a front that had given up by now saw no hello in time,
    // and has said that its command was not run.
    if (!beforeDeadline(request)) {
      log.debug('daemon: a request taken after its front gave up: not run');
      return;
    }
    const read = readCommandLine(request, o.root);
    if ('mismatch' in read) {
      log.debug(`daemon: cold path: ${read.mismatch}`);
      link.cold();
      return;
    }
    let saved: Saved | undefined;
    let status = 1;
    let toldBusy = false;
    // A front killed in the middle takes the command with it, as a killed cold tsrunc would: this
    // process dies where it is, and what it made is what delete --force removes.
    host.dieWithPeer(conn, o.statusFd !== undefined ? { fd: o.statusFd, afterMs: BUSY_AFTER_MS, text: 'busy\n' } : undefined);
    try {
      saved = enter(host, request, byFrontFd, accepted.pid, ctx);
      status = await o.run(read.line, warm.host);
    } finally {
      toldBusy = host.outliveThePeer();
      if (saved) leave(host, saved, ctx);
    }
    await link.finish(status);
    if (toldBusy && o.statusFd !== undefined) writeStatus(o.statusFd, 'idle');
  } finally {
    for (const fd of byFrontFd.values()) host.close(fd);
    const untaken = warm.untakenHelperFd();
    if (untaken !== undefined) host.close(untaken);
  }
}

/** Takes connections until `requests` have been served (then the server starts a fresh worker). */
export async function serveRequests(o: WorkerOptions, listenFd: number, requests: number): Promise<void> {
  const ctx = workerContext(o.host);
  for (let served = 0; served < requests; served++) {
    let accepted: AcceptedRequest;
    try {
      accepted = o.host.acceptRequest(listenFd, MAX_REQUEST);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).syscall === 'accept') throw err;
      o.log.warn(`daemon: a request that did not come whole: ${(err as Error).message}`);
      continue;
    }
    try {
      await serveConnection(o, accepted, ctx);
    } catch (err) {
      o.log.warn(`daemon: a request failed in the worker: ${(err as Error).message}`);
    } finally {
      try {
        o.host.close(accepted.conn);
      } catch {
        // closed already
      }
    }
  }
}

export const WORKER_FDS = { listen: 3, status: 4 } as const;

/** Writes a status line for the server: `idle` (ready, or done with a request it said `busy` of), `busy`. */
export function writeStatus(fd: number, status: 'busy' | 'idle'): void {
  try {
    fs.writeSync(fd, `${status}\n`);
  } catch {
    // the server is gone; the next accept finds out too
  }
}
