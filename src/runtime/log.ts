// Logging. With --log-format json each record is one line {"level","msg","time"} appended to --log
// (containerd's shim reads the last "error" record of that file). pino is loaded only when a record
// is written, so commands that log nothing pay nothing for it.
import * as fs from 'node:fs';
import { describeError, isRuntimeError } from '../common/errors';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<Level, number> = { debug: 20, info: 30, warn: 40, error: 50 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface LogOptions {
  file?: string;
  format: 'text' | 'json';
  debug: boolean;
  /** The command's stderr may be the container's (create, run, start, exec). */
  containerStdio?: boolean;
}

type Sink = (level: Level, msg: string) => void;

function jsonSink(file: string | undefined): Sink {
  let pinoLogger: import('pino').Logger | undefined;
  return (level, msg) => {
    if (!pinoLogger) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const pino = require('pino') as typeof import('pino');
      const dest = pino.destination({ dest: file ?? 2, append: true, sync: true, mkdir: false });
      pinoLogger = pino.pino(
        {
          level: 'debug',
          base: undefined,
          timestamp: pino.stdTimeFunctions.isoTime,
          formatters: { level: (label) => ({ level: label }) },
        },
        dest,
      );
    }
    pinoLogger[level](msg);
  };
}

/** logrus-style text, as runc writes it. */
function textSink(file: string | undefined): Sink {
  return (level, msg) => {
    const line = `time="${new Date().toISOString()}" level=${level} msg=${JSON.stringify(msg)}\n`;
    if (file === undefined) fs.writeSync(2, line);
    else fs.appendFileSync(file, line);
  };
}

export function createLogger(opts: LogOptions): Logger {
  const sink = opts.format === 'json' ? jsonSink(opts.file) : textSink(opts.file);
  const threshold = RANK[opts.debug ? 'debug' : 'info'];
  // Without --log, the stderr of create, run, start and exec is often the container's own stream
  // (engines that pass no --log give the runtime the container's stdio): only errors go there then,
  // everything else with --debug alone.
  const quiet = opts.file === undefined && !opts.debug && opts.containerStdio === true;
  const write = (level: Level, msg: string) => {
    if (RANK[level] < threshold || (quiet && level !== 'error')) return;
    try {
      sink(level, msg);
    } catch (err) {
      fs.writeSync(2, `tsrunc: cannot write log: ${(err as Error).message}\n`);
    }
    // The log file is read by engines; a person at a terminal reads stderr.
    if (level === 'error' && opts.file !== undefined) fs.writeSync(2, `${msg}\n`);
  };
  return {
    debug: (m) => write('debug', m),
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m) => write('error', m),
  };
}

/** A command's failure as its one error line; an internal error's stack goes to the debug log. */
export function logFailure(log: Logger, err: unknown, prefix = ''): void {
  log.error(`${prefix}${describeError(err)}`);
  if (!isRuntimeError(err) && err instanceof Error && err.stack !== undefined) log.debug(err.stack);
}
