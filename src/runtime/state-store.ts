// The state store under --root: <root>/<id>/state.json (written atomically), exec.fifo while the
// container is created, and a lock (flock on the container directory) around changes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RuntimeError } from './problems';
import type { Hooks, Personality, Process, Resources, Seccomp, State, Status } from '../oci/types';
import { isSameLiveProcess } from '../linux/proc';
import { native } from '../linux/native';

export const ERR_EXISTS = 'container with given ID already exists';
export const ERR_NOT_EXIST = 'container does not exist';

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
  /** The container's cgroup directories, and those create() made (removed again on delete). */
  cgroup: { driver: 'v1' | 'v2'; paths: Record<string, string>; created: string[] };
  /** The container has its own pid namespace (kill --all is then implicit in killing init). */
  ownPidNamespace: boolean;
  /** The config's process: what `exec` without --process starts from (absent in older records: config.json). */
  process?: Process;
  /** The config's linux.seccomp, which every process `exec` starts in the container gets too. */
  seccomp?: Seccomp;
  /** The config's linux.personality, which `exec` applies too (as runc does). */
  personality?: Personality;
  /** The config's poststart and poststop hooks, which start and delete run (config.json may change after create). */
  hooks?: Pick<Hooks, 'poststart' | 'poststop'>;
  /** The resources `update` has applied since create, merged field by field (runc keeps its updated config too). */
  resources?: Resources;
}

const ID_PATTERN = /^[\w+.-]+$/;

export function checkId(id: string): void {
  if (!ID_PATTERN.test(id) || id === '.' || id === '..' || id.length > 1024) {
    throw new RuntimeError(`invalid container id ${JSON.stringify(id)}: use letters, digits and _ + - . only`);
  }
}

function unlinkIfThere(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export class StateStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return path.join(this.root, id);
  }

  /** exec.fifo goes once `start` has read it: from then on the container counts as running. */
  removeFifo(id: string): void {
    unlinkIfThere(this.fifoPath(id));
  }

  fifoPath(id: string): string {
    return path.join(this.dir(id), 'exec.fifo');
  }

  /** Claims <root>/<id> atomically: of racing creates of one id, exactly one succeeds. */
  claim(id: string): string {
    checkId(id);
    fs.mkdirSync(this.root, { recursive: true, mode: 0o711 });
    const dir = this.dir(id);
    try {
      fs.mkdirSync(dir, { mode: 0o711 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new RuntimeError(ERR_EXISTS);
      throw err;
    }
    return dir;
  }

  write(record: ContainerRecord): void {
    const file = path.join(this.dir(record.id), 'state.json');
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(record));
    fs.renameSync(tmp, file);
  }

  /** The record, or undefined when there is no such container (or it is still being created). */
  read(id: string): ContainerRecord | undefined {
    checkId(id);
    try {
      return JSON.parse(fs.readFileSync(path.join(this.dir(id), 'state.json'), 'utf8')) as ContainerRecord;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  mustRead(id: string): ContainerRecord {
    const record = this.read(id);
    if (!record) throw new RuntimeError(ERR_NOT_EXIST);
    return record;
  }

  exists(id: string): boolean {
    return fs.existsSync(this.dir(id));
  }

  ids(): string[] {
    try {
      return fs.readdirSync(this.root).filter((name) => ID_PATTERN.test(name)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  remove(id: string): void {
    const dir = this.dir(id);
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    // The directory holds files only (state.json, exec.fifo): unlinked one by one, which is much
    // cheaper than rmSync's recursive walk; anything else falls back to it.
    try {
      for (const name of names) unlinkIfThere(path.join(dir, name));
      fs.rmdirSync(dir);
    } catch {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Runs fn holding an exclusive flock on the container directory. */
  withLock<T>(id: string, fn: () => T): T {
    const fd = fs.openSync(this.dir(id), 'r');
    try {
      native().flock(fd, true);
      return fn();
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Status derived live: the init's identity, the freezer (a created container can be paused too, as in runc), the exec fifo. */
  status(record: ContainerRecord, frozen: () => boolean = () => false): Status {
    if (!isSameLiveProcess(record.pid, record.pidStartTime)) return 'stopped';
    if (frozen()) return 'paused';
    return fs.existsSync(this.fifoPath(record.id)) ? 'created' : 'running';
  }

  ociState(record: ContainerRecord, status: Status): State {
    const state: State = {
      ociVersion: record.ociVersion,
      id: record.id,
      pid: status === 'stopped' ? 0 : record.pid,
      status,
      bundle: record.bundle,
      rootfs: record.rootfs,
      created: record.created,
      owner: record.owner,
    };
    if (record.annotations && Object.keys(record.annotations).length > 0) state.annotations = record.annotations;
    return state;
  }
}
