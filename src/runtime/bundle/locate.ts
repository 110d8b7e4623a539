// Where a Problem's JSON path is in config.json: line and column, found with jsonc-parser's syntax
// tree (which keeps the offset of every key and value, unlike JSON.parse).
//
// A problem points at the value of its path; at the property key instead when it is about the key
// itself (an unknown or misspelled property). A path that is not in the document (a required field
// that is missing) points at the key of the deepest object or array that is there: "process.args is
// required" at "process", "root is required" at the document's first character.
// The ESM build: the package's main (UMD) build requires its parts through a wrapper that esbuild
// cannot follow, so bundling it leaves a require('./impl/format') that fails at run time.
import { parseTree, type Node } from 'jsonc-parser/lib/esm/main.js';
import type { Problem } from '../../common/errors';

export type Segment = string | number;

export interface Location {
  line: number;
  column: number;
  /** 0-based character offset and length of what is pointed at (a key, or a value). */
  offset: number;
  length: number;
  /** False when the path is not in the document and an ancestor was located instead. */
  exact: boolean;
}

const IDENTIFIER_START = /[A-Za-z_$]/;
const IDENTIFIER_PART = /[A-Za-z0-9_$]/;

/**
 * The segments of a path written by formatPath: `linux.namespaces[2].type`,
 * `linux.sysctl["net.ipv4.ip_forward"]`. Parsing stops at the first thing that is not path syntax
 * and returns what it has, so a looser origin ("linux.sysctl.net.ipv4") still finds its start.
 */
export function parsePath(path: string): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  while (i < path.length) {
    const c = path[i];
    if (c === '.' && out.length > 0) {
      i++;
      continue;
    }
    if (c === '[') {
      const close = path.indexOf(']', i);
      if (path[i + 1] === '"') {
        // A JSON string: find its closing quote, skipping escapes.
        let j = i + 2;
        while (j < path.length && path[j] !== '"') j += path[j] === '\\' ? 2 : 1;
        try {
          out.push(JSON.parse(path.slice(i + 1, j + 1)) as string);
        } catch {
          // Not a JSON string: the path is read as far as it is well formed.
          return out;
        }
        if (path[j + 1] !== ']') return out;
        i = j + 2;
        continue;
      }
      if (close < 0 || !/^\d+$/.test(path.slice(i + 1, close))) return out;
      out.push(Number(path.slice(i + 1, close)));
      i = close + 1;
      continue;
    }
    if (!IDENTIFIER_START.test(c)) return out;
    let j = i + 1;
    while (j < path.length && IDENTIFIER_PART.test(path[j])) j++;
    out.push(path.slice(i, j));
    i = j;
  }
  return out;
}

/** 1-based line and column of a character offset. */
export function offsetPosition(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** The syntax tree of a config text (parsed leniently: comments and trailing commas are tolerated). */
export function configTree(text: string): Node | undefined {
  return parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
}

/** The property node (key + value) whose value is `node`, if node is an object member's value. */
function propertyOf(node: Node): Node | undefined {
  return node.parent?.type === 'property' ? node.parent : undefined;
}

/** What to point at for an existing node: its key when asked and it has one, else the node. */
function pointAt(node: Node, atKey: boolean): Node {
  if (atKey) {
    const property = propertyOf(node);
    if (property?.children?.[0] !== undefined) return property.children[0];
  }
  return node;
}

/**
 * The position of `path` in the document. `atKey`: point at the property key rather than the value.
 * Undefined when the text does not parse at all.
 */
export function locatePath(text: string, path: string | Segment[], atKey = false, tree: Node | undefined = configTree(text)): Location | undefined {
  if (tree === undefined) return undefined;
  const segments = typeof path === 'string' ? parsePath(path) : path;
  // The deepest prefix of the path that is in the document.
  let node: Node = tree;
  let depth = 0;
  for (const seg of segments) {
    const next = childAt(node, seg);
    if (next === undefined) break;
    node = next;
    depth++;
  }
  const exact = depth === segments.length && (typeof path !== 'string' || parsePathIsComplete(path, segments));
  // A missing path points at its deepest ancestor's key: "process.args is required" at "process".
  const target = pointAt(node, exact ? atKey : true);
  const pos = offsetPosition(text, target.offset);
  return { ...pos, offset: target.offset, length: target.length, exact };
}

/**
 * The value at one segment below node. A key is matched as the config was read (runc-reading.ts):
 * exactly, else case-insensitively, so that a problem about "process.args" is found in a document
 * that spells it "Process" (an exact key first: map keys, such as linux.sysctl's, are not folded;
 * of several folded ones the last, which is the one read).
 */
function childAt(node: Node, seg: Segment): Node | undefined {
  if (typeof seg === 'number') return node.type === 'array' ? node.children?.[seg] : undefined;
  if (node.type !== 'object') return undefined;
  let exact: Node | undefined;
  let folded: Node | undefined;
  for (const property of node.children ?? []) {
    const [key, value] = property.children ?? [];
    if (key === undefined || value === undefined || typeof key.value !== 'string') continue;
    if (key.value === seg) exact = value;
    else if (key.value.toLowerCase() === seg.toLowerCase()) folded = value;
  }
  return exact ?? folded;
}

/** True when parsePath consumed the whole path (it is in formatPath's syntax). */
function parsePathIsComplete(path: string, segments: Segment[]): boolean {
  let rebuilt = '';
  for (const seg of segments) {
    if (typeof seg === 'number') rebuilt += `[${seg}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(seg)) rebuilt += rebuilt === '' ? seg : `.${seg}`;
    else rebuilt += `[${JSON.stringify(seg)}]`;
  }
  return rebuilt === path;
}

/**
 * Problems about the property name itself rather than its value: an unknown or misspelled property,
 * and an entry of linux.sysctl, whose name is what a problem with it is about.
 */
function isAboutKey(p: Problem): boolean {
  return p.aboutKey === true || /^linux\.sysctl\["[^"]*"\]$/.test(p.path);
}

/**
 * The problems with line and column filled in from the config text (a problem that already has a
 * position keeps it). Problems are copied, not changed.
 */
export function withPositions(text: string, problems: readonly Problem[]): Problem[] {
  let tree: Node | undefined;
  let parsed = false;
  return problems.map((p) => {
    if (p.line !== undefined) return p;
    if (!parsed) {
      tree = configTree(text);
      parsed = true;
    }
    const at = locatePath(text, p.path, isAboutKey(p), tree);
    return at === undefined ? p : { ...p, line: at.line, column: at.column };
  });
}

/** Problems in document order (line, then column); problems without a position go last. Stable. */
export function sortByPosition(problems: readonly Problem[]): Problem[] {
  const key = (p: Problem) => (p.line === undefined ? Number.MAX_SAFE_INTEGER : p.line * 1e6 + (p.column ?? 0));
  return problems.map((p, i) => ({ p, i })).sort((a, b) => key(a.p) - key(b.p) || a.i - b.i).map(({ p }) => p);
}
