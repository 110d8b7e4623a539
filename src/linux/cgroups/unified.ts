// Making a cgroup in a cgroup2 hierarchy: create each level and enable controllers down the way.

import { posix } from 'node:path';
import { errnoOf, RuntimeError } from '../../common/errors';
import { describeFsError, levelsBelow, mkdirLevel, readIfExists, writeCgroupFile } from './fsops';
import { cgroupControllers } from './layout';

/**
 * Enables in `dir`'s cgroup.subtree_control every controller `dir` has (its cgroup.controllers: rdma
 * and misc too, as runc does) that is not enabled yet; writes nothing when there is nothing to add, so
 * cgroups that already delegate what is needed are not written to at all.
 */
export function enableSubtreeControllers(dir: string): void {
  const enabled = new Set((readIfExists(posix.join(dir, 'cgroup.subtree_control')) ?? '').split(/\s+/));
  const missing = cgroupControllers(dir).filter((c) => !enabled.has(c));
  if (missing.length === 0) return;
  const file = posix.join(dir, 'cgroup.subtree_control');
  try {
    writeCgroupFile(file, missing.map((c) => `+${c}`).join(' '));
    return;
  } catch (e) {
    if (errnoOf(e) === 'EBUSY') {
      throw new RuntimeError(
        `cannot enable ${missing.join(', ')} in ${file}: ${dir} has processes of its own, and cgroup v2 ` +
          'lets only a cgroup without member processes (or the root) hand controllers to children; ' +
          'choose a cgroupsPath whose parent holds no processes',
      );
    }
    // Any other refusal: the controllers one at a time, below.
  }
  // Like runc: one at a time, and a controller that cannot be enabled (a threaded subtree refusing a
  // domain controller, say) is left out; a write that needs it then fails in apply() with the file named.
  for (const c of missing) {
    try {
      writeCgroupFile(file, `+${c}`);
    } catch {
      /* left out, see above */
    }
  }
}

/**
 * mkdir every missing level from `mount` down to `leaf`, enabling the standard controllers in each level
 * above the leaf (the mount root included, which is normal for cgroup2). New directories are appended
 * to `created`, parents first.
 */
export function createUnifiedCgroup(mount: string, leaf: string, created: string[]): void {
  const levels = levelsBelow(mount, leaf);
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (i > 0) {
      try {
        mkdirLevel(level, created);
      } catch (e) {
        throw new RuntimeError(`cannot create cgroup ${level}: ${describeFsError(e)}`);
      }
    }
    if (i < levels.length - 1) enableSubtreeControllers(level);
  }
}
