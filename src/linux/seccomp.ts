// linux.seccomp: validated and translated here into the items of the `seccomp` op
// (docs/plan-format.md). The helper only compiles the items with libseccomp and loads the result;
// every decision (actions, errno defaults, redundant rules, split conditions, what is refused) is
// made here, and every name is a number by the time it reaches the helper (read back for explain).
import type { Seccomp } from '../oci/types';
import type { Problem } from '../common/errors';
import { native, NativeAddon } from './native';
import { ArchMax, enosysStub, needsEnosysStub } from './seccomp-enosys';

/** Actions as the helper names them. */
export type SeccompAction = 'kill-thread' | 'kill-process' | 'trap' | 'errno' | 'trace' | 'allow' | 'log' | 'notify';
export type SeccompOp = 'ne' | 'lt' | 'le' | 'eq' | 'ge' | 'gt' | 'masked-eq';

export interface SeccompCondition {
  index: number;
  op: SeccompOp;
  value: bigint;
  valueTwo: bigint;
}

export interface SeccompRule {
  syscall: string;
  action: SeccompAction;
  /** The errno (ERRNO) or the tracer's message (TRACE); 0 for the other actions. */
  errno: number;
  /** All must hold (AND). */
  args: SeccompCondition[];
  /** The config field, e.g. "linux.seccomp.syscalls[3]". */
  origin: string;
}

export interface SeccompFilter {
  defaultAction: SeccompAction;
  defaultErrno: number;
  /** libseccomp architecture names ("x86", "x32", …); the native one is always in the filter too. */
  architectures: string[];
  /** SECCOMP_FILTER_FLAG_* names passed to seccomp(2). */
  flags: string[];
  rules: SeccompRule[];
  /** Every system call name the profile's rules give (also those of rules left out), for the -ENOSYS stub. */
  names: string[];
  /** Where the notification fd goes: set when a rule is SCMP_ACT_NOTIFY. */
  listener?: { path: string; metadata?: string };
}

export interface SeccompTranslation {
  /** Undefined when there are errors. */
  filter?: SeccompFilter;
  problems: Problem[];
}

const EPERM = 1;
/** SECCOMP_RET_DATA is 16 bits: a larger errno cannot be encoded in the filter. */
const MAX_RET_DATA = 0xffff;
/** More rules than this get libseccomp's binary-tree optimization. */
const OPTIMIZE_ABOVE = 32;
/** A system call has at most six arguments. */
const MAX_ARGS = 6;

const ACTIONS: Record<string, SeccompAction> = {
  SCMP_ACT_KILL: 'kill-thread',
  SCMP_ACT_KILL_THREAD: 'kill-thread',
  SCMP_ACT_KILL_PROCESS: 'kill-process',
  SCMP_ACT_TRAP: 'trap',
  SCMP_ACT_ERRNO: 'errno',
  SCMP_ACT_TRACE: 'trace',
  SCMP_ACT_ALLOW: 'allow',
  SCMP_ACT_LOG: 'log',
  SCMP_ACT_NOTIFY: 'notify',
};

const OPERATORS: Record<string, SeccompOp> = {
  SCMP_CMP_NE: 'ne',
  SCMP_CMP_LT: 'lt',
  SCMP_CMP_LE: 'le',
  SCMP_CMP_EQ: 'eq',
  SCMP_CMP_GE: 'ge',
  SCMP_CMP_GT: 'gt',
  SCMP_CMP_MASKED_EQ: 'masked-eq',
};

/** OCI architecture names to libseccomp's (seccomp_arch_resolve_name). */
const ARCHITECTURES: Record<string, string> = {
  SCMP_ARCH_X86: 'x86',
  SCMP_ARCH_X86_64: 'x86_64',
  SCMP_ARCH_X32: 'x32',
  SCMP_ARCH_ARM: 'arm',
  SCMP_ARCH_AARCH64: 'aarch64',
  SCMP_ARCH_MIPS: 'mips',
  SCMP_ARCH_MIPS64: 'mips64',
  SCMP_ARCH_MIPS64N32: 'mips64n32',
  SCMP_ARCH_MIPSEL: 'mipsel',
  SCMP_ARCH_MIPSEL64: 'mipsel64',
  SCMP_ARCH_MIPSEL64N32: 'mipsel64n32',
  SCMP_ARCH_PPC: 'ppc',
  SCMP_ARCH_PPC64: 'ppc64',
  SCMP_ARCH_PPC64LE: 'ppc64le',
  SCMP_ARCH_S390: 's390',
  SCMP_ARCH_S390X: 's390x',
  SCMP_ARCH_PARISC: 'parisc',
  SCMP_ARCH_PARISC64: 'parisc64',
  SCMP_ARCH_RISCV64: 'riscv64',
  SCMP_ARCH_LOONGARCH64: 'loongarch64',
  SCMP_ARCH_M68K: 'm68k',
  SCMP_ARCH_SH: 'sh',
  SCMP_ARCH_SHEB: 'sheb',
};

/** The flags of seccomp(2), with their bits (<linux/seccomp.h>). */
const FLAG_BITS = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
} as const;

/** SECCOMP_FILTER_FLAG_NEW_LISTENER: seccomp(2) returns the notification fd; set by tsrunc, not a config flag. */
const NEW_LISTENER = 8;
/** sizeof(sockaddr_un.sun_path) less the terminating NUL. */
const MAX_SOCKET_PATH = 107;

export const SECCOMP_FLAGS = Object.keys(FLAG_BITS) as (keyof typeof FLAG_BITS)[];

/** SCMP_ACT_* as libseccomp and the kernel number them (SECCOMP_RET_*); errno and trace add their 16-bit data. */
const ACTION_VALUES: Record<SeccompAction, number> = {
  'kill-thread': 0x00000000,
  'kill-process': 0x80000000,
  trap: 0x00030000,
  errno: 0x00050000,
  trace: 0x7ff00000,
  log: 0x7ffc0000,
  allow: 0x7fff0000,
  notify: 0x7fc00000,
};

/** enum scmp_compare. */
const COMPARE_VALUES: Record<SeccompOp, number> = { ne: 1, lt: 2, le: 3, eq: 4, ge: 5, gt: 6, 'masked-eq': 7 };

/** enum scmp_filter_attr: SCMP_FLTATR_CTL_OPTIMIZE. */
const ATTR_OPTIMIZE = 8;

/** What a syscall name can be: anything else can never be resolved, and must not break the encoding. */
const SYSCALL_NAME = /^[A-Za-z0-9_]+$/;

/** Actions that let the system call run. */
export function letsRun(action: SeccompAction): boolean {
  return action === 'allow' || action === 'log';
}

type Out = Problem[];

function error(out: Out, path: string, message: string, extra: Partial<Problem> = {}): void {
  out.push({ severity: 'error', path, message, ...extra });
}

function warning(out: Out, path: string, message: string): void {
  out.push({ severity: 'warning', path, message });
}

/** An action and its errno; undefined (with an error) when refused. */
function translateAction(
  name: unknown, errnoRet: unknown, path: string, errnoPath: string, out: Out,
): { action: SeccompAction; errno: number } | undefined {
  const action = typeof name === 'string' ? ACTIONS[name] : undefined;
  if (action === undefined) {
    error(out, path, 'unknown seccomp action', { found: JSON.stringify(name), expected: Object.keys(ACTIONS).join(', ') });
    return undefined;
  }
  if (action !== 'errno' && action !== 'trace') {
    if (errnoRet !== undefined) error(out, errnoPath, `cannot be used with ${name}; only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return an errno`);
    return { action, errno: 0 };
  }
  if (errnoRet === undefined) return { action, errno: EPERM };
  if (typeof errnoRet !== 'number' || !Number.isInteger(errnoRet) || errnoRet < 0 || errnoRet > MAX_RET_DATA) {
    error(out, errnoPath, `must be an integer from 0 to ${MAX_RET_DATA}`, { found: JSON.stringify(errnoRet) });
    return undefined;
  }
  return { action, errno: errnoRet };
}

function toUint64(v: unknown, path: string, out: Out): bigint | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    error(out, path, 'must be an unsigned 64-bit integer', { found: JSON.stringify(v) });
    return undefined;
  }
  if (!Number.isSafeInteger(v)) {
    // JSON.parse already rounded it: filtering on a neighbouring value would be wrong silently.
    error(out, path, `is above 2^53 and cannot be read exactly from JSON by tsrunc (the nearest double is ${BigInt(v)})`);
    return undefined;
  }
  return BigInt(v);
}

function translateConditions(args: unknown, path: string, out: Out): SeccompCondition[] | undefined {
  if (args === undefined) return [];
  if (!Array.isArray(args)) {
    error(out, path, 'must be an array');
    return undefined;
  }
  const conditions: SeccompCondition[] = [];
  let ok = true;
  args.forEach((arg: unknown, j) => {
    const at = `${path}[${j}]`;
    if (arg === null || typeof arg !== 'object') {
      error(out, at, 'must be an object');
      ok = false;
      return;
    }
    const a = arg as Record<string, unknown>;
    const op = typeof a.op === 'string' ? OPERATORS[a.op] : undefined;
    if (op === undefined) {
      error(out, `${at}.op`, 'unknown seccomp operator', { found: JSON.stringify(a.op), expected: Object.keys(OPERATORS).join(', ') });
      ok = false;
    }
    if (typeof a.index !== 'number' || !Number.isInteger(a.index) || a.index < 0 || a.index >= MAX_ARGS) {
      error(out, `${at}.index`, `must be an argument position from 0 to ${MAX_ARGS - 1}`, { found: JSON.stringify(a.index) });
      ok = false;
    }
    const value = toUint64(a.value, `${at}.value`, out);
    const valueTwo = a.valueTwo === undefined ? 0n : toUint64(a.valueTwo, `${at}.valueTwo`, out);
    if (value === undefined || valueTwo === undefined) ok = false;
    if (ok) conditions.push({ index: a.index as number, op: op!, value: value!, valueTwo: valueTwo! });
  });
  return ok ? conditions : undefined;
}

/**
 * Conditions on different arguments all must hold, so they make one rule. Two or more on the same
 * argument cannot be one libseccomp rule; as runc does, each condition then becomes a rule of its own
 * (so any of them matches).
 */
function conditionSets(conditions: SeccompCondition[]): SeccompCondition[][] {
  const indexes = conditions.map((c) => c.index);
  const repeated = indexes.some((ix, i) => indexes.indexOf(ix) !== i);
  return repeated ? conditions.map((c) => [c]) : [conditions];
}

/** Validates linux.seccomp and turns it into a filter; errors name the field at fault. */
export function translateSeccomp(seccomp: Seccomp): SeccompTranslation {
  const problems: Problem[] = [];
  const base = 'linux.seccomp';
  const def = translateAction(seccomp.defaultAction, seccomp.defaultErrnoRet, `${base}.defaultAction`, `${base}.defaultErrnoRet`, problems);

  const architectures: string[] = [];
  (seccomp.architectures ?? []).forEach((arch, i) => {
    const name = ARCHITECTURES[arch];
    if (name === undefined) {
      error(problems, `${base}.architectures[${i}]`, 'unknown seccomp architecture', { found: JSON.stringify(arch) });
    } else if (!architectures.includes(name)) {
      architectures.push(name);
    }
  });

  // No `flags` at all (not an empty list) means SPEC_ALLOW, as runc and crun: the Speculative Store
  // Bypass mitigation a filter would otherwise switch on slows interpreters down (every kernel tsrunc
  // runs on, 5.6 or later for openat2, has the flag).
  const flags: string[] = seccomp.flags === undefined ? ['SECCOMP_FILTER_FLAG_SPEC_ALLOW'] : [];
  (seccomp.flags ?? []).forEach((flag, i) => {
    const at = `${base}.flags[${i}]`;
    if (!(SECCOMP_FLAGS as readonly string[]).includes(flag)) {
      error(problems, at, 'unknown seccomp flag', { found: JSON.stringify(flag), expected: SECCOMP_FLAGS.join(', ') });
    } else if (!flags.includes(flag)) {
      flags.push(flag);
    }
  });
  if (def?.action === 'notify') {
    // The init hands the notification fd over with a write: a default of NOTIFY would catch it (runc's words).
    error(problems, `${base}.defaultAction`, 'SCMP_ACT_NOTIFY cannot be used as default action: no agent has the notification fd yet when the filter catches its first system call');
  }

  const rules: SeccompRule[] = [];
  const allNames: string[] = [];
  (seccomp.syscalls ?? []).forEach((sc, i) => {
    const at = `${base}.syscalls[${i}]`;
    const act = translateAction(sc.action, sc.errnoRet, `${at}.action`, `${at}.errnoRet`, problems);
    const conditions = translateConditions(sc.args, `${at}.args`, problems);
    const names = Array.isArray(sc.names) ? sc.names : [];
    names.forEach((name, k) => {
      if (typeof name !== 'string' || name === '') {
        error(problems, `${at}.names[${k}]`, 'must be a system call name', { found: JSON.stringify(name) });
      } else if (!SYSCALL_NAME.test(name)) {
        warning(problems, `${at}.names[${k}]`, `${JSON.stringify(name)} is not a system call name; ignored`);
      } else {
        if (!allNames.includes(name)) allNames.push(name);
        if (act?.action === 'notify' && name === 'write') {
          // As runc: the init writes the fd's number to tsrunc before any agent has the fd.
          error(problems, `${at}.names[${k}]`, 'SCMP_ACT_NOTIFY cannot be used for the write syscall: the init hands the notification fd over with write(2), before the agent has it');
        }
      }
    });
    if (!act || !def || !conditions) return;
    // The same action as the default: the rule changes nothing (and libseccomp refuses it).
    if (act.action === def.action && act.errno === def.errno) return;
    for (const name of names) {
      if (typeof name !== 'string' || !SYSCALL_NAME.test(name)) continue;
      for (const args of conditionSets(conditions)) rules.push({ syscall: name, ...act, args, origin: at });
    }
  });

  const listener = translateListener(seccomp, rules, problems);
  const waitKillable = flags.indexOf('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV');
  if (waitKillable >= 0 && !listener) {
    // It changes how a notification agent waits; the kernel refuses it without a listener.
    warning(problems, `${base}.flags[${seccomp.flags!.indexOf('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV')}]`,
      'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV only applies to a seccomp notification listener (a rule with SCMP_ACT_NOTIFY); ignored');
    flags.splice(waitKillable, 1);
  }
  // As runc, TSYNC is not passed: the helper is single-threaded, so it changes nothing (and the kernel
  // refuses it with a listener, unless TSYNC_ESRCH).
  if (flags.includes('SECCOMP_FILTER_FLAG_TSYNC')) flags.splice(flags.indexOf('SECCOMP_FILTER_FLAG_TSYNC'), 1);

  if (problems.some((p) => p.severity === 'error') || !def) return { problems };
  const filter: SeccompFilter = { defaultAction: def.action, defaultErrno: def.errno, architectures, flags, rules, names: allNames };
  if (listener) filter.listener = listener;
  return { filter, problems };
}

/**
 * linux.seccomp.listenerPath, the unix socket of the agent that gets the notification fd, as runc takes
 * it: needed when a rule is SCMP_ACT_NOTIFY, ignored (with a warning) when none is. An absolute path,
 * or `@name` for an abstract socket (as Go's net.Dial reads it). Whether a socket is there is the host
 * checks' to say (host-checks.ts).
 */
function translateListener(seccomp: Seccomp, rules: SeccompRule[], out: Out): SeccompFilter['listener'] {
  const at = 'linux.seccomp.listenerPath';
  const notifying = rules.find((r) => r.action === 'notify');
  const listenerPath = seccomp.listenerPath;
  if (!notifying) {
    if (listenerPath !== undefined && listenerPath !== '') warning(out, at, 'no rule uses SCMP_ACT_NOTIFY, so no agent is told anything; ignored');
    return undefined;
  }
  if (listenerPath === undefined || listenerPath === '') {
    error(out, at, `must name the seccomp agent's unix socket: ${notifying.origin} uses SCMP_ACT_NOTIFY, whose notifications only an agent can answer`);
    return undefined;
  }
  if (!listenerPath.startsWith('/') && !listenerPath.startsWith('@')) {
    error(out, at, "must be an absolute path (starting with '/'), or '@name' for an abstract socket", { found: JSON.stringify(listenerPath) });
    return undefined;
  }
  if (Buffer.byteLength(listenerPath) > MAX_SOCKET_PATH) {
    error(out, at, `is longer than a unix socket address can be (${MAX_SOCKET_PATH} bytes)`);
    return undefined;
  }
  return { path: listenerPath, ...(seccomp.listenerMetadata !== undefined ? { metadata: seccomp.listenerMetadata } : {}) };
}

/** libseccomp's tables, which turn names into the numbers the helper takes and back (the addon's). */
export type SeccompTables = Pick<NativeAddon, 'seccompArch' | 'seccompSyscallNumbers' | 'seccompSyscallNames' | 'seccompVersion'>;

function actionValue(action: SeccompAction, errno: number): number {
  return (ACTION_VALUES[action] | (action === 'errno' || action === 'trace' ? errno : 0)) >>> 0;
}

/**
 * The `seccomp` op's arguments: one item per argument, every name a number (docs/plan-format.md).
 * A system call is given by its number on the native architecture, as libseccomp takes it (it maps the
 * number to each added architecture, leaving the rule out of one that lacks the call); a name libseccomp
 * does not know is left out, as runc does. An architecture libseccomp does not know is an error.
 */
export function encodeSeccomp(filter: SeccompFilter, tables: SeccompTables = native()): { items: string[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const items = [`default ${actionValue(filter.defaultAction, filter.defaultErrno)}`];
  const names = [...new Set(filter.rules.map((r) => r.syscall))];
  const resolved = tables.seccompSyscallNumbers(tables.seccompArch(), names);
  const numbers = new Map(names.map((n, i) => [n, resolved[i]]));
  const rules = filter.rules.filter((r) => numbers.get(r.syscall) !== null);
  // libseccomp's binary tree for long rule lists, as runc does (libseccomp <= 2.5.4 misbehaves with it
  // on very few rules).
  if (rules.length > OPTIMIZE_ABOVE) items.push(`attr ${ATTR_OPTIMIZE} 2`);
  for (const arch of filter.architectures) {
    const token = tables.seccompArch(arch);
    if (token === 0) {
      const oci = Object.keys(ARCHITECTURES).find((k) => ARCHITECTURES[k] === arch) ?? arch;
      error(problems, 'linux.seccomp.architectures', `${oci} is unknown to the installed libseccomp ${tables.seccompVersion()}`);
    }
    items.push(`arch ${token}`);
  }
  const flags = seccompFlagBits(filter);
  if (flags !== 0) items.push(`flags ${flags}`);
  if (needsEnosysStub(filter.defaultAction, filter.defaultErrno)) {
    for (const i of enosysStub(largestNumbers(filter, tables))) items.push(`prefix ${i.code} ${i.jt} ${i.jf} ${i.k}`);
  }
  for (const rule of rules) {
    const conds = rule.args.map((c) => ` ${c.index} ${COMPARE_VALUES[c.op]} ${c.value} ${c.valueTwo}`).join('');
    items.push(`rule ${numbers.get(rule.syscall)} ${actionValue(rule.action, rule.errno)}${conds}`);
  }
  return { items, problems };
}

/** The seccomp(2) flags of the filter: its config flags, and NEW_LISTENER for a notification agent. */
export function seccompFlagBits(filter: SeccompFilter): number {
  const bits = filter.flags.reduce((b, f) => b | (FLAG_BITS[f as keyof typeof FLAG_BITS] ?? 0), 0);
  return filter.listener ? bits | NEW_LISTENER : bits;
}

/** The seccomp(2) flags a `seccomp` op's items pass (runc logs them at debug level: "seccomp filter flags: N"). */
export function flagsOfItems(items: readonly string[]): number {
  const item = items.find((i) => i.startsWith('flags '));
  return item === undefined ? 0 : Number(item.slice('flags '.length));
}

/**
 * The largest number of the profile's names on each architecture of the filter, the native one
 * included, as runc counts them: every name of every rule, also those of rules left out.
 */
function largestNumbers(filter: SeccompFilter, tables: SeccompTables): ArchMax[] {
  const nativeToken = tables.seccompArch();
  const nativeName = Object.values(ARCHITECTURES).find((n) => tables.seccompArch(n) === nativeToken) ?? 'native';
  const names = [nativeName, ...filter.architectures.filter((a) => a !== nativeName)];
  return names.map((name) => {
    const token = name === nativeName ? nativeToken : tables.seccompArch(name);
    const numbers = token === 0 ? [] : tables.seccompSyscallNumbers(token, filter.names);
    return { name, token, max: Math.max(0, ...numbers.filter((n): n is number => n !== null)) };
  });
}

/** A `seccomp` op's item read back into names (for explain and messages); what no table names shows as its number. */
export type SeccompItem =
  | { kind: 'default'; action: string; errno: number }
  | { kind: 'attr'; name: string; value: string }
  | { kind: 'arch'; name: string }
  | { kind: 'flags'; names: string[] }
  | { kind: 'prefix'; code: string; jt: string; jf: string; k: string }
  | { kind: 'rule'; syscall: string; action: string; errno: number; conditions: { index: string; op: string; value: string; valueTwo: string }[] }
  | { kind: 'unknown'; text: string };

function decodeAction(value: number): { action: string; errno: number } {
  const base = (value & 0xffff0000) >>> 0;
  const action = (Object.keys(ACTION_VALUES) as SeccompAction[]).find((a) => ACTION_VALUES[a] === base);
  if (action === undefined) return { action: `0x${value.toString(16)}`, errno: 0 };
  return { action, errno: action === 'errno' || action === 'trace' ? value & 0xffff : 0 };
}

export function decodeSeccomp(items: readonly string[], tables: SeccompTables = native()): SeccompItem[] {
  const fields = items.map((item) => item.split(' '));
  const archNames = new Map(Object.values(ARCHITECTURES).map((name) => [tables.seccompArch(name), name]));
  const ops = new Map(Object.entries(COMPARE_VALUES).map(([name, n]) => [String(n), name]));
  const syscallNames = tables.seccompSyscallNames(tables.seccompArch(), fields.filter((f) => f[0] === 'rule').map((f) => Number(f[1])));
  let rules = 0;
  return fields.map(([kind, ...rest]): SeccompItem => {
    const n = rest.map(Number);
    switch (kind) {
      case 'default': return { kind, ...decodeAction(n[0]) };
      case 'attr': return { kind, name: n[0] === ATTR_OPTIMIZE ? 'optimize' : rest[0], value: rest[1] };
      case 'arch': return { kind, name: archNames.get(n[0]) ?? rest[0] };
      case 'flags': return { kind, names: [...SECCOMP_FLAGS.filter((f) => (n[0] & FLAG_BITS[f]) !== 0), ...((n[0] & NEW_LISTENER) !== 0 ? ['SECCOMP_FILTER_FLAG_NEW_LISTENER'] : [])] };
      case 'prefix': return { kind, code: rest[0], jt: rest[1], jf: rest[2], k: rest[3] };
      case 'rule': {
        const conditions = [];
        for (let i = 2; i + 3 < rest.length; i += 4) {
          conditions.push({ index: rest[i], op: ops.get(rest[i + 1]) ?? rest[i + 1], value: rest[i + 2], valueTwo: rest[i + 3] });
        }
        return { kind, syscall: syscallNames[rules++] ?? rest[0], ...decodeAction(n[1]), conditions };
      }
      default: return { kind: 'unknown', text: [kind, ...rest].join(' ') };
    }
  });
}

/** An item as one line: "rule mkdir errno 1 0 eq 8 0", "arch x86", "flags SECCOMP_FILTER_FLAG_LOG". */
export function seccompItemText(item: SeccompItem): string {
  switch (item.kind) {
    case 'default': return `default ${item.action} ${item.errno}`;
    case 'attr': return `attr ${item.name} ${item.value}`;
    case 'arch': return `arch ${item.name}`;
    case 'flags': return `flags ${item.names.join(' ')}`;
    case 'prefix': return `prefix ${classicText(item)}`;
    case 'rule': return [`rule ${item.syscall} ${item.action} ${item.errno}`, ...item.conditions.map((c) => `${c.index} ${c.op} ${c.value} ${c.valueTwo}`)].join(' ');
    case 'unknown': return item.text;
  }
}

/** A stub instruction in the kernel's notation: "jgt #453, +3, +4", "ld [4]", "ret #0x50026". */
function classicText(i: { code: string; jt: string; jf: string; k: string }): string {
  const k = Number(i.k);
  const hex = `0x${k.toString(16)}`;
  switch (Number(i.code)) {
    case 0x20: return `ld [${k}]`;
    case 0x05: return `ja +${k}`;
    case 0x06: return `ret #${hex}`;
    case 0x15: return `jeq #${hex}, +${i.jt}, +${i.jf}`;
    case 0x25: return `jgt #${k}, +${i.jt}, +${i.jf}`;
    case 0x45: return `jset #${hex}, +${i.jt}, +${i.jf}`;
    default: return [i.code, i.jt, i.jf, i.k].join(' ');
  }
}

/**
 * True when the filter surely stops `syscall` from running whatever its arguments: an unconditional
 * rule stops it, or the default does and no rule lets it run. Conditional rules make it uncertain, and
 * uncertain is not reported.
 */
export function surelyBlocks(filter: SeccompFilter, syscall: string): boolean {
  const rules = filter.rules.filter((r) => r.syscall === syscall);
  // The agent decides what a notified call does.
  if (rules.some((r) => r.action === 'notify')) return false;
  if (rules.some((r) => r.args.length === 0 && letsRun(r.action))) return false;
  if (rules.some((r) => r.args.length === 0 && !letsRun(r.action))) return true;
  return !letsRun(filter.defaultAction) && !rules.some((r) => letsRun(r.action));
}

/** Where the filter is installed and what the helper does under it (plan-builder.ts places it). */
export interface FilterPlacement {
  /** process.noNewPrivileges: installed after find-exec (else before the user switch). */
  noNewPrivileges: boolean;
  hasCapabilities: boolean;
  /** create's init waits for `start` (`wait-start`) once the filter is in force. */
  waitsForStart: boolean;
  /** hooks.startContainer run under the filter (`run-hook`). */
  runsHooks: boolean;
  /** A notification agent gets the fd (`seccomp-listener`), and with noNewPrivileges `ready` comes after. */
  listener: boolean;
}

/**
 * The system calls the helper must still make once the filter is in force. Each entry lists names
 * of which the C library uses one (it differs between architectures and libc versions).
 */
export function syscallsAfterFilter(p: FilterPlacement): string[][] {
  const needed: string[][] = [];
  // seccomp-listener: the fd's number written to tsrunc, its answer read, the init's copy closed.
  if (p.listener) needed.push(['write'], ['read'], ['close']);
  if (!p.noNewPrivileges) {
    needed.push(['setresuid', 'setresuid32']);
    if (p.hasCapabilities) needed.push(['capset'], ['prctl']);
    needed.push(
      ['newfstatat', 'stat', 'stat64', 'fstatat64', 'statx'], // find-exec
      ['access', 'faccessat', 'faccessat2'],
    );
  }
  if (!p.noNewPrivileges || p.listener) needed.push(['sendto', 'send', 'write']); // ready
  if (!p.noNewPrivileges || p.waitsForStart) needed.push(['openat', 'open', 'openat2'], ['write']); // wait-start
  // hooks.startContainer (`run-hook`): memfds for its stdin and output, a child, its pidfd, the wait.
  if (p.runsHooks) needed.push(['memfd_create'], ['clone', 'clone3', 'fork'], ['pidfd_open'], ['poll', 'ppoll'], ['wait4', 'waitid'], ['dup2', 'dup3']);
  needed.push(['execve']);
  const seen = new Set<string>();
  return needed.filter((names) => !seen.has(names.join()) && seen.add(names.join()));
}

/** The entries of `needed` the filter surely blocks, by their first name. */
export function blockedNeeds(filter: SeccompFilter, needed: string[][]): string[] {
  return needed.filter((names) => names.every((n) => surelyBlocks(filter, n))).map((names) => names[0]);
}

/** The OCI names translateSeccomp accepts, from its tables (for `tsrunc features`). */
export function seccompNames(): { actions: string[]; operators: string[]; archs: string[] } {
  return { actions: Object.keys(ACTIONS), operators: Object.keys(OPERATORS), archs: Object.keys(ARCHITECTURES) };
}
