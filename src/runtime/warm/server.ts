// `tsrunc daemon` (docs/warm-path.md): the socket of one state root, and the worker processes that take
// its connections. It keeps a few workers idle (a worker busy with a foreground run stays busy for the
// container's life), replaces each after a number of requests, and stops after an idle time or on
// SIGTERM/SIGINT, removing its socket first so that fronts go to the cold path, and letting busy
// workers finish what they serve.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { packageRoot } from '../../linux/native';
import { RuntimeError } from '../../common/errors';
import type { Host } from '../host';
import type { Logger } from '../log';
import type { StateStore } from '../state-store';
import { WORKER_FDS } from './worker';

/** Under the state root; not a container id (ids have no "@"), so list never sees it. */
export const SOCKET_NAME = 'tsrunc@daemon.sock';

export interface ServerOptions {
  host: Host;
  log: Logger;
  /** The state root's store (its root is absolute). */
  store: StateStore;
  /** Stop after this long with every worker idle; 0: never. */
  idleTimeoutMs: number;
  /** Idle workers kept ready. */
  minIdle: number;
  /** Workers at most (busy and idle). */
  maxWorkers: number;
  /** Global flags each worker gets besides --root (--log, --log-format, --debug). */
  workerGlobals: string[];
}

/** The listening socket systemd passed (socket activation), if it passed one to this process. */
function activatedSocket(): number | undefined {
  const pid = Number(process.env.LISTEN_PID);
  const count = Number(process.env.LISTEN_FDS);
  if (pid !== process.pid || !(count >= 1)) return undefined;
  delete process.env.LISTEN_PID;
  delete process.env.LISTEN_FDS;
  delete process.env.LISTEN_FDNAMES;
  return 3;
}

/** True when something accepts connections on the socket file. */
function answers(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection(file);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function listen(o: ServerOptions): Promise<{ fd: number; file?: string }> {
  const activated = activatedSocket();
  if (activated !== undefined) return { fd: activated };
  const file = path.join(o.store.root, SOCKET_NAME);
  o.store.ensureRoot();
  if (fs.existsSync(file)) {
    if (await answers(file)) throw new RuntimeError(`a tsrunc daemon serves ${o.store.root} already (${file})`);
    fs.unlinkSync(file);
  }
  // Made under another name and renamed into place: a socket a front finds is listening, and 0600, already.
  const made = `${file}.${process.pid}`;
  fs.rmSync(made, { force: true });
  const fd = o.host.listenUnix(made, 128);
  fs.chmodSync(made, 0o600);
  fs.renameSync(made, file);
  return { fd, file };
}

export async function runServer(o: ServerOptions): Promise<number> {
  const { fd, file } = await listen(o);
  const entry = path.join(packageRoot(), 'bin', 'tsrunc-node');
  /** ready: the worker has loaded and warmed up (its first status line). */
  const workers = new Map<ChildProcess, { busy: boolean; ready: boolean }>();
  let stopping = false;
  let lastActive = Date.now();
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });

  const idle = () => [...workers.values()].filter((w) => w.ready && !w.busy).length;
  const starting = () => [...workers.values()].filter((w) => !w.ready).length;
  // The first workers start together; after that one at a time: a burst of short requests is served by
  // the workers there are as they come free, sooner than by many new ones, whose starts cost more CPU
  // than the requests. Requests wait in the socket's backlog meanwhile.
  const topUp = () => {
    while (!stopping && workers.size < o.maxWorkers && (workers.size < o.minIdle || (idle() < o.minIdle && starting() === 0))) startWorker();
  };
  const startWorker = () => {
    const stdio: ('ignore' | 'inherit' | 'pipe' | number)[] = ['ignore', 'ignore', 'inherit', fd, 'pipe'];
    const child = spawn(process.execPath, [entry, '--root', o.store.root, ...o.workerGlobals, 'daemon', '--worker'], { stdio });
    const state = { busy: false, ready: false };
    workers.set(child, state);
    let pending = '';
    child.stdio[WORKER_FDS.status]?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        state.busy = line === 'busy';
        state.ready = true;
        lastActive = Date.now();
        if (stopping && !state.busy) child.kill('SIGTERM');
      }
      topUp();
    });
    child.once('exit', (code, signal) => {
      workers.delete(child);
      if (!stopping && code !== 0) o.log.warn(`daemon: worker ${child.pid} ended (${signal ?? `status ${code}`})`);
      if (stopping && workers.size === 0) done();
      topUp();
    });
  };

  const stop = () => {
    if (stopping) return;
    stopping = true;
    if (file !== undefined) {
      try {
        fs.unlinkSync(file);
      } catch {
        // removed already
      }
    }
    for (const [child, state] of workers) if (!state.busy) child.kill('SIGTERM');
    if (workers.size === 0) done();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const timer = o.idleTimeoutMs > 0
    ? setInterval(() => {
      if (idle() === workers.size && Date.now() - lastActive > o.idleTimeoutMs) stop();
    }, Math.min(1000, o.idleTimeoutMs))
    : undefined;
  o.log.info(`daemon: serving ${o.store.root} on ${file ?? 'the socket systemd passed'}`);
  topUp();
  await finished;
  if (timer) clearInterval(timer);
  process.off('SIGTERM', stop);
  process.off('SIGINT', stop);
  o.host.close(fd);
  return 0;
}
