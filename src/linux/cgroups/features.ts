// Optional cgroup interface files whose presence changes what gets written, probed once at construction
// so that the write list itself stays a pure function of the config.

import { existsSync } from 'node:fs';
import { posix } from 'node:path';
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
  | 'v2:hugetlb.rsvd';

export type FeatureSet = ReadonlySet<Feature>;

export const ALL_FEATURES: readonly Feature[] = [
  'v1:memory.memsw.limit_in_bytes', 'v1:memory.kmem.limit_in_bytes', 'v1:memory.kmem.tcp.limit_in_bytes',
  'v1:cpu.cfs_burst_us', 'v1:cpu.rt_runtime_us', 'v1:cpu.idle',
  'v1:blkio.weight', 'v1:blkio.bfq.weight', 'v1:blkio.weight_device', 'v1:blkio.bfq.weight_device',
  'v1:blkio.leaf_weight', 'v1:blkio.leaf_weight_device', 'v1:hugetlb.rsvd',
  'v2:memory.swap.max', 'v2:cpu.max.burst', 'v2:cpu.idle', 'v2:io.weight', 'v2:hugetlb.rsvd',
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
export function probeFeatures(input: ProbeInput): Set<Feature> {
  const out = new Set<Feature>();
  const huge = input.hugePageSizes[0];
  for (const f of ALL_FEATURES) {
    const { controller, file } = featureFile(f, huge);
    if (f.startsWith('v1:')) {
      const where = input.v1[controller];
      if (!where) continue;
      const dir = nearestExisting(where[0], where[1]);
      if (dir !== undefined && existsSync(posix.join(dir, file))) out.add(f);
      continue;
    }
    if (!input.unified) continue;
    const [leaf, mount] = input.unified;
    let answered = false;
    for (let d = leaf; d !== mount && d.startsWith(mount + '/'); d = posix.dirname(d)) {
      if (!existsSync(d)) continue;
      if (!cgroupControllers(d).includes(controller)) continue;
      if (existsSync(posix.join(d, file))) out.add(f);
      answered = true;
      break;
    }
    if (!answered) out.add(f);
  }
  return out;
}
