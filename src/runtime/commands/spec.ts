import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandHandler } from './types';
import { defaultSpec } from '../default-spec';
import { RuntimeError } from '../../common/errors';

export const spec: CommandHandler = async (ctx) => {
  if (ctx.flags.rootless) throw new RuntimeError('spec --rootless is not supported by tsrunc yet');
  const file = path.join((ctx.flags.bundle as string | undefined) ?? '.', 'config.json');
  if (fs.existsSync(file)) throw new RuntimeError(`File ${file} exists. Remove it first`);
  fs.writeFileSync(file, `${JSON.stringify(defaultSpec(), null, '\t')}\n`);
  return 0;
};
