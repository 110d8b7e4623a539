// Small synchronous cgroupfs operations (each tsrunc command is a short process, so no async here).

import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, writeSync, constants } from 'node:fs';
import { join, posix } from 'node:path';
import { errnoOf, RuntimeError } from '../../common/errors';

export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * One write(2) of `value` to an existing cgroup file. No O_CREAT/O_TRUNC: cgroupfs files are never
 * created by writing, and a missing file must fail with ENOENT rather than be made on a non-cgroup fs.
 */
export function writeCgroupFile(file: string, value: string): void {
  const fd = openSync(file, constants.O_WRONLY);
  try {
    writeSync(fd, value);
  } finally {
    closeSync(fd);
  }
}

export function readCgroupFile(file: string): string {
  return readFileSync(file, 'utf8').trim();
}

/**
 * A cgroup that is gone, or going: ENOENT, or ENODEV for one removed between the open and the read (systemd
 * removes a scope's cgroup as soon as its last process has exited).
 */
const gone = (e: unknown): boolean => errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENODEV';

/** Like readCgroupFile, but undefined when the file (or its cgroup) does not exist. */
export function readIfExists(file: string): string | undefined {
  try {
    return readCgroupFile(file);
  } catch (e) {
    if (gone(e)) return undefined;
    throw e;
  }
}

/** Sub-cgroups (child directories) of a cgroup directory; [] if it does not exist. */
export function childCgroups(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => join(dir, d.name));
  } catch (e) {
    if (gone(e)) return [];
    throw e;
  }
}

/** Pids in cgroup.procs of `dir` and, recursively, of its sub-cgroups; [] if `dir` is gone. */
export function cgroupPids(dir: string): number[] {
  const out = new Set<number>();
  const visit = (d: string): void => {
    const text = readIfExists(join(d, 'cgroup.procs'));
    if (text === undefined) return;
    for (const line of text.split('\n')) if (line !== '') out.add(Number(line));
    for (const child of childCgroups(d)) visit(child);
  };
  visit(dir);
  return [...out];
}

/**
 * The directories from `mountPoint` down to `leaf`, mount point first. Throws if `leaf` is not below it.
 */
export function levelsBelow(mountPoint: string, leaf: string): string[] {
  const rel = posix.relative(mountPoint, leaf);
  if (rel.startsWith('..') || posix.isAbsolute(rel)) {
    throw new RuntimeError(`cgroup directory ${leaf} is not inside the hierarchy mounted at ${mountPoint}`);
  }
  const levels = [mountPoint];
  for (const part of rel === '' ? [] : rel.split('/')) levels.push(posix.join(levels[levels.length - 1], part));
  return levels;
}

/** mkdir one level; records it in `created` only when this call made it. */
export function mkdirLevel(dir: string, created: string[]): void {
  try {
    mkdirSync(dir, 0o755);
    created.push(dir);
  } catch (e) {
    if (errnoOf(e) !== 'EEXIST') throw e;
  }
}

/**
 * rmdir with runc's tolerance: ENOENT is success; EBUSY (processes that are still exiting) is retried
 * `tries` times with a doubling sleep starting at 1 ms (about 1 s in all for 10 tries).
 */
export function rmdirRetry(dir: string, tries = 10): void {
  let delay = 1;
  for (;;) {
    try {
      rmdirSync(dir);
      return;
    } catch (e) {
      const code = errnoOf(e);
      if (code === 'ENOENT') return;
      if (code === 'EBUSY' && tries > 0) {
        sleepSync(delay);
        delay *= 2;
        tries--;
        continue;
      }
      throw e;
    }
  }
}

/** Removes a cgroup and every sub-cgroup below it, deepest first. */
export function removeCgroupTree(dir: string): void {
  // Most cgroups have no sub-cgroups: one rmdir, without listing a directory of dozens of files first.
  try {
    rmdirSync(dir);
    return;
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return;
    // Sub-cgroups (or processes still exiting): cgroupfs says EBUSY; a plain directory ENOTEMPTY.
    if (errnoOf(e) !== 'EBUSY' && errnoOf(e) !== 'ENOTEMPTY') throw e;
  }
  for (const child of childCgroups(dir)) removeCgroupTree(child);
  rmdirRetry(dir);
}

/** A message for an fs error without Node's "ENOENT: no such file or directory, open '...'" noise. */
export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const text: Record<string, string> = {
    ENOENT: 'no such file (is the controller enabled for this cgroup?)',
    EINVAL: 'the kernel rejected the value (EINVAL)',
    EBUSY: 'the cgroup is busy (EBUSY)',
    EPERM: 'operation not permitted (EPERM)',
    EACCES: 'permission denied (EACCES)',
    ENOSPC: 'no space (ENOSPC: e.g. empty cpuset, or too many cgroups)',
    EOPNOTSUPP: 'not supported by this kernel (EOPNOTSUPP)',
    ENOTSUP: 'not supported by this kernel (ENOTSUP)',
    ERANGE: 'value out of range (ERANGE)',
  };
  return (err?.code && text[err.code]) || err?.message || String(e);
}
