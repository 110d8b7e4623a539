// checkpoint and restore: runc's commands, which need CRIU. tsrunc does not drive CRIU yet, so each says
// which of the two is missing: CRIU itself (as on most hosts), or tsrunc's support for it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RuntimeError } from '../../common/errors';
import type { CommandContext, CommandHandler } from './types';

/** The criu binary: --criu (a name or a path, as runc takes it), looked up in PATH; undefined when there is none. */
function findCriu(ctx: CommandContext): string | undefined {
  const criu = (ctx.globals.criu as string | undefined) ?? 'criu';
  const candidates = criu.includes('/') ? [criu] : (process.env.PATH ?? '').split(':').filter(Boolean).map((dir) => path.join(dir, criu));
  return candidates.find((file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false; // not this candidate
    }
  });
}

const needsCriu = (command: 'checkpoint' | 'restore'): CommandHandler => async (ctx) => {
  const criu = findCriu(ctx);
  if (criu === undefined) {
    throw new RuntimeError(`${command} needs CRIU, and there is no ${JSON.stringify((ctx.globals.criu as string | undefined) ?? 'criu')} in PATH: install criu (or name it with --criu)`);
  }
  throw new RuntimeError(`${command}: tsrunc cannot drive CRIU (${criu}) yet`);
};

export const checkpoint = needsCriu('checkpoint');
export const restore = needsCriu('restore');
