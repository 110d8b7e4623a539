import type { CommandContext } from './types';
import type { CreateOptions } from '../create';

/** create's and run's flags (also read by the core for create's head start, before create is loaded). */
export function createOptions(ctx: CommandContext): CreateOptions {
  return {
    id: ctx.positionals[0],
    bundle: (ctx.flags.bundle as string | undefined) ?? process.cwd(),
    pidFile: ctx.flags['pid-file'] as string | undefined,
    noPivot: Boolean(ctx.flags['no-pivot']),
    preserveFds: (ctx.flags['preserve-fds'] as number | undefined) ?? 0,
    consoleSocket: ctx.flags['console-socket'] as string | undefined,
  };
}
