// How a hook ended, as tsrunc's hook runner (hook-runner.ts) and the helper's `run-hook` report it, and
// the one wording of a failure: "hooks.prestart[0]: /x exited with status 2: <the end of its output>".
import { signalName } from '../linux/signals';
import { strerror } from './errno-text';

export type HookOutcome =
  | { kind: 'exited'; status: number; output: string }
  | { kind: 'signaled'; signal: number; output: string }
  | { kind: 'timed-out'; seconds: number; output: string }
  | { kind: 'exec-failed'; errno: number };

/** A seccomp filter's kill: its name alone does not say so. */
const SIGSYS = 31;

/** The end of a hook's output on one line: trimmed, each line break with the blanks around it one space. */
export function outputLine(output: string): string {
  return output.trim().replace(/\s*\n\s*/g, ' ');
}

/** What went wrong, naming the hook; undefined when it exited 0. */
export function hookFailure(label: string, path: string, outcome: HookOutcome): string | undefined {
  const tail = 'output' in outcome && outputLine(outcome.output) ? `: ${outputLine(outcome.output)}` : '';
  switch (outcome.kind) {
    case 'exited': return outcome.status === 0 ? undefined : `${label}: ${path} exited with status ${outcome.status}${tail}`;
    case 'signaled': return `${label}: ${path} was killed by ${signalName(outcome.signal)}${outcome.signal === SIGSYS ? ' (bad system call)' : ''}${tail}`;
    case 'timed-out': return `${label}: ${path} timed out after ${outcome.seconds} s and was killed${tail}`;
    case 'exec-failed': return `${label}: exec ${path}: ${strerror(outcome.errno)}`;
  }
}
