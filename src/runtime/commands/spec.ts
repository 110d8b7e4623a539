import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandHandler } from './types';
import { defaultSpec, rootlessSpec } from '../default-spec';
import { detectCgroupLayout } from '../../linux/cgroups/layout';
import { RuntimeError } from '../../common/errors';

export const spec: CommandHandler = async (ctx) => {
  const file = path.join((ctx.flags.bundle as string | undefined) ?? '.', 'config.json');
  if (fs.existsSync(file)) throw new RuntimeError(`File ${file} exists. Remove it first`);
  const host = { cgroupV2: detectCgroupLayout().mode === 'v2' };
  const config = ctx.flags.rootless ? rootlessSpec(host, process.geteuid!(), process.getegid!()) : defaultSpec(host);
  fs.writeFileSync(file, `${JSON.stringify(config, null, '\t')}\n`);
  return 0;
};
