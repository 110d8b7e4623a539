// The cgroup v1 manager (also hybrid hosts: v1 hierarchies plus the cgroup2 one).
//
// Which hierarchies a container joins: every mounted v1 controller hierarchy, plus the named
// "name=systemd" one, plus (hybrid) the cgroup2 hierarchy under the key "unified". That is what runc's
// cgroupfs driver does (opencontainers/cgroups fs/fs.go: the subsystem list ends with
// NameGroup{"name=systemd", Join: true}, and in hybrid mode NameGroup{"", Join: true} for cgroup2):
// tools that read /proc/<pid>/cgroup (systemd, ps, container engines) then see the container in its own
// cgroup everywhere, and resources whose controller is only on cgroup2 (hugetlb on the hosts tsrunc is
// developed on) can be set there. Other named hierarchies are left alone, as runc leaves them.

import { posix } from 'node:path';
import { isRuntimeError, RuntimeError } from '../../common/errors';
import { BaseCgroupManager } from './base';
import { freezeV1, freezeV2, frozenV1, frozenV2, thawV1, thawV2 } from './freezer';
import { describeFsError, levelsBelow, mkdirLevel, readCgroupFile, writeCgroupFile } from './fsops';
import { UNIFIED } from './layout';
import { createUnifiedCgroup } from './unified';

/** Hierarchies whose cgroup.procs lists the container best, most reliable first (runc uses devices). */
const PRIMARY_ORDER = ['devices', 'freezer', 'pids', 'memory', 'cpu', 'cpuset', 'cpuacct', 'blkio'];

export class V1CgroupManager extends BaseCgroupManager {
  readonly driver = 'v1' as const;

  protected primaryDir(): string {
    for (const k of PRIMARY_ORDER) if (this.paths[k] !== undefined) return this.paths[k];
    return this.paths[UNIFIED] ?? Object.values(this.paths)[0];
  }

  /**
   * mkdir -p the container's directory in each hierarchy; every empty cpuset level below the mount gets
   * cpuset.cpus/mems from its parent, top-down (a fresh v1 cpuset is empty and refuses tasks); in hybrid mode the
   * cgroup2 directory is made with the available controllers enabled above it. Refuses a cgroup that
   * already has processes or is frozen. On failure, removes what it made.
   */
  create(): void {
    this.assertUsable();
    const created: string[] = [];
    try {
      const keysByDir = new Map<string, string[]>();
      for (const [key, dir] of Object.entries(this.paths)) {
        if (key === UNIFIED) continue;
        keysByDir.set(dir, [...(keysByDir.get(dir) ?? []), key]);
      }
      for (const [dir, keys] of keysByDir) {
        const mount = this.mountOf(keys[0]);
        if (mount === undefined) throw new RuntimeError(`no mount of the ${keys[0]} hierarchy is known for ${dir}`);
        const levels = levelsBelow(mount, dir).slice(1);
        for (const level of levels) {
          try {
            mkdirLevel(level, created);
          } catch (e) {
            throw new RuntimeError(`cannot create cgroup ${level}: ${describeFsError(e)}`);
          }
        }
        // Every level, top-down, as runc's cpuset manager does: a parent made by someone else with mkdir
        // is as empty as one made here, and a child cannot take cpus its parent does not have.
        if (keys.includes('cpuset')) for (const level of levels) fillCpuset(level);
      }
      const unified = this.paths[UNIFIED];
      if (unified !== undefined) {
        const mount = this.mountOf(UNIFIED);
        if (mount === undefined) throw new RuntimeError(`no cgroup2 mount is known for ${unified}`);
        createUnifiedCgroup(mount, unified, created);
      }
    } catch (e) {
      this.rollback(created);
      if (isRuntimeError(e)) throw e;
      throw new RuntimeError(`cannot create the container's cgroups: ${describeFsError(e)}`);
    }
    this.createdDirs.push(...created);
  }

  /** Freezes through the v1 freezer hierarchy, or the cgroup2 freezer when only that one is there. */
  freeze(): void {
    if (this.paths.freezer !== undefined) freezeV1(this.paths.freezer);
    else if (this.paths[UNIFIED] !== undefined) freezeV2(this.paths[UNIFIED]);
    else throw new RuntimeError('cannot freeze: no freezer hierarchy is mounted and there is no cgroup2 hierarchy');
  }

  thaw(): void {
    if (this.paths.freezer !== undefined) thawV1(this.paths.freezer);
    else if (this.paths[UNIFIED] !== undefined) thawV2(this.paths[UNIFIED]);
    else throw new RuntimeError('cannot thaw: no freezer hierarchy is mounted and there is no cgroup2 hierarchy');
  }

  frozen(): boolean {
    if (this.paths.freezer !== undefined) return frozenV1(this.paths.freezer);
    if (this.paths[UNIFIED] !== undefined) return frozenV2(this.paths[UNIFIED]);
    return false;
  }
}

/** Gives an empty cpuset.cpus / cpuset.mems of `dir` its parent's value (the parent filled before it). */
function fillCpuset(dir: string): void {
  const parent = posix.dirname(dir);
  for (const name of ['cpuset.cpus', 'cpuset.mems']) {
    if (readCgroupFile(posix.join(dir, name)) !== '') continue;
    const value = readCgroupFile(posix.join(parent, name));
    if (value === '') throw new RuntimeError(`cannot set up cpuset ${dir}: ${name} of its parent ${parent} is empty`);
    try {
      writeCgroupFile(posix.join(dir, name), value);
    } catch (e) {
      throw new RuntimeError(`cannot copy ${name} "${value}" into ${dir}: ${describeFsError(e)}`);
    }
  }
}
