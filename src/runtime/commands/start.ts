import type { CommandHandler } from './types';
import { start as startContainer } from '../container';

export const start: CommandHandler = async (ctx) => {
  startContainer(ctx.store, ctx.positionals[0]);
  return 0;
};
