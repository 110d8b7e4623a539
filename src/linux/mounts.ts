// config mounts to mount ops. Sources are host paths (relative ones are read from the bundle);
// destinations are resolved inside the rootfs by the helper without following symlinks out of it.
// With a user namespace, bind sources are opened by P, the host side, and handed to the container
// (`send-mount-source`), as runc does: the container's root may not even reach them (a source in a
// directory of the host's root with mode 0700). Id-mapped binds are made by P too, as detached trees
// (`send-idmapped-mount`), which only the host's root may id-map.
import * as path from 'node:path';
import type { IdMapping, Mount } from '../oci/types';
import type { Problem } from '../common/errors';
import type { OpOf, ContainerOpName, HostOpName } from './plan';
import { op, type Fields } from './op-schema';
import { MS } from './constants';
import { REMOUNT_FLAGS, parseMountOptions, type ParsedMountOptions } from './mount-options';
import { idMapContent } from './namespaces';

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
  /** The container's user namespace: none, a new one (its uid_map and gid_map), or one joined by path. */
  userns?: { uidMap: string; gidMap: string } | 'joined';
}

type Op = OpOf<ContainerOpName>;
type HostOp = OpOf<HostOpName>;

export interface MountPlan {
  /** Before the root change. */
  ops: Op[];
  /** After the root change (paths in the container's view). */
  afterRoot: Op[];
  /** P's, after the id maps are written and before C is released: the sources it opens for C, in the order C takes them. */
  hostOps: HostOp[];
  problems: Problem[];
}

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

/** Where a mount's option (or, without one, its field) is, for messages. */
function optionPath(origin: string, at: { index: number } | undefined, field = 'options'): string {
  return at ? `${origin}.options[${at.index}]` : `${origin}.${field}`;
}

/**
 * How an id-mapped bind is mapped: runc's rules. The mount's own uidMappings/gidMappings, else (idmap
 * or ridmap alone) the container's user namespace; the container's namespace also when the mount's
 * mappings are the same as those it was given. Undefined when there is nothing to map with (reported
 * by the semantic checks).
 */
function idmapUserns(m: Mount, userns: MountPlanInput['userns']): Pick<Fields<'send-idmapped-mount'>, 'userns' | 'uidMap' | 'gidMap'> | undefined {
  const own = (maps: IdMapping[] | undefined) => idMapContent(maps ?? []);
  if (m.uidMappings === undefined && m.gidMappings === undefined) {
    return userns === undefined ? undefined : { userns: 'container', uidMap: '', gidMap: '' };
  }
  const uidMap = own(m.uidMappings);
  const gidMap = own(m.gidMappings);
  if (typeof userns === 'object' && userns.uidMap === uidMap && userns.gidMap === gidMap) return { userns: 'container', uidMap: '', gidMap: '' };
  return { userns: 'new', uidMap, gidMap };
}

/** An id-mapped mount: idmap or ridmap, or (as runc takes them) the mount's own mappings alone. */
function isIdmapped(m: Mount, opts: ParsedMountOptions): boolean {
  return opts.idmap !== undefined || m.uidMappings !== undefined || m.gidMappings !== undefined;
}

/** Checks of runc's extensions that depend on the mount's type; true when the mount can be planned. */
function checkExtensions(m: Mount, opts: ParsedMountOptions, isBind: boolean, type: string | undefined, origin: string, problems: Problem[]): boolean {
  if (opts.tmpcopyup && type !== 'tmpfs') {
    problems.push({
      severity: 'warning', path: optionPath(origin, opts.tmpcopyup),
      message: `tmpcopyup only applies to a tmpfs mount; it is ignored on this ${isBind ? 'bind' : type ?? ''} mount (as runc does)`,
    });
  }
  if (isIdmapped(m, opts) && !isBind) {
    problems.push({
      severity: 'error', path: optionPath(origin, opts.idmap, 'uidMappings'),
      message: `id-mapped mounts are only supported for bind mounts, and this one is of type ${type ?? '(none)'}`,
      hint: 'add "bind" or "rbind" to the options, or drop the id-mapping',
    });
    return false;
  }
  return true;
}

/** A bind mount: from the host side (userns or id-mapped), else by C from the source path. */
function bindOps(input: MountPlanInput, m: Mount, opts: ParsedMountOptions, dest: string, origin: string, out: MountPlan): void {
  if (m.source === undefined) {
    out.problems.push({ severity: 'error', path: `${origin}.source`, message: 'a bind mount needs a source' });
    return;
  }
  const source = path.resolve(input.bundle, m.source);
  const root = input.rootfs;
  const kind = input.sourceKind(source);
  const flags = MS.BIND | (opts.recursive ? MS.REC : 0);
  // As runc: the bind gets exactly the flags asked for (set and cleared), the source's only where the
  // kernel keeps them (bind-remount, not the bind op's own remount); none asked for, the source's stay.
  const set = opts.flags & REMOUNT_FLAGS;
  const clear = opts.cleared & REMOUNT_FLAGS;
  const remount = () => (set !== 0 || clear !== 0 ? [op.bindRemount({ root, dest, set, clear }, origin)] : []);
  const { propagation } = opts;
  if (kind === 'missing') {
    // A source in the rootfs that an earlier mount makes (bind-mounting part of the tree the container
    // has by then, as runc allows): C finds it, and what it is, at its turn. Host-side sources (a user
    // namespace, id-mapping) are opened before any mount: not those.
    if (isInside(root, source) && input.userns === undefined && !isIdmapped(m, opts)) {
      out.ops.push(mountInRoot({ root, source, dest, fstype: '', flags, data: '', create: 'as-source', propagation }, origin), ...remount());
    } else {
      out.problems.push({
        severity: 'error', path: `${origin}.source`,
        message: `${source} does not exist${isInside(root, source) ? ' (with a user namespace or id-mapping, a source an earlier mount would make in the rootfs cannot be used: those are opened before any mount)' : ''}`,
      });
    }
    return;
  }
  if (isIdmapped(m, opts)) {
    const mapping = idmapUserns(m, input.userns);
    if (mapping === undefined) return;
    out.hostOps.push(op.sendIdmappedMount({
      path: source, tree: opts.recursive ? 'recursive' : 'single', idmap: opts.idmap?.name === 'ridmap' ? 'recursive' : 'single', ...mapping,
    }, origin));
    out.ops.push(op.mountFromHost({ root, source, dest, create: kind, how: 'move', flags: 0, remountFlags: 0, propagation }, origin), ...remount());
  } else if (input.userns !== undefined) {
    out.hostOps.push(op.sendMountSource({ path: source }, origin));
    out.ops.push(op.mountFromHost({ root, source, dest, create: kind, how: 'bind', flags, remountFlags: 0, propagation }, origin), ...remount());
  } else {
    out.ops.push(mountInRoot({ root, source, dest, fstype: '', flags, data: '', create: kind, propagation }, origin), ...remount());
  }
}

/** Whether p is root or below it (lexically). */
function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The mounts of the config, in order, with what each needs before and after the root change. */
export function mountOps(input: MountPlanInput): MountPlan {
  const out: MountPlan = { ops: [], afterRoot: [], hostOps: [], problems: [] };
  const { ops, problems } = out;
  input.mounts.forEach((m, i) => {
    const origin = `mounts[${i}]`;
    const opts = parseMountOptions(m.options);
    let dest = m.destination;
    if (!dest.startsWith('/')) {
      problems.push({
        severity: 'warning', path: `${origin}.destination`,
        message: `relative destination ${JSON.stringify(dest)} is read relative to "/"`, hint: `use "/${dest}"`,
      });
      dest = `/${dest}`;
    }
    // As runc: a destination given as a path inside the rootfs (as the host sees it) is that place.
    if (isInside(input.rootfs, dest) && dest !== input.rootfs) dest = `/${path.relative(input.rootfs, dest)}`;
    const type = m.type ?? (opts.bind ? 'bind' : undefined);
    const isBind = opts.bind || type === 'bind';
    if (!checkExtensions(m, opts, isBind, type, origin, problems)) return;
    const before = ops.length;
    if (type === 'cgroup' || type === 'cgroup2') {
      ops.push(...cgroupMountOps(input, m, dest, origin, out.afterRoot));
    } else if (isBind) {
      bindOps(input, m, opts, dest, origin, out);
    } else if (type === undefined) {
      problems.push({ severity: 'error', path: `${origin}.type`, message: 'is required unless the mount is a bind mount' });
    } else if (type === 'tmpfs' && opts.tmpcopyup) {
      // Made writable, filled, then made read-only when asked to.
      const flags = opts.flags & ~(MS.REMOUNT | MS.RDONLY);
      ops.push(op.tmpfsCopyup({
        root: input.rootfs, source: m.source ?? type, dest, flags, data: opts.data.join(','), remountFlags: opts.flags & MS.RDONLY,
        propagation: opts.propagation,
      }, origin));
    } else {
      // As runc: a tmpfs (and /dev) is mounted writable and made read-only after the root change, once
      // everything under it (devpts, shm, the device nodes) is in place.
      const late = (type === 'tmpfs' || dest === '/dev') && (opts.flags & MS.RDONLY) !== 0;
      // As runc: a tmpfs without mode= over a directory that is there takes that directory's mode.
      const inheritMode = type === 'tmpfs' && !opts.data.some((d) => d.startsWith('mode='));
      ops.push(mountInRoot({
        root: input.rootfs, source: m.source ?? type, dest, fstype: type, flags: opts.flags & ~MS.REMOUNT & ~(late ? MS.RDONLY : 0),
        data: opts.data.join(','), create: type === 'proc' || type === 'sysfs' ? 'ordinary-dir' : 'dir', propagation: opts.propagation,
        ...(inheritMode ? { mode: 'inherit' as const } : {}),
      }, origin));
      if (late) out.afterRoot.push(op.remountRo({ path: dest }, origin));
    }
    if (ops.length > before && opts.attrOptions.length > 0) {
      ops.push(op.mountSetattr({ root: input.rootfs, dest, attrSet: opts.attrSet, attrClr: opts.attrClr }, origin));
    }
  });
  return out;
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
