// Turns the errors of the generated schema validator (src/generated/validators.js, compiled from
// schema/config.schema.json) into Problems: a readable JSON path, a message in plain words, what
// was found and expected, and a "did you mean" hint when a value is close to an allowed one.

import type { Problem } from '../../common/errors';
import { closestMatch } from '../../common/closest-match';
import { validateConfig, type AjvErrorObject } from '../../generated/validators';
import configSchemaJson from '../../../schema/config.schema.json';

// ---------------------------------------------------------------------------------------------
// Small shared helpers (semantic-checks.ts uses them too)

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Path segments (numbers are array indexes) as "linux.namespaces[2].type", 'linux.sysctl["net.ipv4.ip_forward"]'. */
export function formatPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENTIFIER.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** A JSON value shown in a message: JSON text, cut to `max` characters. */
export function formatFound(value: unknown, max = 60): string {
  let text: string;
  try {
    text = value === undefined ? 'nothing' : JSON.stringify(value) ?? String(value);
  } catch {
    // A BigInt or a cycle, which JSON cannot show: its plain text will do for a message.
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** "a string", "an array", "null" ... for messages. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number with a fraction';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'string' ? 'a string' : typeof value === 'boolean' ? 'a boolean' : typeof value;
}

/**
 * Concatenates problem lists, dropping repeats: an identical problem, and an error at a path that
 * an earlier list already reported an error for (the schema and the semantic checks overlap on a
 * few rules, e.g. process.args and process.cwd). Pass the schema problems first.
 */
export function mergeProblems(...lists: Problem[][]): Problem[] {
  const out: Problem[] = [];
  const seen = new Set<string>();
  const errorPaths = new Set<string>();
  for (const list of lists) {
    const pathsHere = new Set<string>();
    for (const p of list) {
      const key = `${p.severity}\0${p.path}\0${p.message}`;
      if (seen.has(key)) continue;
      if (p.severity === 'error' && errorPaths.has(p.path)) continue;
      seen.add(key);
      if (p.severity === 'error') pathsHere.add(p.path);
      out.push(p);
    }
    for (const path of pathsHere) errorPaths.add(path);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The schema, to describe what a path expects

interface SchemaNode {
  $ref?: string;
  type?: string;
  description?: string;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  allOf?: SchemaNode[];
  definitions?: Record<string, SchemaNode>;
}

const configSchema = configSchemaJson as unknown as SchemaNode;
const definitions: Record<string, SchemaNode> = configSchema.definitions ?? {};

function deref(node: SchemaNode | undefined): SchemaNode | undefined {
  let n = node;
  for (let i = 0; n?.$ref !== undefined && i < 10; i++) {
    const m = /^#\/definitions\/(.+)$/.exec(n.$ref);
    n = m ? definitions[m[1]] : undefined;
  }
  return n;
}

/** The name of the definition a schema node is (or refers to), if any. */
function definitionName(node: SchemaNode | undefined): string | undefined {
  if (node?.$ref !== undefined) return /^#\/definitions\/(.+)$/.exec(node.$ref)?.[1];
  if (node === undefined) return undefined;
  for (const [name, def] of Object.entries(definitions)) if (def === node) return name;
  return undefined;
}

/** The schema node for an instance path, following properties/items/additionalProperties. */
function schemaAt(segments: readonly (string | number)[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = configSchema;
  for (const seg of segments) {
    const n = deref(node);
    if (n === undefined) return undefined;
    if (typeof seg === 'number') {
      node = n.items;
      continue;
    }
    let next: SchemaNode | undefined = n.properties?.[seg];
    for (const sub of n.allOf ?? []) next ??= deref(sub)?.properties?.[seg];
    if (next === undefined && typeof n.additionalProperties === 'object') next = n.additionalProperties;
    node = next;
  }
  return node;
}

const RANGES: Record<string, { words: string; range: string }> = {
  int32: { words: 'a 32-bit integer', range: '-2147483648 to 2147483647' },
  int64: { words: 'a 64-bit integer', range: '-9223372036854775808 to 9223372036854775807' },
  uint16: { words: 'an unsigned 16-bit integer', range: '0 to 65535' },
  uint32: { words: 'an unsigned 32-bit integer', range: '0 to 4294967295' },
  uint64: { words: 'an unsigned 64-bit integer', range: '0 to 18446744073709551615' },
};

const PATTERN_MESSAGES: Record<string, string> = {
  SemVer: 'must be a SemVer 2.0 version such as 1.2.0',
  AbsolutePath: "must be an absolute path (starting with '/')",
  PlatformAbsolutePath: "must be an absolute path (starting with '/')",
  RlimitType: 'must be a resource name such as RLIMIT_NOFILE',
  HugepageSize: 'must be a page size such as 64KB, 2MB or 1GB',
  CpuList: 'must be a CPU list such as 0-3,7',
  MemBwSchema: "must be one line starting with 'MB:'",
  SingleLine: 'must be a single line (no newline)',
};

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean (true or false)',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

function listValues(values: readonly unknown[], max = 12): string {
  const shown = values.slice(0, max).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  const rest = values.length - shown.length;
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : shown.join(', ');
}

/** Short description of what a schema node accepts: "an unsigned 32-bit integer", "one of: a, b". */
function describe(node: SchemaNode | undefined): string | undefined {
  const name = definitionName(node);
  const n = deref(node);
  if (n === undefined) return undefined;
  if (name !== undefined && RANGES[name] !== undefined) return `${RANGES[name].words} (${RANGES[name].range})`;
  if (n.enum !== undefined) return `one of: ${listValues(n.enum)}`;
  if (name === 'SemVer') return 'a SemVer 2.0 version such as 1.2.0';
  if (name === 'AbsolutePath' || name === 'PlatformAbsolutePath') return 'an absolute path';
  if (name === 'Env' || name === 'ArrayOfStrings') return 'an array of strings';
  if (name === 'StringMap') return 'an object whose values are strings';
  if (n.type === 'array') {
    const itemName = definitionName(n.items);
    const item = deref(n.items);
    if (itemName !== undefined && RANGES[itemName] !== undefined) return `an array of ${RANGES[itemName].words.replace(/^an? /, '')}s`;
    if (itemName === 'AbsolutePath') return 'an array of absolute paths';
    if (item?.enum !== undefined) return `an array of values among: ${listValues(item.enum)}`;
    if (item?.type === 'string') return 'an array of strings';
    return 'an array';
  }
  if (n.description !== undefined && n.type === 'string' && n.pattern !== undefined) {
    return n.description.charAt(0).toLowerCase() + n.description.slice(1).replace(/\.$/, '');
  }
  return n.type !== undefined ? TYPE_WORDS[n.type] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Conversion

interface Located {
  segments: (string | number)[];
  value: unknown;
  found: boolean;
}

/** Resolves a JSON Pointer against the data: segments typed (array index → number) and the value. */
function locate(data: unknown, pointer: string): Located {
  const segments: (string | number)[] = [];
  let value: unknown = data;
  let found = true;
  if (pointer === '') return { segments, value, found };
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value) && /^(0|[1-9][0-9]*)$/.test(key)) {
      segments.push(Number(key));
      value = value[Number(key)];
    } else {
      segments.push(key);
      if (value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, key)) {
        value = (value as Record<string, unknown>)[key];
      } else {
        value = undefined;
        found = false;
      }
    }
  }
  return { segments, value, found };
}

function patternName(pattern: string): string | undefined {
  for (const [name, def] of Object.entries(definitions)) if (def.pattern === pattern) return name;
  return undefined;
}

function rangeName(parent: Record<string, unknown> | undefined): string | undefined {
  if (parent === undefined) return undefined;
  for (const name of Object.keys(RANGES)) {
    const def = definitions[name];
    if (def !== undefined && def.minimum === parent.minimum && def.maximum === parent.maximum) return name;
  }
  return undefined;
}

function patternHint(name: string | undefined, value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (name === 'SemVer') {
    const m = /^[vV]?(\d+)(?:\.(\d+))?(?:\.(\d+))?(.*)$/.exec(value.trim());
    if (m) {
      const fixed = `${Number(m[1])}.${Number(m[2] ?? 0)}.${Number(m[3] ?? 0)}${m[4]}`;
      if (fixed !== value && /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(fixed)) return `did you mean '${fixed}'?`;
    }
    return undefined;
  }
  if ((name === 'AbsolutePath' || name === 'PlatformAbsolutePath') && value !== '' && !value.startsWith('/')) {
    return `did you mean '/${value.replace(/^\.\/+/, '')}'?`;
  }
  if (name === 'RlimitType' && /^[A-Za-z_]+$/.test(value)) {
    const upper = value.toUpperCase();
    return upper.startsWith('RLIMIT_') ? `did you mean '${upper}'?` : `did you mean 'RLIMIT_${upper}'?`;
  }
  return undefined;
}

function plural(n: number, word: string): string {
  return n === 1 ? `one ${word}` : `${n} ${word.replace(/y$/, 'ie')}s`;
}

/** Drops `expected` when the message already says it ("must be a string" / "a string"). */
function tidy(p: Problem): Problem {
  if (p.expected !== undefined && p.message.includes(p.expected.replace(/^(a|an) /, ''))) {
    const { expected: _dropped, ...rest } = p;
    return rest;
  }
  return p;
}

/** One ajv error as a Problem (anyOf/oneOf and if are handled by the caller). */
function convert(err: AjvErrorObject, data: unknown): Problem {
  return tidy(convertRaw(err, data));
}

function convertRaw(err: AjvErrorObject, data: unknown): Problem {
  const at = locate(data, err.instancePath);
  const path = recordPath(at.segments);
  const params = err.params ?? {};
  const parent = err.parentSchema;
  switch (err.keyword) {
    case 'required': {
      const segs = [...at.segments, String(params.missingProperty)];
      return { severity: 'error', path: recordPath(segs), message: 'is required', expected: describe(schemaAt(segs)) };
    }
    case 'dependencies': {
      const segs = [...at.segments, String(params.missingProperty)];
      return {
        severity: 'error',
        path: recordPath(segs),
        message: `is required when ${params.property} is set`,
        expected: describe(schemaAt(segs)),
        hint: `set both ${params.property} and ${params.missingProperty}, or neither`,
      };
    }
    case 'type': {
      const type = String(params.type);
      return {
        severity: 'error',
        path,
        message: `must be ${TYPE_WORDS[type] ?? type}`,
        found: `${formatFound(at.value)} (${kindOf(at.value)})`,
        expected: describe(schemaAt(at.segments)) ?? TYPE_WORDS[type] ?? type,
      };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[] | undefined) ?? [];
      const strings = allowed.filter((v): v is string => typeof v === 'string');
      const close = typeof at.value === 'string' ? closestMatch(at.value, strings, { prefix: true }) : undefined;
      return {
        severity: 'error',
        path,
        message: `must be one of: ${listValues(allowed, 30)}`,
        found: formatFound(at.value),
        expected: `one of: ${listValues(allowed, 30)}`,
        ...(close !== undefined ? { hint: `did you mean '${close}'?` } : {}),
      };
    }
    case 'const':
      return { severity: 'error', path, message: `must be ${formatFound(params.allowedValue)}`, found: formatFound(at.value) };
    case 'pattern': {
      const pattern = String(params.pattern);
      const name = patternName(pattern);
      let message = name !== undefined ? PATTERN_MESSAGES[name] : undefined;
      if (message === undefined && pattern === '^[rwm]*$') message = 'must contain only the letters r, w and m';
      const hint = patternHint(name, at.value);
      return {
        severity: 'error',
        path,
        message: message ?? `must match the pattern ${pattern}`,
        found: formatFound(at.value),
        ...(message === undefined ? { expected: `a string matching ${pattern}` } : {}),
        ...(hint !== undefined ? { hint } : {}),
      };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const range = rangeName(parent);
      if (range !== undefined) {
        const r = RANGES[range];
        return { severity: 'error', path, message: `must be ${r.words} (${r.range})`, found: formatFound(at.value), expected: r.range };
      }
      const limit = params.limit as number;
      const message =
        err.keyword === 'minimum' ? (limit === 1 ? 'must be greater than zero' : `must be at least ${limit}`)
        : err.keyword === 'maximum' ? `must be at most ${limit}`
        : err.keyword === 'exclusiveMinimum' ? `must be greater than ${limit}`
        : `must be less than ${limit}`;
      return { severity: 'error', path, message, found: formatFound(at.value) };
    }
    case 'minItems': {
      const n = Number(params.limit);
      return { severity: 'error', path, message: `must have at least ${plural(n, 'entry')}`, found: formatFound(at.value) };
    }
    case 'maxItems':
      return { severity: 'error', path, message: `must have at most ${plural(Number(params.limit), 'entry')}`, found: formatFound(at.value) };
    case 'minLength':
      return {
        severity: 'error',
        path,
        message: Number(params.limit) === 1 ? 'must not be empty' : `must be at least ${plural(Number(params.limit), 'character')} long`,
        found: formatFound(at.value),
      };
    case 'additionalProperties': {
      const segs = [...at.segments, String(params.additionalProperty)];
      return { severity: 'error', path: recordPath(segs), message: 'is not allowed here', aboutKey: true };
    }
    default:
      return { severity: 'error', path, message: err.message ?? `fails the schema rule '${err.keyword}'`, found: formatFound(at.value) };
  }
}

/** The index of the anyOf/oneOf branch an error belongs to, if it is under `alt`'s schema path. */
function branchOf(err: AjvErrorObject, alt: AjvErrorObject): number | undefined {
  const prefix = `${alt.schemaPath}/`;
  if (!err.schemaPath.startsWith(prefix)) return undefined;
  if (!(err.instancePath === alt.instancePath || err.instancePath.startsWith(`${alt.instancePath}/`))) return undefined;
  const n = Number(err.schemaPath.slice(prefix.length).split('/')[0]);
  return Number.isInteger(n) ? n : undefined;
}

/** Path strings made during one conversion, with their segments (to sort problems). */
let recorded = new Map<string, (string | number)[]>();

function recordPath(segments: (string | number)[]): string {
  const path = formatPath(segments);
  recorded.set(path, segments);
  return path;
}

/**
 * Where a path is in the document, as a sort key: the position of each key among its object's
 * keys (or the array index); a property that is missing sorts after the ones present.
 */
function documentPosition(data: unknown, segments: readonly (string | number)[]): number[] {
  const key: number[] = [];
  let value: unknown = data;
  for (const seg of segments) {
    if (Array.isArray(value) && typeof seg === 'number') {
      key.push(seg);
      value = value[seg];
    } else if (value !== null && typeof value === 'object') {
      const keys = Object.keys(value);
      const i = keys.indexOf(String(seg));
      key.push(i < 0 ? keys.length : i);
      value = i < 0 ? undefined : (value as Record<string, unknown>)[String(seg)];
    } else {
      key.push(Number.MAX_SAFE_INTEGER);
      value = undefined;
    }
  }
  return key;
}

function comparePositions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Converts ajv errors (of validateConfig, run with allErrors and verbose) into Problems, in document order. */
export function schemaErrorsToProblems(errors: readonly AjvErrorObject[] | null | undefined, data: unknown): Problem[] {
  if (!errors || errors.length === 0) return [];
  recorded = new Map();
  const problems: Problem[] = [];
  const consumed = new Set<AjvErrorObject>();

  // anyOf/oneOf: ajv reports every failing branch and then the alternative itself. Replace all of
  // it by one problem, or by the errors of the branch that came closest.
  const alternatives = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const replacements = new Map<AjvErrorObject, Problem[]>();
  for (const alt of alternatives) {
    const branches = new Map<number, AjvErrorObject[]>();
    for (const e of errors) {
      if (e === alt || consumed.has(e)) continue;
      const b = branchOf(e, alt);
      if (b === undefined) continue;
      consumed.add(e);
      branches.set(b, [...(branches.get(b) ?? []), e]);
    }
    const at = locate(data, alt.instancePath);
    const path = recordPath(at.segments);
    const all = [...branches.values()].flat();
    if (alt.keyword === 'oneOf' && branches.size === 0) {
      replacements.set(alt, [{ severity: 'error', path, message: 'matches more than one of the allowed forms', found: formatFound(at.value) }]);
    } else if (all.length > 0 && all.every((e) => e.keyword === 'required' && e.instancePath === alt.instancePath)) {
      const names = [...new Set(all.map((e) => String(e.params.missingProperty)))];
      replacements.set(alt, [{ severity: 'error', path, message: `must set at least one of: ${names.join(', ')}`, expected: names.join(' and/or ') }]);
    } else {
      // Prefer branches whose type matched (no type error on the value itself), then the fewest errors.
      const ranked = [...branches.values()].sort((a, b) => {
        const ta = a.some((e) => e.keyword === 'type' && e.instancePath === alt.instancePath) ? 1 : 0;
        const tb = b.some((e) => e.keyword === 'type' && e.instancePath === alt.instancePath) ? 1 : 0;
        return ta - tb || a.length - b.length;
      });
      const best = ranked[0];
      if (best === undefined || best.some((e) => e.keyword === 'type' && e.instancePath === alt.instancePath)) {
        const types = [...new Set(all.filter((e) => e.keyword === 'type').map((e) => TYPE_WORDS[String(e.params.type)] ?? String(e.params.type)))];
        replacements.set(alt, [{
          severity: 'error',
          path,
          message: types.length > 0 ? `must be ${types.join(' or ')}` : 'does not match any of the allowed forms',
          found: `${formatFound(at.value)} (${kindOf(at.value)})`,
        }]);
      } else {
        replacements.set(alt, best.map((e) => convert(e, data)));
      }
    }
  }

  for (const err of errors) {
    if (consumed.has(err)) continue;
    if (err.keyword === 'if') continue; // the failing then/else branch reported its own errors
    const replaced = replacements.get(err);
    if (replaced !== undefined) problems.push(...replaced);
    else problems.push(convert(err, data));
  }

  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const key = `${p.path}\0${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const position = new Map(unique.map((p) => [p, documentPosition(data, recorded.get(p.path) ?? [])]));
  return unique.sort((a, b) => comparePositions(position.get(a)!, position.get(b)!)); // stable: ties keep ajv's order
}

/**
 * runc's words before the schema's, for fields where runc's tests and users look for them: the first
 * pattern that matches a problem's path gives its prefix.
 */
const RUNC_WORDS: [RegExp, string][] = [
  [/^linux\.memoryPolicy\.mode$/, 'invalid memory policy mode'],
  [/^linux\.memoryPolicy\.flags\[\d+\]$/, 'invalid memory policy flag'],
  [/^linux\.memoryPolicy\.nodes$/, 'invalid memory policy nodes'],
  [/^linux\.memoryPolicy(\.|$)/, 'invalid memory policy'],
];

function inRuncWords(p: Problem): Problem {
  const words = RUNC_WORDS.find(([pattern]) => pattern.test(p.path))?.[1];
  return words === undefined ? p : { ...p, message: `${words}: ${p.message}` };
}

/** Validates a parsed config.json against our schema; [] when it conforms. */
export function schemaProblems(spec: unknown): Problem[] {
  if (validateConfig(spec)) return [];
  return schemaErrorsToProblems(validateConfig.errors, spec).map(inRuncWords);
}
