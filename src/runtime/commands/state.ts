import { print } from '../output';
import type { CommandHandler } from './types';
import { statusOf } from '../container';

export const state: CommandHandler = async (ctx) => {
  const record = ctx.store.mustRead(ctx.positionals[0]);
  const oci = ctx.store.ociState(record, statusOf(ctx.store, record));
  print(`${JSON.stringify(oci, null, 2)}\n`);
  return 0;
};
