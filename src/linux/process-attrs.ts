// linux.personality, process.scheduler and process.ioPriority: what is checked, and the numbers the
// helper's `personality`, `sched-setattr` and `ioprio` ops get (docs/plan-format.md). Pure.
import type { IOPriority, Scheduler, SchedulerFlag, SchedulerPolicy, Spec } from '../oci/types';
import type { Problem } from '../common/errors';
import { idMask, parseIdList } from './id-list';

/** personality(2) execution domains (<linux/personality.h>): PER_LINUX, PER_LINUX32. */
export const PERSONALITY_DOMAINS: Record<string, number> = { LINUX: 0x0000, LINUX32: 0x0008 };

/** sched(7) policies (<linux/sched.h>); SCHED_ISO is reserved by the kernel (sched_setattr refuses it). */
export const SCHED_POLICIES: Record<SchedulerPolicy, number> = {
  SCHED_OTHER: 0, SCHED_FIFO: 1, SCHED_RR: 2, SCHED_BATCH: 3, SCHED_ISO: 4, SCHED_IDLE: 5, SCHED_DEADLINE: 6,
};

/** sched_attr.sched_flags bits (<linux/sched.h>). */
export const SCHED_FLAGS: Record<SchedulerFlag, number> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01,
  SCHED_FLAG_RECLAIM: 0x02,
  SCHED_FLAG_DL_OVERRUN: 0x04,
  SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10,
  SCHED_FLAG_UTIL_CLAMP_MIN: 0x20,
  SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
};

/** ioprio classes (<linux/ioprio.h>); the value is class << IOPRIO_CLASS_SHIFT | priority. */
export const IOPRIO_CLASSES: Record<string, number> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };
export const IOPRIO_CLASS_SHIFT = 13;

const keys = (o: object) => Object.keys(o).join(', ');

/** The personality(2) argument for linux.personality, or undefined (problems say why). */
export function personalityValue(spec: Pick<Spec, 'linux'>, problems: Problem[]): number | undefined {
  const p = spec.linux?.personality;
  if (p === undefined) return undefined;
  const domain = PERSONALITY_DOMAINS[p.domain];
  if (domain === undefined) {
    problems.push({ severity: 'error', path: 'linux.personality.domain', message: `unknown personality domain ${JSON.stringify(p.domain)}`, expected: keys(PERSONALITY_DOMAINS) });
    return undefined;
  }
  if ((p.flags ?? []).length > 0) {
    // runtime-spec: no flag values are defined yet; runc ignores them with a warning too.
    problems.push({ severity: 'warning', path: 'linux.personality.flags', message: 'personality flags are not supported and are ignored' });
  }
  return domain;
}

export interface SchedAttr {
  policy: number;
  flags: number;
  nice: number;
  priority: number;
  runtime: number;
  deadline: number;
  period: number;
}

/** The sched_attr for process.scheduler, or undefined (problems say why). Checks as runc does, and what the kernel would refuse. */
export function schedAttr(s: Scheduler | undefined, problems: Problem[]): SchedAttr | undefined {
  if (s === undefined) return undefined;
  const base = 'process.scheduler';
  const before = problems.length;
  const error = (field: string, message: string, expected?: string) =>
    problems.push({ severity: 'error', path: `${base}.${field}`, message, ...(expected ? { expected } : {}) });
  const policy = SCHED_POLICIES[s.policy];
  if (policy === undefined) error('policy', `unknown scheduler policy ${JSON.stringify(s.policy)}`, keys(SCHED_POLICIES));
  const nice = s.nice ?? 0;
  if (!Number.isInteger(nice) || nice < -20 || nice > 19) error('nice', `nice ${nice} is out of range`, 'an integer from -20 to 19');
  const priority = s.priority ?? 0;
  const realtime = s.policy === 'SCHED_FIFO' || s.policy === 'SCHED_RR';
  if (realtime && (priority < 1 || priority > 99)) {
    error('priority', `${s.policy} needs a priority from 1 to 99, found ${priority}`, 'an integer from 1 to 99');
  } else if (!realtime && priority !== 0) {
    error('priority', 'a priority can only be given for SCHED_FIFO and SCHED_RR', '0 or no priority');
  }
  const runtime = s.runtime ?? 0;
  const deadline = s.deadline ?? 0;
  const period = s.period ?? 0;
  if (s.policy !== 'SCHED_DEADLINE' && (runtime !== 0 || deadline !== 0 || period !== 0)) {
    error('policy', 'runtime, deadline and period can only be given for SCHED_DEADLINE');
  } else if (s.policy === 'SCHED_DEADLINE' && !(runtime <= deadline && (period === 0 || deadline <= period) && deadline > 0)) {
    error('deadline', `SCHED_DEADLINE needs 0 < runtime <= deadline <= period (period 0: the deadline), found ${runtime}, ${deadline}, ${period}`);
  }
  let flags = 0;
  (s.flags ?? []).forEach((f, i) => {
    const bit = SCHED_FLAGS[f];
    if (bit === undefined) error(`flags[${i}]`, `unknown scheduler flag ${JSON.stringify(f)}`, keys(SCHED_FLAGS));
    else flags |= bit;
  });
  if (problems.length > before) return undefined;
  return { policy, flags, nice, priority, runtime, deadline, period };
}

/** The ioprio_set(2) value for process.ioPriority, or undefined (problems say why). */
export function ioprioValue(p: IOPriority | undefined, problems: Problem[]): number | undefined {
  if (p === undefined) return undefined;
  const cls = IOPRIO_CLASSES[p.class];
  if (cls === undefined) {
    problems.push({ severity: 'error', path: 'process.ioPriority.class', message: `unknown I/O priority class ${JSON.stringify(p.class)}`, expected: keys(IOPRIO_CLASSES) });
    return undefined;
  }
  if (!Number.isInteger(p.priority) || p.priority < 0 || p.priority > 7) {
    problems.push({ severity: 'error', path: 'process.ioPriority.priority', message: `I/O priority ${p.priority} is out of range`, expected: 'an integer from 0 (highest) to 7 (lowest)' });
    return undefined;
  }
  return (cls << IOPRIO_CLASS_SHIFT) | p.priority;
}

/**
 * The sched_setaffinity(2) mask (words of 64 bits, lowest first) for a CPU list of
 * process.execCPUAffinity at path, or undefined (problems say why).
 */
export function cpuAffinityMask(list: string, path: string, problems: Problem[]): bigint[] | undefined {
  const cpus = parseIdList(list, 'CPU');
  if (typeof cpus === 'string') {
    problems.push({ severity: 'error', path, message: `invalid CPU list ${JSON.stringify(list)}: ${cpus}`, hint: 'give CPUs as a list such as 0-3,7' });
    return undefined;
  }
  return idMask(cpus);
}

/** The names back from the numbers, for explain. */
export function describeSchedAttr({ policy, flags, nice, priority, runtime, deadline, period }: SchedAttr): string {
  const name = Object.entries(SCHED_POLICIES).find(([, v]) => v === policy)?.[0] ?? `policy ${policy}`;
  const flagNames = Object.entries(SCHED_FLAGS).filter(([, bit]) => (flags & bit) !== 0).map(([n]) => n);
  const parts = [name, `nice ${nice}`, `priority ${priority}`];
  if (policy === SCHED_POLICIES.SCHED_DEADLINE) parts.push(`runtime ${runtime} ns`, `deadline ${deadline} ns`, `period ${period} ns`);
  if (flagNames.length > 0) parts.push(`flags ${flagNames.join('|')}`);
  return parts.join('  ');
}

export function describeIoprio(value: number): string {
  const cls = value >> IOPRIO_CLASS_SHIFT;
  const name = Object.entries(IOPRIO_CLASSES).find(([, v]) => v === cls)?.[0] ?? `class ${cls}`;
  return `${name} priority ${value & ((1 << IOPRIO_CLASS_SHIFT) - 1)}`;
}

export function describePersonality(value: number): string {
  return Object.entries(PERSONALITY_DOMAINS).find(([, v]) => v === value)?.[0] ?? `0x${value.toString(16)}`;
}
