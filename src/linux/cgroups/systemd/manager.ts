// The systemd cgroup driver (runc's --systemd-cgroup), on cgroup v2: the container's cgroup is a
// transient unit that systemd makes (StartTransientUnit), a scope holding the helper's pid from the
// start (the helper then clones the container init into the scope's directory and exits, so the scope
// keeps the init), with the resources as unit properties and then, as runc does, written to the cgroup
// files too (what systemd has no property for, and the same values for what it has). update sets the
// properties (SetUnitProperties, runtime) and writes the files; delete stops the unit (StopUnit);
// pause, resume, ps and kill --all use the unit's directory as the v2 driver does.
//
// Not done: the systemd driver on cgroup v1 or hybrid hosts (runc's LegacyManager), rootless (user)
// systemd, and device rules as DeviceAllow properties.

import { posix } from 'node:path';
import type { Resources } from '../../../oci/types';
import { isRuntimeError, RuntimeError } from '../../../common/errors';
import type { ManagerInit } from '../base';
import type { CgroupWrite, ResourceWritePlan } from '../resource-writes';
import { UNIFIED } from '../layout';
import { createUnifiedCgroup } from '../unified';
import { V2CgroupManager } from '../v2';
import { describeFsError } from '../fsops';
import type { QueuedJob, SystemdBus } from './bus';
import type { UnitProperty } from './dbus-value';
import { annotationProperties, needsVersion, oomPolicyProperty, resourceProperties, systemdWrites, unitProperties } from './properties';
import type { SystemdUnit } from './unit';

/** What create() needs beyond the unit: the config's annotations and resources (those before create's checks, in the head start). */
export interface SystemdStart {
  unit: SystemdUnit;
  annotations?: Record<string, string>;
  resources?: Resources;
}

/** What explain prints: the unit and every property StartTransientUnit gets (the pid as 0: not known yet). */
export interface SystemdUnitPlan {
  unit: SystemdUnit;
  properties: UnitProperty[];
}

const sameProperties = (a: UnitProperty[], b: UnitProperty[] | undefined) =>
  b !== undefined && a.length === b.length && a.every((p, i) => p.name === b[i].name && p.sig === b[i].sig && String(p.value) === String(b[i].value));

export class SystemdCgroupManager extends V2CgroupManager {
  override readonly driver = 'systemd' as const;
  readonly unit: string;
  private readonly annotationProps: UnitProperty[] = [];
  /** The resource properties StartTransientUnit got: apply() of the same needs no SetUnitProperties. */
  private startedWith: UnitProperty[] | undefined;
  /** The systemd version create() asked for (undefined: not needed, or not known). */
  private startVersion: number | undefined;
  /** The start create() asked for, until settle() has waited for it. */
  private pending: QueuedJob | undefined;

  constructor(init: ManagerInit, unit: string, private readonly bus: () => SystemdBus, private readonly start?: SystemdStart) {
    super(init);
    this.unit = unit;
    if (start) {
      const a = annotationProperties(start.annotations);
      if (a.problems.length > 0) {
        throw new RuntimeError(a.problems.length === 1 ? `${a.problems[0].path}: ${a.problems[0].message}` : 'the systemd properties in the annotations are malformed', a.problems);
      }
      this.annotationProps = a.properties;
    }
  }

  private get dirPath(): string {
    return this.paths[UNIFIED];
  }

  /** The v2 plan, with cpu.max as systemd will have it (the quota rounded: properties.ts roundCpuMax). */
  protected override plan(r: Resources): ResourceWritePlan {
    const plan = super.plan(r);
    return { ...plan, writes: systemdWrites(plan.writes) };
  }

  /** Every property the unit starts with, in order (later ones win, as runc has them: annotations after the unit's own, resources last). */
  private startProperties(pid: number | undefined, version: number | undefined, writes: CgroupWrite[]): { all: UnitProperty[]; resources: UnitProperty[] } {
    if (!this.start) throw new RuntimeError(`the systemd unit ${this.unit} of an existing container cannot be created again`);
    const resources = resourceProperties(writes, this.dirPath, version);
    const all = [
      ...unitProperties(this.start.unit, pid),
      ...this.annotationProps,
      ...oomPolicyProperty(this.start.resources?.unified, version),
      ...resources,
    ];
    return { all, resources };
  }

  unitPlan(): SystemdUnitPlan {
    const writes = this.start?.resources ? this.resourceWrites(this.start.resources) : [];
    return { unit: this.start!.unit, properties: this.startProperties(0, undefined, writes).all };
  }

  /** systemd makes the directories: create() makes none of its own. */
  override plannedDirs(): string[] {
    this.assertUsable();
    return [];
  }

  /**
   * Asks systemd to start the unit with `pid` in it (a scope; a slice holds no processes) and returns
   * once systemd has queued the start: its job (the cgroup made, the pid moved in) goes on meanwhile,
   * and settle() waits for it.
   */
  override create(pid?: number): void {
    this.assertUsable();
    const writes = this.start?.resources ? this.resourceWrites(this.start.resources) : [];
    const bus = this.bus();
    const version = needsVersion(writes, this.start?.resources?.unified) ? bus.version() : undefined;
    const { all, resources } = this.startProperties(pid, version, writes);
    this.pending = bus.startTransientUnit(this.unit, all);
    this.startedWith = resources;
    this.startVersion = version;
  }

  /**
   * Waits until the unit has started; then, as runc does, enables the controllers down to it that
   * systemd has not. On failure the unit is stopped again. Nothing to do after the first call.
   */
  settle(): void {
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    try {
      pending.wait();
      createUnifiedCgroup(this.mountOf(UNIFIED)!, this.dirPath, this.createdDirs);
    } catch (e) {
      try {
        this.destroy();
      } catch {
        // The create's own failure is the one reported.
      }
      if (isRuntimeError(e)) throw e;
      throw new RuntimeError(`cannot set up the cgroup of the unit ${this.unit}: ${describeFsError(e)}`);
    }
  }

  /** The unit's properties (SetUnitProperties, runtime), unless the unit started with these, then the file writes. */
  override apply(r: Resources): void {
    this.settle();
    const writes = this.resourceWrites(r);
    const started = this.startedWith;
    this.startedWith = undefined;
    const bus = this.bus;
    const version = (): number | undefined => (needsVersion(writes, r.unified) ? bus().version() : undefined);
    const props = resourceProperties(writes, this.dirPath, started !== undefined ? this.startVersion : version());
    if (props.length > 0 && !sameProperties(props, started)) bus().setUnitProperties(this.unit, true, props);
    super.apply(r);
  }

  /** The unit is stopped only once nothing is left in it. */
  override destroyIfEmpty(): boolean {
    if (this.pids().length > 0) return false;
    this.destroy();
    return true;
  }

  /** Stops the unit (systemd removes its cgroup), then removes what is left below it, as runc does. */
  override destroy(): void {
    const pending = this.pending;
    this.pending = undefined;
    try {
      pending?.wait();
    } catch {
      // A start that failed: there may still be a unit to stop.
    }
    this.bus().stopUnit(this.unit);
    super.destroy();
  }
}

/** The cgroup directory of a unit: <cgroup2 mount><unit.cgroup>. */
export function unitDirectory(mount: string, unit: SystemdUnit): string {
  return posix.join(mount, unit.cgroup);
}
