// Loads a bundle: config.json read, parsed and validated (schema, then what a schema cannot say),
// and the rootfs found. Every problem names the config field it is about.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Spec } from '../../oci/types';
import { Problem, RuntimeError, formatProblem } from '../problems';
import { mergeProblems, schemaProblems } from './schema-problems';
import { semanticProblems } from './semantic-checks';

export interface Bundle {
  dir: string;
  configPath: string;
  /** The config.json text, for positions in messages. */
  source: string;
  spec: Spec;
  rootfs: string;
  /** Warnings (errors throw). */
  problems: Problem[];
}

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

function parseConfig(configPath: string, source: string): unknown {
  try {
    return JSON.parse(source);
  } catch (err) {
    const message = (err as Error).message;
    const position = /position (\d+)/.exec(message);
    const where = position ? lineColumn(source, Number(position[1])) : lineColumn(source, source.length);
    const what = message.replace(/ in JSON at position \d+.*$/, '').replace(/^Unexpected end of JSON input$/, 'unexpected end of input');
    throw new RuntimeError(
      `${configPath}: not valid JSON at line ${where.line}, column ${where.column}: ${what}`,
      [{ severity: 'error', path: '', message: `not valid JSON: ${what}`, ...where }],
    );
  }
}

export function readBundleConfig(bundleDir: string): { dir: string; configPath: string; source: string; config: unknown } {
  const dir = path.resolve(bundleDir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new RuntimeError(`bundle directory ${dir} does not exist (--bundle)`);
  }
  if (!stat.isDirectory()) throw new RuntimeError(`bundle ${dir} is not a directory (--bundle)`);
  const configPath = path.join(dir, 'config.json');
  let source: string;
  try {
    source = fs.readFileSync(configPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new RuntimeError(`config.json not found in bundle ${dir}`);
    throw new RuntimeError(`cannot read ${configPath}: ${(err as Error).message}`);
  }
  return { dir, configPath, source, config: parseConfig(configPath, source) };
}

export function bundleError(configPath: string, problems: Problem[]): RuntimeError {
  const errors = problems.filter((p) => p.severity === 'error');
  const lines = errors.map(formatProblem);
  const head = errors.length === 1 ? `invalid config ${configPath}: ${lines[0]}`
    : `invalid config ${configPath}: ${errors.length} problems:\n  ${lines.join('\n  ')}`;
  return new RuntimeError(head, problems);
}

/** Validates the document and checks the rootfs; throws a RuntimeError listing every error. */
export function loadBundle(bundleDir: string, opts: { requireProcess: boolean } = { requireProcess: true }): Bundle {
  const { dir, configPath, source, config } = readBundleConfig(bundleDir);
  let problems = schemaProblems(config);
  if (problems.some((p) => p.severity === 'error')) throw bundleError(configPath, problems);
  const spec = config as Spec;
  problems = mergeProblems(problems, semanticProblems(spec));
  if (opts.requireProcess && spec.process === undefined) {
    problems.push({ severity: 'error', path: 'process', message: 'is required to create a container' });
  }
  let rootfs = '';
  if (spec.root === undefined) {
    problems.push({ severity: 'error', path: 'root', message: 'is required on Linux' });
  } else {
    rootfs = path.resolve(dir, spec.root.path);
    let isDir = false;
    try {
      isDir = fs.statSync(rootfs).isDirectory();
    } catch {
      problems.push({ severity: 'error', path: 'root.path', message: `rootfs ${rootfs} does not exist` });
    }
    if (fs.existsSync(rootfs) && !isDir) {
      problems.push({ severity: 'error', path: 'root.path', message: `rootfs ${rootfs} is not a directory` });
    }
    if (isDir) rootfs = fs.realpathSync(rootfs);
  }
  if (problems.some((p) => p.severity === 'error')) throw bundleError(configPath, problems);
  return { dir, configPath, source, spec, rootfs, problems };
}
