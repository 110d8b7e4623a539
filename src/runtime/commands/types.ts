import type { FlagValues } from '../cli/parse';
import type { Logger } from '../log';
import type { StateStore } from '../state-store';
import type { AnyHeadStart } from '../head-start';

export interface CommandContext {
  store: StateStore;
  log: Logger;
  globals: FlagValues;
  flags: FlagValues;
  positionals: string[];
  /** create, run and exec: what the core began before loading the command (head-start.ts). */
  head?: AnyHeadStart;
}

/** Returns the exit status. */
export type CommandHandler = (ctx: CommandContext) => Promise<number>;
