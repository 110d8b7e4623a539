// One error convention: every failure the user sees is a RuntimeError; bundle problems are Problems.

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

/** True for a RuntimeError from any of tsrunc's bundles (each has its own copy of the class). */
export function isRuntimeError(err: unknown): err is RuntimeError {
  return err instanceof Error && err.name === 'RuntimeError';
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
  if (err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && (err as NodeJS.ErrnoException).syscall !== undefined) {
    return describeSystemError(err);
  }
  return `internal error: ${err instanceof Error ? err.message : String(err)}`;
}
