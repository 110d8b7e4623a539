// tsrunc's one error convention, below both layers (src/linux and src/runtime import it; it imports
// neither):
// - A failure the user should read is thrown as a RuntimeError whose message is the one line tsrunc
//   prints (runc's text where engines match it). System errors (node:fs, the addon) are thrown as they
//   are and worded by describeSystemError; any other Error is a bug ("internal error: …").
// - Work that can find several things wrong at once (checking a bundle, building a plan, planning the
//   cgroup resource writes) returns a Problem list, each tied to its config field; the caller throws one
//   RuntimeError that carries them when any is an error (formatProblem words each).
// - A function returns undefined instead of throwing only for the one expected absence its name or
//   comment states (a file that may not exist, a process that is gone, a lookup that finds nothing);
//   any other failure throws.
// - A helper (tsrunc-init) failure is a HelperError: a RuntimeError that also names the container
//   process it left for the caller to reap.
// - Each dist file has its own copy of these classes: test them with isRuntimeError and isHelperError
//   (by name), never instanceof.
// - A catch that ignores its error either narrows it (`if (!isMissing(err)) throw err;`) or says why
//   any failure is fine there.

export type Severity = 'error' | 'warning';

/** One thing wrong (or doubtful) in a bundle, tied to the config field it is about. */
export interface Problem {
  severity: Severity;
  /** JSON path in config.json, e.g. "linux.namespaces[2].type"; "" for the document itself. */
  path: string;
  message: string;
  /** What was found, when it helps (a value, a type). */
  found?: string;
  /** What was expected. */
  expected?: string;
  /** A fix, when one is clear ("did you mean 'namespaces'?"). */
  hint?: string;
  /** The problem is the property's name (unknown or misspelled), not its value: its position is the key's. */
  aboutKey?: boolean;
  /** 1-based position in config.json, filled in by the bundle loader when it knows the source. */
  line?: number;
  column?: number;
}

export class RuntimeError extends Error {
  constructor(message: string, readonly problems: Problem[] = []) {
    super(message);
    this.name = 'RuntimeError';
  }
}

/** A helper failure; `pid`, when set, is the container process it reported, which the caller must reap. */
export class HelperError extends RuntimeError {
  constructor(message: string, readonly pid: number | undefined) {
    super(message);
    this.name = 'HelperError';
  }
}

const RUNTIME_ERROR_NAMES = new Set(['RuntimeError', 'HelperError']);

/** True for a RuntimeError (a HelperError too) from any of tsrunc's dist files (each has its own copy of the class). */
export function isRuntimeError(err: unknown): err is RuntimeError {
  return err instanceof Error && RUNTIME_ERROR_NAMES.has(err.name);
}

/** True for a HelperError from any of tsrunc's dist files. */
export function isHelperError(err: unknown): err is HelperError {
  return err instanceof Error && err.name === 'HelperError';
}

/** The errno name of a system error ("ENOENT"); undefined for anything else. */
export function errnoOf(err: unknown): string | undefined {
  const code: unknown = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A system error saying the path is not there: ENOENT, or ENOTDIR (a part of it is a file). */
export function isMissing(err: unknown): boolean {
  const code = errnoOf(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export function formatProblem(p: Problem): string {
  const where = p.path === '' ? 'config.json' : p.path;
  const pos = p.line !== undefined ? ` (line ${p.line}, column ${p.column})` : '';
  let text = `${where}${pos}: ${p.message}`;
  if (p.found !== undefined) text += `; found ${p.found}`;
  if (p.expected !== undefined) text += `; expected ${p.expected}`;
  if (p.hint !== undefined) text += ` (${p.hint})`;
  return text;
}

/**
 * The RuntimeError of the errors among `problems` (it carries them all, warnings too): "<title>: <the
 * problem>" for one, else "<title>: N problems:" and each on a line of its own.
 */
export function problemsError(title: string, problems: Problem[]): RuntimeError {
  const lines = problems.filter((p) => p.severity === 'error').map(formatProblem);
  const head = lines.length === 1 ? `${title}: ${lines[0]}` : `${title}: ${lines.length} problems:\n  ${lines.join('\n  ')}`;
  return new RuntimeError(head, problems);
}

/**
 * A RuntimeError as problems: the ones it carries, or its message as one error about `path`. Anything
 * else is rethrown (an internal error is not a problem of the bundle).
 */
export function problemsOf(err: unknown, path: string): Problem[] {
  if (!isRuntimeError(err)) throw err;
  return err.problems.length > 0 ? err.problems : [{ severity: 'error', path, message: err.message }];
}

/** A system call's error as one line: "mkdir /a/b: no such file or directory" (runc's form). */
export function describeSystemError(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { dest?: string };
  // Node's message is "ENOENT: no such file or directory, open '/a/b'": keep the description only.
  const what = /^[A-Z0-9]+: ([^,]*)/.exec(e.message)?.[1] ?? e.message;
  const on = [e.syscall, e.path, e.dest !== undefined ? `-> ${e.dest}` : undefined].filter((s) => s !== undefined).join(' ');
  return on === '' ? what : `${on}: ${what}`;
}

/** Any failure as the one line the user reads: a RuntimeError's message, a system error, or an internal error's message (its stack is for --debug). */
export function describeError(err: unknown): string {
  if (isRuntimeError(err)) return err.message;
  if (err instanceof Error && errnoOf(err) !== undefined && (err as NodeJS.ErrnoException).syscall !== undefined) {
    return describeSystemError(err);
  }
  return `internal error: ${err instanceof Error ? err.message : String(err)}`;
}
