// pause and resume: freeze and thaw the container's cgroup, as runc does. A created or running
// container can be paused (its status is then `paused`); only a paused one can be resumed.
import type { CommandHandler } from './types';
import { cgroupOf, ERR_NOT_RUNNING, statusOf } from '../container';
import { RuntimeError } from '../problems';

export const ERR_NOT_PAUSED = 'container not paused';

export const pause: CommandHandler = async (ctx) => {
  const id = ctx.positionals[0];
  const record = ctx.store.mustRead(id);
  ctx.store.withLock(id, () => {
    const status = statusOf(ctx.store, record);
    if (status !== 'running' && status !== 'created') throw new RuntimeError(ERR_NOT_RUNNING);
    cgroupOf(record).freeze();
  });
  return 0;
};

export const resume: CommandHandler = async (ctx) => {
  const id = ctx.positionals[0];
  const record = ctx.store.mustRead(id);
  ctx.store.withLock(id, () => {
    if (statusOf(ctx.store, record) !== 'paused') throw new RuntimeError(ERR_NOT_PAUSED);
    cgroupOf(record).thaw();
  });
  return 0;
};
