// What start, kill and delete do to a container, and its live status (creating, created, running, paused
// or stopped). Which status allows which action, and what is said when not, is lifecycle.ts.
import { constants } from 'node:fs';
import * as path from 'node:path';
import type { Status } from '../oci/types';
import { ContainerRecord, CreatingRecord, ERR_NOT_EXIST, isCreating, ProcessIdentity, StateStore } from './state-store';
import { RuntimeError } from '../common/errors';
import { Action, mustAllow, refused } from './lifecycle';
import type { CgroupManager } from '../linux/cgroups';
import type { Host } from './host';
import type { Logger } from './log';
import { fifoFailureText } from './helper-reports';
import { detachAdded } from './host-mounts';
import { hookState, HookStateBase } from '../oci/hooks';
import { withHookRunner } from './hooks';

const SIGKILL = 9;
const { O_RDONLY, O_NONBLOCK } = constants;

export function cgroupOf(host: Host, record: ContainerRecord): CgroupManager {
  return host.cgroupOf(record.cgroup);
}

export function statusOf(store: StateStore, record: ContainerRecord): Status {
  return store.status(record, () => {
    try {
      return cgroupOf(store.host, record).frozen();
    } catch {
      // No freezer state to read (the cgroup is gone, or has no freezer): not paused, and the status
      // is still derived (state, list and delete --force must not fail on it).
      return false;
    }
  });
}

/** The live status of `record`, when `action` is allowed in it (lifecycle.ts); its refusal otherwise. */
export function statusFor(store: StateStore, record: ContainerRecord, action: Action): Status {
  const status = statusOf(store, record);
  mustAllow(action, status, record.id);
  return status;
}

/** Opens a pidfd for a process and checks it is still the same one, so signals cannot hit a reused pid. */
function openPidfd(host: Host, p: ProcessIdentity): number | undefined {
  let fd: number;
  try {
    fd = host.pidfdOpen(p.pid);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    throw err;
  }
  if (!host.isSameLiveProcess(p.pid, p.startTime)) {
    host.close(fd);
    return undefined;
  }
  return fd;
}

const initOf = (record: ContainerRecord): ProcessIdentity => ({ pid: record.pid, startTime: record.pidStartTime });

/** Signals the init. False when it is gone. */
export function signalInit(host: Host, record: ContainerRecord, signal: number): boolean {
  const fd = openPidfd(host, initOf(record));
  if (fd === undefined) return false;
  try {
    host.pidfdSendSignal(fd, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  } finally {
    host.close(fd);
  }
}

/**
 * Signals every process in the container's cgroup (and the init through its pidfd) with the cgroup
 * frozen, so that none forks a process the signalling misses, then thaws it, as runc does: a paused
 * container ends thawed too, so that its processes get the signal.
 */
function signalAll(host: Host, record: ContainerRecord, signal: number, log: Logger): void {
  const cgroup = cgroupOf(host, record);
  let frozen = false;
  try {
    cgroup.freeze();
    frozen = true;
  } catch (err) {
    log.warn(`cannot freeze the cgroup of ${record.id} to signal it; signalling it as it runs: ${(err as Error).message}`);
  }
  try {
    signalInit(host, record, signal);
    signalCgroup(host, cgroup, signal);
  } finally {
    if (frozen) cgroup.thaw();
  }
}

/** Signals every process in `cgroup`. */
function signalCgroup(host: Host, cgroup: CgroupManager, signal: number): void {
  for (const pid of cgroup.pids()) {
    try {
      host.kill(pid, signal);
    } catch {
      // Gone already.
    }
  }
}

export function kill(store: StateStore, id: string, signal: number, all: boolean, log: Logger): void {
  // Without its own pid namespace, killing the init would not take the other processes with it: SIGKILL
  // goes to every process of the cgroup, as with --all, and so does reach what is left once the init
  // is gone (runc 1.2+: a container sharing the host's pid namespace stops when its init does).
  const { host } = store;
  const record = store.mustRead(id, all ? 'kill --all' : 'kill');
  const everyProcess = all || (signal === SIGKILL && !record.ownPidNamespace);
  const status = statusFor(store, record, everyProcess ? 'kill --all' : 'kill');
  if (status === 'stopped') {
    if (cgroupOf(host, record).pids().length > 0) signalAll(host, record, signal, log);
    return;
  }
  if (everyProcess) {
    signalAll(host, record, signal, log);
  } else if (!signalInit(host, record, signal)) {
    throw refused('kill', 'stopped', id);
  } else if (signal === SIGKILL && status === 'paused') {
    // A frozen init would only die at resume: thawed so that SIGKILL ends it now, as runc does.
    cgroupOf(host, record).thaw();
  }
}

/** The state a hook gets about this container. */
function hookStateOf(record: ContainerRecord, status: HookStateBase['status']): HookStateBase {
  return {
    ociVersion: record.ociVersion, id: record.id, status, bundle: record.bundle,
    ...(record.annotations ? { annotations: record.annotations } : {}),
  };
}

/**
 * Reads exec.fifo (opened non-blocking) until the init says "0" (go on), or "e<report>" and exits (a
 * startContainer hook failed: the report says which). With waitExec it then waits for the EOF that the
 * init's execve makes (the fifo is close-on-exec there): the program has been executed, or the init
 * died. Returns the failure text, or undefined.
 */
/** host.read of exec.fifo (opened non-blocking), or -1 when the init has it open and has written nothing yet. */
function readFifo(host: Host, fd: number, buf: Buffer): number {
  try {
    return host.read(fd, buf);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    return -1;
  }
}

function readExecFifo(host: Host, fd: number, record: ContainerRecord, waitExec: boolean): string | undefined {
  const buf = Buffer.alloc(4096);
  let got = Buffer.alloc(0);
  const read = (): number => readFifo(host, fd, buf);
  for (;;) {
    let n = read();
    if (n <= 0 && got.length === 0 && !host.isSameLiveProcess(record.pid, record.pidStartTime)) {
      // It may have written before it went.
      n = read();
      if (n <= 0) throw refused('start', 'stopped', record.id);
    }
    if (n > 0) {
      got = Buffer.concat([got, buf.subarray(0, n)]);
      if (got[0] === 0x30 && !waitExec) return undefined; // "0"
      continue;
    }
    // EOF after the init wrote: it executed the program, or it failed and exited. Only the newline goes:
    // a report's last field (a hook's output) may be empty.
    if (n === 0 && got.length > 0) {
      return got[0] === 0x30 ? undefined : fifoFailureText(got.toString('utf8', got[0] === 0x65 /* e */ ? 1 : 0).replace(/\n+$/, ''));
    }
    // The init has the fifo open but has not written: wait for it. Before it opens the fifo (EOF
    // with nothing read) there is nothing to poll for: nap briefly.
    if (n < 0) host.waitReadable(fd, 10);
    else host.sleep(0.1);
  }
}

/**
 * For an init that goes on at start's open of exec.fifo and writes nothing (`wait-start release`): that
 * the open has released it. It has when it holds the fifo open (the read finds nothing yet), or held it
 * and has gone on to its execve since (EOF, after a writer: poll says hang-up). Before the init opens
 * the fifo there is no writer at all: a live init gets there in a moment, a dead one never.
 */
function awaitRelease(host: Host, fd: number, record: ContainerRecord): void {
  const buf = Buffer.alloc(1);
  for (;;) {
    const n = readFifo(host, fd, buf);
    if (n < 0) return;
    if (n === 0 && host.waitReadable(fd, 0)) return;
    if (n === 0 && !host.isSameLiveProcess(record.pid, record.pidStartTime)) throw refused('start', 'stopped', record.id);
    host.sleep(0.1);
  }
}

/**
 * Releases a created container's init through exec.fifo (which is then removed); the init runs the
 * startContainer hooks meanwhile, and a failure of one fails start. Then runs the poststart hooks:
 * when one fails, the container is stopped and start fails (runtime.md 1.3 "Lifecycle" step 9); it is
 * left stopped for `delete`, as after a startContainer hook failure.
 */
export function start(store: StateStore, id: string): void {
  const { host } = store;
  const record = store.mustRead(id, 'start');
  const poststart = record.hooks?.poststart ?? [];
  store.withLock(id, () => {
    statusFor(store, record, 'start');
    const fifo = store.fifoPath(id);
    const fd = host.open(fifo, O_RDONLY | O_NONBLOCK);
    let failure: string | undefined;
    try {
      if (record.startsOnOpen) awaitRelease(host, fd, record);
      // poststart hooks run "after the user-specified process is executed": wait for the execve.
      else failure = readExecFifo(host, fd, record, poststart.length > 0);
    } finally {
      host.close(fd);
    }
    store.removeFifo(id);
    if (failure !== undefined) {
      // The init has exited; anything it left in its cgroup goes too.
      if (cgroupOf(host, record).pids().length > 0) killAndWait(host, record);
      throw new RuntimeError(failure);
    }
  });
  if (poststart.length > 0) {
    const state = hookState(hookStateOf(record, 'running'), record.pid);
    try {
      withHookRunner((r) => r.runHooksOrFail('poststart', poststart, state));
    } catch (err) {
      // A poststart hook that fails stops the container, as with runc.
      killAndWait(host, record);
      throw err;
    }
  }
}

/** Kills everything in the container and waits for it to go. */
function killAndWait(host: Host, record: ContainerRecord): void {
  killEverything(host, cgroupOf(host, record), [initOf(record)]);
}

/**
 * Kills `processes` (those still the same processes) and everything in `cgroup` (thawed first), and
 * waits until they have exited and the cgroup is empty: up to 10 s for the processes, then about 1 s
 * more for what is still in the cgroup (a process that was forking when the cgroup was read).
 */
function killEverything(host: Host, cgroup: CgroupManager, processes: ProcessIdentity[]): void {
  try {
    if (cgroup.frozen()) cgroup.thaw();
  } catch {
    // No freezer: nothing to thaw.
  }
  const fds = processes.map((p) => openPidfd(host, p)).filter((fd): fd is number => fd !== undefined);
  try {
    for (const fd of fds) {
      try {
        host.pidfdSendSignal(fd, SIGKILL);
      } catch {
        // Exited already.
      }
    }
    signalCgroup(host, cgroup, SIGKILL);
    const deadline = Date.now() + 10_000;
    for (const [i, fd] of fds.entries()) {
      if (!host.waitReadable(fd, Math.max(0, deadline - Date.now()))) {
        throw new RuntimeError(`process ${processes[i].pid} of the container did not exit after SIGKILL`);
      }
    }
  } finally {
    for (const fd of fds) host.close(fd);
  }
  for (let i = 0; i < 100 && cgroup.pids().length > 0; i++) {
    signalCgroup(host, cgroup, SIGKILL);
    host.sleep(10);
  }
}

/**
 * Removes what the runtime made for a stopped container: its cgroup and its state directory; then
 * runs the poststop hooks, each of them even when one before failed (a failure is a warning).
 */
function destroy(store: StateStore, record: ContainerRecord, log: Logger): void {
  const cgroup = cgroupOf(store.host, record);
  // Most often the cgroup is empty by now: removed at once, without reading it first.
  const removed = cgroup.destroyIfEmpty();
  if (!removed) killAndWait(store.host, record);
  // Made in the runtime's mount namespace, the container's mounts outlive its processes.
  if (record.hostMounts !== undefined) detachAdded(store.host, record.hostMounts.rootfs, record.hostMounts.kept);
  if (removed) store.remove(record.id);
  else removeCgroupAndState(store, record.id, cgroup, log);
  const poststop = record.hooks?.poststop ?? [];
  if (poststop.length > 0) {
    withHookRunner((r) => r.runHooksWarning('poststop', poststop, hookState(hookStateOf(record, 'stopped'), 0), log));
  }
}

/**
 * delete: a stopped container is destroyed; a created one or (with --force) a running or paused one is
 * killed first, as runc does. What a create left (it was killed, or still runs: --force) and a
 * container whose record cannot be read (--force) are removed as well as can be known (see below).
 */
export function remove(store: StateStore, id: string, force: boolean, log: Logger): void {
  const loaded = store.load(id);
  if (loaded === undefined) {
    if (force) return;
    throw new RuntimeError(ERR_NOT_EXIST);
  }
  if (loaded.kind === 'claimed') {
    // A create that has claimed the id and made nothing yet, or died right there. Only --force clears it.
    if (!force) throw new RuntimeError(ERR_NOT_EXIST);
    store.remove(id);
    return;
  }
  if (loaded.kind === 'unreadable') {
    if (!force) throw loaded.error;
    store.withLock(id, () => removeUnreadable(store, id, loaded.error, log));
    return;
  }
  const { record } = loaded;
  const action = force ? 'delete --force' : 'delete';
  if (isCreating(record)) {
    mustAllow(action, store.creatingStatus(record), id);
    store.withLock(id, () => removeCreating(store, record, log));
    return;
  }
  store.withLock(id, () => {
    const status = statusFor(store, record, action);
    if (status !== 'stopped') killAndWait(store.host, record);
    destroy(store, record, log);
  });
}

/** Removes the cgroup (warning when it cannot), then the state directory. */
function removeCgroupAndState(store: StateStore, id: string, cgroup: CgroupManager, log: Logger): void {
  try {
    cgroup.destroy();
  } catch (err) {
    log.warn(`cannot remove cgroup of ${id}: ${(err as Error).message}`);
  }
  store.remove(id);
}

/**
 * What a create has recorded so far: the helper goes first (so that it clones nothing more), then the
 * init, then whatever is in the cgroups it made; then the mounts it made in the runtime's mount
 * namespace (none with a namespace of its own, which goes with its last process), the cgroups and the
 * state directory.
 */
function removeCreating(store: StateStore, record: CreatingRecord, log: Logger): void {
  const cgroup = store.host.cgroupOf(record.cgroup);
  killEverything(store.host, cgroup, [record.helper, record.init].filter((p): p is ProcessIdentity => p !== undefined));
  if (record.hostMounts !== undefined) detachAdded(store.host, record.hostMounts.rootfs, record.hostMounts.kept);
  removeCgroupAndState(store, record.id, cgroup, log);
}

/**
 * A container whose record cannot be read: its processes and cgroup are found where create puts them
 * without a linux.cgroupsPath (the only place known without the record); then its state goes.
 */
function removeUnreadable(store: StateStore, id: string, why: RuntimeError, log: Logger): void {
  log.warn(`${why.message}; removing it, and what runs in its default cgroup`);
  let cgroup: CgroupManager | undefined;
  try {
    cgroup = store.host.cgroupFor({ id });
  } catch (err) {
    log.warn(`cannot find the default cgroup of ${id}: ${(err as Error).message}`);
  }
  if (cgroup === undefined) {
    store.remove(id);
    return;
  }
  killEverything(store.host, cgroup, []);
  removeCgroupAndState(store, id, cgroup, log);
}

/** Writes the pid file atomically, without a trailing newline (engines parse the whole file). */
export function writePidFile(host: Host, file: string, pid: number): void {
  const abs = path.resolve(file);
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.tmp`);
  host.writeFile(tmp, String(pid));
  host.rename(tmp, abs);
}
