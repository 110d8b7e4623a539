// The resource write planner: OCI linux.resources → the ordered list of cgroup file writes, and on
// cgroup v2 the device program (pure: everything it needs is in the target). The managers apply the
// plan (base.ts).
//
// One planner serves v1, v2 and hybrid: each controller goes to its v1 hierarchy when one is joined,
// otherwise to the cgroup2 directory when the unified hierarchy offers it (hybrid hosts put hugetlb there),
// and is a problem (RuntimeError naming the field) when neither has it. Device rules go to the v1
// devices files, or else become a BPF_CGROUP_DEVICE program for the cgroup2 directory. Fields that
// cannot be applied but are not worth failing for (kernel knobs that are missing or ignored) are listed
// in `unsupported` so that the caller can warn instead of dropping them silently.

import { posix } from 'node:path';
import type { BlockIOResources, CpuResources, MemoryResources, Resources, ThrottleDevice } from '../../oci/types';
import type { SourcedDeviceRule } from '../devices';
import { isRuntimeError, type Problem } from '../../common/errors';
import { blkioWeightToIoWeight, cpuSharesToWeight, deviceRuleLine, deviceRuleProblems, effectiveDeviceRules, ignoredAccessReason, int, swapToV2 } from './convert';
import type { Feature, FeatureSet } from './features';
import { buildDeviceProgram, type DeviceProgram } from './device-program';

export interface CgroupWrite {
  /** Absolute path of the cgroup file. */
  file: string;
  value: string;
  /** The config field it comes from, e.g. "linux.resources.memory.limit". */
  origin: string;
  /** Written instead when the kernel refuses this write with EINVAL (an order that fits the values the cgroup has now). */
  onEinval?: CgroupWrite[];
}

export interface WriteTarget {
  /** Joined v1 hierarchies: controller (or "name=...") → the container's directory there. */
  v1: Record<string, string>;
  /** The container's directory in the cgroup2 hierarchy, when it joins one (v2 and hybrid). */
  unified?: string;
  /** Mount point of the cgroup2 hierarchy, for messages. */
  unifiedMount?: string;
  /** Controllers the cgroup2 hierarchy offers (its root cgroup.controllers). */
  unifiedControllers: ReadonlySet<string>;
  /** Huge page sizes the kernel has, OCI form ("2MB"). */
  hugePageSizes: readonly string[];
  /** Optional interface files known (at construction) to exist. */
  features: FeatureSet;
}

/** A setting that will not be applied: the config field, and why. */
export interface NotApplied {
  path: string;
  reason: string;
}

/** "config.path: reason", as warnings and explain show it. */
export function notAppliedText(u: NotApplied): string {
  return `${u.path}: ${u.reason}`;
}

/** The device rules as a cgroup v2 device program, and where it goes. */
export interface PlannedDeviceProgram {
  /** The cgroup2 directory it is attached to. */
  dir: string;
  program: DeviceProgram;
  /** The config field: "linux.resources.devices". */
  origin: string;
}

export interface ResourceWritePlan {
  writes: CgroupWrite[];
  /** Set on cgroup v2 when the resources have device rules; attached after the writes. */
  deviceProgram?: PlannedDeviceProgram;
  problems: Problem[];
  /** Each setting that will not be applied. */
  unsupported: NotApplied[];
}

type Route = { kind: 'v1'; dir: string } | { kind: 'v2'; dir: string };

const R = 'linux.resources';

/** Treats 0 as "not set", the way runc (and the Go zero value) does for limits. */
const nz = (n: number | undefined): number | undefined => (n === undefined || n === 0 ? undefined : n);

class ResourceWritePlanner {
  readonly writes: CgroupWrite[] = [];
  readonly problems: Problem[] = [];
  readonly unsupported: NotApplied[] = [];
  deviceProgram: PlannedDeviceProgram | undefined;

  constructor(private readonly t: WriteTarget) {}

  has(f: Feature): boolean {
    return this.t.features.has(f);
  }

  entry(dir: string, file: string, value: string, origin: string): CgroupWrite {
    return { file: posix.join(dir, file), value, origin };
  }

  write(dir: string, file: string, value: string, origin: string): void {
    this.writes.push(this.entry(dir, file, value, origin));
  }

  problem(path: string, message: string): void {
    this.problems.push({ severity: 'error', path, message });
  }

  /** What fn returns; when it throws a RuntimeError (a value the cgroup files cannot take), that is a problem with `path`, and undefined. */
  checked<T>(path: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      if (!isRuntimeError(err)) throw err;
      this.problem(path, err.message);
      return undefined;
    }
  }

  skip(path: string, reason: string): void {
    this.unsupported.push({ path, reason });
  }

  /** Where controller v1Name/v2Name lives, or undefined after recording a problem for `field`. */
  route(field: string, v1Name: string, v2Name: string | undefined): Route | undefined {
    const v1 = this.t.v1[v1Name];
    if (v1 !== undefined) return { kind: 'v1', dir: v1 };
    if (this.t.unified !== undefined && v2Name !== undefined && this.t.unifiedControllers.has(v2Name)) {
      return { kind: 'v2', dir: this.t.unified };
    }
    this.problem(field, `the ${v1Name} controller is not available here: ${this.whereLooked(v2Name)}`);
    return undefined;
  }

  whereLooked(v2Name: string | undefined): string {
    const parts: string[] = [];
    if (Object.keys(this.t.v1).length > 0) parts.push('no cgroup v1 hierarchy for it is mounted');
    if (this.t.unified !== undefined) {
      const offered = [...this.t.unifiedControllers].sort().join(', ');
      const at = `the cgroup2 hierarchy at ${this.t.unifiedMount ?? posix.dirname(this.t.unified)}`;
      if (v2Name === undefined) parts.push('cgroup v2 has no such controller');
      else parts.push(offered === '' ? `${at} offers no controllers` : `${at} offers only: ${offered}`);
    }
    return parts.join(', and ');
  }

  // ---- memory ----

  memory(m: MemoryResources): void {
    const base = `${R}.memory`;
    const wants =
      nz(m.limit) !== undefined || nz(m.reservation) !== undefined || nz(m.swap) !== undefined ||
      m.kernel !== undefined || m.kernelTCP !== undefined || (m.swappiness !== undefined && m.swappiness !== -1) ||
      m.disableOOMKiller === true || m.useHierarchy === false || m.checkBeforeUpdate === true;
    if (!wants) return;
    const route = this.route(base, 'memory', 'memory');
    if (!route) return;
    if (route.kind === 'v1') this.memoryV1(route.dir, m, base);
    else this.memoryV2(route.dir, m, base);
  }

  memoryV1(dir: string, m: MemoryResources, base: string): void {
    const limit = nz(m.limit);
    const swap = nz(m.swap);
    const memsw = this.has('v1:memory.memsw.limit_in_bytes');
    if (swap !== undefined && !memsw) {
      this.skip(`${base}.swap`, 'memory.memsw.limit_in_bytes does not exist (swap accounting is off in this kernel)');
    }
    if (swap !== undefined && memsw) {
      if (swap > 0 && limit !== undefined && (limit === -1 || swap < limit)) {
        this.problem(`${base}.swap`, `memory+swap limit ${swap} is below the memory limit ${limit === -1 ? '(unlimited)' : limit}`);
        return;
      }
      if (limit !== undefined) {
        // The kernel insists on memsw >= limit at every step. Lifting memsw first makes the order right
        // whether the new values raise or lower the old ones (runc reads the current limit to choose an
        // order; this stays free of reads and gives the same end state).
        this.write(dir, 'memory.memsw.limit_in_bytes', '-1', `${base}.swap`);
        this.write(dir, 'memory.limit_in_bytes', int(limit), `${base}.limit`);
        if (swap !== -1) this.write(dir, 'memory.memsw.limit_in_bytes', int(swap), `${base}.swap`);
      } else {
        this.write(dir, 'memory.memsw.limit_in_bytes', int(swap), `${base}.swap`);
      }
    } else if (limit !== undefined) {
      // runc: an unlimited memory limit without a swap setting means unlimited memory+swap as well.
      if (limit === -1 && memsw) this.write(dir, 'memory.memsw.limit_in_bytes', '-1', `${base}.limit`);
      this.write(dir, 'memory.limit_in_bytes', int(limit), `${base}.limit`);
    }
    const reservation = nz(m.reservation);
    if (reservation !== undefined) this.write(dir, 'memory.soft_limit_in_bytes', int(reservation), `${base}.reservation`);
    // Linux >= 6.x keeps memory.kmem.limit_in_bytes but accepts and ignores writes to it; runc ignores
    // both kernel fields entirely. Written when the files exist, as the tsrunc design asks.
    for (const [key, file] of [['kernel', 'memory.kmem.limit_in_bytes'], ['kernelTCP', 'memory.kmem.tcp.limit_in_bytes']] as const) {
      const v = m[key];
      if (v === undefined) continue;
      if (this.has(`v1:${file}`)) this.write(dir, file, int(v), `${base}.${key}`);
      else this.skip(`${base}.${key}`, `${file} does not exist in this kernel`);
    }
    if (m.swappiness !== undefined && m.swappiness !== -1) {
      if (!Number.isInteger(m.swappiness) || m.swappiness < 0 || m.swappiness > 100) {
        this.problem(`${base}.swappiness`, `${m.swappiness} is not in 0..100`);
      } else {
        this.write(dir, 'memory.swappiness', int(m.swappiness), `${base}.swappiness`);
      }
    }
    if (m.disableOOMKiller === true) this.write(dir, 'memory.oom_control', '1', `${base}.disableOOMKiller`);
    if (m.useHierarchy === false) {
      this.skip(`${base}.useHierarchy`, 'memory.use_hierarchy is not changed (Linux >= 5.16 refuses 0; runc ignores the field)');
    }
    // checkBeforeUpdate: cgroup v1 itself refuses a limit below the current usage (EBUSY).
  }

  memoryV2(dir: string, m: MemoryResources, base: string): void {
    const swap = this.checked(`${base}.swap`, () => swapToV2(m.swap, m.limit));
    if (swap !== undefined) {
      const origin = nz(m.swap) !== undefined ? `${base}.swap` : `${base}.limit`;
      if (this.has('v2:memory.swap.max')) this.write(dir, 'memory.swap.max', swap, origin);
      else if (swap !== 'max') this.skip(origin, 'memory.swap.max does not exist (swap accounting is off in this kernel)');
    }
    const max = (n: number): string => (n === -1 ? 'max' : int(n));
    const limit = nz(m.limit);
    if (limit !== undefined) this.write(dir, 'memory.max', max(limit), `${base}.limit`);
    const reservation = nz(m.reservation);
    if (reservation !== undefined) this.write(dir, 'memory.low', max(reservation), `${base}.reservation`);
    if (m.kernel !== undefined) this.skip(`${base}.kernel`, 'cgroup v2 has no separate kernel memory limit');
    if (m.kernelTCP !== undefined) this.skip(`${base}.kernelTCP`, 'cgroup v2 has no separate kernel TCP memory limit');
    if (m.swappiness !== undefined && m.swappiness !== -1) this.skip(`${base}.swappiness`, 'cgroup v2 has no per-cgroup swappiness');
    if (m.disableOOMKiller === true) this.skip(`${base}.disableOOMKiller`, 'cgroup v2 has no switch to disable the OOM killer');
    if (m.useHierarchy === false) this.skip(`${base}.useHierarchy`, 'cgroup v2 memory accounting is always hierarchical');
    if (m.checkBeforeUpdate === true) {
      this.skip(`${base}.checkBeforeUpdate`, 'tsrunc does not compare a new limit with memory.current');
    }
  }

  // ---- cpu and cpuset ----

  cpu(c: CpuResources): void {
    const base = `${R}.cpu`;
    const wantsCpu =
      nz(c.shares) !== undefined || nz(c.quota) !== undefined || nz(c.period) !== undefined || c.burst !== undefined ||
      nz(c.realtimeRuntime) !== undefined || nz(c.realtimePeriod) !== undefined || c.idle !== undefined;
    if (wantsCpu) {
      const route = this.route(base, 'cpu', 'cpu');
      if (route?.kind === 'v1') this.cpuV1(route.dir, c, base);
      else if (route?.kind === 'v2') this.cpuV2(route.dir, c, base);
    }
    if ((c.cpus ?? '') !== '' || (c.mems ?? '') !== '') {
      const field = (c.cpus ?? '') !== '' ? `${base}.cpus` : `${base}.mems`;
      const route = this.route(field, 'cpuset', 'cpuset');
      if (route) {
        if ((c.cpus ?? '') !== '') this.write(route.dir, 'cpuset.cpus', c.cpus!, `${base}.cpus`);
        if ((c.mems ?? '') !== '') this.write(route.dir, 'cpuset.mems', c.mems!, `${base}.mems`);
      }
    }
  }

  checkBurst(c: CpuResources, base: string): boolean {
    const quota = nz(c.quota);
    if (c.burst !== undefined && quota !== undefined && quota > 0 && c.burst > quota) {
      this.problem(`${base}.burst`, `burst ${c.burst} is larger than quota ${quota}`);
      return false;
    }
    return true;
  }

  cpuV1(dir: string, c: CpuResources, base: string): void {
    const shares = nz(c.shares);
    if (shares !== undefined) {
      if (shares < 2 || shares > 262144) this.problem(`${base}.shares`, `${shares} is not in 2..262144 (the range of cpu.shares)`);
      else this.write(dir, 'cpu.shares', int(shares), `${base}.shares`);
    }
    if (!this.checkBurst(c, base)) return;
    const quota = nz(c.quota);
    const period = nz(c.period);
    let burst = c.burst;
    if (burst !== undefined && !this.has('v1:cpu.cfs_burst_us')) {
      this.skip(`${base}.burst`, 'cpu.cfs_burst_us does not exist (Linux < 5.14)');
      burst = undefined;
    }
    // The kernel checks quota/period/burst together on each write. With the quota unlimited first, any
    // period and burst are accepted, and the final quota write checks the final triple (runc instead
    // retries after EINVAL).
    if (quota !== undefined && quota > 0 && (period !== undefined || burst !== undefined)) {
      this.write(dir, 'cpu.cfs_quota_us', '-1', `${base}.quota`);
    }
    if (period !== undefined) this.write(dir, 'cpu.cfs_period_us', int(period), `${base}.period`);
    if (burst !== undefined) this.write(dir, 'cpu.cfs_burst_us', int(burst), `${base}.burst`);
    if (quota !== undefined) this.write(dir, 'cpu.cfs_quota_us', int(quota), `${base}.quota`);
    const rtPeriod = nz(c.realtimePeriod);
    const rtRuntime = nz(c.realtimeRuntime);
    if (rtPeriod !== undefined || rtRuntime !== undefined) {
      if (!this.has('v1:cpu.rt_runtime_us')) {
        this.problem(rtRuntime !== undefined ? `${base}.realtimeRuntime` : `${base}.realtimePeriod`,
          'cpu.rt_runtime_us does not exist (kernel without CONFIG_RT_GROUP_SCHED)');
      } else {
        // Period first: a fresh cgroup has runtime 0, which fits any period (runc's order too). A period
        // below the runtime the cgroup has now is refused: then the runtime goes first (as runc retries).
        const runtime = rtRuntime !== undefined ? this.entry(dir, 'cpu.rt_runtime_us', int(rtRuntime), `${base}.realtimeRuntime`) : undefined;
        if (rtPeriod !== undefined) {
          const period = this.entry(dir, 'cpu.rt_period_us', int(rtPeriod), `${base}.realtimePeriod`);
          this.writes.push(runtime ? { ...period, onEinval: [runtime, period] } : period);
        }
        if (runtime) this.writes.push(runtime);
      }
    }
    // Last: with cpu.idle=1 the kernel refuses cpu.shares writes (EINVAL), so shares go before it.
    if (c.idle !== undefined) {
      if (this.has('v1:cpu.idle')) this.write(dir, 'cpu.idle', int(c.idle), `${base}.idle`);
      else this.problem(`${base}.idle`, 'cpu.idle does not exist (Linux < 5.15)');
    }
  }

  cpuV2(dir: string, c: CpuResources, base: string): void {
    const shares = nz(c.shares);
    if (shares !== undefined) this.write(dir, 'cpu.weight', int(cpuSharesToWeight(shares)), `${base}.shares`);
    if (!this.checkBurst(c, base)) return;
    const quota = nz(c.quota);
    const period = nz(c.period);
    if (quota !== undefined || period !== undefined) {
      const value = `${quota !== undefined && quota > 0 ? int(quota) : 'max'} ${int(period ?? 100000)}`;
      this.write(dir, 'cpu.max', value, quota !== undefined ? `${base}.quota` : `${base}.period`);
    }
    if (c.burst !== undefined) {
      if (this.has('v2:cpu.max.burst')) this.write(dir, 'cpu.max.burst', int(c.burst), `${base}.burst`);
      else this.skip(`${base}.burst`, 'cpu.max.burst does not exist (Linux < 5.14)');
    }
    if (nz(c.realtimeRuntime) !== undefined) this.skip(`${base}.realtimeRuntime`, 'cgroup v2 has no realtime group scheduling interface');
    if (nz(c.realtimePeriod) !== undefined) this.skip(`${base}.realtimePeriod`, 'cgroup v2 has no realtime group scheduling interface');
    if (c.idle !== undefined) {
      if (this.has('v2:cpu.idle')) this.write(dir, 'cpu.idle', int(c.idle), `${base}.idle`);
      else this.problem(`${base}.idle`, 'cpu.idle does not exist (Linux < 5.15)');
    }
  }

  // ---- pids ----

  pids(limit: number | undefined): void {
    // 0 is no limit, as runc and crun read it (nothing is written; a container would not even start
    // with pids.max 0). -1 and other negative values mean "max", as with runc.
    if (limit === undefined || limit === 0) return;
    const route = this.route(`${R}.pids.limit`, 'pids', 'pids');
    if (!route) return;
    this.write(route.dir, 'pids.max', limit < 0 ? 'max' : int(limit), `${R}.pids.limit`);
  }

  // ---- block IO ----

  blockIO(b: BlockIOResources): void {
    const base = `${R}.blockIO`;
    const throttles = [
      ['throttleReadBpsDevice', 'read_bps_device', 'rbps'],
      ['throttleWriteBpsDevice', 'write_bps_device', 'wbps'],
      ['throttleReadIOPSDevice', 'read_iops_device', 'riops'],
      ['throttleWriteIOPSDevice', 'write_iops_device', 'wiops'],
    ] as const;
    const wants =
      nz(b.weight) !== undefined || nz(b.leafWeight) !== undefined || (b.weightDevice?.length ?? 0) > 0 ||
      throttles.some(([k]) => (b[k]?.length ?? 0) > 0);
    if (!wants) return;
    const route = this.route(base, 'blkio', 'io');
    if (!route) return;
    const dir = route.dir;
    const dev = (d: { major: number; minor: number }): string => `${int(d.major)}:${int(d.minor)}`;
    const weight = nz(b.weight);
    const leafWeight = nz(b.leafWeight);
    if (route.kind === 'v1') {
      // runc: BFQ's blkio.bfq.weight when the kernel has it, else CFQ's blkio.weight.
      const weightFile = this.has('v1:blkio.bfq.weight') ? 'blkio.bfq.weight' : this.has('v1:blkio.weight') ? 'blkio.weight' : undefined;
      const weightDeviceFile = this.has('v1:blkio.bfq.weight_device') ? 'blkio.bfq.weight_device'
        : this.has('v1:blkio.weight_device') ? 'blkio.weight_device' : undefined;
      const noScheduler = 'no blkio.weight or blkio.bfq.weight (no CFQ/BFQ I/O scheduler in this kernel)';
      if (weight !== undefined) {
        if (weightFile) this.write(dir, weightFile, int(weight), `${base}.weight`);
        else this.skip(`${base}.weight`, noScheduler);
      }
      if (leafWeight !== undefined) {
        if (this.has('v1:blkio.leaf_weight')) this.write(dir, 'blkio.leaf_weight', int(leafWeight), `${base}.leafWeight`);
        else this.skip(`${base}.leafWeight`, 'blkio.leaf_weight does not exist (it was CFQ-only)');
      }
      (b.weightDevice ?? []).forEach((wd, i) => {
        const o = `${base}.weightDevice[${i}]`;
        if (nz(wd.weight) !== undefined) {
          if (weightDeviceFile) this.write(dir, weightDeviceFile, `${dev(wd)} ${int(wd.weight!)}`, `${o}.weight`);
          else this.skip(`${o}.weight`, noScheduler);
        }
        if (nz(wd.leafWeight) !== undefined) {
          if (this.has('v1:blkio.leaf_weight_device')) this.write(dir, 'blkio.leaf_weight_device', `${dev(wd)} ${int(wd.leafWeight!)}`, `${o}.leafWeight`);
          else this.skip(`${o}.leafWeight`, 'blkio.leaf_weight_device does not exist (it was CFQ-only)');
        }
      });
      for (const [key, file] of throttles) {
        (b[key] ?? []).forEach((td: ThrottleDevice, i) => {
          this.write(dir, `blkio.throttle.${file}`, `${dev(td)} ${int(td.rate)}`, `${base}.${key}[${i}]`);
        });
      }
      return;
    }
    // cgroup v2 io, as runc: with BFQ, io.bfq.weight takes the weight as it is, and the per-device
    // weights; without it the weight goes to io.weight scaled from the blkio range, and per-device
    // weights are left out (io.weight's per-device form is the io cost controller's, which runc never writes).
    const bfq = this.has('v2:io.bfq.weight');
    if (weight !== undefined) {
      if (bfq) this.write(dir, 'io.bfq.weight', `default ${int(weight)}`, `${base}.weight`);
      else if (this.has('v2:io.weight')) this.write(dir, 'io.weight', `default ${int(blkioWeightToIoWeight(weight))}`, `${base}.weight`);
      else this.skip(`${base}.weight`, 'neither io.bfq.weight nor io.weight exists (no BFQ scheduler, no io cost controller)');
    }
    if (leafWeight !== undefined) this.skip(`${base}.leafWeight`, 'cgroup v2 has no leaf weight');
    (b.weightDevice ?? []).forEach((wd, i) => {
      const o = `${base}.weightDevice[${i}]`;
      if (nz(wd.weight) !== undefined) {
        if (bfq) this.write(dir, 'io.bfq.weight', `${dev(wd)} ${int(wd.weight!)}`, `${o}.weight`);
        else this.skip(`${o}.weight`, 'io.bfq.weight does not exist (per-device weights need the BFQ I/O scheduler)');
      }
      if (nz(wd.leafWeight) !== undefined) this.skip(`${o}.leafWeight`, 'cgroup v2 has no leaf weight');
    });
    for (const [key, , v2key] of throttles) {
      (b[key] ?? []).forEach((td: ThrottleDevice, i) => {
        this.write(dir, 'io.max', `${dev(td)} ${v2key}=${int(td.rate)}`, `${base}.${key}[${i}]`);
      });
    }
  }

  // ---- hugetlb ----

  hugetlb(limits: { pageSize: string; limit: number }[]): void {
    if (limits.length === 0) return;
    const base = `${R}.hugepageLimits`;
    const route = this.route(base, 'hugetlb', 'hugetlb');
    if (!route) return;
    limits.forEach((h, i) => {
      const o = `${base}[${i}]`;
      if (!this.t.hugePageSizes.includes(h.pageSize)) {
        const known = this.t.hugePageSizes.length > 0 ? `this kernel has ${this.t.hugePageSizes.join(', ')}` : 'this kernel has no huge pages';
        this.problem(`${o}.pageSize`, `huge page size ${JSON.stringify(h.pageSize)} is not supported (${known})`);
        return;
      }
      const [limitFile, rsvdFile, rsvd] = route.kind === 'v1'
        ? [`hugetlb.${h.pageSize}.limit_in_bytes`, `hugetlb.${h.pageSize}.rsvd.limit_in_bytes`, this.has('v1:hugetlb.rsvd')]
        : [`hugetlb.${h.pageSize}.max`, `hugetlb.${h.pageSize}.rsvd.max`, this.has('v2:hugetlb.rsvd')];
      this.write(route.dir, limitFile, int(h.limit), o);
      // runtime-spec: the limit is on reservations where the kernel accounts them (Linux >= 5.7), on
      // faults otherwise; runc sets both files, and so does tsrunc.
      if (rsvd) this.write(route.dir, rsvdFile, int(h.limit), o);
    });
  }

  // ---- network, rdma ----

  network(n: NonNullable<Resources['network']>): void {
    const base = `${R}.network`;
    if (n.classID !== undefined) {
      const route = this.route(`${base}.classID`, 'net_cls', undefined);
      if (route) this.write(route.dir, 'net_cls.classid', int(n.classID), `${base}.classID`);
    }
    if ((n.priorities?.length ?? 0) > 0) {
      const route = this.route(`${base}.priorities`, 'net_prio', undefined);
      if (route) {
        n.priorities!.forEach((p, i) => this.write(route.dir, 'net_prio.ifpriomap', `${p.name} ${int(p.priority)}`, `${base}.priorities[${i}]`));
      }
    }
  }

  rdma(entries: NonNullable<Resources['rdma']>): void {
    const names = Object.keys(entries);
    if (names.length === 0) return;
    const route = this.route(`${R}.rdma`, 'rdma', 'rdma');
    if (!route) return;
    for (const name of names) {
      const e = entries[name];
      const parts = [name];
      if (e.hcaHandles !== undefined) parts.push(`hca_handle=${int(e.hcaHandles)}`);
      if (e.hcaObjects !== undefined) parts.push(`hca_object=${int(e.hcaObjects)}`);
      if (parts.length > 1) this.write(route.dir, 'rdma.max', parts.join(' '), `${R}.rdma[${JSON.stringify(name)}]`);
    }
  }

  // ---- devices ----

  devices(given: readonly SourcedDeviceRule[]): void {
    const base = `${R}.devices`;
    const origin = (rule: SourcedDeviceRule, i: number) => rule.origin ?? `${base}[${i}]`;
    const bad = given.flatMap((rule, i) => deviceRuleProblems(rule, origin(rule, i)));
    if (bad.length > 0) {
      this.problems.push(...bad);
      return;
    }
    given.forEach((rule, i) => {
      const reason = ignoredAccessReason(rule);
      if (reason !== undefined) this.unsupported.push({ path: `${origin(rule, i)}.access`, reason });
    });
    // Origins first: a rule left out must not shift the ones after it.
    const rules = effectiveDeviceRules(given.map((rule, i) => ({ ...rule, origin: origin(rule, i) })));
    const dir = this.t.v1.devices;
    if (dir !== undefined) {
      // Start from "deny everything", then the rules in config order (the spec: "MUST apply entries in
      // the listed order"). The caller supplies the whole list, default devices included.
      this.write(dir, 'devices.deny', 'a', base);
      rules.forEach((rule, i) => {
        this.write(dir, rule.allow ? 'devices.allow' : 'devices.deny', deviceRuleLine(rule), origin(rule, i));
      });
      return;
    }
    if (this.t.unified !== undefined) {
      const built = buildDeviceProgram(rules, base);
      if (built.program === undefined) {
        this.problems.push(...built.problems);
        return;
      }
      if (!this.has('v2:device-program')) {
        const why = this.t.features.missingBecause?.('v2:device-program');
        this.problem(base, `cgroup v2 enforces device rules with an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE), and this process cannot load one${why !== undefined ? `: ${why}` : ''}`);
        return;
      }
      this.deviceProgram = { dir: this.t.unified, program: built.program, origin: base };
      return;
    }
    if (rules.length > 0) this.problem(base, 'the devices controller is not available here: no cgroup v1 devices hierarchy is mounted');
  }

  // ---- unified ----

  unified(map: Record<string, string>): void {
    const keys = Object.keys(map);
    if (keys.length === 0) return;
    const base = `${R}.unified`;
    if (this.t.unified === undefined) {
      this.problem(base, 'invalid configuration: cannot use unified on cgroup v1 (this host has no cgroup2 hierarchy)');
      return;
    }
    for (const key of keys) {
      const o = `${base}[${JSON.stringify(key)}]`;
      if (key === '' || key === '.' || key === '..' || key.includes('/') || key.includes('\0')) {
        this.problem(o, 'is not a plain cgroup file name');
        continue;
      }
      const controller = key.split('.')[0];
      if (controller !== 'cgroup' && !this.t.unifiedControllers.has(controller)) {
        this.problem(o, `invalid configuration: the ${controller} controller is not on the cgroup2 hierarchy (${this.whereLooked(controller)})`);
        continue;
      }
      this.write(this.t.unified, key, map[key], o);
    }
  }
}

/** The whole plan for `r` against `t`: writes in apply order, problems, settings that will be skipped. */
export function planResourceWrites(r: Resources, t: WriteTarget): ResourceWritePlan {
  const p = new ResourceWritePlanner(t);
  if (r.memory) p.memory(r.memory);
  if (r.cpu) p.cpu(r.cpu);
  p.pids(r.pids?.limit);
  if (r.blockIO) p.blockIO(r.blockIO);
  if (r.hugepageLimits) p.hugetlb(r.hugepageLimits);
  if (r.network) p.network(r.network);
  if (r.rdma) p.rdma(r.rdma);
  if (r.devices) p.devices(r.devices);
  // Last, so that raw v2 settings override the mapped ones, as runc does.
  if (r.unified) p.unified(r.unified);
  return {
    writes: p.writes, problems: p.problems, unsupported: p.unsupported,
    ...(p.deviceProgram !== undefined ? { deviceProgram: p.deviceProgram } : {}),
  };
}
