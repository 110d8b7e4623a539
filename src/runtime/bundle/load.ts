// Loads a bundle: config.json read, parsed and validated (schema, then what a schema cannot say),
// and the rootfs found. Every problem names the config field it is about.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Spec } from '../../oci/types';
import { describeSystemError, isMissing, Problem, problemsError, RuntimeError } from '../../common/errors';
import { mergeProblems, schemaProblems } from './schema-problems';
import { offsetPosition, sortByPosition, withPositions } from './locate';
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser/lib/esm/main.js';
import { semanticProblems } from './semantic-checks';
import { readAsRunc } from './runc-reading';
import { ConfigFile, readConfigFile } from './config-file';

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
  return offsetPosition(text, offset);
}

/** What a JSON syntax error is, in words, by jsonc-parser's error code. */
const SYNTAX: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: "expected ':'",
  CommaExpected: "expected ','",
  CloseBraceExpected: "expected ',' or '}'",
  CloseBracketExpected: "expected ',' or ']'",
  EndOfFileExpected: 'unexpected text after the end of the document',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'comments are not allowed in JSON',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unexpected end of number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in a string (a control character must be escaped)',
};

/**
 * Where and what the first syntax error is. JSON.parse decides that there is one; jsonc-parser (strict:
 * no comments, no trailing commas) says where, since V8's messages do not always give a position.
 */
function syntaxError(source: string, nodeMessage: string): { offset: number; what: string } {
  const errors: ParseError[] = [];
  parse(source, errors, { allowTrailingComma: false, disallowComments: true, allowEmptyContent: false });
  const first = errors[0];
  if (first !== undefined) {
    const code = printParseErrorCode(first.error);
    // A comma before a closing bracket: point at the comma.
    if ((code === 'ValueExpected' || code === 'PropertyNameExpected') && /[\]}]/.test(source[first.offset] ?? '')) {
      let i = first.offset - 1;
      while (i >= 0 && /\s/.test(source[i])) i--;
      if (source[i] === ',') return { offset: i, what: 'a trailing comma is not allowed in JSON' };
    }
    return { offset: first.offset, what: SYNTAX[code] ?? code };
  }
  const position = /position (\d+)/.exec(nodeMessage);
  const what = nodeMessage.replace(/ in JSON at position \d+.*$/s, '').replace(/^Unexpected end of JSON input$/, 'unexpected end of input');
  return { offset: position ? Number(position[1]) : source.length, what };
}

/**
 * How deeply arrays and objects may nest in a document we read. Config documents nest a few levels
 * (linux.seccomp.syscalls[0].args[0] is 5); what reads them (jsonc-parser for positions, the schema
 * validators, the checks) recurses, and must not run out of stack. Go's encoding/json, runc's
 * parser, stops at 10000, more than Node's stack holds for jsonc-parser.
 */
export const MAX_NESTING = 1000;

/** The offset of the first bracket or brace that opens level MAX_NESTING + 1, outside strings; -1 if none. */
function tooDeepAt(source: string): number {
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 0x22) {
      // A string: skip to its closing quote, over escapes.
      for (i++; i < source.length && source.charCodeAt(i) !== 0x22; i++) if (source.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_NESTING) return i;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return -1;
}

/** The document of a JSON file (config.json, a process file, resources): one RuntimeError naming the file and where, when it is not JSON or nests too deeply. */
export function parseConfig(configPath: string, source: string): unknown {
  const deep = tooDeepAt(source);
  if (deep >= 0) {
    const where = lineColumn(source, deep);
    const what = `nested more than ${MAX_NESTING} levels deep`;
    throw new RuntimeError(
      `${configPath}: arrays and objects ${what} at line ${where.line}, column ${where.column}`,
      [{ severity: 'error', path: '', message: `arrays and objects ${what}`, ...where }],
    );
  }
  try {
    return JSON.parse(source);
  } catch (err) {
    const { offset, what } = syntaxError(source, (err as Error).message);
    const where = lineColumn(source, offset);
    throw new RuntimeError(
      `${configPath}: not valid JSON at line ${where.line}, column ${where.column}: ${what}`,
      [{ severity: 'error', path: '', message: `not valid JSON: ${what}`, ...where }],
    );
  }
}

/** config.json read (unless given) and parsed. */
function readBundleConfig(bundleDir: string, file: ConfigFile = readConfigFile(bundleDir)): ConfigFile & { config: unknown } {
  return { ...file, config: parseConfig(file.configPath, file.source) };
}

export function bundleError(configPath: string, problems: Problem[]): RuntimeError {
  return problemsError(`invalid config ${configPath}`, problems);
}

/**
 * The rootfs of root.path: an existing directory, given by its real path as runc requires (its
 * validator compares the path, made absolute against the bundle's real path, with the path with its
 * symlinks resolved): neither the rootfs nor a directory on the way to it may be a symlink. A bundle
 * directory reached through one is fine (runc works from its real path).
 */
function findRootfs(dir: string, rootPath: string): { rootfs: string } | { problem: Problem } {
  const resolved = path.resolve(dir, rootPath);
  const problem = (message: string, hint?: string) => ({ problem: { severity: 'error' as const, path: 'root.path', message, ...(hint ? { hint } : {}) } });
  let stat: fs.Stats;
  try {
    stat = fs.statSync(resolved);
  } catch (err) {
    if (!isMissing(err)) return problem(`rootfs ${resolved} cannot be looked at: ${describeSystemError(err)}`);
    return problem(`rootfs ${resolved} does not exist`, `make the directory ${resolved}, or point root.path at the root filesystem`);
  }
  if (!stat.isDirectory()) return problem(`rootfs ${resolved} is not a directory`);
  const real = fs.realpathSync(resolved);
  let realDir = dir;
  try {
    realDir = fs.realpathSync(dir);
  } catch {
    // The bundle directory was read a moment ago; should its real path fail now, the path as given
    // serves: at worst the rootfs is reported as under a symlink.
  }
  if (real === path.resolve(realDir, rootPath)) return { rootfs: real };
  let isLink = false;
  try {
    isLink = fs.lstatSync(resolved).isSymbolicLink();
  } catch {
    // Gone meanwhile: described as a path through a symlink.
  }
  return isLink
    ? problem(`rootfs ${resolved} is a symlink (to ${real})`)
    : problem(`rootfs ${resolved} lies under a symlink (its real path is ${real})`, 'point root.path at the real path');
}

/** What validating a bundle found, going as far as it can (check shows all of it; create throws on errors). */
export interface BundleInspection {
  dir: string;
  configPath: string;
  source: string;
  config: unknown;
  /** The document, when it passed the schema (its fields have the types the plan builder relies on). */
  spec?: Spec;
  /** The rootfs, resolved, when it exists and is a directory. */
  rootfs?: string;
  /** Every problem found, with its line and column, in document order. */
  problems: Problem[];
}

/**
 * Validates the document (schema, then what a schema cannot say; the second also on a document the
 * first refused, since it only looks at fields of the right shape) and checks the rootfs. Throws only
 * when there is no document to look at (no bundle, no config.json, not JSON).
 */
export function inspectBundle(
  bundleDir: string, opts: { requireProcess?: boolean; file?: ConfigFile } = {},
): BundleInspection {
  const { dir, configPath, source, config } = readBundleConfig(bundleDir, opts.file);
  const readings = readAsRunc(config);
  const schema = schemaProblems(config);
  const schemaValid = !schema.some((p) => p.severity === 'error');
  const spec = config as Spec;
  const problems = [...readings, ...mergeProblems(schema, semanticProblems(spec))];
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if ((opts.requireProcess ?? true) && isObject(config) && config.process === undefined) {
    problems.push({ severity: 'error', path: 'process', message: 'is required to create a container' });
  }
  let rootfs: string | undefined;
  const root: unknown = isObject(config) ? config.root : undefined;
  if (root === undefined) {
    if (!problems.some((p) => p.path === 'root' && p.severity === 'error')) {
      problems.push({ severity: 'error', path: 'root', message: 'is required on Linux' });
    }
  } else if (isObject(root) && typeof root.path === 'string' && root.path !== '' && !root.path.includes('\0')) {
    const found = findRootfs(dir, root.path);
    if ('problem' in found) problems.push(found.problem);
    else rootfs = found.rootfs;
  }
  return {
    dir, configPath, source, config,
    ...(schemaValid ? { spec } : {}),
    ...(rootfs !== undefined ? { rootfs } : {}),
    problems: sortByPosition(withPositions(source, problems)),
  };
}

/** Problems from a later stage (plan, host) merged into a bundle's: positioned, deduplicated, in document order. */
export function addProblems(source: string, earlier: Problem[], ...later: Problem[][]): Problem[] {
  return sortByPosition(withPositions(source, mergeProblems(earlier, ...later)));
}

