// Where a container's cgroup lives in each hierarchy (pure: layout + /proc/self/cgroup text in, paths out).
//
// Rules (runtime-spec "Cgroups Path", and runc's cgroupfs driver):
// - absolute cgroupsPath "/a/b": <mount point of each hierarchy>/a/b (the spec: "relative to the cgroups
//   mount point"; runc ignores the mount's own root here too).
// - relative cgroupsPath "a/b": below the runtime process's own cgroup in that hierarchy
//   (/proc/self/cgroup), on v1 the own cgroup itself; on a cgroup2 hierarchy its *parent*, as runc does,
//   because the runtime's own v2 cgroup holds processes and so could not enable controllers for a child
//   (the "no internal processes" rule).
// - no cgroupsPath: runc's default with the cgroupfs driver, which is the relative path "<id>".
//   Read in opencontainers/runc@76d9cf5 libcontainer/specconv/spec_linux.go CreateCgroupConfig
//   (empty cgroupsPath → `c.Name = name`, the container id, with no Parent), and in
//   opencontainers/cgroups@30a2293 internal/path/path.go Inner (Path empty → join(Parent, Name) = "<id>",
//   relative), fs/paths.go subsysPath (relative → join(GetOwnCgroupPath(subsystem), inner)) and
//   fs2/defaultpath.go (relative → join(/sys/fs/cgroup, dirname(own cgroup), inner)).
//   So `runc run x` without cgroupsPath lands in <own cgroup>/x, and so does tsrunc.
// - ".." components are refused (runc silently cleans them away; an explicit error is clearer), as is the
//   systemd driver's "slice:prefix:name" form without --systemd-cgroup (runc would make a directory of it).

import { posix } from 'node:path';
import { RuntimeError } from '../../common/errors';
import { type CgroupLayout, parseProcCgroup, UNIFIED } from './layout';

/** v1 hierarchies a container joins: every controller hierarchy plus name=systemd (see v1.ts). */
export function joinedV1Keys(layout: CgroupLayout): string[] {
  return Object.keys(layout.v1).filter((k) => !k.startsWith('name=') || k === 'name=systemd');
}

/** Splits a cgroupsPath into clean components, rejecting what tsrunc will not interpret. */
export function cgroupPathComponents(cgroupsPath: string, field = 'linux.cgroupsPath'): string[] {
  if (/[\0\n]/.test(cgroupsPath)) {
    throw new RuntimeError(`${field}: ${JSON.stringify(cgroupsPath)} contains a NUL or newline character`);
  }
  if (/^[^/:]+\.slice:[^/:]*:[^/:]+$/.test(cgroupsPath)) {
    throw new RuntimeError(
      `${field}: ${JSON.stringify(cgroupsPath)} is in the systemd driver's "slice:prefix:name" form; ` +
        'give --systemd-cgroup for the systemd driver, or for the cgroupfs driver a path such as "/machine.slice/libpod-<id>.scope"',
    );
  }
  const parts = cgroupsPath.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) {
    throw new RuntimeError(`${field}: ${JSON.stringify(cgroupsPath)} has a ".." component, which tsrunc refuses`);
  }
  return parts;
}

function checkId(id: string): void {
  if (id === '' || id === '.' || id === '..' || id.includes('/') || /[\0\n]/.test(id)) {
    throw new RuntimeError(`container id ${JSON.stringify(id)} cannot name a cgroup`);
  }
}

/** The path the config asks for: absolute ("/a/b") or relative ("a/b"), with the runc default for none. */
export function innerCgroupPath(id: string, cgroupsPath: string | undefined): { inner: string; absolute: boolean } {
  if (cgroupsPath === undefined || cgroupsPath === '') {
    checkId(id);
    return { inner: id, absolute: false };
  }
  const parts = cgroupPathComponents(cgroupsPath);
  const absolute = cgroupsPath.startsWith('/');
  if (parts.length === 0) {
    throw new RuntimeError(`linux.cgroupsPath: ${JSON.stringify(cgroupsPath)} names the root cgroup, which a container cannot own`);
  }
  return { inner: parts.join('/'), absolute };
}

/** The directory below `mountPoint` for hierarchy path `hierPath`, given the mount exposes `mountRoot`. */
function dirForHierarchyPath(key: string, mountPoint: string, mountRoot: string, hierPath: string): string {
  const rel = posix.relative(mountRoot, hierPath);
  if (rel.startsWith('..')) {
    throw new RuntimeError(
      `cannot place a relative cgroupsPath in the ${key} hierarchy: this process's cgroup ${hierPath} ` +
        `is outside the part ${mountRoot} mounted at ${mountPoint}`,
    );
  }
  return posix.join(mountPoint, rel);
}

export interface ResolveOptions {
  id: string;
  cgroupsPath?: string;
  layout: CgroupLayout;
  /** Text of /proc/self/cgroup; only read for relative paths. */
  ownCgroups: string | (() => string);
}

/**
 * hierarchy key → absolute directory of the container's cgroup. v1 and hybrid: one key per joined v1
 * controller (co-mounted ones share a directory) plus "unified" in hybrid mode; v2: only "unified".
 */
export function resolveCgroupPaths(o: ResolveOptions): Record<string, string> {
  const { inner, absolute } = innerCgroupPath(o.id, o.cgroupsPath);
  const roots = o.layout.mountRoots ?? {};
  let own: Record<string, string> | undefined;
  const ownPath = (key: string): string => {
    own ??= parseProcCgroup(typeof o.ownCgroups === 'string' ? o.ownCgroups : o.ownCgroups());
    const p = own[key];
    if (p === undefined) {
      throw new RuntimeError(`cannot place a relative cgroupsPath: /proc/self/cgroup has no line for the ${key} hierarchy`);
    }
    return p;
  };
  const paths: Record<string, string> = {};
  const keys = o.layout.mode === 'v2' ? [] : joinedV1Keys(o.layout);
  for (const key of keys) {
    const mnt = o.layout.v1[key];
    paths[key] = absolute
      ? posix.join(mnt, inner)
      : posix.join(dirForHierarchyPath(key, mnt, roots[key] ?? '/', ownPath(key)), inner);
  }
  if (o.layout.unified !== undefined && o.layout.mode !== 'v1') {
    const mnt = o.layout.unified;
    paths[UNIFIED] = absolute
      ? posix.join(mnt, inner)
      : posix.join(dirForHierarchyPath(UNIFIED, mnt, roots[UNIFIED] ?? '/', posix.dirname(ownPath(UNIFIED))), inner);
  }
  if (Object.keys(paths).length === 0) {
    throw new RuntimeError('no cgroup hierarchy is mounted (nothing of type cgroup or cgroup2 in /proc/self/mountinfo)');
  }
  return paths;
}
