// The one definition of the plan's ops (docs/plan-format.md): each op's side, whether it may be in a
// head, and its named, typed arguments. From it come the typed constructors (`op.mountInRoot({...})`),
// the decoding explain and the helper client use (`fieldsOf`), the C dispatch table and its argument
// checks (native/helper/op_table.h, written by scripts/gen-op-table.mjs) and the args column of the
// op reference; test/unit/op-schema.test.ts fails when the checked-in copies drift from it.

/** An argument's kind: how it is written on the wire and what the helper accepts. */
export type ArgKind =
  /** Unsigned decimal up to max; a JS number. */
  | { kind: 'int'; max: number; nullable?: boolean }
  /** Decimal, optionally negative, |value| up to max. */
  | { kind: 'signed'; max: number }
  /** Unsigned 64-bit decimal; a bigint. */
  | { kind: 'u64' }
  /** 0x-prefixed 64-bit hex; a bigint. */
  | { kind: 'hex64' }
  /** Any text; with nullable, "" stands for NULL. */
  | { kind: 'string'; nullable?: boolean }
  /** An absolute path. */
  | { kind: 'path' }
  | { kind: 'enum'; values: readonly string[] };

type Scalar = ArgKind & { name: string; optional?: boolean };

/** What may follow the scalars: the rest of the arguments, or a count and that many items. */
export type ArgSpec =
  | Scalar
  /** Every argument left, each of the item's kind; at least min of them. */
  | { name: string; kind: 'list'; item: ArgKind; min?: number }
  /** A decimal count, then that many items. */
  | { name: string; kind: 'counted'; item: ArgKind }
  /** `inherit` alone, or a count and that many strings (an environment). */
  | { name: string; kind: 'env-or-inherit' };

export type Side = 'host' | 'container' | 'both';

export interface OpSpec {
  side: Side;
  /** May be sent ahead of the plan (touches the helper alone; see head-start.ts). */
  head?: boolean;
  args: readonly ArgSpec[];
}

const INT = 2 ** 31 - 1;
const U32 = 2 ** 32 - 1;
const fd = { kind: 'int', max: INT } as const;
const flags = { kind: 'int', max: U32 } as const;
const id = { kind: 'int', max: U32 } as const;
const cap = { kind: 'int', max: 63 } as const;
const path = { kind: 'path' } as const;
const text = { kind: 'string' } as const;
const orNull = { kind: 'string', nullable: true } as const;
const u64 = { kind: 'u64' } as const;
const hex64 = { kind: 'hex64' } as const;

export const OPS = {
  'cloexec-from': { side: 'host', head: true, args: [{ name: 'fd', ...fd }] },
  'join-cgroup': { side: 'host', head: true, args: [{ name: 'procsFile', ...path }] },
  'open-cgroup': { side: 'host', head: true, args: [{ name: 'directory', ...path }] },
  'open-ns': { side: 'host', args: [{ name: 'path', ...path }] },
  setns: { side: 'both', args: [{ name: 'path', ...path }, { name: 'nstype', ...flags }, { name: 'attempt', kind: 'enum', values: ['try', 'pending'], optional: true }] },
  unshare: { side: 'host', args: [{ name: 'flags', ...flags }] },
  'write-file': { side: 'both', args: [{ name: 'path', ...path }, { name: 'content', ...text }] },
  clone: { side: 'host', args: [{ name: 'flags', ...flags }] },
  'uid-map': { side: 'host', args: [{ name: 'content', ...text }] },
  'gid-map': { side: 'host', args: [{ name: 'content', ...text }] },
  'report-pid': { side: 'host', args: [] },
  'child-mntns': { side: 'host', args: [] },
  release: { side: 'host', args: [] },
  'console-connect': { side: 'host', args: [{ name: 'socket', ...path }] },
  'pidfd-connect': { side: 'host', args: [{ name: 'socket', ...path }] },
  'send-pidfd': { side: 'container', args: [{ name: 'name', kind: 'enum', values: ['standard', 'setns'] }] },
  'send-mount-source': { side: 'host', args: [{ name: 'path', ...path }] },
  'send-idmapped-mount': {
    side: 'host',
    args: [
      { name: 'path', ...path }, { name: 'tree', kind: 'enum', values: ['single', 'recursive'] },
      { name: 'idmap', kind: 'enum', values: ['single', 'recursive'] }, { name: 'userns', kind: 'enum', values: ['container', 'new'] },
      { name: 'uidMap', ...orNull }, { name: 'gidMap', ...orNull },
    ],
  },

  'send-mntns': { side: 'container', args: [] },
  'wait-release': { side: 'container', args: [] },
  setsid: { side: 'container', args: [] },
  'become-root': { side: 'container', args: [] },
  sethostname: { side: 'container', args: [{ name: 'name', ...text }] },
  setdomainname: { side: 'container', args: [{ name: 'name', ...text }] },
  mount: {
    side: 'container',
    args: [
      { name: 'source', ...orNull }, { name: 'target', ...path }, { name: 'fstype', ...orNull },
      { name: 'flags', ...flags }, { name: 'data', ...orNull },
    ],
  },
  'open-exec-fifo': { side: 'container', args: [{ name: 'path', ...path }] },
  'mount-in-root': {
    side: 'container',
    args: [
      { name: 'root', ...path }, { name: 'source', ...orNull }, { name: 'dest', ...path }, { name: 'fstype', ...orNull },
      { name: 'flags', ...flags }, { name: 'data', ...orNull },
      { name: 'create', kind: 'enum', values: ['dir', 'file', 'none', 'ordinary-dir', 'as-source'] },
      { name: 'remountFlags', ...flags }, { name: 'propagation', ...flags },
      { name: 'mode', kind: 'enum', values: ['inherit'], optional: true },
    ],
  },
  'bind-remount': { side: 'container', args: [{ name: 'root', ...path }, { name: 'dest', ...path }, { name: 'set', ...flags }, { name: 'clear', ...flags }] },
  'mount-from-host': {
    side: 'container',
    args: [
      { name: 'root', ...path }, { name: 'source', ...path }, { name: 'dest', ...path },
      { name: 'create', kind: 'enum', values: ['dir', 'file', 'none'] }, { name: 'how', kind: 'enum', values: ['bind', 'move'] },
      { name: 'flags', ...flags }, { name: 'remountFlags', ...flags }, { name: 'propagation', ...flags },
    ],
  },
  'tmpfs-copyup': {
    side: 'container',
    args: [
      { name: 'root', ...path }, { name: 'source', ...orNull }, { name: 'dest', ...path }, { name: 'flags', ...flags },
      { name: 'data', ...orNull }, { name: 'remountFlags', ...flags }, { name: 'propagation', ...flags },
    ],
  },
  'mount-setattr': {
    side: 'container',
    args: [{ name: 'root', ...path }, { name: 'dest', ...path }, { name: 'attrSet', ...flags }, { name: 'attrClr', ...flags }],
  },
  'mknod-in-root': {
    side: 'container',
    args: [
      { name: 'root', ...path }, { name: 'dest', ...path }, { name: 'mode', ...id }, { name: 'major', ...id },
      { name: 'minor', ...id }, { name: 'uid', ...id }, { name: 'gid', ...id },
    ],
  },
  'symlink-in-root': { side: 'container', args: [{ name: 'root', ...path }, { name: 'target', ...text }, { name: 'linkpath', ...path }] },
  'pivot-root': { side: 'container', args: [{ name: 'root', ...path }] },
  'hide-host-mount': { side: 'container', args: [{ name: 'path', ...path }] },
  'move-root': { side: 'container', args: [{ name: 'root', ...path }] },
  chroot: { side: 'container', args: [{ name: 'root', ...path }] },
  mask: { side: 'container', args: [{ name: 'path', ...path }] },
  readonly: { side: 'container', args: [{ name: 'path', ...path }] },
  'remount-ro': { side: 'container', args: [{ name: 'path', ...path }] },
  rlimit: { side: 'container', args: [{ name: 'resource', kind: 'int', max: 63 }, { name: 'soft', ...u64 }, { name: 'hard', ...u64 }] },
  umask: { side: 'container', args: [{ name: 'mask', kind: 'int', max: 0o777 }] },
  personality: { side: 'container', args: [{ name: 'persona', ...flags }] },
  'cpu-affinity': { side: 'container', args: [{ name: 'mask', kind: 'list', item: hex64 }] },
  'sched-setattr': {
    side: 'container',
    args: [
      { name: 'policy', ...id }, { name: 'flags', ...u64 }, { name: 'nice', kind: 'signed', max: 20 }, { name: 'priority', ...id },
      { name: 'runtime', ...u64 }, { name: 'deadline', ...u64 }, { name: 'period', ...u64 },
    ],
  },
  ioprio: { side: 'container', args: [{ name: 'value', kind: 'int', max: 0xffff }] },
  'set-mempolicy': { side: 'container', args: [{ name: 'mode', ...flags }, { name: 'nodemask', kind: 'list', item: hex64 }] },
  'keep-caps': { side: 'container', args: [] },
  'drop-bounding': { side: 'container', args: [{ name: 'caps', kind: 'list', item: cap }] },
  'setgroups-list': { side: 'container', args: [{ name: 'gids', kind: 'list', item: id }] },
  setresgid: { side: 'container', args: [{ name: 'gid', ...id }] },
  setresuid: { side: 'container', args: [{ name: 'uid', ...id }] },
  capset: { side: 'container', args: [{ name: 'effective', ...hex64 }, { name: 'permitted', ...hex64 }, { name: 'inheritable', ...hex64 }] },
  ambient: { side: 'container', args: [{ name: 'caps', kind: 'list', item: cap }] },
  'no-new-privs': { side: 'container', args: [] },
  seccomp: { side: 'container', args: [{ name: 'items', kind: 'list', item: text, min: 1 }] },
  'seccomp-load': { side: 'container', args: [] },
  'seccomp-listener': { side: 'container', args: [] },
  chdir: { side: 'container', args: [{ name: 'path', ...path }, { name: 'missing', kind: 'enum', values: ['create'], optional: true }] },
  'find-exec': { side: 'container', args: [{ name: 'candidates', kind: 'list', item: text, min: 1 }] },
  ready: { side: 'container', args: [] },
  'wait-start': { side: 'container', args: [{ name: 'mode', kind: 'enum', values: ['hold', 'release'], optional: true }] },
  'report-start': { side: 'container', args: [] },
  hooks: { side: 'container', args: [{ name: 'phase', kind: 'enum', values: ['prestart', 'createRuntime'] }] },
  'run-hook': {
    side: 'container',
    args: [
      { name: 'label', ...text }, { name: 'timeout', kind: 'int', max: 2 ** 30 }, { name: 'stateBeforePid', ...text },
      { name: 'stateAfterPid', ...text }, { name: 'path', ...path }, { name: 'argv', kind: 'counted', item: text },
      { name: 'env', kind: 'env-or-inherit' },
    ],
  },
  console: {
    side: 'container',
    args: [
      { name: 'ptmx', ...path }, { name: 'rows', kind: 'int', max: 0xffff }, { name: 'cols', kind: 'int', max: 0xffff },
      { name: 'uid', kind: 'int', max: U32, nullable: true }, { name: 'consolePath', ...orNull },
      { name: 'onlcr', kind: 'enum', values: ['keep', 'clear'] },
    ],
  },
  exec: { side: 'container', args: [{ name: 'argv', kind: 'counted', item: text }, { name: 'env', kind: 'list', item: text }] },
} as const satisfies Record<string, OpSpec>;

export type OpName = keyof typeof OPS;
type SideOf<N extends OpName> = (typeof OPS)[N]['side'];
export type HostOpName = { [N in OpName]: SideOf<N> extends 'host' | 'both' ? N : never }[OpName];
export type ContainerOpName = { [N in OpName]: SideOf<N> extends 'container' | 'both' ? N : never }[OpName];

export interface PlanOp<Name extends string = OpName> {
  op: Name;
  /** The wire form, in the schema's order (fieldsOf reads them back by name). */
  args: string[];
  /** The config field this op comes from (a JSON path such as "mounts[2]"), for errors and explain. */
  origin?: string;
}

/** One of the ops named, as a union that narrows on `op` (PlanOp<A | B> does not). */
export type OpOf<N extends OpName> = { [K in N]: PlanOp<K> }[N];

// What each kind is in TypeScript, given to a constructor and read back by fieldsOf.
type ValueOf<K> =
  K extends { kind: 'int'; nullable: true } ? number | null
  : K extends { kind: 'int' | 'signed' } ? number
  : K extends { kind: 'u64' | 'hex64' } ? bigint
  : K extends { kind: 'enum'; values: readonly (infer V)[] } ? V
  : K extends { kind: 'list'; item: infer I } ? readonly ValueOf<I>[]
  : K extends { kind: 'counted'; item: infer I } ? readonly ValueOf<I>[]
  : K extends { kind: 'env-or-inherit' } ? readonly string[] | 'inherit'
  : string;
type ArgsOf<N extends OpName> = (typeof OPS)[N]['args'][number];
/** An op's arguments by name. */
export type Fields<N extends OpName> = {
  [A in ArgsOf<N> as A extends { optional: true } ? never : A['name']]: ValueOf<A>;
} & {
  [A in ArgsOf<N> as A extends { optional: true } ? A['name'] : never]?: ValueOf<A>;
};

type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
type Constructor<N extends OpName> = Record<string, never> extends Fields<N>
  ? (fields?: Fields<N>, origin?: string) => PlanOp<N>
  : (fields: Fields<N>, origin?: string) => PlanOp<N>;
export type Constructors = { [N in OpName as Camel<N>]: Constructor<N> };

function camel(name: string): string {
  return name.replace(/-(.)/g, (_, c: string) => c.toUpperCase());
}

function encodeValue(kind: ArgKind, value: unknown): string {
  if (value === null) return '';
  if (kind.kind === 'hex64') return `0x${(value as bigint).toString(16)}`;
  return String(value);
}

function encodeArg(spec: ArgSpec, value: unknown, out: string[]): void {
  const each = (item: ArgKind, values: unknown) => {
    for (const v of values as unknown[]) out.push(encodeValue(item, v));
  };
  switch (spec.kind) {
    case 'list':
      each(spec.item, value);
      return;
    case 'counted':
      out.push(String((value as unknown[]).length));
      each(spec.item, value);
      return;
    case 'env-or-inherit':
      if (value === 'inherit') out.push('inherit');
      else {
        out.push(String((value as unknown[]).length));
        each({ kind: 'string' }, value);
      }
      return;
    default:
      if (value === undefined && spec.optional) return;
      out.push(encodeValue(spec, value));
  }
}

/**
 * The op with its fields in wire form. Nothing is checked here: a plan is built for a config with
 * errors too (check and explain report them all); checkArgs checks what is sent (encodePlan).
 */
export function makeOp<N extends OpName>(name: N, fields: Partial<Record<string, unknown>> = {}, origin?: string): PlanOp<N> {
  const args: string[] = [];
  for (const spec of OPS[name].args as readonly ArgSpec[]) encodeArg(spec, fields[spec.name], args);
  return origin === undefined ? { op: name, args } : { op: name, args, origin };
}

const U64_MAX = 2n ** 64n - 1n;
const isDecimal = (t: string) => /^[0-9]+$/.test(t);

/** Why the wire text is not of kind, or undefined when it is: the helper's own check (interp.c). */
function badText(kind: ArgKind, text: string): string | undefined {
  switch (kind.kind) {
    case 'int':
      if (text === '' && kind.nullable) return undefined;
      return isDecimal(text) && BigInt(text) <= BigInt(kind.max) ? undefined : `must be a number, at most ${kind.max}`;
    case 'signed': {
      const digits = text.startsWith('-') ? text.slice(1) : text;
      return isDecimal(digits) && BigInt(digits) <= BigInt(kind.max) ? undefined : `must be a number from -${kind.max} to ${kind.max}`;
    }
    case 'u64':
      return isDecimal(text) && BigInt(text) <= U64_MAX ? undefined : 'must be a 64-bit number';
    case 'hex64':
      return /^0x[0-9a-fA-F]+$/.test(text) && BigInt(text) <= U64_MAX ? undefined : 'must be 0x and a 64-bit hex number';
    case 'path':
      return text.startsWith('/') ? undefined : 'must be an absolute path';
    case 'enum':
      return kind.values.includes(text) ? undefined : 'is not one of the values the op takes';
    case 'string':
      return undefined;
  }
}

/** What is wrong with an op's arguments, worded as the helper words it, or undefined. */
export function checkArgs(o: { op: string; args: readonly string[] }): string | undefined {
  const spec = (OPS as Record<string, OpSpec>)[o.op];
  if (spec === undefined) return `unknown op "${o.op}"`;
  const { args } = o;
  const count = `wrong argument count ${args.length} for ${o.op}`;
  let at = 0;
  for (const s of spec.args) {
    let from = at;
    let to: number;
    if (s.kind === 'list') {
      to = args.length;
      if (to - from < (s.min ?? 0)) return count;
    } else if (s.kind === 'counted' || s.kind === 'env-or-inherit') {
      if (at >= args.length) return count;
      if (s.kind === 'env-or-inherit' && args[at] === 'inherit') {
        at++;
        continue;
      }
      if (!isDecimal(args[at]) || Number(args[at]) > args.length - at - 1) return count;
      from = at + 1;
      to = from + Number(args[at]);
    } else {
      if (at >= args.length) {
        if (s.optional) return undefined;
        return count;
      }
      to = at + 1;
    }
    const item: ArgKind = s.kind === 'list' || s.kind === 'counted' ? s.item : s.kind === 'env-or-inherit' ? { kind: 'string' } : s;
    for (let i = from; i < to; i++) {
      const bad = badText(item, args[i]);
      if (bad !== undefined) return `${o.op}: bad ${s.name} ${JSON.stringify(args[i])} (argument ${i + 1}): ${bad}`;
    }
    at = to;
  }
  return at === args.length ? undefined : count;
}

/** op.mountInRoot({ root, source, … }, origin): one constructor per op, named after it. */
export const op = Object.fromEntries(
  (Object.keys(OPS) as OpName[]).map((name) => [camel(name), (fields?: Record<string, unknown>, origin?: string) => makeOp(name, fields, origin)]),
) as unknown as Constructors;

function decodeValue(kind: ArgKind, text: string): unknown {
  switch (kind.kind) {
    case 'int':
      return kind.nullable && text === '' ? null : Number(text);
    case 'signed':
      return Number(text);
    case 'u64':
    case 'hex64':
      return BigInt(text);
    default:
      return text;
  }
}

/** An op's arguments read back by name (for explain and error texts). */
export function fieldsOf<N extends OpName>(o: PlanOp<N>): Fields<N> {
  const fields: Record<string, unknown> = {};
  const args = o.args;
  let at = 0;
  for (const spec of OPS[o.op].args as readonly ArgSpec[]) {
    switch (spec.kind) {
      case 'list':
        fields[spec.name] = args.slice(at).map((a) => decodeValue(spec.item, a));
        at = args.length;
        break;
      case 'counted': {
        const n = Number(args[at++]);
        fields[spec.name] = args.slice(at, at + n).map((a) => decodeValue(spec.item, a));
        at += n;
        break;
      }
      case 'env-or-inherit':
        if (args[at] === 'inherit') fields[spec.name] = 'inherit';
        else fields[spec.name] = args.slice(at + 1, at + 1 + Number(args[at]));
        at = args.length;
        break;
      default:
        if (at < args.length) fields[spec.name] = decodeValue(spec, args[at++]);
    }
  }
  return fields as Fields<N>;
}

/** The ops that may be sent ahead in a head. */
export const HEAD_OPS: readonly OpName[] = (Object.keys(OPS) as OpName[]).filter((n) => (OPS[n] as OpSpec).head === true);

/** An op's arguments as the op reference lists them ("root, source or empty, …"). */
export function describeArgs(name: OpName): string {
  const kindText = (k: ArgKind): string => {
    switch (k.kind) {
      case 'int': return k.nullable ? ' (decimal or empty)' : ' (decimal)';
      case 'signed': return ' (decimal, may be negative)';
      case 'u64': return ' (decimal, 64-bit)';
      case 'hex64': return ' (hex, 64-bit)';
      case 'string': return k.nullable ? ' (or empty)' : '';
      case 'path': return '';
      case 'enum': return ` (${k.values.map((v) => `\`${v}\``).join(' or ')})`;
    }
  };
  const specs = (OPS[name].args as readonly ArgSpec[]).map((s) => ({ ...s, name: s.name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`) }));
  if (specs.length === 0) return '—';
  return specs.map((s) => {
    switch (s.kind) {
      case 'list': return `${s.name}…${kindText(s.item)}${s.min ? ` (at least ${s.min})` : ''}`;
      case 'counted': return `count, ${s.name}…${kindText(s.item)}`;
      case 'env-or-inherit': return `\`inherit\` or count, ${s.name}…`;
      default: return `${s.optional ? '[' : ''}${s.name}${kindText(s)}${s.optional ? ']' : ''}`;
    }
  }).join(', ');
}
