// exec: runc's exit statuses. The process's own status (128+N when signal N killed it) in the
// foreground, 0 once it is started with --detach, and 255 when it could not be started at all.
import type { CommandHandler } from './types';
import { execProcess, ExecOptions } from '../exec';
import { RuntimeError } from '../../common/errors';
import { logFailure } from '../log';

const SETUP_FAILED = 255;

function execOptions(ctx: Parameters<CommandHandler>[0]): ExecOptions {
  const f = ctx.flags;
  const list = (name: string) => (f[name] as string[] | undefined) ?? [];
  const preserveFds = (f['preserve-fds'] as number | undefined) ?? 0;
  if (preserveFds < 0) throw new RuntimeError(`invalid --preserve-fds ${preserveFds}: must not be negative`);
  return {
    id: ctx.positionals[0],
    args: ctx.positionals.slice(1),
    ...(f.process !== undefined ? { processFile: f.process as string } : {}),
    ...(f.cwd !== undefined ? { cwd: f.cwd as string } : {}),
    ...(f.user !== undefined ? { user: f.user as string } : {}),
    ...(f['pid-file'] !== undefined ? { pidFile: f['pid-file'] as string } : {}),
    env: list('env'),
    cgroups: list('cgroup'),
    additionalGids: list('additional-gids'),
    caps: list('cap'),
    noNewPrivs: Boolean(f['no-new-privs']),
    detach: Boolean(f.detach),
    preserveFds,
    ignorePaused: Boolean(f['ignore-paused']),
    tty: Boolean(f.tty),
    ...(f['console-socket'] !== undefined ? { consoleSocket: f['console-socket'] as string } : {}),
    ...(f['pidfd-socket'] !== undefined ? { pidfdSocket: f['pidfd-socket'] as string } : {}),
  };
}

export const exec: CommandHandler = async (ctx) => {
  try {
    return await execProcess(ctx.store, ctx.log, execOptions(ctx), ctx.head?.kind === 'exec' ? ctx.head : undefined);
  } catch (err) {
    logFailure(ctx.log, err, 'exec failed: ');
    return SETUP_FAILED;
  }
};
