// run: create + start, then (unless --detach) wait for the init, forwarding signals to it, and exit
// with its status (128+N when killed by signal N).
import type { CommandHandler } from './types';
import { createContainer } from '../create';
import { createOptions } from './create-options';
import { remove, signalInit, start } from '../container';
import { constants } from 'node:os';
import { closeSync } from 'node:fs';
import { proxyTerminal } from '../terminal';
import type { ContainerRecord } from '../state-store';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export const run: CommandHandler = async (ctx) => {
  const opts = { ...createOptions(ctx), detach: Boolean(ctx.flags.detach) };
  // Handlers first: a signal that came before they were installed would kill tsrunc instead of
  // reaching the container. Signals that come before the container runs are forwarded after start.
  let target: ContainerRecord | undefined;
  const pending: NodeJS.Signals[] = [];
  let terminal = false;
  const forward = (signal: NodeJS.Signals) => {
    // With tsrunc's own pty the kernel tells the container of a resize (proxyTerminal sets the size).
    if (terminal && signal === 'SIGWINCH') return;
    if (target) signalInit(ctx.host, target, constants.signals[signal]);
    else pending.push(signal);
  };
  for (const s of FORWARDED) process.on(s, forward);
  try {
    const { consoleMaster, ...record } = await createContainer(ctx.store, ctx.log, opts, ctx.head?.kind === 'create' ? ctx.head : undefined);
    terminal = consoleMaster !== undefined;
    try {
      start(ctx.store, opts.id);
    } catch (err) {
      if (consoleMaster !== undefined) closeSync(consoleMaster);
      remove(ctx.store, opts.id, true, ctx.log);
      throw err;
    }
    if (ctx.flags.detach) return 0;
    target = record;
    for (const signal of pending) forward(signal);
    const exited = ctx.host.waitpid(record.pid);
    const status = consoleMaster !== undefined ? await proxyTerminal(ctx.host, consoleMaster, exited) : await exited;
    if (!ctx.flags.keep) remove(ctx.store, opts.id, true, ctx.log);
    return status.signal !== null ? 128 + status.signal : status.exitCode ?? 0;
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
  }
};
