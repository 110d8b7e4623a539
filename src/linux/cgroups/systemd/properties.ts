// The unit properties the systemd driver sends, as data (pure): the unit's own (runc's Apply in
// opencontainers/cgroups@30a2293 systemd/v2.go), the org.systemd.property.<Name> annotations (runc's
// initSystemdProps in libcontainer/specconv/spec_linux.go), and the resources.
//
// The resource properties are read off the cgroup v2 write plan (resource-writes.ts), file by file, as
// runc's unifiedResToSystemdProps reads the unified map: memory.max → MemoryMax, cpu.weight → CPUWeight,
// cpu.max → CPUQuotaPerSecUSec and CPUQuotaPeriodUSec, cpuset.cpus → AllowedCPUs, ... So what systemd
// is told and what is then written to the files (as runc does, everything: some settings have no
// property) are the same values, cpu.weight included (tsrunc's shares → weight conversion, convert.ts).
// runc's version gates apply: CPUQuotaPeriodUSec from systemd 242, AllowedCPUs/AllowedMemoryNodes from
// 244, cpu.idle as CPUWeight=0 from 252, OOMPolicy from 253; an unknown version counts as new enough.

import { posix } from 'node:path';
import type { Problem } from '../../../common/errors';
import type { CgroupWrite } from '../resource-writes';
import { type DbusValue, UINT64_MAX, type UnitProperty } from './dbus-value';
import { GVariantError, parseGVariant } from './gvariant';
import type { SystemdUnit } from './unit';

const DRIVER = 'systemd driver';
const ANNOTATION_PREFIX = 'org.systemd.property.';

const prop = (name: string, sig: string, value: DbusValue, origin = DRIVER): UnitProperty => ({ name, sig, value, origin });

/** The properties of the unit itself, runc's: Description, Slice or Wants, Delegate, PIDs, accounting, DefaultDependencies. */
export function unitProperties(unit: SystemdUnit, pid: number | undefined): UnitProperty[] {
  const props = [prop('Description', 's', unit.description)];
  if (unit.type === 'slice') props.push(prop('Wants', 'as', [unit.slice]));
  else props.push(prop('Slice', 's', unit.slice), prop('Delegate', 'b', true));
  // A slice holds no processes: the container is cloned into its directory instead.
  if (pid !== undefined && unit.type === 'scope') props.push(prop('PIDs', 'au', [pid]));
  props.push(
    prop('MemoryAccounting', 'b', true), prop('CPUAccounting', 'b', true),
    prop('IOAccounting', 'b', true), prop('TasksAccounting', 'b', true),
    prop('DefaultDependencies', 'b', false),
  );
  return props;
}

const USEC_PER_SEC = 1_000_000n;
const NUMERIC = new Set(['y', 'n', 'q', 'i', 'u', 'x', 't', 'd']);

/**
 * The org.systemd.property.<Name> annotations as properties, runc's rules: the name is at least 3 ASCII
 * letters; the value is GVariant text; a name ending in "Sec" after a lowercase letter (TimeoutStopSec)
 * becomes the "USec" property, its number (of any numeric type) times 1000000 as a uint64.
 */
export function annotationProperties(annotations: Record<string, string> | undefined): { properties: UnitProperty[]; problems: Problem[] } {
  const properties: UnitProperty[] = [];
  const problems: Problem[] = [];
  for (const [key, text] of Object.entries(annotations ?? {})) {
    if (!key.startsWith(ANNOTATION_PREFIX)) continue;
    const path = `annotations[${JSON.stringify(key)}]`;
    const bad = (message: string) => problems.push({ severity: 'error', path, message });
    let name = key.slice(ANNOTATION_PREFIX.length);
    if (!/^[A-Za-z]{3,}$/.test(name)) {
      bad(`${JSON.stringify(name)} is not a systemd property name for the systemd cgroup driver: ${name.length < 3 ? 'too short (at least 3 letters)' : 'only ASCII letters are allowed'}`);
      continue;
    }
    if (typeof text !== 'string') {
      bad('must be a string of GVariant text');
      continue;
    }
    let parsed: { sig: string; value: DbusValue };
    try {
      parsed = parseGVariant(text);
    } catch (err) {
      if (!(err instanceof GVariantError)) throw err;
      bad(`${JSON.stringify(text)} is not a value in GVariant text format (${err.message}), e.g. "uint64 123", "'text'", "true"`);
      continue;
    }
    const m = /^(.*[a-z])Sec$/.exec(name);
    if (m) {
      if (!NUMERIC.has(parsed.sig)) {
        bad(`${name} takes seconds (it is sent as ${m[1]}USec): ${JSON.stringify(text)} is not a number`);
        continue;
      }
      const v = parsed.value as number | bigint;
      if (v < 0) {
        bad(`${name} takes seconds: ${JSON.stringify(text)} is negative`);
        continue;
      }
      name = `${m[1]}USec`;
      const usec = typeof v === 'bigint' ? v * USEC_PER_SEC : BigInt(Math.trunc(v * 1_000_000));
      if (usec > UINT64_MAX) {
        bad(`${JSON.stringify(text)} seconds are out of range`);
        continue;
      }
      parsed = { sig: 't', value: usec };
    }
    properties.push(prop(name, parsed.sig, parsed.value, path));
  }
  return { properties, problems };
}

/** The OOMPolicy property for unified["memory.oom.group"], set only when the unit starts (systemd >= 253). */
export function oomPolicyProperty(unified: Record<string, string> | undefined, version: number | undefined): UnitProperty[] {
  const v = unified?.['memory.oom.group']?.trim();
  if (v === undefined || (version !== undefined && version < 253)) return [];
  const origin = 'linux.resources.unified["memory.oom.group"]';
  if (v === '0') return [prop('OOMPolicy', 's', 'continue', origin)];
  if (v === '1') return [prop('OOMPolicy', 's', 'kill', origin)];
  return [];
}

/** Whether the properties for these writes depend on the systemd version (so it must be asked). */
export function needsVersion(writes: readonly CgroupWrite[], unified?: Record<string, string>): boolean {
  return unified?.['memory.oom.group'] !== undefined
    || writes.some((w) => ['cpu.max', 'cpuset.cpus', 'cpuset.mems', 'cpu.idle'].includes(posix.basename(w.file)));
}

/**
 * "1,3-5" → the bitmask systemd takes for AllowedCPUs/AllowedMemoryNodes: byte 0 holds CPUs 0-7 (bit 0
 * is CPU 0), as long as the highest CPU needs (runc's RangeToBits). Undefined when malformed or empty.
 */
export function rangeToBits(list: string): Uint8Array | undefined {
  let max = -1;
  const bits = new Set<number>();
  for (const raw of list.split(',')) {
    const r = raw.trim();
    if (r === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(r);
    if (!m) return undefined;
    const start = Number(m[1]);
    const end = m[2] !== undefined ? Number(m[2]) : start;
    if (start > end || end > 0xffffffff) return undefined;
    if (end - start > 1 << 20) return undefined;
    for (let i = start; i <= end; i++) bits.add(i);
    max = Math.max(max, end);
  }
  if (max < 0) return undefined;
  const bytes = new Uint8Array((max >> 3) + 1);
  for (const b of bits) bytes[b >> 3] |= 1 << (b & 7);
  return bytes;
}

const MEMORY: Record<string, string> = {
  'memory.max': 'MemoryMax', 'memory.low': 'MemoryLow', 'memory.high': 'MemoryHigh', 'memory.min': 'MemoryMin', 'memory.swap.max': 'MemorySwapMax',
};

/**
 * systemd keeps CPUQuotaPerSecUSec in whole percent of a CPU (10 ms per second): round the quota up to
 * that, as runc does, and write the same to cpu.max, so the file and systemd agree.
 */
export function roundCpuMax(value: string): { value: string; perSec: bigint; period: bigint } | undefined {
  const m = /^\s*(max|\d+)\s+(\d+)\s*$/.exec(value) ?? /^\s*(max|\d+)\s*$/.exec(value);
  if (!m) return undefined;
  const period = BigInt(m[2] ?? '100000');
  if (period === 0n) return undefined;
  if (m[1] === 'max') return { value: `max ${period}`, perSec: UINT64_MAX, period };
  let quota = BigInt(m[1]);
  let perSec = (quota * USEC_PER_SEC) / period;
  if (perSec % 10000n !== 0n) {
    perSec = (perSec / 10000n + 1n) * 10000n;
    quota = (perSec * period) / USEC_PER_SEC;
  }
  return { value: `${quota} ${period}`, perSec, period };
}

/** The write plan with cpu.max rounded as systemd will have it (roundCpuMax). */
export function systemdWrites(writes: readonly CgroupWrite[]): CgroupWrite[] {
  return writes.map((w) => {
    if (posix.basename(w.file) !== 'cpu.max') return w;
    const r = roundCpuMax(w.value);
    return r !== undefined ? { ...w, value: r.value } : w;
  });
}

const asUint64 = (v: string): bigint | undefined => (v === 'max' ? UINT64_MAX : /^\d+$/.test(v) ? BigInt(v) : undefined);

/**
 * The unit properties for the writes to the unit's own directory `dir` (the last write of a file wins,
 * as in the files). Files systemd has no property for are left to the file writes.
 */
export function resourceProperties(writes: readonly CgroupWrite[], dir: string, version: number | undefined): UnitProperty[] {
  const last = new Map<string, CgroupWrite>();
  for (const w of writes) if (posix.dirname(w.file) === dir) last.set(posix.basename(w.file), w);
  const atLeast = (v: number) => version === undefined || version >= v;
  const props: UnitProperty[] = [];
  const idle = last.get('cpu.idle');
  const idleSet = idle !== undefined && idle.value.trim() === '1' && atLeast(252);
  for (const [file, w] of last) {
    const v = w.value.trim();
    if (file in MEMORY) {
      const n = asUint64(v);
      if (n !== undefined) props.push(prop(MEMORY[file], 't', n, w.origin));
    } else if (file === 'cpu.weight') {
      const n = asUint64(v);
      // systemd sets cpu.idle=1 through CPUWeight=0, so the two cannot both be given (runc warns too).
      if (n !== undefined && !idleSet) props.push(prop('CPUWeight', 't', n, w.origin));
    } else if (file === 'cpu.idle') {
      if (idleSet) props.push(prop('CPUWeight', 't', 0n, w.origin));
    } else if (file === 'cpu.max') {
      const r = roundCpuMax(v);
      if (r === undefined) continue;
      if (atLeast(242)) props.push(prop('CPUQuotaPeriodUSec', 't', r.period, w.origin));
      props.push(prop('CPUQuotaPerSecUSec', 't', r.perSec, w.origin));
    } else if (file === 'cpuset.cpus' || file === 'cpuset.mems') {
      const bits = rangeToBits(v);
      if (bits !== undefined && atLeast(244)) props.push(prop(file === 'cpuset.cpus' ? 'AllowedCPUs' : 'AllowedMemoryNodes', 'ay', bits, w.origin));
    } else if (file === 'pids.max') {
      const n = asUint64(v);
      // systemd refuses TasksMax=0; the file still gets 0 (the spec's value) after it.
      if (n !== undefined) props.push(prop('TasksMax', 't', n === 0n ? 1n : n, w.origin));
    } else if (file === 'io.weight') {
      const m = /^default\s+(\d+)$/.exec(v) ?? /^(\d+)$/.exec(v);
      if (m) props.push(prop('IOWeight', 't', BigInt(m[1]), w.origin));
    }
  }
  return props;
}
