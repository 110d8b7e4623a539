// What create does on the host, in order: CREATE_STEPS below, run by runSteps (steps.ts), which undoes
// the steps done so far, last first, when one fails. The order is runc's (libcontainer): the state
// directory, exec.fifo, the init's process (here the helper) and then its cgroup, which it joins, the
// resources, the init's setup with the create-time hooks, state.json; then the pid file. One step
// differs: the helper is started first, so that its own start (exec, the sealed re-exec, about 2.5 ms)
// overlaps the claim; it does nothing until it is sent its head. tsrunc's provisional record names each
// thing before it is made (provisional-record.ts), the helper from its first write on.
//
// The head start (head-start.ts) runs HEAD_STEPS, the first of them, before the bundle commands are
// loaded, so that the helper's start and its cgroup join overlap that loading; create then goes on
// with the rest, and undoing the whole create undoes those too.
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Resources, Spec } from '../oci/types';
import type { CgroupManager } from '../linux/cgroups';
import { startOps, type Plan } from '../linux/plan';
import { hasNew, hasOwnMountNamespace, namespaceSet } from '../linux/namespaces';
import { RuntimeError } from '../common/errors';
import type { ContainerRecord, StateStore } from './state-store';
import { recordedCgroup, type HostMounts } from './state-record';
import { detachAdded, mountsBefore } from './host-mounts';
import { ProvisionalRecord } from './provisional-record';
import { StartedHelper, unreapedPid } from './helper-client';
import { writePidFile } from './container';
import type { OwnConsole } from './terminal';
import { HookPhase, hookState, HookStateBase, laterHooks, startsOnOpen } from '../oci/hooks';
import { sendNotifyFd } from './seccomp-agent';
import { withHookRunner } from './hooks';
import type { Logger } from './log';
import type { Step } from './steps';

/** What the steps after the head need: the prepared bundle (create.ts). */
export interface CreateInput {
  spec: Spec;
  rootfs: string;
  plan: Plan;
  /** What the cgroup gets (cgroupResources). */
  resources: Resources;
  /** Where the helper's fallbacks are logged (debug). */
  log: Logger;
  pidFile?: string;
  /** tsrunc's own console socket (a foreground run with a terminal): the master is received there. */
  ownConsole?: OwnConsole;
}

/** One create: what it is given, and what its steps made (for the steps after them and the undos). */
export interface CreateRun {
  readonly store: StateStore;
  readonly id: string;
  /** The bundle directory. */
  readonly bundle: string;
  readonly preserveFds: number;
  readonly cgroup: CgroupManager;
  /** Set by create before the steps after the head run. */
  input?: CreateInput;
  provisional?: ProvisionalRecord;
  helper?: StartedHelper;
  /** The container's init, once the helper reported it; 0 before. */
  pid: number;
  record?: ContainerRecord;
  consoleMaster?: number;
  /** No mount namespace of its own: the mounts at or below the rootfs before the plan ran. */
  hostMounts?: HostMounts;
}

export function createRun(store: StateStore, o: { id: string; bundle: string; preserveFds: number; cgroup: CgroupManager }): CreateRun {
  return { store, ...o, pid: 0 };
}

function made<K extends 'input' | 'provisional' | 'helper'>(c: CreateRun, what: K): NonNullable<CreateRun[K]> {
  const value = c[what];
  if (value === undefined) throw new Error(`create: a step needs the ${what} before the step that makes it`);
  return value as NonNullable<CreateRun[K]>;
}

/**
 * Whether what the steps made is still this create's: a `delete --force` may have removed it meanwhile
 * and another create claimed the id, whose state and cgroup an undo must leave alone.
 */
const stillOurs = (c: CreateRun) => c.provisional === undefined || c.provisional.stillOwns(c.pid);

/** The state hooks get; create is under way until the helper reports `ready`. */
export function createHookState(c: CreateRun, status: HookStateBase['status']): HookStateBase {
  const { spec } = made(c, 'input');
  return { ociVersion: spec.ociVersion, id: c.id, status, bundle: c.bundle, ...(spec.annotations ? { annotations: spec.annotations } : {}) };
}

/** The init (our child, CLONE_PARENT) killed and reaped. */
function killInit(c: CreateRun): void {
  if (c.pid <= 0) return;
  try {
    c.store.host.kill(c.pid, 'SIGKILL');
    c.store.host.waitpidSync(c.pid);
  } catch {
    // Already gone, or not our child.
  }
}

const claimId: Step<CreateRun> = {
  name: 'claim the id (the state directory)',
  run: (c) => {
    c.store.claim(c.id);
  },
  undo: (c) => {
    if (stillOurs(c)) c.store.remove(c.id);
  },
};

const writeProvisionalRecord: Step<CreateRun> = {
  name: 'write the provisional record',
  run: (c) => {
    c.provisional = new ProvisionalRecord(c.store, { id: c.id, bundle: c.bundle, cgroup: c.cgroup, helperPid: made(c, 'helper').pid });
  },
};

const makeExecFifo: Step<CreateRun> = {
  name: 'make exec.fifo',
  run: (c) => c.store.host.mkfifo(c.store.fifoPath(c.id), 0o622),
};

const startHelper: Step<CreateRun> = {
  name: 'start the helper',
  run: (c) => {
    c.helper = StartedHelper.start(c.store.host, c.preserveFds);
  },
  undo: (c) => c.helper?.abandon(),
};

const makeCgroup: Step<CreateRun> = {
  name: 'make the cgroup',
  // A create that fails removes what it made itself; a cgroup it refused is not ours to remove. The
  // helper's pid is for the systemd driver, whose scope starts with it.
  run: (c) => c.cgroup.create(made(c, 'helper').pid),
  undo: (c) => {
    if (stillOurs(c)) c.cgroup.destroy();
  },
};

const joinCgroup: Step<CreateRun> = {
  name: 'send the helper into the cgroup',
  run: (c) => {
    c.cgroup.settle?.();
    made(c, 'helper').sendHead(startOps(c.preserveFds, c.cgroup.entry(), 'linux.cgroupsPath'));
  },
  // A helper that joined leaves the cgroup only by ending: before the cgroup can go.
  undo: (c) => c.helper?.abandon(),
};

// Before the plan runs: on cgroup v2 the device program is attached here too, so the init is cloned
// into a cgroup that already enforces the device rules (and its rootfs setup with it).
const applyResources: Step<CreateRun> = {
  name: 'apply the resources',
  run: (c) => {
    const { resources, log } = made(c, 'input');
    // What making the cgroup found (it may have run in the head start, before there was a log).
    for (const w of c.cgroup.warnings()) log.warn(w);
    c.cgroup.apply(resources);
  },
};

/** A container without a mount namespace of its own: the mounts that were there, which delete keeps. */
function hostMountsBefore(c: CreateRun): HostMounts | undefined {
  const { spec, rootfs } = made(c, 'input');
  if (hasOwnMountNamespace(spec)) return undefined;
  const real = fs.realpathSync(rootfs);
  return { rootfs: real, kept: mountsBefore(c.store.host, real) };
}

/** The init killed, and the mounts it made in the runtime's mount namespace detached. */
function undoPlan(c: CreateRun): void {
  killInit(c);
  if (c.hostMounts !== undefined) detachAdded(c.store.host, c.hostMounts.rootfs, c.hostMounts.kept);
}

const runPlan: Step<CreateRun> = {
  name: 'run the plan (the init, the create-time hooks)',
  run: (c) => {
    const { plan, spec, log } = made(c, 'input');
    const provisional = made(c, 'provisional');
    c.hostMounts = hostMountsBefore(c);
    if (c.hostMounts !== undefined) provisional.hostMounts(c.hostMounts);
    // prestart and createRuntime, when the init asks (its `hooks` op, before the root change).
    const onHooks = (phase: string, initPid: number) => withHookRunner((r) =>
      r.runHooksOrFail(phase as HookPhase, spec.hooks?.[phase as HookPhase], hookState(createHookState(c, 'creating'), initPid)));
    // The seccomp notification fd, when the init has one (SCMP_ACT_NOTIFY), to the agent.
    const seccomp = spec.linux?.seccomp;
    const onSeccompListener = (initPid: number, fd: number) => sendNotifyFd(c.store.host, {
      path: seccomp?.listenerPath ?? '', ...(seccomp?.listenerMetadata !== undefined ? { metadata: seccomp.listenerMetadata } : {}),
    }, initPid, fd, { ...createHookState(c, 'creating'), status: 'creating', pid: initPid });
    try {
      c.pid = made(c, 'helper').run(plan, { onHooks, onSeccompListener, onPid: (initPid) => provisional.init(initPid), log }).pid;
    } catch (err) {
      c.pid = unreapedPid(err) ?? 0;
      undoPlan(c);
      throw err;
    }
  },
  undo: undoPlan,
};

const writeState: Step<CreateRun> = {
  name: 'write state.json',
  run: (c) => {
    const { spec, rootfs } = made(c, 'input');
    const stat = c.store.host.procStat(c.pid);
    if (!stat) throw new RuntimeError('container init exited during create');
    const record: ContainerRecord = {
      ociVersion: spec.ociVersion,
      id: c.id,
      pid: c.pid,
      pidStartTime: stat.startTime,
      bundle: c.bundle,
      rootfs,
      created: new Date().toISOString(),
      owner: os.userInfo().username,
      annotations: spec.annotations,
      cgroup: recordedCgroup(c.cgroup),
      ownPidNamespace: hasNew(namespaceSet(spec), 'pid'),
      process: spec.process,
      ...(spec.linux?.seccomp !== undefined ? { seccomp: spec.linux.seccomp } : {}),
      ...(spec.linux?.personality !== undefined ? { personality: spec.linux.personality } : {}),
      ...(spec.linux?.memoryPolicy !== undefined ? { memoryPolicy: spec.linux.memoryPolicy } : {}),
      ...((spec.linux?.devices?.length ?? 0) > 0 ? { devices: spec.linux!.devices } : {}),
      ...(c.hostMounts !== undefined ? { hostMounts: c.hostMounts } : {}),
    };
    const later = laterHooks(spec.hooks);
    if (later) record.hooks = later;
    if (startsOnOpen(spec.hooks)) record.startsOnOpen = true;
    c.store.write(record);
    c.record = record;
  },
};

const writePid: Step<CreateRun> = {
  name: 'write the pid file',
  run: (c) => {
    const { pidFile } = made(c, 'input');
    if (pidFile !== undefined) writePidFile(c.store.host, pidFile, c.pid);
  },
};

const receiveConsole: Step<CreateRun> = {
  name: 'receive the console',
  run: (c) => {
    const { ownConsole } = made(c, 'input');
    if (ownConsole !== undefined) c.consoleMaster = ownConsole.receive();
  },
};

export const CREATE_STEPS: readonly Step<CreateRun>[] = [
  startHelper,
  claimId,
  writeProvisionalRecord,
  makeExecFifo,
  makeCgroup,
  joinCgroup,
  // The head start runs the steps above early (head-start.ts); those below need the prepared bundle.
  applyResources,
  runPlan,
  writeState,
  writePid,
  receiveConsole,
];

export const HEAD_STEPS: readonly Step<CreateRun>[] = CREATE_STEPS.slice(0, CREATE_STEPS.indexOf(applyResources));

/**
 * The head start's steps for this cgroup: HEAD_STEPS, or, when the cgroup's create() only queues it
 * (the systemd driver: settle() waits for its unit), up to that create(), so that systemd's job runs
 * while the bundle is checked, and joining the cgroup (which waits for it) comes after.
 */
export function headStepsFor(cgroup: CgroupManager): readonly Step<CreateRun>[] {
  return cgroup.settle !== undefined ? CREATE_STEPS.slice(0, CREATE_STEPS.indexOf(joinCgroup)) : HEAD_STEPS;
}
