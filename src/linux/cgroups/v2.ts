// The cgroup v2 manager: one directory in the unified hierarchy (key "unified" in `paths`).
//
// Device rules are a BPF_CGROUP_DEVICE program that apply() attaches (base.ts, device-filter.ts). Not
// done here yet: the threaded/"domain invalid" cgroup types (runc turns a "domain invalid" parent
// threaded when only threaded controllers are asked for).

import { isRuntimeError, RuntimeError } from '../../common/errors';
import { BaseCgroupManager } from './base';
import type { CgroupEntry } from './manager';
import { freezeV2, frozenV2, thawV2 } from './freezer';
import { describeFsError } from './fsops';
import { UNIFIED } from './layout';
import { createUnifiedCgroup } from './unified';

export class V2CgroupManager extends BaseCgroupManager {
  readonly driver: 'v2' | 'systemd' = 'v2';

  private dir(): string {
    const d = this.paths[UNIFIED];
    if (d === undefined) throw new RuntimeError('a cgroup v2 manager needs paths.unified');
    return d;
  }

  protected primaryDir(): string {
    return this.dir();
  }

  override entry(): CgroupEntry {
    return { join: [], cloneInto: this.dir() };
  }

  /**
   * Creates every missing level down to the container's directory and, in each level above it (the mount
   * root included), enables every controller the level offers and has not enabled yet. Refuses a cgroup that already has processes or is frozen; undoes itself on failure.
   */
  create(): void {
    this.assertUsable();
    const mount = this.mountOf(UNIFIED);
    if (mount === undefined) throw new RuntimeError(`no cgroup2 mount is known for ${this.dir()}`);
    const created: string[] = [];
    try {
      createUnifiedCgroup(mount, this.dir(), created);
    } catch (e) {
      this.rollback(created);
      if (isRuntimeError(e)) throw e;
      throw new RuntimeError(`cannot create the container's cgroup: ${describeFsError(e)}`);
    }
    this.createdDirs.push(...created);
  }

  freeze(): void {
    freezeV2(this.dir());
  }

  thaw(): void {
    thawV2(this.dir());
  }

  frozen(): boolean {
    return frozenV2(this.dir());
  }
}
