// GVariant text format (https://docs.gtk.org/glib/gvariant-text-format.html) → a D-Bus value: the form
// of runc's org.systemd.property.<Name> annotation values (godbus's ParseVariant), e.g.
// "uint64 123456789", "'inactive-or-failed'", "true", "['a', 'b']", "@as []", "<int32 5>".
//
// Supported: booleans; numbers (decimal or 0x hex; a plain integer is an int32 and one with '.' or an
// exponent a double, as in GLib) with the type keywords byte int16 uint16 int32 uint32 int64 uint64
// double; strings in '' or "" (escapes \n \t \r \b \f \v \\ \' \" \uXXXX \UXXXXXXXX); objectpath and
// signature; b'...' byte strings; arrays [..]; tuples (..); dictionaries {k: v, ..}; variants <..>; and
// @<type> annotations. Not D-Bus types, and refused: maybe (just/nothing, m<type>) and handles.

import { containerFields, type DbusValue, isSingleType } from './dbus-value';

type Node =
  | { k: 'num'; text: string; float: boolean }
  | { k: 'bool'; v: boolean }
  | { k: 'str'; v: string }
  | { k: 'bytes'; v: Uint8Array }
  | { k: 'arr'; items: Node[] }
  | { k: 'tuple'; items: Node[] }
  | { k: 'dict'; entries: [Node, Node][] }
  | { k: 'variant'; inner: Node }
  | { k: 'typed'; sig: string; inner: Node };

export class GVariantError extends Error {}

const KEYWORDS: Record<string, string> = {
  boolean: 'b', byte: 'y', int16: 'n', uint16: 'q', int32: 'i', uint32: 'u', int64: 'x', uint64: 't',
  double: 'd', string: 's', objectpath: 'o', signature: 'g',
};

const INT_RANGES: Record<string, [bigint, bigint]> = {
  y: [0n, 255n], n: [-(2n ** 15n), 2n ** 15n - 1n], q: [0n, 2n ** 16n - 1n], i: [-(2n ** 31n), 2n ** 31n - 1n],
  u: [0n, 2n ** 32n - 1n], x: [-(2n ** 63n), 2n ** 63n - 1n], t: [0n, 2n ** 64n - 1n],
};

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  fail(what: string): never {
    throw new GVariantError(`${what} at offset ${this.i}`);
  }

  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  peek(): string {
    this.ws();
    return this.s[this.i] ?? '';
  }

  eat(ch: string): boolean {
    if (this.peek() !== ch) return false;
    this.i++;
    return true;
  }

  expect(ch: string): void {
    if (!this.eat(ch)) this.fail(`expected '${ch}'`);
  }

  end(): void {
    if (this.peek() !== '') this.fail('unexpected text after the value');
  }

  word(): string {
    this.ws();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i));
    return m ? m[0] : '';
  }

  value(): Node {
    const c = this.peek();
    if (c === '@') {
      this.i++;
      this.ws();
      const start = this.i;
      while (this.i < this.s.length && !/\s/.test(this.s[this.i])) this.i++;
      const sig = this.s.slice(start, this.i);
      if (sig.includes('m') || !isSingleType(sig)) this.fail(`"${sig}" is not a D-Bus type`);
      return { k: 'typed', sig, inner: this.value() };
    }
    if (c === '[') return this.list('[', ']', 'arr');
    if (c === '(') return this.list('(', ')', 'tuple');
    if (c === '{') return this.dict();
    if (c === '<') {
      this.i++;
      const inner = this.value();
      this.expect('>');
      return { k: 'variant', inner };
    }
    if (c === "'" || c === '"') return { k: 'str', v: this.string() };
    if (c === 'b' && (this.s[this.i + 1] === "'" || this.s[this.i + 1] === '"')) {
      this.i++;
      return { k: 'bytes', v: new TextEncoder().encode(this.string()) };
    }
    if (/[-+0-9.]/.test(c)) return this.number();
    const w = this.word();
    if (w === 'true' || w === 'false') {
      this.i += w.length;
      return { k: 'bool', v: w === 'true' };
    }
    if (w === 'just' || w === 'nothing') this.fail('maybe values (just, nothing) are not D-Bus values');
    if (w === 'handle') this.fail('handles (file descriptors) cannot be given as text');
    const sig = KEYWORDS[w];
    if (sig !== undefined) {
      this.i += w.length;
      return { k: 'typed', sig, inner: this.value() };
    }
    return this.fail(c === '' ? 'expected a value' : `unexpected ${JSON.stringify(w || c)}`);
  }

  list(open: string, close: string, k: 'arr' | 'tuple'): Node {
    this.expect(open);
    const items: Node[] = [];
    if (!this.eat(close)) {
      do items.push(this.value());
      while (this.eat(','));
      this.expect(close);
    }
    if (k === 'tuple' && items.length === 0) this.fail('an empty tuple is not a D-Bus value');
    return { k, items };
  }

  dict(): Node {
    this.expect('{');
    const entries: [Node, Node][] = [];
    if (!this.eat('}')) {
      do {
        const key = this.value();
        this.expect(':');
        entries.push([key, this.value()]);
      } while (this.eat(','));
      this.expect('}');
    }
    return { k: 'dict', entries };
  }

  string(): string {
    const q = this.s[this.i++];
    let out = '';
    for (;;) {
      const ch = this.s[this.i++];
      if (ch === undefined) this.fail('unterminated string');
      if (ch === q) return out;
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const e = this.s[this.i++];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"' };
      if (e in simple) out += simple[e];
      else if (e === 'u' || e === 'U') {
        const n = e === 'u' ? 4 : 8;
        const hex = this.s.slice(this.i, this.i + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) this.fail(`\\${e} needs ${n} hex digits`);
        out += String.fromCodePoint(parseInt(hex, 16));
        this.i += n;
      } else this.fail(`unknown escape \\${e ?? ''}`);
    }
  }

  number(): Node {
    this.ws();
    const m = /^[-+]?(0[xX][0-9a-fA-F]+|(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)/.exec(this.s.slice(this.i));
    if (!m) return this.fail('expected a number');
    this.i += m[0].length;
    const isHex = /^[-+]?0[xX]/.test(m[0]);
    return { k: 'num', text: m[0], float: !isHex && /[.eE]/.test(m[0]) };
  }
}

/** The type a node has on its own; numbers are "weak" (int32 or double) until something says otherwise. */
function inferred(n: Node): { sig: string; weak: boolean } {
  switch (n.k) {
    case 'num': return { sig: n.float ? 'd' : 'i', weak: true };
    case 'bool': return { sig: 'b', weak: false };
    case 'str': return { sig: 's', weak: false };
    case 'bytes': return { sig: 'ay', weak: false };
    case 'variant': return { sig: 'v', weak: false };
    case 'typed': return { sig: n.sig, weak: false };
    case 'tuple': return { sig: `(${n.items.map((x) => inferred(x).sig).join('')})`, weak: false };
    case 'arr': return { sig: `a${common(n.items.map(inferred), 'an array')}`, weak: false };
    case 'dict': {
      const k = common(n.entries.map(([key]) => inferred(key)), 'a dictionary');
      const v = common(n.entries.map(([, val]) => inferred(val)), 'a dictionary');
      return { sig: `a{${k}${v}}`, weak: false };
    }
  }
}

function common(types: { sig: string; weak: boolean }[], what: string): string {
  if (types.length === 0) throw new GVariantError(`the type of an empty ${what.replace(/^an? /, '')} is unknown: give it, as in "@as []"`);
  const strong = types.filter((t) => !t.weak).map((t) => t.sig);
  if (strong.length > 0) {
    if (strong.some((s) => s !== strong[0])) throw new GVariantError(`${what} has elements of different types (${[...new Set(strong)].join(', ')})`);
    return strong[0];
  }
  return types.some((t) => t.sig === 'd') ? 'd' : 'i';
}

function toValue(n: Node, sig: string): DbusValue {
  if (n.k === 'typed') {
    if (n.sig !== sig) throw new GVariantError(`a value of type ${n.sig} where ${sig} is needed`);
    return toValue(n.inner, sig);
  }
  const c = sig[0];
  if (c in INT_RANGES) {
    if (n.k !== 'num' || n.float) throw new GVariantError(`expected an integer (type ${sig})`);
    const neg = n.text.startsWith('-');
    const digits = n.text.replace(/^[-+]/, '');
    const v = (neg ? -1n : 1n) * BigInt(digits);
    const [lo, hi] = INT_RANGES[c];
    if (v < lo || v > hi) throw new GVariantError(`${n.text} is out of range for type ${sig} (${lo}..${hi})`);
    return c === 'x' || c === 't' ? v : Number(v);
  }
  if (c === 'd') {
    if (n.k !== 'num') throw new GVariantError('expected a number (type d)');
    return Number(n.text);
  }
  if (c === 'b') {
    if (n.k !== 'bool') throw new GVariantError('expected true or false');
    return n.v;
  }
  if (c === 's' || c === 'o' || c === 'g') {
    if (n.k !== 'str') throw new GVariantError(`expected a string (type ${sig})`);
    if (c === 'o' && !/^\/$|^(\/[A-Za-z0-9_]+)+$/.test(n.v)) throw new GVariantError(`${JSON.stringify(n.v)} is not an object path`);
    if (c === 'g' && n.v !== '' && splitSignatureOk(n.v) === false) throw new GVariantError(`${JSON.stringify(n.v)} is not a signature`);
    return n.v;
  }
  if (c === 'v') {
    if (n.k !== 'variant') throw new GVariantError('expected a variant (<...>)');
    const inner = inferred(n.inner).sig;
    return { sig: inner, value: toValue(n.inner, inner) };
  }
  if (c === 'a' && sig[1] === '{') {
    if (n.k !== 'dict') throw new GVariantError(`expected a dictionary (type ${sig})`);
    const [k, v] = containerFields(sig.slice(1));
    return n.entries.map(([key, val]) => [toValue(key, k), toValue(val, v)]);
  }
  if (c === 'a') {
    const elem = sig.slice(1);
    if (elem === 'y' && n.k === 'bytes') return n.v;
    if (n.k !== 'arr') throw new GVariantError(`expected an array (type ${sig})`);
    return n.items.map((x) => toValue(x, elem));
  }
  if (c === '(') {
    const fields = containerFields(sig);
    if (n.k !== 'tuple' || n.items.length !== fields.length) throw new GVariantError(`expected a tuple of ${fields.length} (type ${sig})`);
    return n.items.map((x, i) => toValue(x, fields[i]));
  }
  throw new GVariantError(`type ${sig} cannot be given as text`);
}

function splitSignatureOk(s: string): boolean {
  return /^[ynqiuxtdbsogva(){}]*$/.test(s);
}

/** Parses GVariant text into a typed D-Bus value; throws GVariantError saying what is wrong. */
export function parseGVariant(text: string): { sig: string; value: DbusValue } {
  const p = new Parser(text);
  const node = p.value();
  p.end();
  const sig = inferred(node).sig;
  return { sig, value: toValue(node, sig) };
}
