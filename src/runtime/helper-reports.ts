// The helper's failure reports read and worded (docs/plan-format.md "Messages"): the helper reports
// data (an op's errno, how a hook ended, whether the seccomp filter is in force); the words are here.
import { errnoText } from './errno-text';
import { hookFailure, HookOutcome } from './hook-outcome';

/** A failure once the seccomp filter is in force may well be the filter's doing. */
export function withFilterNote(message: string, filtered: boolean): string {
  return filtered ? `${message} (with the linux.seccomp filter in force)` : message;
}

const OUTCOMES: Record<string, (n: number, output: string) => HookOutcome> = {
  exited: (status, output) => ({ kind: 'exited', status, output }),
  signaled: (signal, output) => ({ kind: 'signaled', signal, output }),
  'timed-out': (seconds, output) => ({ kind: 'timed-out', seconds, output }),
  'exec-failed': (errno) => ({ kind: 'exec-failed', errno }),
};

/** A field the helper escaped (%XX for blanks, control characters and '%'). */
function unescapeField(field: string): string {
  return field.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export interface HookReport {
  index: number;
  label: string;
  path: string;
  outcome: HookOutcome;
}

/**
 * `hook <index> <outcome> <n> <label> <path> <output>`; undefined when the line is not one. An empty
 * output may have lost its separator too (start trims what it read from exec.fifo).
 */
export function parseHookReport(line: string): HookReport | undefined {
  const fields = line.split(' ');
  const [kind, index, outcome, n, label, path, output = ''] = fields;
  const make = OUTCOMES[outcome];
  if (kind !== 'hook' || (fields.length !== 7 && fields.length !== 6) || !/^\d+$/.test(index) || !make || !/^\d+$/.test(n)) return undefined;
  return { index: Number(index), label: unescapeField(label), path: unescapeField(path), outcome: make(Number(n), unescapeField(output)) };
}

/** A hook's failure as reported: its wording. */
export function hookReportText(report: HookReport): string {
  return hookFailure(report.label, report.path, report.outcome) ?? `${report.label}: ${report.path} failed`;
}

/**
 * What `start` read from exec.fifo after "e": "<filtered> <report>", the report an `error` or a `hook`
 * line. Without the plan, an op's failure is its text and errno; anything else is shown as it came.
 */
export function fifoFailureText(payload: string): string {
  const m = /^([01]) (.*)$/s.exec(payload);
  if (!m) return payload;
  const hook = parseHookReport(m[2]);
  const error = /^error -?\d+ (\d+) (.*)$/s.exec(m[2]);
  const text = hook ? hookReportText(hook) : error ? `${error[2]}${error[1] !== '0' ? `: ${errnoText(Number(error[1]))}` : ''}` : m[2];
  return withFilterNote(text, m[1] === '1');
}

/** What each fallback the helper may take did instead (docs/plan-format.md "Messages"). */
const FALLBACKS: Record<string, string> = {
  'join-cgroup-and-clone': 'clone3 with CLONE_INTO_CGROUP failed, so the helper joined the cgroup (cgroup.procs) and cloned from there',
  'pty-slave-by-path': 'TIOCGPTPEER failed, so the pty slave was opened by its /dev/pts path',
  'memfd-without-exec': 'memfd_create refused MFD_EXEC, so the sealed copy of the helper was made without it',
  'cover-host-mount': 'the host mount could not be detached, so an empty read-only tmpfs was mounted over it',
};

/** The plan's op at an index (plan.ts opAt), passed in: start's core, which words fifo failures, has no plan. */
export type OpAtIndex = (index: number) => { op: string; origin?: string } | undefined;

/** `fallback <index> <what> <errno>`, for the debug log; undefined when the line is not one. */
export function fallbackText(opAtIndex: OpAtIndex, line: string): string | undefined {
  const m = /^fallback (-?\d+) (\S+) (\d+)$/.exec(line);
  if (!m) return undefined;
  const op = Number(m[1]) >= 0 ? opAtIndex(Number(m[1])) : undefined;
  const where = op ? `op ${m[1]} (${op.op}${op.origin ? `, ${op.origin}` : ''})` : 'before the plan';
  return `tsrunc-init: ${where}: ${FALLBACKS[m[2]] ?? `fell back: ${m[2]}`} (${errnoText(Number(m[3]))})`;
}
