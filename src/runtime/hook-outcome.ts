// How a hook ended, as tsrunc's hook runner (hook-runner.ts) and the helper's `run-hook` report it, and
// the one wording of a failure: "hooks.prestart[0]: error running prestart hook #0: /x exited with
// status 2: <the end of its output>" (runc's words after the field, which runc's tests look for).
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

/** "hooks.createRuntime[1]" → "hooks.createRuntime[1]: error running createRuntime hook #1" (runc 1.2+'s words; its index is 0-based too). */
function named(label: string): string {
  const m = /^hooks\.(\w+)\[(\d+)\]$/.exec(label);
  return m ? `${label}: error running ${m[1]} hook #${m[2]}` : label;
}

/** What went wrong, naming the hook; undefined when it exited 0. */
export function hookFailure(label: string, path: string, outcome: HookOutcome): string | undefined {
  const tail = 'output' in outcome && outputLine(outcome.output) ? `: ${outputLine(outcome.output)}` : '';
  const hook = named(label);
  switch (outcome.kind) {
    case 'exited': return outcome.status === 0 ? undefined : `${hook}: ${path} exited with status ${outcome.status}${tail}`;
    case 'signaled': return `${hook}: ${path} was killed by ${signalName(outcome.signal)}${outcome.signal === SIGSYS ? ' (bad system call)' : ''}${tail}`;
    case 'timed-out': return `${hook}: ${path} timed out after ${outcome.seconds} s and was killed${tail}`;
    case 'exec-failed': return `${hook}: exec ${path}: ${strerror(outcome.errno)}`;
  }
}
