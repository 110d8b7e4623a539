// D-Bus values as data: what the systemd driver sends as unit properties, with their type signature,
// so that `explain` prints them and the addon (native/sdbus) encodes them without knowing systemd.
//
// A value of signature:
//   y n q i u            a number (integer)
//   x t                  a bigint
//   d                    a number
//   b                    a boolean
//   s o g                a string
//   a<T>                 an array of <T> values ("ay" may also be a Uint8Array)
//   a{KV}                an array of [key, value] pairs
//   (T1T2...)            an array, one value per field
//   v                    a Variant: { sig, value }

export type DbusValue = boolean | number | bigint | string | Uint8Array | DbusValue[] | Variant;

export interface Variant {
  sig: string;
  value: DbusValue;
}

/** One unit property, for StartTransientUnit and SetUnitProperties: a(sv) entries. */
export interface UnitProperty {
  name: string;
  sig: string;
  value: DbusValue;
  /** Where it comes from (a config field, or "systemd driver"), for explain. */
  origin: string;
}

export const UINT64_MAX = 2n ** 64n - 1n;

const BASIC = 'ynqiuxtdbsogh';

/** The length of the single complete type at the start of `sig`; 0 when there is none. */
function completeTypeLength(sig: string, at = 0): number {
  const c = sig[at];
  if (c === undefined) return 0;
  if (BASIC.includes(c) || c === 'v') return 1;
  if (c === 'a') {
    const inner = completeTypeLength(sig, at + 1);
    return inner === 0 ? 0 : 1 + inner;
  }
  if (c === '(' || c === '{') {
    const close = c === '(' ? ')' : '}';
    let i = at + 1;
    let fields = 0;
    while (sig[i] !== close) {
      const n = completeTypeLength(sig, i);
      if (n === 0) return 0;
      if (c === '{' && fields === 0 && !BASIC.includes(sig[i])) return 0;
      i += n;
      fields++;
    }
    if (fields === 0 || (c === '{' && fields !== 2)) return 0;
    return i + 1 - at;
  }
  return 0;
}

/** `sig` split into its complete types ("sa{sv}" → ["s", "a{sv}"]); undefined when it is not a valid signature. */
export function splitSignature(sig: string): string[] | undefined {
  const out: string[] = [];
  for (let i = 0; i < sig.length;) {
    const n = completeTypeLength(sig, i);
    if (n === 0) return undefined;
    // A dict entry stands only right inside an array.
    if (sig[i] === '{') return undefined;
    out.push(sig.slice(i, i + n));
    i += n;
  }
  return out;
}

/** True for one complete type ("a(ss)", not "ss"). */
export function isSingleType(sig: string): boolean {
  const parts = splitSignature(sig);
  return parts !== undefined && parts.length === 1;
}

/** The fields of a struct or dict entry signature: "(sai)" → ["s", "ai"]. */
export function containerFields(sig: string): string[] {
  const inner = sig.slice(1, -1);
  const out: string[] = [];
  for (let i = 0; i < inner.length;) {
    const n = completeTypeLength(inner, i);
    out.push(inner.slice(i, i + n));
    i += n;
  }
  return out;
}

/** A value as GVariant text, for explain: uint64 18446744073709551615, [byte 0x03], 'system.slice'. */
export function formatDbusValue(sig: string, value: DbusValue): string {
  const c = sig[0];
  if (c === 's' || c === 'o' || c === 'g') {
    const quoted = `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    return c === 's' ? quoted : `${c === 'o' ? 'objectpath' : 'signature'} ${quoted}`;
  }
  if (c === 'b') return value ? 'true' : 'false';
  if (c === 'v') {
    const v = value as Variant;
    return `<${formatDbusValue(v.sig, v.value)}>`;
  }
  if (c === 'a') {
    const elem = sig.slice(1);
    const items = value instanceof Uint8Array ? [...value] : (value as DbusValue[]);
    if (items.length === 0) return `@${sig} []`;
    if (elem[0] === '{') {
      const [k, v] = containerFields(elem);
      return `{${items.map((e) => { const [a, b] = e as DbusValue[]; return `${formatDbusValue(k, a)}: ${formatDbusValue(v, b)}`; }).join(', ')}}`;
    }
    return `[${items.map((e) => formatDbusValue(elem, e)).join(', ')}]`;
  }
  if (c === '(') {
    const fields = containerFields(sig);
    return `(${(value as DbusValue[]).map((e, i) => formatDbusValue(fields[i], e)).join(', ')}${fields.length === 1 ? ',' : ''})`;
  }
  const prefix: Record<string, string> = { y: 'byte', n: 'int16', q: 'uint16', i: 'int32', u: 'uint32', x: 'int64', t: 'uint64', d: 'double', h: 'handle' };
  const n = c === 'y' ? `0x${Number(value).toString(16).padStart(2, '0')}` : String(value);
  return `${prefix[c] ?? c} ${n}`;
}
