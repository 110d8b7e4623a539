// A warm worker (docs/warm-path.md): a tsrunc process with its code loaded that takes the connections
// of the server's socket one at a time and runs each front's command with the same code the cold path
// runs (main), in the front's working directory, umask, environment and stdio, on a host whose helper
// and children are the front's. A peer that is not this server's user, or sees other namespaces, and a
// request this process reads differently from the front, go back to the front's cold path untouched.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { actFor } from '../../linux/proc';
import { NS_FILES } from '../../linux/exec-plan';
import { parseCommandLine } from '../cli/parse';
import type { Host } from '../host';
import type { Logger } from '../log';
import { FrontLink } from './front-link';
import { announcedLength, parseRequest, receivedFds, WarmRequest } from './request';
import { warmHost } from './warm-host';

/** Runs one command line as bin/tsrunc-node's main does (with the worker's loaded dist files). */
export type RunCommand = (argv: string[], host: Host) => Promise<number>;

const HELPER_COMMANDS = new Set(['create', 'run', 'exec']);
/** Larger than any environment a front sends (the kernel's ARG_MAX for argv and environment together). */
const MAX_REQUEST = 4 << 20;

export interface WorkerOptions {
  host: Host;
  log: Logger;
  /** The state root this server serves (absolute). */
  root: string;
  run: RunCommand;
  /** Told when a connection is taken and when it is done (the server keeps enough workers idle). */
  onBusy?: (busy: boolean) => void;
}

/** What a process is allowed (/proc/<pid>/status): a front is served only with exactly the server's. */
const IDENTITY_FIELDS = ['Uid', 'Gid', 'Groups', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs', 'Seccomp'];

/** A process's credentials, LSM label and namespaces (undefined: a type it cannot be seen in). */
export interface Identity {
  fields: Map<string, string>;
  namespaces: Map<string, string | undefined>;
}

const NS_TYPES = [...new Set(Object.values(NS_FILES))];

export function identityOf(host: Host, proc: string): Identity {
  const read = host.readMany([`${proc}/status`, `${proc}/attr/current`], NS_TYPES.map((file) => `${proc}/ns/${file}`));
  const [status, label] = read.files;
  if (status === null) throw new Error(`cannot read ${proc}/status`);
  const fields = new Map<string, string>();
  for (const line of status.split('\n')) {
    const colon = line.indexOf(':');
    if (IDENTITY_FIELDS.includes(line.slice(0, colon))) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  fields.set('LSM label', label?.trim() ?? ''); // null: no LSM that labels processes
  // undefined: no such namespace type on this kernel, or not visible
  const namespaces = new Map(NS_TYPES.map((file, i) => [file, read.links[i] ?? undefined]));
  return { fields, namespaces };
}

/**
 * Why the peer is left to its cold path; undefined when it may be served: the same user, credentials,
 * capabilities, no_new_privs, seccomp and LSM label as the server (`mine`: a worker must never do for
 * a caller what the caller could not do itself), and the same namespaces of every type.
 */
export function refusal(host: Host, peer: { pid: number; uid: number }, mine: Identity): string | undefined {
  if (peer.uid !== process.getuid?.()) return `uid ${peer.uid}, not this server's ${process.getuid?.()}`;
  if (peer.pid <= 0) return 'a pid namespace this server cannot see';
  let theirs: Identity;
  try {
    theirs = identityOf(host, `/proc/${peer.pid}`);
  } catch {
    return 'a process whose status cannot be read';
  }
  for (const [field, value] of mine.fields) {
    if (theirs.fields.get(field) !== value) return `another ${field} (${theirs.fields.get(field) ?? 'none'}, not ${value})`;
  }
  for (const [file, ns] of mine.namespaces) {
    if (ns !== undefined && theirs.namespaces.get(file) !== ns) return `another ${file} namespace`;
  }
  return undefined;
}

/** Reads the request and its descriptors (the fds come with the first bytes). */
function readRequest(host: Host, conn: number): { request: WarmRequest; fds: number[] } {
  let data = Buffer.alloc(0);
  const fds: number[] = [];
  try {
    for (;;) {
      const want = announcedLength(data);
      if (want !== undefined && want > MAX_REQUEST) throw new Error(`a request of ${want} bytes`);
      if (want !== undefined && data.length >= 4 + want) return { request: parseRequest(data.subarray(4, 4 + want)), fds };
      const msg = host.receiveMessage(conn, want !== undefined ? 4 + want - data.length : 64 << 10);
      fds.push(...msg.fds);
      if (msg.data.length === 0) throw new Error('the front went away before its whole request came');
      data = Buffer.concat([data, msg.data]);
    }
  } catch (err) {
    for (const fd of fds) host.close(fd);
    throw err;
  }
}

/** Why the front's reading of its own command line differs from ours (so it must run cold), if it does. */
function mismatch(request: WarmRequest, root: string): string | undefined {
  let parsed;
  try {
    parsed = parseCommandLine(request.argv);
  } catch {
    return undefined; // the command fails the same way either path takes
  }
  const command = parsed.command?.name;
  if (command === 'daemon') return 'a daemon is not started by a daemon';
  if (path.resolve(request.cwd, String(parsed.globals.root)) !== root) return `another --root (${String(parsed.globals.root)})`;
  const needsHelper = command !== undefined && HELPER_COMMANDS.has(command);
  if (needsHelper !== (request.helperPid !== undefined)) return 'the front read another command';
  const preserve = needsHelper ? Number(parsed.flags['preserve-fds'] ?? 0) : 0;
  if (needsHelper && preserve !== request.preserveFds) return `--preserve-fds ${preserve}, where the front read ${request.preserveFds}`;
  return undefined;
}

/** The process state a request changes, to put back after it. */
interface Saved {
  cwd: string;
  umask: number;
  env: NodeJS.ProcessEnv;
  stdio: number[];
}

function enter(host: Host, request: WarmRequest, byFrontFd: Map<number, number>, frontPid: number, devNull: number): Saved {
  const saved: Saved = { cwd: process.cwd(), umask: process.umask(), env: process.env, stdio: [0, 1, 2].map((fd) => host.dup(fd)) };
  process.chdir(request.cwd);
  process.umask(request.umask);
  process.env = request.env;
  for (const fd of [0, 1, 2]) host.dup2(byFrontFd.get(fd) ?? devNull, fd);
  actFor(frontPid);
  return saved;
}

function leave(host: Host, saved: Saved): void {
  actFor(undefined);
  saved.stdio.forEach((copy, fd) => {
    host.dup2(copy, fd);
    host.close(copy);
  });
  process.env = saved.env;
  process.umask(saved.umask);
  process.chdir(saved.cwd);
}

/** What a worker reads or opens once and every connection uses. */
export interface WorkerContext {
  /** The worker's own identity, which a peer must have. */
  mine: Identity;
  /** /dev/null, for the stdio a front did not have open. */
  devNull: number;
}

export function workerContext(host: Host): WorkerContext {
  return { mine: identityOf(host, '/proc/self'), devNull: host.open('/dev/null', 'r+') };
}

/** Whether the front still waits for `hello`: it gives up at the request's deadline (CLOCK_MONOTONIC ms, as process.hrtime). */
function beforeDeadline(request: WarmRequest): boolean {
  return Number(process.hrtime.bigint() / 1_000_000n) < request.deadlineMs;
}

/** Serves one connection; every descriptor it received is closed when it returns. */
export async function serveConnection(o: WorkerOptions, conn: number, ctx: WorkerContext): Promise<void> {
  const { host, log } = o;
  const link = new FrontLink(host, conn);
  const peer = host.peerCredentials(conn);
  // The front sends its request right after it connects: waiting for it first lets the front run (on a
  // busy machine the worker, woken by the connection, would otherwise hold the front's CPU meanwhile).
  const { request, fds } = readRequest(host, conn);
  const refused = refusal(host, peer, ctx.mine);
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
    const why = mismatch(request, o.root);
    if (why !== undefined) {
      log.debug(`daemon: cold path: ${why}`);
      link.cold();
      return;
    }
    let saved: Saved | undefined;
    let status = 1;
    // A front killed in the middle takes the command with it, as a killed cold tsrunc would: this
    // process dies where it is, and what it made is what delete --force removes.
    host.dieWithPeer(conn);
    try {
      saved = enter(host, request, byFrontFd, peer.pid, ctx.devNull);
      status = await o.run(request.argv, warm.host);
    } finally {
      host.outliveThePeer();
      if (saved) leave(host, saved);
    }
    await link.finish(status);
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
    const conn = o.host.accept(listenFd);
    o.onBusy?.(true);
    try {
      await serveConnection(o, conn, ctx);
    } catch (err) {
      o.log.warn(`daemon: a request failed in the worker: ${(err as Error).message}`);
    } finally {
      try {
        o.host.close(conn);
      } catch {
        // closed already
      }
      o.onBusy?.(false);
    }
  }
}

export const WORKER_FDS = { listen: 3, status: 4 } as const;

/** The status line a worker writes for the server (`busy`/`idle`). */
export function statusWriter(fd: number): (busy: boolean) => void {
  return (busy) => {
    try {
      fs.writeSync(fd, busy ? 'busy\n' : 'idle\n');
    } catch {
      // the server is gone; the next accept finds out too
    }
  };
}
