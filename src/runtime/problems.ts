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
