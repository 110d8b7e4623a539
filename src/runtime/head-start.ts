// Head starts of create and exec. Before the lazy commands are loaded (validators, plan builder:
// ~6 ms) and the config or process is validated and the plan built (~3.5 ms), the core starts the helper
// and sends it the head of its plan: `cloexec-from` and the cgroup joins (docs/plan-format.md). The
// helper's own start and the kernel's wait on the first cgroup migration (an RCU grace period, 10 ms
// or more on cgroup v1) then overlap that work instead of following it. For create these are create's
// first steps (create-steps.ts HEAD_STEPS: the id claimed, exec.fifo, the helper, the container's cgroup
// made and joined); exec joins the container's cgroup.
//
// The command goes on from the head start (create takes over its steps, exec sends the rest of the
// plan), or undoes it when the input turns out to be wrong, so a refused bundle or process still leaves
// nothing; main undoes it in any case (a no-op once the command took it over). Anything unusual here (no config, not JSON, an id in use, a cgroup that cannot
// be made, a container that is neither created nor running) just means no head start: the command then does everything in order
// and reports what is wrong in its usual words.
import type { Logger } from './log';
import type { Resources } from '../oci/types';
import { checkId, ContainerRecord, StateStore } from './state-store';
import { ConfigFile, readConfigFile } from './bundle/config-file';
import { EXEC_CGROUP_ORIGIN, startOps } from '../linux/plan';
import { StartedHelper } from './helper-client';
import { cgroupOf, statusOf } from './container';
import { isAllowed } from './lifecycle';
import { createRun, CreateRun, headStepsFor } from './create-steps';
import { runSteps, Step, undoSteps } from './steps';

/** create's first steps (create-steps.ts HEAD_STEPS: the id claimed, its cgroup made, the helper joining it), run early. */
export class CreateHeadStart {
  readonly kind = 'create';

  private constructor(readonly file: ConfigFile, readonly run: CreateRun, private done: Step<CreateRun>[]) {}

  /** Runs the head steps (headStepsFor) for `id`; undefined when any of them fails (runSteps has undone the others then). */
  static begin(store: StateStore, log: Logger, o: { id: string; bundle: string; preserveFds: number }): CreateHeadStart | undefined {
    let file: ConfigFile;
    try {
      checkId(o.id);
      file = readConfigFile(o.bundle);
      // Unchecked yet: what does not even have the right shape means no head start. (The systemd driver's
      // unit starts with the annotations and resources: a bundle refused later stops it again.)
      const doc = JSON.parse(file.source) as { annotations?: unknown; linux?: { cgroupsPath?: unknown; resources?: unknown } } | null;
      // A key spelled in another case is read as runc reads it only later (runc-reading.ts): no head start then.
      const otherCase = (o: object | null | undefined, key: string) => Object.keys(o ?? {}).some((k) => k !== key && k.toLowerCase() === key.toLowerCase());
      if (otherCase(doc, 'linux') || otherCase(doc, 'annotations') || otherCase(doc?.linux, 'cgroupsPath') || otherCase(doc?.linux, 'resources')) return undefined;
      const { cgroupsPath, resources } = doc?.linux ?? {};
      const annotations = doc?.annotations;
      const isObject = (v: unknown) => v === undefined || (typeof v === 'object' && v !== null && !Array.isArray(v));
      if ((cgroupsPath !== undefined && typeof cgroupsPath !== 'string') || !isObject(resources) || !isObject(annotations)) return undefined;
      const cgroup = store.host.cgroupFor({
        id: o.id, cgroupsPath, annotations: annotations as Record<string, string> | undefined, resources: resources as Resources | undefined,
      });
      const run = createRun(store, { id: o.id, bundle: file.dir, preserveFds: o.preserveFds, cgroup });
      const done: Step<CreateRun>[] = [];
      runSteps(headStepsFor(cgroup), run, log, done);
      return new CreateHeadStart(file, run, done);
    } catch {
      // Not an error here: create does everything in order and reports what is wrong in its own words.
      return undefined;
    }
  }

  /** create goes on from here: the steps done so far are its to undo from now on, and undo() does nothing. */
  take(): Step<CreateRun>[] {
    const done = this.done;
    this.done = [];
    return done;
  }

  /** Undoes what the head start made, once (nothing after take()). */
  undo(log: Logger): void {
    undoSteps(this.done, this.run, log);
  }
}

export class ExecHeadStart {
  readonly kind = 'exec';

  private constructor(readonly record: ContainerRecord, readonly helper: StartedHelper) {}

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

  /** Ends the helper, unless it got its plan (abandon() does nothing then). */
  undo(): void {
    this.helper.abandon();
  }
}

export type AnyHeadStart = CreateHeadStart | ExecHeadStart;
