// pause and resume: freeze and thaw the container's cgroup, as runc does. A created or running
// container can be paused (its status is then `paused`); only a paused one can be resumed.
import type { CommandHandler } from './types';
import { cgroupOf, statusFor } from '../container';

export const pause: CommandHandler = async (ctx) => {
  const id = ctx.positionals[0];
  const record = ctx.store.mustRead(id, 'pause');
  ctx.store.withLock(id, () => {
    statusFor(ctx.store, record, 'pause');
    cgroupOf(ctx.host, record).freeze();
  });
  return 0;
};

export const resume: CommandHandler = async (ctx) => {
  const id = ctx.positionals[0];
  const record = ctx.store.mustRead(id, 'resume');
  ctx.store.withLock(id, () => {
    statusFor(ctx.store, record, 'resume');
    cgroupOf(ctx.host, record).thaw();
  });
  return 0;
};
