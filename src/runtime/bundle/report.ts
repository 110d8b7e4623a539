// How `tsrunc check` shows problems: for a terminal, each problem with the config line it is about
// and a caret under the spot; for tools, JSON with stable field names.
import type { Problem } from '../../common/errors';
import { problemJson } from '../explain';

export interface CheckReport {
  bundle: string;
  config: string;
  /** The config text, when there is one (for the excerpts). */
  source?: string;
  problems: Problem[];
}

export interface ReportStyle {
  error(s: string): string;
  warning(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

export const PLAIN_REPORT: ReportStyle = { error: (s) => s, warning: (s) => s, bold: (s) => s, dim: (s) => s };
export const ANSI_REPORT: ReportStyle = {
  error: (s) => `\x1b[1;31m${s}\x1b[0m`,
  warning: (s) => `\x1b[1;33m${s}\x1b[0m`,
  bold: (s) => `\x1b[1m${s}\x1b[0m`,
  dim: (s) => `\x1b[2m${s}\x1b[0m`,
};

/** Colour for stdout: only on a terminal, and not when NO_COLOR is set (https://no-color.org). */
export function colourWanted(fd = 1): boolean {
  const nocolor = process.env.NO_COLOR;
  if (nocolor !== undefined && nocolor !== '') return false;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:tty') as typeof import('node:tty')).isatty(fd);
}

/** Length of the JSON token starting at `col` (1-based) of `line`, for the caret: a string, a word, 1. */
function tokenLength(line: string, col: number): number {
  const rest = line.slice(col - 1);
  if (rest.startsWith('"')) {
    let i = 1;
    while (i < rest.length && rest[i] !== '"') i += rest[i] === '\\' ? 2 : 1;
    return Math.min(i + 1, rest.length);
  }
  const word = /^[-+0-9.eE]+|^true|^false|^null/.exec(rest);
  return word ? word[0].length : 1;
}

function counts(problems: Problem[]): { errors: number; warnings: number } {
  const errors = problems.filter((p) => p.severity === 'error').length;
  return { errors, warnings: problems.length - errors };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function checkText(r: CheckReport, st: ReportStyle = PLAIN_REPORT): string {
  const out: string[] = [];
  const lines = r.source?.split('\n');
  for (const p of r.problems) {
    const label = p.severity === 'error' ? st.error('error') : st.warning('warning');
    out.push(`${label}${st.bold(`: ${p.path === '' ? 'config.json' : p.path}: ${p.message}`)}`);
    const where = p.line !== undefined ? `${r.config}:${p.line}:${p.column}` : r.config;
    out.push(`  ${st.dim('-->')} ${where}`);
    if (lines !== undefined && p.line !== undefined && p.line <= lines.length) {
      const text = lines[p.line - 1].replace(/\t/g, ' ');
      const num = String(p.line);
      const pad = ' '.repeat(num.length);
      const col = p.column ?? 1;
      const caret = ' '.repeat(Math.max(0, col - 1)) + '^'.repeat(Math.max(1, tokenLength(text, col)));
      out.push(`  ${pad} ${st.dim('|')}`);
      out.push(`  ${st.dim(num)} ${st.dim('|')} ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`);
      out.push(`  ${pad} ${st.dim('|')} ${p.severity === 'error' ? st.error(caret) : st.warning(caret)}`);
    }
    if (p.found !== undefined) out.push(`  ${st.dim('=')} found: ${p.found}`);
    if (p.expected !== undefined) out.push(`  ${st.dim('=')} expected: ${p.expected}`);
    if (p.hint !== undefined) out.push(`  ${st.dim('=')} ${st.bold('hint')}: ${p.hint}`);
    out.push('');
  }
  const { errors, warnings } = counts(r.problems);
  const summary = errors === 0 && warnings === 0 ? `no problems found in ${r.config}`
    : `${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${r.config}`;
  out.push(errors > 0 ? st.error(summary) : warnings > 0 ? st.warning(summary) : st.bold(summary));
  return `${out.join('\n')}\n`;
}

/** { bundle, config, valid, errors, warnings, problems: [{ severity, path, line, column, message, found, expected, hint }] } */
export function checkJson(r: CheckReport): object {
  const { errors, warnings } = counts(r.problems);
  return { bundle: r.bundle, config: r.config, valid: errors === 0, errors, warnings, problems: r.problems.map(problemJson) };
}
