// tsrunc's entry point: parse, dispatch to one command, turn every failure into a log record and exit 1.
import { print } from './output';
import * as path from 'node:path';
import { parseCommandLine, ParsedCommandLine, UnknownCommandError } from './cli/parse';
import { findCommand, SPEC_VERSION, VERSION } from './cli/definition';
import { COMMIT, LIBSECCOMP } from './build-info';
import { createLogger, Logger, logFailure } from './log';
import { RuntimeError } from '../common/errors';
import { StateStore } from './state-store';
import { type Host, loadSystemdDriverWith, realHost, type SystemdDriver, systemdDriver, withSystemdCgroups } from './host';
import type { CommandContext, CommandHandler } from './commands/types';
import type { AnyHeadStart } from './head-start';
import { createOptions } from './commands/create-options';
import { checkPreservedFds } from './preserved-fds';

type LazyCommands = typeof import('./commands/lazy-commands');

/** Loads one of tsrunc's dist files (bin/tsrunc passes one that uses the file's V8 code cache). */
export type DistFileLoader = (file: string) => { exports: unknown };

let load: DistFileLoader = (file) => ({ exports: require(file) as unknown });

// Commands that read a config, a process or resources live in a dist file of their own
// (scripts/build.mjs), loaded on first use. (Not with import(): that would go through the ESM loader,
// which lexes the whole file.)
function lazyCommands(): LazyCommands {
  return load(path.join(__dirname, 'lazy-commands.js')).exports as LazyCommands;
}

const lazyCommand = (name: 'create' | 'run' | 'check' | 'explain' | 'exec' | 'update' | 'features' | 'events') => async () => lazyCommands()[name];

const HANDLERS: Record<string, () => Promise<CommandHandler>> = {
  create: lazyCommand('create'),
  run: lazyCommand('run'),
  check: lazyCommand('check'),
  explain: lazyCommand('explain'),
  exec: lazyCommand('exec'),
  update: lazyCommand('update'),
  features: lazyCommand('features'),
  start: async () => (await import('./commands/start')).start,
  state: async () => (await import('./commands/state')).state,
  kill: async () => (await import('./commands/kill')).kill,
  delete: async () => (await import('./commands/delete')).del,
  list: async () => (await import('./commands/list')).list,
  // ps --format json (containerd's shim) runs from the core dist file; the table runs the host's ps,
  // and child_process is kept out of the core: that part is in the lazy commands.
  ps: async () => (await import('./commands/ps')).psCommand(() => lazyCommands().psTable),
  pause: async () => (await import('./commands/pause')).pause,
  resume: async () => (await import('./commands/pause')).resume,
  spec: async () => (await import('./commands/spec')).spec,
  events: lazyCommand('events'),
  // The warm server and its workers: a dist file of their own (they bring child_process and net).
  daemon: async () => (load(path.join(__dirname, 'daemon.js')).exports as typeof import('./commands/daemon')).daemon,
  checkpoint: async () => (await import('./commands/checkpoint')).checkpoint,
  restore: async () => (await import('./commands/checkpoint')).restore,
};

// The head starts are a dist file of their own too (they bring the op schema and the helper client), so
// that state, start, kill and delete do not compile them.
function headStarts(): typeof import('./head-start') {
  return load(path.join(__dirname, 'head-start.js')).exports as typeof import('./head-start');
}

const createHeadStart = (ctx: CommandContext) => headStarts().CreateHeadStart.begin(ctx.store, ctx.log, createOptions(ctx));

const HEAD_STARTS: Record<string, (ctx: CommandContext) => AnyHeadStart | undefined> = {
  create: createHeadStart,
  run: createHeadStart,
  // Not with --cgroup: the head start joins the container's own cgroup.
  exec: (ctx) => ((ctx.flags.cgroup as string[] | undefined)?.length ? undefined : headStarts().ExecHeadStart.begin(ctx.store, {
    id: ctx.positionals[0],
    preserveFds: (ctx.flags['preserve-fds'] as number | undefined) ?? 0,
  })),
};

/** The commands that give the container the caller's descriptors 3 to 3+N-1. */
const PRESERVE_FDS_COMMANDS = new Set(['create', 'run', 'exec']);

/** The commands whose stdio the container may share: tsrunc's warnings stay off their stderr. */
const CONTAINER_STDIO_COMMANDS = new Set(['create', 'run', 'start', 'exec']);

function loggerFor(cl: ParsedCommandLine): Logger {
  const format = cl.globals['log-format'];
  if (format !== 'text' && format !== 'json') {
    throw new RuntimeError(`invalid --log-format ${JSON.stringify(format)}: use text or json`);
  }
  return createLogger({
    file: cl.globals.log as string | undefined, format, debug: Boolean(cl.globals.debug),
    containerStdio: CONTAINER_STDIO_COMMANDS.has(cl.command?.name ?? ''),
  });
}

/** Each dist file is loaded once per process (a warm worker runs many commands). */
function once(loader: DistFileLoader): DistFileLoader {
  const loaded = new Map<string, { exports: unknown }>();
  return (file) => {
    let mod = loaded.get(file);
    if (mod === undefined) loaded.set(file, (mod = loader(file)));
    return mod;
  };
}

/**
 * Runs one command line: the cold path's whole process, or one request of a warm worker (with its host,
 * and the line it has parsed already).
 */
export async function main(line: string[] | ParsedCommandLine, loader?: DistFileLoader, baseHost: Host = realHost): Promise<number> {
  if (loader) load = once(loader);
  loadSystemdDriverWith(() => load(path.join(__dirname, 'systemd-driver.js')).exports as SystemdDriver);
  let log = createLogger({ format: 'text', debug: false });
  try {
    const cl = Array.isArray(line) ? parseCommandLine(line) : line;
    log = loggerFor(cl);
    if (cl.globals.version) {
      // runc's lines, which go-runc's Version parses (commit and libseccomp fixed at build time).
      print(`tsrunc version ${VERSION}\ncommit: ${COMMIT}\nspec: ${SPEC_VERSION}\n${LIBSECCOMP !== undefined ? `libseccomp: ${LIBSECCOMP}\n` : ''}`);
      return 0;
    }
    if (cl.globals.help || cl.flags.help || !cl.command || cl.command.name === 'help') {
      // `help CMD` as runc has it, besides CMD --help.
      const topic = cl.command?.name === 'help' ? cl.positionals[0] : cl.command?.name;
      if (topic !== undefined && findCommand(topic) === undefined) throw new UnknownCommandError(topic);
      (require('./cli/help') as typeof import('./cli/help')).showHelp(topic);
      return 0;
    }
    log.debug(`${cl.command.name} ${cl.positionals.join(' ')}`);
    const systemd = Boolean(cl.globals['systemd-cgroup']);
    // Said before anything else, and not as a problem of the bundle.
    if (systemd && (cl.command.name === 'create' || cl.command.name === 'run')) systemdDriver().checkSystemdHost();
    const host = systemd ? withSystemdCgroups(baseHost) : baseHost;
    const ctx: CommandContext = {
      host,
      // Absolute, as runc makes it: create and run work in the bundle directory.
      store: new StateStore(path.resolve(cl.globals.root as string), host),
      log,
      globals: cl.globals,
      givenGlobals: cl.givenGlobals,
      flags: cl.flags,
      positionals: cl.positionals,
      runCommand: (line, on) => main(line, undefined, on),
    };
    if (PRESERVE_FDS_COMMANDS.has(cl.command.name)) checkPreservedFds(ctx.host, (ctx.flags['preserve-fds'] as number | undefined) ?? 0);
    // Begun before the command's dist file is loaded, so that the two overlap.
    ctx.head = HEAD_STARTS[cl.command.name]?.(ctx);
    try {
      const handler = await HANDLERS[cl.command.name]();
      return await handler(ctx);
    } finally {
      ctx.head?.undo(log);
    }
  } catch (err) {
    logFailure(log, err);
    return err instanceof UnknownCommandError ? err.exitStatus : 1;
  }
}

