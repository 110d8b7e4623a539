// The one cgroup interface over v1 (including hybrid hosts) and v2, and the ways to get one.
//
// Lifecycle, as `tsrunc create` uses it:
//   const cg = cgroupManagerFor({ id, cgroupsPath: spec.linux?.cgroupsPath });
//   for (const w of cg.unsupported(resources)) warn(w);    // e.g. knobs this kernel lacks
//   cg.create();                                            // mkdirs; refuses a frozen cgroup
//   for (const w of cg.warnings()) warn(w);                 // e.g. a cgroup that already has processes
//   persist({ driver: cg.driver, paths: cg.paths, created: cg.created });
//   cg.apply(resources);                                    // writes; on v2 the device program too; before the container process joins
//   for (const f of cg.procsFiles()) write(f, String(pid)); // join every hierarchy (the helper's join-cgroup)
// and later, from the state alone: cgroupManagerFromPaths(driver, paths, created).pids() / .destroy().
// `tsrunc explain` prints cg.resourceWrites(resources): exactly what apply() writes, in that order, and
// cg.deviceProgram(resources): the rules of the device program apply() attaches on cgroup v2.

import { readFileSync } from 'node:fs';
import { runtimeProc } from '../proc';
import type { Resources } from '../../oci/types';
import { RuntimeError } from '../../common/errors';
import type { Feature } from './features';
import { type CgroupLayout, detectCgroupLayout, hugePageSizes, unifiedControllers } from './layout';
import { resolveCgroupPaths } from './paths';
import { V1CgroupManager } from './v1';
import { V2CgroupManager } from './v2';
import type { CgroupWrite, NotApplied, PlannedDeviceProgram } from './resource-writes';
import type { SystemdUnitPlan } from './systemd/manager';

export type { CgroupWrite, PlannedDeviceProgram } from './resource-writes';

/** cgroupfs on v1 (and hybrid), cgroupfs on v2, or systemd's units on v2 (--systemd-cgroup). */
export type CgroupDriver = 'v1' | 'v2' | 'systemd';

/** The cgroup version a driver's directories are of: the systemd driver's are v2's. */
export const cgroupVersion = (driver: CgroupDriver): 'v1' | 'v2' => (driver === 'v1' ? 'v1' : 'v2');

export interface CgroupManager {
  readonly driver: CgroupDriver;
  /** The systemd driver's unit ("runc-<id>.scope"). Persist it with `paths`. */
  readonly unit?: string;
  /** hierarchy key (v1 controller, "name=systemd", or "unified") → absolute directory. Persist it. */
  readonly paths: Record<string, string>;
  /** Directories create() made, parents first (the leaves included). Persist it with `paths`. */
  readonly created: readonly string[];
  /**
   * Makes the cgroup. `pid`: the process it is made for (the helper); the systemd driver starts its scope
   * with it (systemd moves it in), the cgroupfs drivers ignore it.
   */
  create(pid?: number): void;
  /** What create() (or plannedDirs()) found and went on with: a cgroup that already has processes. */
  warnings(): string[];
  /** The directories create() would make now, parents first (checking what create() checks); changes nothing. */
  plannedDirs(): string[];
  /** What apply(r) writes, in order; pure. Throws a RuntimeError naming each field that cannot be met. */
  resourceWrites(r: Resources): CgroupWrite[];
  /** The device program apply(r) attaches (cgroup v2, when `r` has device rules); pure, throws as resourceWrites. */
  deviceProgram(r: Resources): PlannedDeviceProgram | undefined;
  /** Settings of `r` that apply(r) leaves out, with why, for the caller to warn about. */
  unsupported(r: Resources): NotApplied[];
  /** Writes each of resourceWrites(r) in order, then attaches deviceProgram(r) (replacing the one before); nothing else. */
  apply(r: Resources): void;
  /** cgroup.procs of every hierarchy the container joins. */
  procsFiles(): string[];
  /** How the container's processes get into the cgroup (the plan's `join-cgroup`s or `clone` into it). */
  entry(): CgroupEntry;
  /**
   * Waits until what create() asked for exists: the systemd driver's create() only queues the unit's
   * start. The cgroupfs drivers have none (their create() is done when it returns).
   */
  settle?(): void;
  /** All pids in the container's cgroup, sub-cgroups included (for kill --all). */
  pids(): number[];
  freeze(): void;
  thaw(): void;
  frozen(): boolean;
  /** Removes the container's cgroups and the empty parents create() made. Tolerates what is already gone. */
  destroy(): void;
  /** destroy() without waiting, when nothing is in the cgroup; false (and pids() still readable) when something is. */
  destroyIfEmpty(): boolean;
  /** The systemd driver: the unit and the properties it starts with, for explain. */
  unitPlan?(): SystemdUnitPlan;
}

/**
 * v1 and hybrid: the helper writes its pid to each cgroup.procs in `join` before it clones the
 * container process. v2: the process is cloned into `cloneInto` (clone3 CLONE_INTO_CGROUP), so nothing
 * migrates and the kernel's wait for an RCU grace period on a migration (10 ms or more) is not paid.
 */
export interface CgroupEntry {
  join: string[];
  cloneInto?: string;
}

export interface CgroupManagerOptions {
  id: string;
  cgroupsPath?: string;
  /** The config's annotations (the systemd driver reads org.systemd.property.<Name>). */
  annotations?: Record<string, string>;
  /** The config's resources (the systemd driver starts its unit with them as properties). */
  resources?: Resources;
  /** The host's layout; detected from /proc/self/mountinfo when absent. */
  layout?: CgroupLayout;
  // The rest exist so tests can describe a host that is not this one; by default they are read.
  /** Controllers the cgroup2 root offers (its cgroup.controllers). */
  unifiedControllers?: string[];
  /** Huge page sizes in OCI form ("2MB"). */
  hugePageSizes?: string[];
  /** Text of /proc/self/cgroup, for relative cgroupsPath values. */
  ownCgroups?: string;
  /** Optional cgroup files to treat as present (see features.ts); probed when absent. */
  features?: Iterable<Feature>;
}

/** A manager for a container about to be created, from the config's id and linux.cgroupsPath. */
export function cgroupManagerFor(o: CgroupManagerOptions): CgroupManager {
  const layout = o.layout ?? detectCgroupLayout();
  const paths = resolveCgroupPaths({
    id: o.id,
    cgroupsPath: o.cgroupsPath,
    layout,
    ownCgroups: o.ownCgroups ?? (() => readFileSync(`${runtimeProc()}/cgroup`, 'utf8')),
  });
  // The controllers and page sizes are read only when resource writes are planned: the head start of create needs neither.
  const init = managerInit(o, layout, paths);
  return layout.mode === 'v2' ? new V2CgroupManager(init) : new V1CgroupManager(init);
}

/** What a manager is made with; the controllers and page sizes read only when asked for. */
export function managerInit(o: Omit<CgroupManagerOptions, 'id'>, layout: CgroupLayout, paths: Record<string, string>, created?: readonly string[]) {
  return {
    paths,
    created,
    layout,
    get unifiedControllers() {
      return o.unifiedControllers ?? unifiedControllers(layout);
    },
    get hugePageSizes() {
      return o.hugePageSizes ?? hugePageSizes();
    },
    features: o.features,
  };
}

/**
 * A manager for an existing container, from what the state store kept (driver, paths, created), for
 * kill, delete, pause and the like; the layout is detected again unless given.
 */
export function cgroupManagerFromPaths(
  driver: CgroupDriver,
  paths: Record<string, string>,
  created: readonly string[] = [],
  o: Omit<CgroupManagerOptions, 'id' | 'cgroupsPath' | 'ownCgroups'> = {},
): CgroupManager {
  if (Object.keys(paths).length === 0) throw new RuntimeError('the container has no recorded cgroup paths');
  if (driver === 'systemd') throw new RuntimeError('a systemd driver record needs the systemd driver (systemd/driver.ts)');
  // Read only when needed: resource writes (update) need all of it; kill, delete and state none.
  const init = {
    paths,
    created,
    get layout() {
      return o.layout ?? detectCgroupLayout();
    },
    get unifiedControllers() {
      return o.unifiedControllers ?? unifiedControllers(this.layout);
    },
    get hugePageSizes() {
      return o.hugePageSizes ?? hugePageSizes();
    },
    features: o.features,
  };
  return driver === 'v2' ? new V2CgroupManager(init) : new V1CgroupManager(init);
}
