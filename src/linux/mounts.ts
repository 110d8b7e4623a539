// config mounts to mount-in-root ops. Sources are host paths (relative ones are read from the bundle);
// destinations are resolved inside the rootfs by the helper without following symlinks out of it.
import * as path from 'node:path';
import type { Mount } from '../oci/types';
import type { Problem } from '../common/errors';
import type { OpOf, ContainerOpName } from './plan';
import { op, type Fields } from './op-schema';
import { MS } from './constants';
import { REMOUNT_FLAGS, parseMountOptions } from './mount-options';

/** What a bind mount's source is on the host: decides whether the target is a dir or a file. */
export type SourceKind = 'dir' | 'file' | 'missing';

export interface CgroupMountInfo {
  driver: 'v1' | 'v2';
  newCgroupNamespace: boolean;
  /** Per hierarchy: the directory name under the cgroup mount (cpu, memory, systemd, ...) and the
   *  container's cgroup directory on the host. For v2, one entry. */
  hierarchies: { name: string; hostPath: string }[];
}

export interface MountPlanInput {
  rootfs: string;
  bundle: string;
  mounts: Mount[];
  cgroup: CgroupMountInfo;
  sourceKind: (hostPath: string) => SourceKind;
}

type Op = OpOf<ContainerOpName>;

type MountInRoot = Fields<'mount-in-root'>;

/** A mount-in-root op: a mount at dest resolved inside root; no remount and no propagation unless given. */
function mountInRoot(fields: Omit<MountInRoot, 'remountFlags' | 'propagation'> & Partial<MountInRoot>, origin: string): Op {
  return op.mountInRoot({ remountFlags: 0, propagation: 0, ...fields }, origin);
}

function cgroupMountOps(input: MountPlanInput, m: Mount, dest: string, origin: string, afterRoot: Op[]): Op[] {
  const opts = parseMountOptions(m.options);
  const flags = opts.flags & ~MS.REMOUNT;
  const { cgroup, rootfs } = input;
  if (cgroup.driver === 'v2') {
    if (cgroup.newCgroupNamespace) {
      return [mountInRoot({
        root: rootfs, source: 'cgroup', dest, fstype: 'cgroup2', flags, data: '', create: 'dir', propagation: opts.propagation,
      }, origin)];
    }
    const hostPath = cgroup.hierarchies[0].hostPath;
    return [mountInRoot({
      root: rootfs, source: hostPath, dest, fstype: '', flags: MS.BIND | MS.REC, data: '', create: 'dir',
      remountFlags: flags & REMOUNT_FLAGS, propagation: opts.propagation,
    }, origin)];
  }
  // v1: a tmpfs holding one bind mount of the container's own cgroup per hierarchy.
  const ops: Op[] = [
    mountInRoot({
      root: rootfs, source: 'tmpfs', dest, fstype: 'tmpfs', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, data: 'mode=755', create: 'dir',
      propagation: opts.propagation,
    }, origin),
  ];
  for (const h of cgroup.hierarchies) {
    ops.push(mountInRoot({
      root: rootfs, source: h.hostPath, dest: path.posix.join(dest, h.name), fstype: '', flags: MS.BIND | MS.REC, data: '',
      create: 'dir', remountFlags: (flags & REMOUNT_FLAGS) | MS.NOSUID | MS.NODEV | MS.NOEXEC,
    }, origin));
  }
  // The tmpfs must stay writable until the hierarchies' mount points are made in it; "ro" then makes
  // it read-only too (as runc does), or the container could create directories in /sys/fs/cgroup.
  if (flags & MS.RDONLY) afterRoot.push(op.remountRo({ path: dest }, origin));
  return ops;
}

/** ops: before the root change; afterRoot: after it (paths in the container's view). */
export function mountOps(input: MountPlanInput): { ops: Op[]; problems: Problem[]; afterRoot: Op[] } {
  const ops: Op[] = [];
  const afterRoot: Op[] = [];
  const problems: Problem[] = [];
  input.mounts.forEach((m, i) => {
    const origin = `mounts[${i}]`;
    const opts = parseMountOptions(m.options);
    if (opts.unsupported.length > 0) {
      problems.push({
        severity: 'error', path: `${origin}.options`,
        message: `not supported by tsrunc yet: ${opts.unsupported.join(', ')}`,
      });
      return;
    }
    let dest = m.destination;
    if (!dest.startsWith('/')) {
      problems.push({
        severity: 'warning', path: `${origin}.destination`,
        message: `relative destination ${JSON.stringify(dest)} is read relative to "/"`, hint: `use "/${dest}"`,
      });
      dest = `/${dest}`;
    }
    const type = m.type ?? (opts.bind ? 'bind' : undefined);
    if (type === 'cgroup' || type === 'cgroup2') {
      ops.push(...cgroupMountOps(input, m, dest, origin, afterRoot));
      return;
    }
    if (opts.bind || type === 'bind') {
      if (m.source === undefined) {
        problems.push({ severity: 'error', path: `${origin}.source`, message: 'a bind mount needs a source' });
        return;
      }
      const source = path.resolve(input.bundle, m.source);
      const kind = input.sourceKind(source);
      if (kind === 'missing') {
        problems.push({ severity: 'error', path: `${origin}.source`, message: `${source} does not exist` });
        return;
      }
      const flags = MS.BIND | (opts.recursive ? MS.REC : 0);
      const remount = opts.flags & REMOUNT_FLAGS;
      ops.push(mountInRoot({
        root: input.rootfs, source, dest, fstype: '', flags, data: '', create: kind, remountFlags: remount, propagation: opts.propagation,
      }, origin));
      return;
    }
    if (type === undefined) {
      problems.push({ severity: 'error', path: `${origin}.type`, message: 'is required unless the mount is a bind mount' });
      return;
    }
    ops.push(mountInRoot({
      root: input.rootfs, source: m.source ?? type, dest, fstype: type, flags: opts.flags & ~MS.REMOUNT, data: opts.data.join(','),
      create: 'dir', propagation: opts.propagation,
    }, origin));
  });
  return { ops, problems, afterRoot };
}

/** True when the config bind-mounts the host's /dev, so the runtime creates no device nodes. */
export function bindsDev(mounts: Mount[]): boolean {
  return mounts.some((m) => m.destination === '/dev' && (m.type === 'bind' || parseMountOptions(m.options).bind));
}

/** True when the mount puts a procfs at its destination: type proc, or a bind of the host's /proc. */
export function mountsProc(m: Mount): boolean {
  return m.type === 'proc' || (m.source === '/proc' && (m.type === 'bind' || parseMountOptions(m.options).bind));
}

/** Where the mounts put a procfs, as absolute paths in the container. */
export function procMountPoints(mounts: Mount[]): string[] {
  return mounts.filter((m) => typeof m.destination === 'string' && mountsProc(m)).map((m) => path.posix.resolve('/', m.destination));
}
