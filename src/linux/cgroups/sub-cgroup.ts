// exec --cgroup: the process joins an existing sub-cgroup of the container's cgroup instead of the
// cgroup itself, as runc's exec does. A value is "[controller[,controller...]:]path": on cgroup v1 the
// path is joined in the named hierarchies (every one without a controller), the container's own cgroup
// in the others; on cgroup v2 there is one hierarchy, so one value, without controllers. The path is
// below the container's cgroup, or is that cgroup ("/"): one that leads out of it ("..", "a/../..") is
// refused, and the sub-cgroup must exist (exec makes none). The errors have runc's words in them.
import { posix } from 'node:path';
import { RuntimeError } from '../../common/errors';
import type { CgroupEntry } from './manager';
import { UNIFIED } from './layout';

interface SubCgroup {
  controllers?: string[];
  path: string;
}

function parse(value: string): SubCgroup {
  const colon = value.indexOf(':');
  const [controllers, path] = colon < 0 ? [undefined, value] : [value.slice(0, colon).split(','), value.slice(colon + 1)];
  if (controllers?.some((c) => c === '') ?? false) {
    throw new RuntimeError(`invalid --cgroup ${JSON.stringify(value)}: use [controller[,controller]:]path, a path below the container's cgroup`);
  }
  // Read below the container's cgroup, as runc joins it to that cgroup's path.
  const below = posix.normalize(path.replace(/^\/+/, '') || '.');
  if (below === '..' || below.startsWith('../')) {
    throw new RuntimeError(`--cgroup ${value}: bad sub cgroup path: ${path} is not a sub cgroup path (it leads out of the container's cgroup)`);
  }
  return { ...(controllers !== undefined ? { controllers } : {}), path: below === '.' ? '' : below.replace(/\/+$/, '') };
}

/** How an exec'd process enters the container's cgroup with --cgroup values (none: the cgroup itself). */
export function subCgroupEntry(driver: 'v1' | 'v2', paths: Record<string, string>, values: string[], exists: (dir: string) => boolean): CgroupEntry {
  const subs = values.map(parse);
  const sub = (dir: string, s: SubCgroup, value: string) => {
    if (s.path === '') return dir;
    const target = posix.join(dir, s.path);
    if (!exists(target)) {
      throw new RuntimeError(`--cgroup ${value}: the container's cgroup has no sub-cgroup ${s.path}: error adding pid to cgroups: open ${target}/cgroup.procs: no such file or directory`);
    }
    return target;
  };
  if (driver === 'v2') {
    if (subs.length !== 1 || subs[0].controllers !== undefined) {
      throw new RuntimeError('--cgroup on cgroup v2: give one sub-cgroup path, without controllers (there is one hierarchy)');
    }
    return { join: [], cloneInto: sub(paths[UNIFIED], subs[0], values[0]) };
  }
  const known = new Set(Object.keys(paths));
  subs.forEach((s, i) => {
    const unknown = s.controllers?.find((c) => !known.has(c));
    if (unknown !== undefined) throw new RuntimeError(`--cgroup ${values[i]}: unknown controller ${unknown}: the container has no ${unknown} hierarchy (it has ${[...known].sort().join(', ')})`);
  });
  const dirs = new Map<string, string>();
  for (const [key, dir] of Object.entries(paths)) {
    // The last value naming this hierarchy (or naming none) decides, as later flags override earlier ones.
    const i = subs.map((s, n) => (s.controllers === undefined || s.controllers.includes(key) ? n : -1)).filter((n) => n >= 0).pop();
    if (!dirs.has(dir)) dirs.set(dir, i === undefined ? dir : sub(dir, subs[i], values[i]));
  }
  return { join: [...new Set(dirs.values())].map((d) => posix.join(d, 'cgroup.procs')) };
}
