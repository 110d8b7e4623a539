import { print } from '../output';
import type { CommandHandler } from './types';
import { statusOf } from '../container';
import { isCreating } from '../state-store';
import { mustAllow } from '../lifecycle';

export const state: CommandHandler = async (ctx) => {
  const id = ctx.positionals[0];
  const record = ctx.store.mustLoad(id);
  const oci = isCreating(record) ? ctx.store.creatingState(record) : ctx.store.ociState(record, statusOf(ctx.store, record));
  mustAllow('state', oci.status, id);
  print(`${JSON.stringify(oci, null, 2)}\n`);
  return 0;
};
