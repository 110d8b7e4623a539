// Facts about host processes read from /proc.
import * as fs from 'node:fs';
import { errnoOf, isMissing } from '../common/errors';

export interface ProcStat {
  state: string;
  /** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot; identifies a pid's owner. */
  startTime: string;
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
