// The record a create keeps while it runs (status "creating"), rewritten before each thing it makes:
// whatever instant the create is killed at, `delete --force` finds everything from it.
import * as os from 'node:os';
import type { CgroupManager } from '../linux/cgroups';
import { CreatingRecord, identityOf, isCreating, StateStore } from './state-store';
import { recordedCgroup, type HostMounts } from './state-record';

export class ProvisionalRecord {
  private readonly record: CreatingRecord;

  /**
   * Written right after the id is claimed, naming the helper already started (before it is sent
   * anything that makes it join a cgroup or clone) and the cgroup directories the create is about to
   * make (cgroup.plannedDirs(): only those that do not exist yet).
   */
  constructor(private readonly store: StateStore, o: { id: string; bundle: string; cgroup: CgroupManager; helperPid: number }) {
    this.record = {
      status: 'creating',
      id: o.id,
      creator: identityOf(store.host, process.pid)!,
      bundle: o.bundle,
      created: new Date().toISOString(),
      owner: os.userInfo().username,
      cgroup: recordedCgroup(o.cgroup, o.cgroup.plannedDirs()),
    };
    // A helper that is gone already made nothing: there is nothing to record.
    const helper = identityOf(store.host, o.helperPid);
    if (helper !== undefined) this.record.helper = helper;
    store.write(this.record);
  }

  /** Records the mounts that were under the rootfs before the plan makes any in the runtime's mount namespace. */
  hostMounts(mounts: HostMounts): void {
    this.record.hostMounts = mounts;
    this.store.write(this.record);
  }

  /** Records the init as soon as its pid is known (before it is told to go on). */
  init(pid: number): void {
    const identity = identityOf(this.store.host, pid);
    if (identity === undefined || this.record.init?.pid === pid) return;
    this.record.init = identity;
    this.store.write(this.record);
  }

  /**
   * Whether the state on disk is still this create's (its provisional record, or the final one naming
   * `initPid`): a `delete --force` may have removed it meanwhile and another create claimed the id, whose
   * state and cgroups a rollback must then leave alone.
   */
  stillOwns(initPid: number): boolean {
    const loaded = this.store.load(this.record.id);
    if (loaded?.kind !== 'record') return false;
    const on = loaded.record;
    return isCreating(on)
      ? on.creator.pid === this.record.creator.pid && on.creator.startTime === this.record.creator.startTime
      : initPid > 0 && on.pid === initPid;
  }
}
