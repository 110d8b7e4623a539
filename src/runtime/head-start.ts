// Head starts of create and exec. Before the lazy commands are loaded (validators, plan builder:
// ~6 ms) and the config or process is validated and the plan built (~3.5 ms), the core starts the helper
// and sends it the head of its plan: `cloexec-from` and the cgroup joins (docs/plan-format.md). The
// helper's own start and the kernel's wait on the first cgroup migration (an RCU grace period, 10 ms
// or more on cgroup v1) then overlap that work instead of following it. For create the core first
// claims the id and makes the container's cgroup; exec joins the container's.
//
// The command sends the rest of the plan and settles the head start, or undoes it when the input turns
// out to be wrong, so a refused bundle or process still leaves nothing; main undoes it in any case (a
// no-op once settled). Anything unusual here (no config, not JSON, an id in use, a cgroup that cannot
// be made, a container that is neither created nor running) just means no head start: the command then does everything in order
// and reports what is wrong in its usual words.
import type { Logger } from './log';
import { checkId, ContainerRecord, StateStore } from './state-store';
import { ConfigFile, readConfigFile } from './bundle/config-file';
import type { CgroupManager } from '../linux/cgroups';
import { EXEC_CGROUP_ORIGIN, startOps } from '../linux/plan';
import { StartedHelper } from './helper-client';
import { cgroupOf, statusOf } from './container';
import { isAllowed } from './lifecycle';
import { ProvisionalRecord } from './provisional-record';

/** What a head start made, for the command that goes on from it. */
abstract class HeadStart {
  private pending = true;

  constructor(readonly helper: StartedHelper) {}

  /** The command kept what the head start made, or removed it itself: undo() does nothing from now on. */
  settle(): void {
    this.pending = false;
  }

  /** Undoes the head start, once. */
  undo(log: Logger): void {
    if (!this.pending) return;
    this.pending = false;
    this.helper.abandon();
    this.undoRest(log);
  }

  protected abstract undoRest(log: Logger): void;
}

export class CreateHeadStart extends HeadStart {
  readonly kind = 'create';

  private constructor(
    private readonly store: StateStore,
    private readonly id: string,
    readonly file: ConfigFile,
    readonly cgroup: CgroupManager,
    helper: StartedHelper,
    readonly record: ProvisionalRecord,
  ) {
    super(helper);
  }

  /** Claims `id`, makes its cgroup and starts the helper joining it; undefined when any step fails (nothing is left then). */
  static begin(store: StateStore, o: { id: string; bundle: string; preserveFds: number }): CreateHeadStart | undefined {
    let file: ConfigFile;
    let cgroupsPath: unknown;
    try {
      checkId(o.id);
      file = readConfigFile(o.bundle);
      cgroupsPath = (JSON.parse(file.source) as { linux?: { cgroupsPath?: unknown } } | null)?.linux?.cgroupsPath;
    } catch {
      // No head start; create reads the bundle again and reports what is wrong with it.
      return undefined;
    }
    if ((cgroupsPath !== undefined && typeof cgroupsPath !== 'string') || store.exists(o.id)) return undefined;
    // Started first, so that its own start (exec, sealed re-exec) overlaps the cgroup's making.
    const helper = StartedHelper.start(store.host, o.preserveFds);
    let cgroup: CgroupManager;
    try {
      cgroup = store.host.cgroupFor({ id: o.id, cgroupsPath });
      store.claim(o.id);
    } catch {
      // No head start (nothing is made yet); create meets the same failure and reports it.
      helper.abandon();
      return undefined;
    }
    // From the claim on, the provisional record names each thing before it is made (provisional-record.ts).
    let made = false;
    try {
      const record = new ProvisionalRecord(store, { id: o.id, bundle: file.dir, cgroup, helperPid: helper.pid });
      cgroup.create();
      made = true;
      helper.sendHead(startOps(o.preserveFds, cgroup.entry(), 'linux.cgroupsPath'));
      return new CreateHeadStart(store, o.id, file, cgroup, helper, record);
    } catch {
      // No head start: what it made is removed, and create meets the same failure and reports it.
      helper.abandon();
      try {
        // create() removes what it made when it fails; a cgroup it refused is not ours to remove.
        if (made) cgroup.destroy();
      } finally {
        store.remove(o.id);
      }
      return undefined;
    }
  }

  protected undoRest(log: Logger): void {
    try {
      this.cgroup.destroy();
    } catch (err) {
      log.warn(`cannot remove cgroup: ${(err as Error).message}`);
    }
    this.store.remove(this.id);
  }
}

export class ExecHeadStart extends HeadStart {
  readonly kind = 'exec';

  private constructor(readonly record: ContainerRecord, helper: StartedHelper) {
    super(helper);
  }

  /**
   * Starts the helper joining the cgroup of a created or running container; undefined otherwise. Not
   * for a paused one (exec --ignore-paused): a helper that joins a frozen cgroup is frozen with it, and
   * could not even be ended if the process then turned out to be invalid.
   */
  static begin(store: StateStore, o: { id: string; preserveFds: number }): ExecHeadStart | undefined {
    if (!Number.isInteger(o.preserveFds) || o.preserveFds < 0) return undefined;
    let record: ContainerRecord;
    try {
      record = store.mustRead(o.id, 'exec');
      if (!isAllowed('exec', statusOf(store, record))) return undefined;
    } catch {
      // No head start; exec reads the record again and reports why it cannot exec.
      return undefined;
    }
    const helper = StartedHelper.start(store.host, o.preserveFds);
    try {
      helper.sendHead(startOps(o.preserveFds, cgroupOf(store.host, record).entry(), EXEC_CGROUP_ORIGIN));
    } catch {
      // No head start; exec starts its own helper and meets the same failure, which it reports.
      helper.abandon();
      return undefined;
    }
    return new ExecHeadStart(record, helper);
  }

  protected undoRest(): void {}
}

export type AnyHeadStart = CreateHeadStart | ExecHeadStart;
