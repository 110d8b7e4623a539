// Facts about host processes read from /proc.
import * as fs from 'node:fs';
import { errnoOf, isMissing } from '../common/errors';

export interface ProcStat {
  state: string;
  /** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot; identifies a pid's owner. */
  startTime: string;
}

/**
 * State of the request a process serves, shared by every dist file (each bundles its own copy of the
 * modules, so module variables would not be): whose /proc counts, and what is read once per request.
 */
interface RequestState {
  proc: string;
  cache: Map<string, unknown>;
}

const REQUEST = Symbol.for('tsrunc.request');

function request(): RequestState {
  const g = globalThis as { [REQUEST]?: RequestState };
  return (g[REQUEST] ??= { proc: '/proc/self', cache: new Map() });
}

/**
 * The /proc directory of the process tsrunc acts for: its own, or, in a warm worker serving one
 * request, the front's (docs/warm-path.md), whose capabilities, cgroup, descriptors and namespaces the
 * container gets since the front starts the helper.
 */
export function runtimeProc(): string {
  return request().proc;
}

/**
 * A warm worker acts for its front's process while it serves a request (undefined: for itself again);
 * what was read once per request is read afresh after.
 */
export function actFor(pid: number | undefined): void {
  const r = request();
  r.proc = pid === undefined ? '/proc/self' : `/proc/${pid}`;
  r.cache.clear();
}

/** make() once per request (the command of a cold tsrunc, one request of a warm worker). */
export function oncePerRequest<T>(key: string, make: () => T): T {
  const cache = request().cache;
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key) as T;
}

export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    // The process is gone (ESRCH: it went while being read). Anything else (out of fds, say) must not
    // make a live container look stopped.
    if (!isMissing(err) && errnoOf(err) !== 'ESRCH') throw err;
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], startTime: fields[19] };
}

/** True when pid still runs the process that had startTime (not exited, not a zombie, not reused). */
export function isSameLiveProcess(pid: number, startTime: string): boolean {
  if (pid <= 0) return false;
  const stat = readProcStat(pid);
  return stat !== undefined && stat.startTime === startTime && stat.state !== 'Z' && stat.state !== 'X';
}

/** Sleeps synchronously: every tsrunc command is a short, single-purpose process. */
export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
