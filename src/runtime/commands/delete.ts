import type { CommandHandler } from './types';
import { remove } from '../container';

export const del: CommandHandler = async (ctx) => {
  remove(ctx.store, ctx.positionals[0], Boolean(ctx.flags.force), ctx.log);
  return 0;
};
