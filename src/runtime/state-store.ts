// The state store under --root: <root>/<id>/state.json (written atomically), exec.fifo while the
// container is created, and a lock (flock on the container directory) around changes.
import * as path from 'node:path';
import { describeSystemError, errnoOf, RuntimeError } from '../common/errors';
import { SPEC_VERSION } from './cli/definition';
import type { State, Status } from '../oci/types';
import type { Host } from './host';
import { Action, mustAllow } from './lifecycle';
import { ContainerRecord, CorruptRecord, CreatingRecord, isCreating, parseRecord, ProcessIdentity, StoredRecord } from './state-record';

export type { ContainerRecord, CreatingRecord, ProcessIdentity, RecordedCgroup, StoredRecord } from './state-record';
export { isCreating } from './state-record';

export const ERR_EXISTS = 'container with given ID already exists';
export const ERR_NOT_EXIST = 'container does not exist';

const ID_PATTERN = /^[\w+.-]+$/;
/** An id names a directory under --root: at most what a file name may be. */
const MAX_ID_BYTES = 255;

/** runc's words for an id it refuses (engines may match them), and why. */
export function checkId(id: string): void {
  const shown = id.length > 40 ? `${JSON.stringify(id.slice(0, 40))}... (${id.length} characters)` : JSON.stringify(id);
  if (!ID_PATTERN.test(id) || id === '.' || id === '..') {
    throw new RuntimeError(`invalid container ID format: ${shown}: use letters, digits and _ + - . only`);
  }
  if (id.length > MAX_ID_BYTES) {
    throw new RuntimeError(`invalid container ID format: ${shown}: at most ${MAX_ID_BYTES} characters`);
  }
}

/** The identity of a live process (undefined once it is gone). */
export function identityOf(host: Host, pid: number): ProcessIdentity | undefined {
  const stat = host.procStat(pid);
  return stat && { pid, startTime: stat.startTime };
}

/** What a state directory holds: nothing yet (a create that has only claimed the id), a record, or a file that cannot be read. */
export type Loaded =
  | { kind: 'claimed' }
  | { kind: 'record'; record: StoredRecord }
  | { kind: 'unreadable'; error: RuntimeError };

function unlinkIfThere(host: Host, file: string): void {
  try {
    host.unlink(file);
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw err;
  }
}

export class StateStore {
  constructor(readonly root: string, readonly host: Host) {}

  dir(id: string): string {
    return path.join(this.root, id);
  }

  /** exec.fifo goes once `start` has read it: from then on the container counts as running. */
  removeFifo(id: string): void {
    unlinkIfThere(this.host, this.fifoPath(id));
  }

  fifoPath(id: string): string {
    return path.join(this.dir(id), 'exec.fifo');
  }

  /** Makes the root when it is not there (mode 0711: a user namespace's root walks through it to exec.fifo). */
  ensureRoot(): void {
    try {
      this.host.mkdir(this.root, { recursive: true, mode: 0o711 });
    } catch (err) {
      throw this.rootError(err);
    }
  }

  /** Claims <root>/<id> atomically: of racing creates of one id, exactly one succeeds. */
  claim(id: string): string {
    checkId(id);
    this.ensureRoot();
    const dir = this.dir(id);
    try {
      this.host.mkdir(dir, { mode: 0o711 });
    } catch (err) {
      if (errnoOf(err) === 'EEXIST') throw new RuntimeError(ERR_EXISTS);
      throw this.rootError(err);
    }
    return dir;
  }

  /**
   * The error for a --root that cannot be a directory (a file, or under one), naming the part that is
   * not one; other errors as they are.
   */
  private rootError(err: unknown): unknown {
    if (errnoOf(err) !== 'ENOTDIR' && errnoOf(err) !== 'EEXIST') return err;
    const root = path.resolve(this.root);
    for (let p = root; ; p = path.dirname(p)) {
      let isDir: boolean;
      try {
        isDir = this.host.stat(p).isDirectory();
      } catch {
        // p cannot be looked at (missing, or not searchable): a directory above it may name the file in the way.
        if (p === path.dirname(p)) return err;
        continue;
      }
      if (!isDir) {
        return new RuntimeError(p === root ? `--root ${this.root} is not a directory` : `--root ${this.root}: ${p} is not a directory`);
      }
      if (p === root || p === path.dirname(p)) return err;
    }
  }

  write(record: StoredRecord): void {
    const file = path.join(this.dir(record.id), 'state.json');
    const tmp = `${file}.${process.pid}.tmp`;
    this.host.writeFile(tmp, JSON.stringify(record));
    this.host.rename(tmp, file);
  }

  statePath(id: string): string {
    return path.join(this.dir(id), 'state.json');
  }

  /** What the state directory of `id` holds; undefined when there is none. */
  load(id: string): Loaded | undefined {
    checkId(id);
    const file = this.statePath(id);
    let text: string;
    try {
      text = this.host.readFile(file);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return this.exists(id) ? { kind: 'claimed' } : undefined;
      const rootError = this.rootError(err);
      if (rootError !== err) throw rootError;
      return { kind: 'unreadable', error: new RuntimeError(`cannot read the state of container ${id}: ${describeSystemError(err)}`) };
    }
    try {
      return { kind: 'record', record: parseRecord(text, id) };
    } catch (err) {
      if (!(err instanceof CorruptRecord)) throw err;
      return { kind: 'unreadable', error: new RuntimeError(`cannot read the state of container ${id}: ${file}: ${err.reason}`) };
    }
  }

  /** The stored record of `id`, finished or still being created; one clear error when there is none or it cannot be read. */
  mustLoad(id: string): StoredRecord {
    const loaded = this.load(id);
    if (loaded === undefined || loaded.kind === 'claimed') throw new RuntimeError(ERR_NOT_EXIST);
    if (loaded.kind === 'unreadable') throw loaded.error;
    return loaded.record;
  }

  /**
   * The record of a container whose create finished, for `action`; one clear error for anything else.
   * While a create runs, the lifecycle refuses every action that needs a finished record.
   */
  mustRead(id: string, action: Action): ContainerRecord {
    const record = this.mustLoad(id);
    if (isCreating(record)) {
      if (this.creatingStatus(record) === 'creating') mustAllow(action, 'creating', id);
      throw new RuntimeError(`the create of container ${id} did not finish: delete --force removes what it left`);
    }
    return record;
  }

  exists(id: string): boolean {
    try {
      this.host.stat(this.dir(id));
      return true;
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return false;
      throw this.rootError(err);
    }
  }

  /** Throws (as runc's list does: "open ROOT: no such file or directory") when the root is not there. */
  mustHaveRoot(): void {
    try {
      this.host.stat(this.root);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') throw new RuntimeError(`open ${this.root}: no such file or directory`);
      throw this.rootError(err);
    }
  }

  ids(): string[] {
    try {
      return this.host.readdir(this.root).filter((name) => ID_PATTERN.test(name) && name.length <= MAX_ID_BYTES).sort();
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return [];
      throw this.rootError(err);
    }
  }

  remove(id: string): void {
    const dir = this.dir(id);
    let names: string[];
    try {
      names = this.host.readdir(dir);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return;
      throw err;
    }
    // The directory holds files only (state.json, exec.fifo): unlinked one by one, which is much
    // cheaper than rmSync's recursive walk; anything else falls back to it.
    try {
      for (const name of names) unlinkIfThere(this.host, path.join(dir, name));
      this.host.rmdir(dir);
    } catch {
      // Not files only (or changed meanwhile): the recursive removal, which says what it cannot remove.
      this.host.removeTree(dir);
    }
  }

  /** Runs fn holding an exclusive flock on the container directory. */
  withLock<T>(id: string, fn: () => T): T {
    const fd = this.host.open(this.dir(id), 'r');
    try {
      this.host.flock(fd, true);
      return fn();
    } finally {
      this.host.close(fd);
    }
  }

  /** A create under way while its tsrunc lives; once that is gone, nothing will finish it: stopped. */
  creatingStatus(record: CreatingRecord): Status {
    return this.host.isSameLiveProcess(record.creator.pid, record.creator.startTime) ? 'creating' : 'stopped';
  }

  /** Status derived live: the init's identity, the freezer (a created container can be paused too, as in runc), the exec fifo. */
  status(record: ContainerRecord, frozen: () => boolean = () => false): Status {
    if (!this.host.isSameLiveProcess(record.pid, record.pidStartTime)) return 'stopped';
    if (frozen()) return 'paused';
    return this.host.exists(this.fifoPath(record.id)) ? 'created' : 'running';
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

  /** The OCI state of a container still being created (or whose create died): its init's pid while that lives. */
  creatingState(record: CreatingRecord): State {
    const status = this.creatingStatus(record);
    const init = record.init !== undefined && this.host.isSameLiveProcess(record.init.pid, record.init.startTime) ? record.init.pid : 0;
    return {
      ociVersion: SPEC_VERSION, id: record.id, pid: status === 'creating' ? init : 0, status,
      bundle: record.bundle, rootfs: '', created: record.created, owner: record.owner,
    };
  }
}
