// Which cgroup hierarchies this host has, read from /proc/self/mountinfo (pure parsing, no probing).

import { RuntimeError } from '../../common/errors';
import { readFileSync, readdirSync } from 'node:fs';
import { oncePerRequest, runtimeProc } from '../proc';
import { join } from 'node:path';

export type CgroupMode = 'v1' | 'v2' | 'hybrid';

export interface CgroupLayout {
  /** v2: /sys/fs/cgroup is cgroup2; hybrid: v1 controller hierarchies plus a cgroup2 mount; v1 otherwise. */
  mode: CgroupMode;
  /** Mount point of the cgroup2 hierarchy, when there is one. */
  unified?: string;
  /** v1 hierarchies: controller name (or "name=systemd") → mount point. Co-mounted controllers share one. */
  v1: Record<string, string>;
  /**
   * The hierarchy path each mount exposes (mountinfo field 4; "/" on a host, "/docker/<id>" and the like
   * inside a container), keyed like `v1` plus "unified". Needed to turn /proc/self/cgroup paths into
   * directories. Absent means "/".
   */
  mountRoots?: Record<string, string>;
}

/** The key under which the cgroup2 hierarchy appears in `paths` and `mountRoots`. */
export const UNIFIED = 'unified';

/** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

interface CgroupMount {
  mountPoint: string;
  root: string;
  fsType: 'cgroup' | 'cgroup2';
  superOptions: string[];
}

function parseMountinfo(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    // id parent major:minor root mountpoint options [optional fields...] - fstype source superoptions
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    const fsType = right[0];
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    if (left.length < 5) continue;
    mounts.push({
      root: unescapeMountField(left[3]),
      mountPoint: unescapeMountField(left[4]),
      fsType,
      superOptions: (right[2] ?? '').split(','),
    });
  }
  return mounts;
}

/** Super options of a v1 cgroup mount that are not controller names. */
const NON_CONTROLLER_OPTIONS = new Set(['rw', 'ro', 'noprefix', 'clone_children', 'xattr', 'cpuset_v2_mode', 'favordynmods']);

/**
 * Set to a cgroup2 mount point, this makes a hybrid host look like a cgroup v2 one that has only that
 * hierarchy, so that the v2 driver can be tested with real containers on a host that is not v2
 * (tests set it for every tsrunc command of a container). Not meant for anything else.
 */
export const CGROUP2_ONLY_ENV = 'TSRUNC_CGROUP2_ONLY';

/** This host's layout, read once per command (a warm worker reads it afresh for each request). */
export function detectCgroupLayout(mountinfo?: string): CgroupLayout {
  if (mountinfo !== undefined) return parseCgroupLayout(mountinfo);
  return oncePerRequest('cgroup layout', () => parseCgroupLayout(readFileSync(`${runtimeProc()}/mountinfo`, 'utf8'), process.env[CGROUP2_ONLY_ENV]));
}

function parseCgroupLayout(mountinfo: string, cgroup2Only?: string): CgroupLayout {
  const v1: Record<string, string> = {};
  const mountRoots: Record<string, string> = {};
  const cgroup2: CgroupMount[] = [];
  for (const m of parseMountinfo(mountinfo)) {
    if (m.fsType === 'cgroup2') {
      cgroup2.push(m);
      continue;
    }
    for (const opt of m.superOptions) {
      if (NON_CONTROLLER_OPTIONS.has(opt) || opt.startsWith('release_agent=')) continue;
      if (opt.includes('=') && !opt.startsWith('name=')) continue;
      // The first mount of a hierarchy wins (later ones are usually bind mounts of it).
      if (v1[opt] === undefined) {
        v1[opt] = m.mountPoint;
        mountRoots[opt] = m.root;
      }
    }
  }
  if (cgroup2Only !== undefined) {
    const only = cgroup2.find((m) => m.mountPoint === cgroup2Only);
    if (!only) throw new RuntimeError(`${CGROUP2_ONLY_ENV}=${cgroup2Only}: no cgroup2 file system is mounted there`);
    return { mode: 'v2', unified: only.mountPoint, v1: {}, mountRoots: { [UNIFIED]: only.root } };
  }
  const hasV1Controllers = Object.keys(v1).some((k) => !k.startsWith('name='));
  const atDefault = cgroup2.find((m) => m.mountPoint === '/sys/fs/cgroup');
  const preferred = atDefault ?? cgroup2.find((m) => m.mountPoint === '/sys/fs/cgroup/unified') ?? cgroup2[0];
  if (preferred) mountRoots[UNIFIED] = preferred.root;

  if (atDefault || (preferred && !hasV1Controllers)) {
    return { mode: 'v2', unified: preferred!.mountPoint, v1: {}, mountRoots: { [UNIFIED]: preferred!.root } };
  }
  if (preferred && hasV1Controllers) {
    return { mode: 'hybrid', unified: preferred.mountPoint, v1, mountRoots };
  }
  return { mode: 'v1', v1, mountRoots };
}

/** Controllers a cgroup2 directory offers to its children's parent (its cgroup.controllers); [] if unreadable. */
export function cgroupControllers(dir: string): string[] {
  try {
    return readFileSync(join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/).filter((c) => c !== '');
  } catch {
    // Not a cgroup2 directory there (or not ours to read): it offers nothing; a write that needs a
    // controller then fails with the file named.
    return [];
  }
}

/** Controllers available in the unified hierarchy: the root's cgroup.controllers ([] without cgroup2). */
export function unifiedControllers(layout: CgroupLayout): string[] {
  return layout.unified === undefined ? [] : cgroupControllers(layout.unified);
}

/**
 * /proc/<pid>/cgroup → hierarchy key → path inside that hierarchy. v1 lines "4:memory:/a" give one key
 * per controller ("cpu,cpuacct" gives two), "name=systemd" keeps its name, and "0::/a" gives "unified".
 */
export function parseProcCgroup(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (controllers === '') {
      if (line.slice(0, first) === '0') out[UNIFIED] = path;
      continue;
    }
    for (const c of controllers.split(',')) out[c] = path;
  }
  return out;
}

/** Huge page sizes the kernel supports, in OCI form ("2MB", "1GB", "64KB"), from /sys/kernel/mm/hugepages. */
export function hugePageSizes(dir = '/sys/kernel/mm/hugepages'): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    // No huge pages to be seen (no such directory, or /sys hidden): a hugepageLimits entry is then
    // refused as a size this kernel does not have.
    return [];
  }
  const sizes: string[] = [];
  for (const name of names) {
    const m = /^hugepages-(\d+)kB$/.exec(name);
    if (m) sizes.push(formatPageSize(Number(m[1])));
  }
  return sizes;
}

/** 2048 (kB) → "2MB"; the unit names are the ones the hugetlb cgroup files use. */
export function formatPageSize(kb: number): string {
  if (kb % (1024 * 1024) === 0) return `${kb / (1024 * 1024)}GB`;
  if (kb % 1024 === 0) return `${kb / 1024}MB`;
  return `${kb}KB`;
}
