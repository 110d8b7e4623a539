// daemon: the warm server of this --root (src/runtime/warm/server.ts), in the foreground; with the
// hidden --worker, one of its workers (src/runtime/warm/worker.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CommandHandler } from './types';
import { RuntimeError } from '../../common/errors';
import { runServer } from '../warm/server';
import { serveRequests, WORKER_FDS, writeStatus } from '../warm/worker';

/** A worker is replaced after this many requests: nothing a command leaves in the process lasts. */
const REQUESTS_PER_WORKER = 200;

function count(value: unknown, flag: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new RuntimeError(`invalid --${flag} ${JSON.stringify(value)}: must be a whole number, at least ${min}`);
  return n;
}

/**
 * Before its first request a worker loads every dist file a command may need and runs the reading and
 * planning of runc's default bundle once (spec, explain), so the first container it serves does not
 * pay for compiling them. What they write goes to /dev/null (explain finds no /bin/sh in the empty rootfs).
 */
async function warmUp(ctx: Parameters<CommandHandler>[0]): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-warm-up-'));
  const devNull = ctx.host.open('/dev/null', 'r+');
  const saved = [1, 2].map((fd) => ctx.host.dup(fd));
  for (const fd of [1, 2]) ctx.host.dup2(devNull, fd);
  try {
    fs.mkdirSync(path.join(dir, 'rootfs'));
    const root = ['--root', path.join(dir, 'state')];
    await ctx.runCommand([...root, 'spec', '--bundle', dir], ctx.host);
    await ctx.runCommand([...root, 'explain', '--bundle', dir, 'warm-up'], ctx.host);
  } finally {
    saved.forEach((copy, i) => {
      ctx.host.dup2(copy, i + 1);
      ctx.host.close(copy);
    });
    ctx.host.close(devNull);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const daemon: CommandHandler = async (ctx) => {
  if (ctx.flags.worker) {
    // The server passes them open across exec: close-on-exec copies, or every hook and program the
    // worker starts would hold the server's socket.
    const listen = ctx.host.dup(WORKER_FDS.listen);
    const status = ctx.host.dup(WORKER_FDS.status);
    ctx.host.close(WORKER_FDS.listen);
    ctx.host.close(WORKER_FDS.status);
    await warmUp(ctx);
    writeStatus(status, 'idle'); // ready
    await serveRequests({ host: ctx.host, log: ctx.log, root: ctx.store.root, run: ctx.runCommand, statusFd: status }, listen, REQUESTS_PER_WORKER);
    return 0;
  }
  const g = ctx.globals;
  const workerGlobals = [
    ...(g.log !== undefined ? ['--log', String(g.log)] : []),
    '--log-format', String(g['log-format']),
    ...(g.debug ? ['--debug'] : []),
  ];
  return runServer({
    host: ctx.host,
    log: ctx.log,
    store: ctx.store,
    idleTimeoutMs: count(ctx.flags['idle-timeout'] ?? 0, 'idle-timeout', 0) * 1000,
    minIdle: count(ctx.flags['idle-workers'] ?? 2, 'idle-workers', 1),
    maxWorkers: count(ctx.flags['max-workers'] ?? 64, 'max-workers', 1),
    workerGlobals,
  });
};
