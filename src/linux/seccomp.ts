// linux.seccomp: validated and translated here into the items of the `seccomp` op
// (docs/plan-format.md). The helper only compiles the items with libseccomp and loads the result;
// every decision (actions, errno defaults, redundant rules, split conditions, what is refused) is
// made here, and every name is a number by the time it reaches the helper (read back for explain).
import type { Seccomp } from '../oci/types';
import type { Problem } from '../common/errors';
import { native, NativeAddon } from './native';

/** Actions as the helper names them. */
export type SeccompAction = 'kill-thread' | 'kill-process' | 'trap' | 'errno' | 'trace' | 'allow' | 'log';
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
  if (name === 'SCMP_ACT_NOTIFY') {
    error(out, path, 'SCMP_ACT_NOTIFY (a seccomp user notification agent) is not supported yet by tsrunc');
    return undefined;
  }
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

  const flags: string[] = [];
  (seccomp.flags ?? []).forEach((flag, i) => {
    const at = `${base}.flags[${i}]`;
    if (!(SECCOMP_FLAGS as readonly string[]).includes(flag)) {
      error(problems, at, 'unknown seccomp flag', { found: JSON.stringify(flag), expected: SECCOMP_FLAGS.join(', ') });
    } else if (flag === 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV') {
      // It changes how a notification agent waits; the kernel refuses it without a listener.
      warning(problems, at, `${flag} only applies to a seccomp notification listener (SCMP_ACT_NOTIFY), which tsrunc does not support yet; ignored`);
    } else if (!flags.includes(flag)) {
      flags.push(flag);
    }
  });

  if (seccomp.listenerPath !== undefined) {
    warning(problems, `${base}.listenerPath`, 'seccomp notification (SCMP_ACT_NOTIFY) is not supported yet by tsrunc; ignored');
  }

  const rules: SeccompRule[] = [];
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

  if (problems.some((p) => p.severity === 'error') || !def) return { problems };
  return { filter: { defaultAction: def.action, defaultErrno: def.errno, architectures, flags, rules }, problems };
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
  const flags = filter.flags.reduce((bits, f) => bits | (FLAG_BITS[f as keyof typeof FLAG_BITS] ?? 0), 0);
  if (flags !== 0) items.push(`flags ${flags}`);
  for (const rule of rules) {
    const conds = rule.args.map((c) => ` ${c.index} ${COMPARE_VALUES[c.op]} ${c.value} ${c.valueTwo}`).join('');
    items.push(`rule ${numbers.get(rule.syscall)} ${actionValue(rule.action, rule.errno)}${conds}`);
  }
  return { items, problems };
}

/** A `seccomp` op's item read back into names (for explain and messages); what no table names shows as its number. */
export type SeccompItem =
  | { kind: 'default'; action: string; errno: number }
  | { kind: 'attr'; name: string; value: string }
  | { kind: 'arch'; name: string }
  | { kind: 'flags'; names: string[] }
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
      case 'flags': return { kind, names: SECCOMP_FLAGS.filter((f) => (n[0] & FLAG_BITS[f]) !== 0) };
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
    case 'rule': return [`rule ${item.syscall} ${item.action} ${item.errno}`, ...item.conditions.map((c) => `${c.index} ${c.op} ${c.value} ${c.valueTwo}`)].join(' ');
    case 'unknown': return item.text;
  }
}

/**
 * True when the filter surely stops `syscall` from running whatever its arguments: an unconditional
 * rule stops it, or the default does and no rule lets it run. Conditional rules make it uncertain, and
 * uncertain is not reported.
 */
export function surelyBlocks(filter: SeccompFilter, syscall: string): boolean {
  const rules = filter.rules.filter((r) => r.syscall === syscall);
  if (rules.some((r) => r.args.length === 0 && letsRun(r.action))) return false;
  if (rules.some((r) => r.args.length === 0 && !letsRun(r.action))) return true;
  return !letsRun(filter.defaultAction) && !rules.some((r) => letsRun(r.action));
}

/**
 * The system calls the helper must still make once the filter is in force. Each entry lists names
 * of which the C library uses one (it differs between architectures and libc versions).
 */
export function syscallsAfterFilter(placement: 'before-exec' | 'before-setresuid', hasCapabilities: boolean, runsHooks = false): string[][] {
  if (placement === 'before-exec') return [['execve']];
  const needed: string[][] = [['setresuid', 'setresuid32']];
  if (hasCapabilities) needed.push(['capset'], ['prctl']);
  needed.push(
    ['newfstatat', 'stat', 'stat64', 'fstatat64', 'statx'], // find-exec
    ['access', 'faccessat', 'faccessat2'],
    ['sendto', 'send', 'write'], // ready
    ['openat', 'open', 'openat2'], // wait-start
    ['write'],
    ['execve'],
  );
  // hooks.startContainer (`run-hook`): memfds for its stdin and output, a child, its pidfd, the wait.
  if (runsHooks) needed.push(['memfd_create'], ['clone', 'clone3', 'fork'], ['pidfd_open'], ['poll', 'ppoll'], ['wait4', 'waitid'], ['dup2', 'dup3']);
  return needed;
}

/** The entries of `needed` the filter surely blocks, by their first name. */
export function blockedNeeds(filter: SeccompFilter, needed: string[][]): string[] {
  return needed.filter((names) => names.every((n) => surelyBlocks(filter, n))).map((names) => names[0]);
}

/** The OCI names translateSeccomp accepts, from its tables (for `tsrunc features`). */
export function seccompNames(): { actions: string[]; operators: string[]; archs: string[] } {
  return { actions: Object.keys(ACTIONS), operators: Object.keys(OPERATORS), archs: Object.keys(ARCHITECTURES) };
}
