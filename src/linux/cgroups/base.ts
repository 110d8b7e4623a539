// What the v1 and v2 managers share: the write plan, apply, membership, pids and teardown.

import { existsSync, rmdirSync } from 'node:fs';
import { posix } from 'node:path';
import type { Resources } from '../../oci/types';
import { errnoOf, formatProblem, type Problem, RuntimeError } from '../../common/errors';
import { type Feature, lazyFeatures } from './features';
import { frozenV1, frozenV2 } from './freezer';
import { cgroupPids, describeFsError, levelsBelow, removeCgroupTree, writeCgroupFile } from './fsops';
import { type CgroupLayout, UNIFIED } from './layout';
import type { CgroupDriver, CgroupEntry, CgroupManager } from './manager';
import { type CgroupWrite, type NotApplied, type PlannedDeviceProgram, planResourceWrites, type ResourceWritePlan, type WriteTarget } from './resource-writes';
import { attachDeviceProgram } from './device-filter';

export interface ManagerInit {
  /** hierarchy key → the container's directory (what the state store persists). */
  paths: Record<string, string>;
  /** Directories an earlier create() made (persisted with `paths`), parents first. */
  created?: readonly string[];
  layout: CgroupLayout;
  /** The cgroup2 root's cgroup.controllers. */
  unifiedControllers: readonly string[];
  /** Huge page sizes, OCI form. */
  hugePageSizes: readonly string[];
  /** Optional files known to exist; probed from the filesystem when absent. */
  features?: Iterable<Feature>;
}

function settingsError(problems: Problem[]): RuntimeError {
  const lines = problems.map(formatProblem);
  const message = lines.length === 1 ? lines[0] : `the cgroup settings cannot be applied:\n  ${lines.join('\n  ')}`;
  return new RuntimeError(message, problems);
}

export abstract class BaseCgroupManager implements CgroupManager {
  abstract readonly driver: CgroupDriver;
  readonly paths: Record<string, string>;
  protected readonly createdDirs: string[];
  private readonly init: ManagerInit;
  private writeTarget: WriteTarget | undefined;

  constructor(init: ManagerInit) {
    this.paths = { ...init.paths };
    this.createdDirs = [...(init.created ?? [])];
    this.init = init;
  }

  /** Read through init, which may detect it only now: kill, delete and state do not need it. */
  protected get layout(): CgroupLayout {
    return this.init.layout;
  }

  /**
   * What resource writes go to, probed on first use only: kill, delete and state never write
   * resources, and probing reads a few dozen files.
   */
  protected get target(): WriteTarget {
    if (this.writeTarget !== undefined) return this.writeTarget;
    const { init } = this;
    const v1: Record<string, string> = {};
    for (const [k, d] of Object.entries(this.paths)) if (k !== UNIFIED) v1[k] = d;
    const unified = this.paths[UNIFIED];
    const features =
      init.features !== undefined ? new Set(init.features) : lazyFeatures({
        v1: Object.fromEntries(
          Object.entries(v1).flatMap(([k, d]) => (this.mountOf(k) ? [[k, [d, this.mountOf(k)!]]] : [])),
        ) as Record<string, [string, string]>,
        unified: unified !== undefined && this.layout.unified !== undefined ? [unified, this.layout.unified] : undefined,
        hugePageSizes: init.hugePageSizes,
      });
    this.writeTarget = {
      v1,
      unified,
      unifiedMount: this.layout.unified,
      unifiedControllers: new Set(unified !== undefined ? init.unifiedControllers : []),
      hugePageSizes: init.hugePageSizes,
      features,
    };
    return this.writeTarget;
  }

  /** Directories create() made, parents first; persist them with `paths` so destroy() can remove them. */
  get created(): readonly string[] {
    return this.createdDirs;
  }

  protected mountOf(key: string): string | undefined {
    return key === UNIFIED ? this.layout.unified : this.layout.v1[key];
  }

  /** Each distinct container directory once (co-mounted v1 controllers share one). */
  protected uniqueDirs(): string[] {
    return [...new Set(Object.values(this.paths))];
  }

  abstract create(pid?: number): void;
  abstract freeze(): void;
  abstract thaw(): void;
  abstract frozen(): boolean;
  /** The directory whose cgroup.procs lists the container's processes for pids(). */
  protected abstract primaryDir(): string;

  /** The plan for `r`; throws the RuntimeError of its problems. */
  /** What apply(r) does: the writes in order and the device program; problems thrown. */
  protected plan(r: Resources): ResourceWritePlan {
    const plan = planResourceWrites(r, this.target);
    if (plan.problems.length > 0) throw settingsError(plan.problems);
    return plan;
  }

  resourceWrites(r: Resources): CgroupWrite[] {
    return this.plan(r).writes;
  }

  deviceProgram(r: Resources): PlannedDeviceProgram | undefined {
    return this.plan(r).deviceProgram;
  }

  /**
   * Settings in `r` that apply() will not enforce, with why: knobs this kernel lacks or ignores. The
   * caller should warn with these; resourceWrites() leaves them out.
   */
  unsupported(r: Resources): NotApplied[] {
    return planResourceWrites(r, this.target).unsupported;
  }

  /**
   * Writes each of resourceWrites(r), in order, then attaches deviceProgram(r) when there is one (in
   * place of the one attached before), and nothing else. Call it before any process joins.
   */
  apply(r: Resources): void {
    const { writes, deviceProgram } = this.plan(r);
    const write = (w: CgroupWrite): void => {
      try {
        writeCgroupFile(w.file, w.value);
      } catch (e) {
        if (w.onEinval !== undefined && errnoOf(e) === 'EINVAL') {
          w.onEinval.forEach(write);
          return;
        }
        throw new RuntimeError(`${w.origin}: cannot write ${JSON.stringify(w.value)} to ${w.file}: ${describeFsError(e)}`);
      }
    };
    writes.forEach(write);
    if (deviceProgram !== undefined) attachDeviceProgram(deviceProgram.dir, deviceProgram.program, deviceProgram.origin);
  }

  /** The cgroup.procs file of every hierarchy the container joins: write a pid to each to join. */
  procsFiles(): string[] {
    return this.uniqueDirs().map((d) => posix.join(d, 'cgroup.procs'));
  }

  entry(): CgroupEntry {
    return { join: this.procsFiles() };
  }

  /** Every pid in the container's cgroup and its sub-cgroups ([] once it is gone). */
  pids(): number[] {
    return cgroupPids(this.primaryDir());
  }

  private readonly found = new Set<string>();

  /** What create() found that it goes on with (a cgroup that already has processes), for the caller to warn about. */
  warnings(): string[] {
    return [...this.found];
  }

  /**
   * create() refuses a frozen cgroup, and goes on with one that already has processes, with a warning,
   * as runc does (the spec leaves both to the runtime).
   */
  protected assertUsable(): void {
    for (const dir of this.uniqueDirs()) {
      if (!existsSync(dir)) continue;
      const pids = cgroupPids(dir);
      // Once, for the first hierarchy that has any (they usually all hold the same processes).
      if (pids.length > 0 && this.found.size === 0) {
        const shown = pids.slice(0, 5).join(', ') + (pids.length > 5 ? ', ...' : '');
        this.found.add(`container's cgroup is not empty: ${pids.length} process(es) found in ${dir} (${shown}); they stay in it, and kill --all and delete signal them with the container's`);
      }
    }
    const freezer = this.paths.freezer;
    const unified = this.paths[UNIFIED];
    if ((freezer !== undefined && frozenV1(freezer)) || (unified !== undefined && frozenV2(unified))) {
      throw new RuntimeError(`container's cgroup unexpectedly frozen: ${freezer ?? unified} is frozen, and a new container cannot use a frozen cgroup`);
    }
  }

  /**
   * The directories create() would make now (the missing levels down to each of the container's
   * directories, parents first), after the checks create() makes; nothing is changed. A create records
   * them before it makes them, so that what a killed create made can be found and removed.
   */
  plannedDirs(): string[] {
    this.assertUsable();
    const planned = new Set<string>();
    for (const [key, dir] of Object.entries(this.paths)) {
      const mount = this.mountOf(key);
      if (mount === undefined) continue;
      for (const level of levelsBelow(mount, dir).slice(1)) if (!existsSync(level)) planned.add(level);
    }
    return [...planned];
  }

  /** Undo a failed create(): remove what it made, deepest first, ignoring errors. */
  protected rollback(created: string[]): void {
    for (const dir of [...created].reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        // Best effort: what cannot be removed (gone already, or busy) stays; the create's own error is
        // the one reported.
      }
    }
  }

  /**
   * Removes the container's directory in every hierarchy (with any sub-cgroups the container made),
   * retrying EBUSY while exiting processes leave; then the now-empty parents that create() itself made.
   * A parent that existed before, or that another container still uses, is left alone. Idempotent.
   */
  destroy(): void {
    const failures: string[] = [];
    const leaves = new Set(this.uniqueDirs());
    for (const dir of leaves) {
      try {
        removeCgroupTree(dir);
      } catch (e) {
        failures.push(`${dir}: ${errnoOf(e) === 'EBUSY' ? 'still has processes' : describeFsError(e)}`);
      }
    }
    this.removeCreatedParents(leaves);
    if (failures.length > 0) throw new RuntimeError(`cannot remove the container's cgroup: ${failures.join('; ')}`);
  }

  /**
   * What destroy() does, when nothing is left in the cgroup: one rmdir for each directory, the one
   * pids() reads last, none waited for. False at the first that cannot go (processes, sub-cgroups),
   * with that one and pids()' kept: the caller kills what is there, then destroy()s.
   */
  destroyIfEmpty(): boolean {
    const primary = this.primaryDir();
    const leaves = new Set(this.uniqueDirs());
    for (const dir of [...[...leaves].filter((d) => d !== primary), primary]) {
      try {
        rmdirSync(dir);
      } catch (e) {
        if (errnoOf(e) !== 'ENOENT') return false;
      }
    }
    this.removeCreatedParents(leaves);
    return true;
  }

  private removeCreatedParents(leaves: Set<string>): void {
    for (const dir of [...this.createdDirs].reverse()) {
      if (leaves.has(dir)) continue;
      try {
        rmdirSync(dir);
      } catch {
        // ENOENT: gone already; EBUSY/ENOTEMPTY: another cgroup lives below it. Either way, leave it.
      }
    }
  }
}
