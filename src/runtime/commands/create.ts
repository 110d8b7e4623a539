import type { CommandHandler } from './types';
import { createContainer } from '../create';
import { createOptions } from './create-options';

export const create: CommandHandler = async (ctx) => {
  await createContainer(ctx.store, ctx.log, createOptions(ctx), ctx.head?.kind === 'create' ? ctx.head : undefined);
  return 0;
};
