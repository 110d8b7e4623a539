// What state.json holds, and reading it back: a finished container's record, or the provisional one a
// create writes before it makes anything (status "creating"); anything else is corrupt.
import type { Device, Hooks, MemoryPolicy, Personality, Process, Resources, Seccomp } from '../oci/types';
import type { CgroupDriver, CgroupManager } from '../linux/cgroups';

/** A process told from a later one with the same pid by its /proc/<pid>/stat start time. */
export interface ProcessIdentity {
  pid: number;
  startTime: string;
}

/** The container's cgroup directories, and those create() made (removed again on delete). */
export interface RecordedCgroup {
  driver: CgroupDriver;
  paths: Record<string, string>;
  created: string[];
  /** The systemd driver's unit, which delete stops. */
  unit?: string;
}

/** What the record keeps of a cgroup manager. */
export function recordedCgroup(cg: CgroupManager, created: readonly string[] = cg.created): RecordedCgroup {
  return { driver: cg.driver, paths: cg.paths, created: [...created], ...(cg.unit !== undefined ? { unit: cg.unit } : {}) };
}

/** What the runtime records about a container: the OCI state plus what later commands need. */
export interface ContainerRecord {
  ociVersion: string;
  id: string;
  pid: number;
  /** /proc/<pid>/stat start time of the init, to tell it from a later process with the same pid. */
  pidStartTime: string;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  cgroup: RecordedCgroup;
  /** The container has its own pid namespace (kill --all is then implicit in killing init). */
  ownPidNamespace: boolean;
  /** The config's process: what `exec` without --process starts from (absent in older records: config.json). */
  process?: Process;
  /** The config's linux.seccomp, which every process `exec` starts in the container gets too. */
  seccomp?: Seccomp;
  /** The config's linux.personality, which `exec` applies too (as runc does). */
  personality?: Personality;
  /** The config's linux.memoryPolicy, which `exec` applies too (as runc does). */
  memoryPolicy?: MemoryPolicy;
  /** The config's linux.devices: `update` builds the device rules from them as create does (deviceCgroupRules). */
  devices?: Device[];
  /** The config's poststart and poststop hooks, which start and delete run (config.json may change after create). */
  hooks?: Pick<Hooks, 'poststart' | 'poststop'>;
  /** The init goes on when start opens exec.fifo, and writes nothing to it (`wait-start release`; absent in older records). */
  startsOnOpen?: true;
  /** The resources `update` has applied since create, merged field by field (runc keeps its updated config too). */
  resources?: Resources;
  /**
   * No mount namespace of its own: its mounts are in the runtime's. The rootfs as mountinfo names it and
   * the ids of the mounts at or below it before create (host-mounts.ts): delete detaches every other one.
   */
  hostMounts?: HostMounts;
}

export interface HostMounts {
  rootfs: string;
  kept: number[];
}

/**
 * What a create under way has recorded, each part before it is made: the cgroup directories it is
 * about to make (only those that did not exist, so a parent that was there is never removed), then the
 * helper, then the init. Nothing a create makes exists without being named here first, so
 * `delete --force` can always remove it all.
 */
export interface CreatingRecord {
  status: 'creating';
  id: string;
  /** The tsrunc process doing the create: while it lives, the container is being created. */
  creator: ProcessIdentity;
  bundle: string;
  created: string;
  owner: string;
  cgroup: RecordedCgroup;
  helper?: ProcessIdentity;
  init?: ProcessIdentity;
  /** As in ContainerRecord: written before the plan makes mounts in the runtime's mount namespace. */
  hostMounts?: HostMounts;
}

export type StoredRecord = ContainerRecord | CreatingRecord;

export function isCreating(record: StoredRecord): record is CreatingRecord {
  return (record as Partial<CreatingRecord>).status === 'creating';
}

/** A state.json that cannot be used; `reason` says why in a few words. */
export class CorruptRecord extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

type Json = Record<string, unknown>;

function field(o: Json, name: string, ok: (v: unknown) => boolean, what: string): void {
  if (!ok(o[name])) throw new CorruptRecord(o[name] === undefined ? `"${name}" is missing` : `"${name}" is not ${what}`);
}

const isString = (v: unknown) => typeof v === 'string';
const isPid = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkIdentity(o: Json, name: string, optional: boolean): void {
  const v = o[name];
  if (v === undefined && optional) return;
  if (!isObject(v) || !isPid(v.pid) || !isString(v.startTime)) throw new CorruptRecord(`"${name}" is not a process (pid and startTime)`);
}

function checkHostMounts(o: Json): void {
  field(o, 'hostMounts', (v) => v === undefined || (isObject(v) && isString(v.rootfs) && (v.rootfs as string).startsWith('/')
    && Array.isArray(v.kept) && v.kept.every((n) => Number.isInteger(n))), 'the rootfs and the ids of the mounts kept');
}

function checkCgroup(o: Json): void {
  const c = o.cgroup;
  const ok = isObject(c) && (c.driver === 'v1' || c.driver === 'v2' || (c.driver === 'systemd' && typeof c.unit === 'string'))
    && isObject(c.paths) && Object.keys(c.paths).length > 0
    && Object.values(c.paths).every((p) => typeof p === 'string' && p.startsWith('/'))
    && Array.isArray(c.created) && c.created.every((p) => typeof p === 'string' && p.startsWith('/'));
  if (!ok) throw new CorruptRecord('"cgroup" is not a cgroup record (driver, paths, created; unit for systemd)');
}

/** Parses state.json of container `id`; throws CorruptRecord for anything that is not one of its records. */
export function parseRecord(text: string, id: string): StoredRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CorruptRecord(text.trim() === '' ? 'the file is empty' : `not JSON (${(err as Error).message})`);
  }
  if (!isObject(value)) throw new CorruptRecord(`not a JSON object (${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value})`);
  field(value, 'id', isString, 'a string');
  if (value.id !== id) throw new CorruptRecord(`"id" is ${JSON.stringify(value.id)}, not ${JSON.stringify(id)}`);
  for (const name of ['bundle', 'created', 'owner']) field(value, name, isString, 'a string');
  checkCgroup(value);
  if (value.status === 'creating') {
    checkIdentity(value, 'creator', false);
    checkIdentity(value, 'helper', true);
    checkIdentity(value, 'init', true);
    checkHostMounts(value);
    return value as unknown as CreatingRecord;
  }
  if (value.status !== undefined) throw new CorruptRecord(`"status" is ${JSON.stringify(value.status)}`);
  field(value, 'pid', isPid, 'a positive integer');
  for (const name of ['ociVersion', 'pidStartTime', 'rootfs']) field(value, name, isString, 'a string');
  field(value, 'ownPidNamespace', (v) => typeof v === 'boolean', 'true or false');
  field(value, 'startsOnOpen', (v) => v === undefined || v === true, 'true or absent');
  for (const name of ['process', 'seccomp', 'personality', 'memoryPolicy', 'hooks', 'resources', 'annotations']) {
    field(value, name, (v) => v === undefined || isObject(v), 'an object');
  }
  field(value, 'devices', (v) => v === undefined || (Array.isArray(v) && v.every(isObject)), 'a list of devices');
  checkHostMounts(value);
  return value as unknown as ContainerRecord;
}
