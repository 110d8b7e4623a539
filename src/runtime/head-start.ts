// create's head start. Before the bundle commands are loaded (validators, plan builder: ~8 ms) and the
// bundle is validated (~4 ms), the core claims the id, makes the container's cgroup and starts the
// helper with the cgroup joins as the head of its plan. The helper's own start and the kernel's wait
// on the first cgroup migration (an RCU grace period, ~10 ms on cgroup v1) then overlap that work
// instead of following it. create sends the rest of the plan and settles the head start, or undoes it
// all when the bundle turns out to be wrong, so a refused bundle still leaves nothing; whoever began it
// undoes it in any case (a no-op once settled).
//
// Anything unusual here (no config, not JSON, an id in use, a cgroup that cannot be made) just means no
// head start: create then does everything in order and reports what is wrong in its usual words.
import type { Logger } from './log';
import { checkId, StateStore } from './state-store';
import { ConfigFile, readConfigFile } from './bundle/config-file';
import { cgroupManagerFor, CgroupManager } from '../linux/cgroups';
import { startOps } from '../linux/plan';
import { StartedHelper } from './helper-client';

export class HeadStart {
  private pending = true;

  private constructor(
    private readonly store: StateStore,
    private readonly id: string,
    readonly file: ConfigFile,
    readonly cgroup: CgroupManager,
    readonly helper: StartedHelper,
  ) {}

  /** Claims `id`, makes its cgroup and starts the helper joining it; undefined when any step fails (nothing is left then). */
  static begin(store: StateStore, o: { id: string; bundle: string; preserveFds: number }): HeadStart | undefined {
    let file: ConfigFile;
    let cgroupsPath: unknown;
    try {
      checkId(o.id);
      file = readConfigFile(o.bundle);
      cgroupsPath = (JSON.parse(file.source) as { linux?: { cgroupsPath?: unknown } } | null)?.linux?.cgroupsPath;
    } catch {
      return undefined;
    }
    if ((cgroupsPath !== undefined && typeof cgroupsPath !== 'string') || store.exists(o.id)) return undefined;
    // Started first, so that its own start (exec, sealed re-exec) overlaps the cgroup's making.
    const helper = StartedHelper.start(o.preserveFds);
    let cgroup: CgroupManager;
    try {
      cgroup = cgroupManagerFor({ id: o.id, cgroupsPath });
      store.claim(o.id);
    } catch {
      helper.abandon();
      return undefined;
    }
    try {
      cgroup.create();
      helper.sendHead(startOps(o.preserveFds, cgroup.procsFiles(), 'linux.cgroupsPath'));
      return new HeadStart(store, o.id, file, cgroup, helper);
    } catch {
      helper.abandon();
      try {
        cgroup.destroy();
      } finally {
        store.remove(o.id);
      }
      return undefined;
    }
  }

  /** Whether undo() still has something to do. */
  get settled(): boolean {
    return !this.pending;
  }

  /** create kept what the head start made (or removed it itself): undo() does nothing from now on. */
  settle(): void {
    this.pending = false;
  }

  /** Undoes the head start once: the helper reaped, the cgroup and the claim removed. */
  undo(log: Logger): void {
    if (!this.pending) return;
    this.pending = false;
    this.helper.abandon();
    try {
      this.cgroup.destroy();
    } catch (err) {
      log.warn(`cannot remove cgroup: ${(err as Error).message}`);
    }
    this.store.remove(this.id);
  }
}
