import * as path from 'node:path';
import type { CommandContext } from './types';
import type { CreateOptions } from '../create';

const absolute = (file: string | undefined) => (file === undefined ? undefined : path.resolve(file));

/**
 * create's and run's flags (also read by the core for create's head start, before create is loaded).
 * Paths are made absolute here, as runc makes them: create then works in the bundle directory.
 */
export function createOptions(ctx: CommandContext): CreateOptions {
  return {
    id: ctx.positionals[0],
    bundle: path.resolve((ctx.flags.bundle as string | undefined) ?? '.'),
    pidFile: absolute(ctx.flags['pid-file'] as string | undefined),
    noPivot: Boolean(ctx.flags['no-pivot']),
    preserveFds: (ctx.flags['preserve-fds'] as number | undefined) ?? 0,
    consoleSocket: absolute(ctx.flags['console-socket'] as string | undefined),
    pidfdSocket: absolute(ctx.flags['pidfd-socket'] as string | undefined),
  };
}
