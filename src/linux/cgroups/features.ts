// Optional cgroup interface files whose presence changes what gets written, and whether this process
// can load a cgroup v2 device program. The write list is a pure function of the config and these
// facts; each is probed the first time a write asks about it (a config without blkio settings, say,
// never makes tsrunc look for blkio files, and a host with the v1 devices controller never loads a
// program).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { deviceProgramUnavailable } from './device-filter';
import { cgroupControllers } from './layout';

export type Feature =
  | 'v1:memory.memsw.limit_in_bytes'
  | 'v1:memory.kmem.limit_in_bytes'
  | 'v1:memory.kmem.tcp.limit_in_bytes'
  | 'v1:cpu.cfs_burst_us'
  | 'v1:cpu.rt_runtime_us'
  | 'v1:cpu.idle'
  | 'v1:blkio.weight'
  | 'v1:blkio.bfq.weight'
  | 'v1:blkio.weight_device'
  | 'v1:blkio.bfq.weight_device'
  | 'v1:blkio.leaf_weight'
  | 'v1:blkio.leaf_weight_device'
  | 'v1:hugetlb.rsvd'
  | 'v2:memory.swap.max'
  | 'v2:cpu.max.burst'
  | 'v2:cpu.idle'
  | 'v2:io.weight'
  | 'v2:io.bfq.weight'
  | 'v2:hugetlb.rsvd'
  /** Not a file: a BPF_PROG_TYPE_CGROUP_DEVICE program loads (the kernel has them, the process may). */
  | 'v2:device-program';

/** What the resource write planner asks: whether a feature's file is there. */
export interface FeatureSet {
  has(f: Feature): boolean;
  /** Why a feature is missing, when the probe found out (a set given by a test knows none). */
  missingBecause?(f: Feature): string | undefined;
}

export const ALL_FEATURES: readonly Feature[] = [
  'v1:memory.memsw.limit_in_bytes', 'v1:memory.kmem.limit_in_bytes', 'v1:memory.kmem.tcp.limit_in_bytes',
  'v1:cpu.cfs_burst_us', 'v1:cpu.rt_runtime_us', 'v1:cpu.idle',
  'v1:blkio.weight', 'v1:blkio.bfq.weight', 'v1:blkio.weight_device', 'v1:blkio.bfq.weight_device',
  'v1:blkio.leaf_weight', 'v1:blkio.leaf_weight_device', 'v1:hugetlb.rsvd',
  'v2:memory.swap.max', 'v2:cpu.max.burst', 'v2:cpu.idle', 'v2:io.weight', 'v2:io.bfq.weight', 'v2:hugetlb.rsvd',
  'v2:device-program',
];

/** The controller a feature's file belongs to, and the file to look for. */
function featureFile(f: Feature, hugeSize: string | undefined): { controller: string; file: string } {
  const name = f.slice(3);
  const controller = name.split('.')[0];
  if (name === 'hugetlb.rsvd') {
    const size = hugeSize ?? '2MB';
    return { controller, file: f.startsWith('v1:') ? `hugetlb.${size}.rsvd.limit_in_bytes` : `hugetlb.${size}.rsvd.max` };
  }
  return { controller, file: name };
}

/** The deepest existing directory from `dir` up to (and including) `stop`. */
function nearestExisting(dir: string, stop: string): string | undefined {
  for (let d = dir; ; d = posix.dirname(d)) {
    if (existsSync(d)) return d;
    if (d === stop || d === '/' || !d.startsWith(stop)) return undefined;
  }
}

export interface ProbeInput {
  /** v1 controller → [container dir, mount point]. */
  v1: Record<string, [string, string]>;
  /** [container dir, mount point] in the cgroup2 hierarchy. */
  unified?: [string, string];
  hugePageSizes: readonly string[];
}

/**
 * Probes the real filesystem. v1: any existing level of the container's hierarchy has the same files
 * (the root included). v2: the root cgroup has no controller files at all, so the nearest existing
 * non-root level that has the controller is asked; when there is none yet (first container below the
 * root), the file is assumed present, since all of these are in every kernel that tsrunc targets
 * (memory.swap.max unless swap accounting is off, cpu.max.burst >= 5.14, cpu.idle >= 5.15,
 * hugetlb rsvd >= 5.7, io.weight with the iocost controller).
 */
export function lazyFeatures(input: ProbeInput): FeatureSet {
  const known = new Map<Feature, boolean>();
  return {
    has(f) {
      let present = known.get(f);
      if (present === undefined) known.set(f, (present = f === 'v2:device-program' ? deviceProgramUnavailable() === undefined : probeFeature(f, input)));
      return present;
    },
    missingBecause(f) {
      return f === 'v2:device-program' ? deviceProgramUnavailable() : undefined;
    },
  };
}

/** Whether one feature's file is there (see lazyFeatures). */
function probeFeature(f: Feature, input: ProbeInput): boolean {
  const { controller, file } = featureFile(f, input.hugePageSizes[0]);
  if (f.startsWith('v1:')) {
    const where = input.v1[controller];
    if (!where) return false;
    const dir = nearestExisting(where[0], where[1]);
    return dir !== undefined && existsSync(posix.join(dir, file));
  }
  if (!input.unified) return false;
  const [leaf, mount] = input.unified;
  for (let d = leaf; d !== mount && d.startsWith(mount + '/'); d = posix.dirname(d)) {
    if (!existsSync(d)) continue;
    if (!cgroupControllers(d).includes(controller)) continue;
    return existsSync(posix.join(d, file));
  }
  // BFQ's file is there only when the BFQ scheduler is loaded, which a block device's list of schedulers tells.
  return f === 'v2:io.bfq.weight' ? bfqLoaded() : true;
}

function bfqLoaded(): boolean {
  try {
    return readdirSync('/sys/block').some((dev) => {
      try {
        return /\bbfq\b/.test(readFileSync(`/sys/block/${dev}/queue/scheduler`, 'utf8'));
      } catch {
        return false; // a device without a scheduler (none listed)
      }
    });
  } catch {
    return false; // no sysfs: no BFQ known
  }
}
