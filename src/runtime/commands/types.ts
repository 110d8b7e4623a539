import type { FlagValues } from '../cli/parse';
import type { Logger } from '../log';
import type { StateStore } from '../state-store';

export interface CommandContext {
  store: StateStore;
  log: Logger;
  globals: FlagValues;
  flags: FlagValues;
  positionals: string[];
}

/** Returns the exit status. */
export type CommandHandler = (ctx: CommandContext) => Promise<number>;
