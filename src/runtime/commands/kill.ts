import type { CommandHandler } from './types';
import { kill as killContainer } from '../container';
import { parseSignal } from '../../linux/signals';

export const kill: CommandHandler = async (ctx) => {
  const [id, signal = 'SIGTERM'] = ctx.positionals;
  killContainer(ctx.store, id, parseSignal(signal), Boolean(ctx.flags.all), ctx.log);
  return 0;
};
