import type { CommandHandler } from './types';
import { createContainer, CreateOptions } from '../create';

export function createOptions(ctx: Parameters<CommandHandler>[0]): CreateOptions {
  return {
    id: ctx.positionals[0],
    bundle: (ctx.flags.bundle as string | undefined) ?? process.cwd(),
    pidFile: ctx.flags['pid-file'] as string | undefined,
    noPivot: Boolean(ctx.flags['no-pivot']),
    preserveFds: (ctx.flags['preserve-fds'] as number | undefined) ?? 0,
    consoleSocket: ctx.flags['console-socket'] as string | undefined,
  };
}

export const create: CommandHandler = async (ctx) => {
  await createContainer(ctx.store, ctx.log, createOptions(ctx));
  return 0;
};
