import type { FlagValues, ParsedCommandLine } from '../cli/parse';
import type { Logger } from '../log';
import type { StateStore } from '../state-store';
import type { Host } from '../host';
import type { AnyHeadStart } from '../head-start';

export interface CommandContext {
  /** The addon, files, /proc and cgroups (host.ts); the store's host too. */
  host: Host;
  store: StateStore;
  log: Logger;
  globals: FlagValues;
  /** The global flags the command line gave (list tells a missing --root from a missing default root). */
  givenGlobals: ReadonlySet<string>;
  flags: FlagValues;
  positionals: string[];
  /** create, run and exec: what the core began before loading the command (head-start.ts). */
  head?: AnyHeadStart;
  /** Runs another command line in this process, on the given host (a warm worker serves its fronts with it). */
  runCommand: (line: string[] | ParsedCommandLine, host: Host) => Promise<number>;
}

/** Returns the exit status. */
export type CommandHandler = (ctx: CommandContext) => Promise<number>;
