// run: create + start, then (unless --detach) wait for the init, forwarding signals to it, and exit
// with its status (128+N when killed by signal N).
import type { CommandHandler } from './types';
import { createContainer } from '../create';
import { createOptions } from './create';
import { remove, signalInit, start } from '../container';
import { native } from '../../linux/native';
import { constants } from 'node:os';
import type { ContainerRecord } from '../state-store';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export const run: CommandHandler = async (ctx) => {
  const opts = createOptions(ctx);
  // Handlers first: a signal that came before they were installed would kill tsrunc instead of
  // reaching the container. Signals that come before the container runs are forwarded after start.
  let target: ContainerRecord | undefined;
  const pending: NodeJS.Signals[] = [];
  const forward = (signal: NodeJS.Signals) => {
    if (target) signalInit(target, constants.signals[signal]);
    else pending.push(signal);
  };
  for (const s of FORWARDED) process.on(s, forward);
  try {
    const record = await createContainer(ctx.store, ctx.log, opts);
    try {
      start(ctx.store, opts.id);
    } catch (err) {
      remove(ctx.store, opts.id, true, ctx.log);
      throw err;
    }
    if (ctx.flags.detach) return 0;
    target = record;
    for (const signal of pending) forward(signal);
    const status = await native().waitpid(record.pid);
    if (!ctx.flags.keep) remove(ctx.store, opts.id, true, ctx.log);
    return status.signal !== null ? 128 + status.signal : status.exitCode ?? 0;
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
  }
};
