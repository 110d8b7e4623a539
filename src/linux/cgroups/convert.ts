// Conversions from the OCI (cgroup v1 shaped) values to what the cgroup files take.

import type { DeviceCgroupRule } from '../../oci/types';
import { type Problem, RuntimeError } from '../../common/errors';

/**
 * cpu.shares [2..262144] → cpu.weight [1..10000], linearly: 1 + ((shares - 2) * 9999) / 262142, rounded
 * down. This is the mapping of runc before 1.3/crun/the KEP-2254 docs (1024 → 39). runc main now uses a
 * quadratic fit (opencontainers/cgroups utils.go ConvertCPUSharesToCgroupV2Value: 1024 → 100, the v2
 * default); the linear one is kept here because the tsrunc design asks for it. Out-of-range shares are
 * clamped as the kernel clamps cpu.shares.
 */
export function cpuSharesToWeight(shares: number): number {
  const s = Math.min(262144, Math.max(2, shares));
  return 1 + Math.floor(((s - 2) * 9999) / 262142);
}

/** blkio weight [10..1000] → io.weight [1..10000], linearly (runc ConvertBlkIOToIOWeightValue). */
export function blkioWeightToIoWeight(weight: number): number {
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * OCI memory.swap is memory+swap (the v1 memsw meaning); cgroup v2 memory.swap.max is swap alone.
 * Returns the memory.swap.max value (undefined: leave it as it is); throws a RuntimeError for a pair it
 * cannot take. Same cases as runc's ConvertMemorySwapToCgroupV2Value.
 */
export function swapToV2(swap: number | undefined, limit: number | undefined): string | undefined {
  const s = swap ?? 0;
  const l = limit ?? 0;
  if (l === -1 && s === 0) return 'max'; // unlimited memory and no swap setting: unlimited swap too
  if (s === 0) return undefined;
  if (s === -1) return 'max';
  if (l === -1) return String(s);
  if (l === 0) throw new RuntimeError('a swap limit needs a memory limit (memory+swap minus memory is the swap)');
  if (l < 0) throw new RuntimeError(`invalid memory limit ${l}`);
  if (s < l) throw new RuntimeError(`swap (memory+swap, ${s}) must be at least the memory limit (${l})`);
  return String(s - l);
}

/** A devices.allow/devices.deny line for cgroup v1: "c 1:3 rwm", "*" for an unset major or minor. */
export function deviceRuleLine(rule: DeviceCgroupRule): string {
  const type = rule.type ?? 'a';
  const major = rule.major === undefined || rule.major === null || rule.major < 0 ? '*' : String(rule.major);
  const minor = rule.minor === undefined || rule.minor === null || rule.minor < 0 ? '*' : String(rule.minor);
  return `${type} ${major}:${minor} ${rule.access ?? 'rwm'}`;
}

/** The r, w and m of an access, in that order, each once: what runc's device rules keep of it. */
export function deviceAccessLetters(access: string): string {
  return ['r', 'w', 'm'].filter((c) => access.includes(c)).join('');
}

/**
 * The rules as runc applies them: each access cut down to its r, w and m (runc ignores other letters);
 * a rule left with no access does nothing and is left out, except one of type a, which runc takes as
 * every device and every access whatever its access says.
 */
export function effectiveDeviceRules<T extends DeviceCgroupRule>(rules: readonly T[]): T[] {
  return rules.flatMap((rule) => {
    if (rule.access === undefined) return [rule];
    const access = deviceAccessLetters(rule.access);
    if (access === rule.access) return [rule];
    if (access === '' && (rule.type ?? 'a') !== 'a') return [];
    return [{ ...rule, access: access === '' ? 'rwm' : access }];
  });
}

/** What is wrong with the device rule at `path` ([] when it is well formed). */
export function deviceRuleProblems(rule: DeviceCgroupRule, path: string): Problem[] {
  const problems: Problem[] = [];
  const problem = (message: string) => problems.push({ severity: 'error', path, message });
  if (rule.type !== undefined && !['a', 'c', 'b'].includes(rule.type)) problem(`type ${JSON.stringify(rule.type)} is not one of a, c, b`);
  if (rule.access === '') problem('access is empty: give the letters of the access the rule is about (r, w, m), as runc requires');
  return problems;
}

/**
 * The letters of a device rule's access that runc ignores (anything but r, w and m), as a reason for
 * a warning; undefined when there are none.
 */
export function ignoredAccessReason(rule: DeviceCgroupRule): string | undefined {
  if (rule.access === undefined) return undefined;
  const ignored = [...new Set(rule.access.replace(/[rwm]/g, ''))].join('');
  if (ignored === '') return undefined;
  const kept = deviceAccessLetters(rule.access);
  const effect = (rule.type ?? 'a') === 'a'
    ? 'a rule of type a is about every device and access anyway'
    : kept === '' ? 'the rule is left with no access and does nothing' : `the rule is about ${JSON.stringify(kept)}`;
  return `the letters ${JSON.stringify(ignored)} of access ${JSON.stringify(rule.access)} are ignored, as runc ignores every letter but r, w and m; ${effect}`;
}

/** Integers written to cgroup files: plain decimal, no exponent form. */
export function int(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : BigInt(Math.trunc(n)).toString();
}
