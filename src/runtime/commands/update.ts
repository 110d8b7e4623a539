// `tsrunc update [--resources FILE|-] [--memory N] … ID`: changes the cgroup limits of a running (or
// created, or paused) container, as runc does: a LinuxResources JSON document (from a file or stdin,
// as go-runc sends it), the flags over it, checked against our schema, then written with the
// container's cgroup manager (exactly its resourceWrites) and kept in the state. Device rules (which
// runc's update leaves alone) replace the config's linux.resources.devices: the container keeps runc's
// default list, as at create (devices.ts deviceCgroupRules); on cgroup v2 the new device program
// replaces the old one.
import * as fs from 'node:fs';
import type { Resources } from '../../oci/types';
import { cgroupOf, statusFor } from '../container';
import { notAppliedText } from '../../linux/cgroups';
import { deviceCgroupRules } from '../../linux/devices';
import type { FlagValues } from '../cli/parse';
import { formatProblem, type Problem, RuntimeError } from '../../common/errors';
import { schemaProblems } from '../bundle/schema-problems';
import { parseConfig } from '../bundle/load';
import { nulByteProblems } from '../bundle/semantic-checks';
import { SPEC_VERSION } from '../cli/definition';
import type { CommandHandler } from './types';

type Parse = 'bytes' | 'uint' | 'int' | 'string';
type Section = 'memory' | 'cpu' | 'pids' | 'blockIO';

/** Each update flag: where it goes in LinuxResources, and how its value is read (runc's update.go). */
export const UPDATE_FLAGS: Record<string, { section: Section; field: string; parse: Parse; max?: number }> = {
  memory: { section: 'memory', field: 'limit', parse: 'bytes' },
  'memory-reservation': { section: 'memory', field: 'reservation', parse: 'bytes' },
  'memory-swap': { section: 'memory', field: 'swap', parse: 'bytes' },
  'kernel-memory': { section: 'memory', field: 'kernel', parse: 'bytes' },
  'kernel-memory-tcp': { section: 'memory', field: 'kernelTCP', parse: 'bytes' },
  'cpu-share': { section: 'cpu', field: 'shares', parse: 'uint' },
  'cpu-quota': { section: 'cpu', field: 'quota', parse: 'int' },
  'cpu-period': { section: 'cpu', field: 'period', parse: 'uint' },
  'cpu-burst': { section: 'cpu', field: 'burst', parse: 'uint' },
  'cpu-rt-period': { section: 'cpu', field: 'realtimePeriod', parse: 'uint' },
  'cpu-rt-runtime': { section: 'cpu', field: 'realtimeRuntime', parse: 'int' },
  'cpu-idle': { section: 'cpu', field: 'idle', parse: 'int' },
  'cpuset-cpus': { section: 'cpu', field: 'cpus', parse: 'string' },
  'cpuset-mems': { section: 'cpu', field: 'mems', parse: 'string' },
  'pids-limit': { section: 'pids', field: 'limit', parse: 'int' },
  'blkio-weight': { section: 'blockIO', field: 'weight', parse: 'uint', max: 65535 },
};

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** A size as docker's units.RAMInBytes reads it ("512m", "1.5g", "1024", binary units), or -1 for "-1". */
export function parseBytes(text: string): number | undefined {
  if (text.trim() === '-1') return -1;
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) return undefined;
  const n = Math.floor(Number(m[1]) * UNITS[m[2].toLowerCase()]);
  return Number.isSafeInteger(n) ? n : undefined;
}

function parseFlag(name: string, text: string, how: Parse, max?: number): number | string {
  const bad = (expected: string) => new RuntimeError(`invalid value for --${name}: ${JSON.stringify(text)} is not ${expected}`);
  if (how === 'string') return text;
  if (how === 'bytes') {
    const n = parseBytes(text);
    if (n === undefined) throw bad('a size in bytes (such as 1024, 512k, 64m, 1g, or -1 for no limit)');
    return n;
  }
  if (!(how === 'uint' ? /^\d+$/ : /^-?\d+$/).test(text.trim())) throw bad(how === 'uint' ? 'an unsigned integer' : 'an integer');
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n) || (max !== undefined && n > max)) throw bad(`an integer of at most ${max ?? Number.MAX_SAFE_INTEGER}`);
  return n;
}

/**
 * The resources update applies: the --resources document (read with readInput: "-" is stdin), then
 * each flag given over it. Throws a RuntimeError listing every problem of the document.
 */
export function updateResources(flags: FlagValues, readInput: (file: string) => string): Resources {
  let resources: Record<string, unknown> = {};
  const from = flags.resources as string | undefined;
  const where = from === undefined ? 'the flags' : from === '-' ? 'the resources on stdin' : from;
  if (from !== undefined && from !== '') {
    let text: string;
    try {
      text = readInput(from);
    } catch (err) {
      throw new RuntimeError(`cannot read the resources from ${where}: ${(err as Error).message}`);
    }
    const doc = parseConfig(where, text);
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      throw new RuntimeError(`${where}: must be a JSON object (a runtime-spec LinuxResources)`);
    }
    resources = doc as Record<string, unknown>;
  }
  for (const [name, to] of Object.entries(UPDATE_FLAGS)) {
    const text = flags[name];
    if (typeof text !== 'string' || text === '') continue;
    const section = (resources[to.section] ??= {}) as Record<string, unknown>;
    section[to.field] = parseFlag(name, text, to.parse, to.max);
  }
  // The config schema's own definition of linux.resources, with paths relative to the document.
  const problems: Problem[] = schemaProblems({ ociVersion: SPEC_VERSION, linux: { resources } })
    .filter((p) => p.severity === 'error' && /^linux\.resources(\.|\[|$)/.test(p.path))
    .map((p) => ({ ...p, path: p.path.replace(/^linux\.resources\.?/, '') || '(the document)' }));
  problems.push(...nulByteProblems(resources));
  if (problems.length > 0) {
    throw new RuntimeError(`invalid resources in ${where}:\n  ${problems.map(formatProblem).join('\n  ')}`, problems);
  }
  return resources as Resources;
}

/** `next` over `prev`, section by section (update keeps what it was not given). */
export function mergeResources(prev: Resources | undefined, next: Resources): Resources {
  const out: Record<string, unknown> = { ...(prev ?? {}) };
  for (const [key, value] of Object.entries(next)) {
    const before = out[key];
    const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
    out[key] = isObject(before) && isObject(value) ? { ...(before as object), ...(value as object) } : value;
  }
  return out as Resources;
}

const readInput = (file: string) => fs.readFileSync(file === '-' ? 0 : file, 'utf8');

export const update: CommandHandler = async (ctx) => {
  const id = ctx.positionals[0];
  ctx.store.mustRead(id, 'update'); // "container does not exist" before anything else, as runc
  const resources = updateResources(ctx.flags, readInput);
  ctx.store.withLock(id, () => {
    const record = ctx.store.mustRead(id, 'update');
    statusFor(ctx.store, record, 'update');
    const cgroup = cgroupOf(ctx.host, record);
    const applied = resources.devices === undefined ? resources : { ...resources, devices: deviceCgroupRules(resources.devices, record.devices) };
    for (const skipped of cgroup.unsupported(applied)) ctx.log.warn(notAppliedText(skipped));
    cgroup.apply(applied);
    ctx.store.write({ ...record, resources: mergeResources(record.resources, resources) });
  });
  return 0;
};
