import { print } from '../output';
import type { CommandHandler } from './types';
import { statusOf } from '../container';
import { ERR_NOT_EXIST, isCreating } from '../state-store';
import { RuntimeError } from '../problems';
import { mustAllow } from '../lifecycle';

export const state: CommandHandler = async (ctx) => {
  const id = ctx.positionals[0];
  const loaded = ctx.store.load(id);
  if (loaded === undefined || loaded.kind === 'claimed') throw new RuntimeError(ERR_NOT_EXIST);
  if (loaded.kind === 'unreadable') throw loaded.error;
  const { record } = loaded;
  const oci = isCreating(record) ? ctx.store.creatingState(record) : ctx.store.ociState(record, statusOf(ctx.store, record));
  mustAllow('state', oci.status, id);
  print(`${JSON.stringify(oci, null, 2)}\n`);
  return 0;
};
