// An in-memory Host (src/runtime/host.ts) for unit tests that need no root: files and directories,
// fifos, processes with pids, start times and the signals they got, a helper that answers a plan, and
// cgroups with their freezer state. Every call that changes something is recorded in `calls`, in order
// ("mkfifo /r/c1/exec.fifo", "kill 102 9", "cgroup.freeze /sys/fs/cgroup/c1"), and any of them can be
// made to fail once (failOn).
import { native } from '../../src/linux/native';
import * as path from 'node:path';
import { constants } from 'node:os';
import type { Host } from '../../src/runtime/host';
import type { CgroupEntry, CgroupManager, CgroupWrite, NotApplied } from '../../src/linux/cgroups';
import type { ProcStat } from '../../src/linux/proc';
import type { AcceptedRequest, WaitStatus } from '../../src/linux/native';
import type { RecordedCgroup } from '../../src/runtime/state-record';
import type { ContainerRecord, StateStore } from '../../src/runtime/state-store';
import type { Logger } from '../../src/runtime/log';

/** An Error as node:fs and the addon throw them: `.code` the errno name. */
export function sysError(code: string, what: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: ${what}`);
  err.code = code;
  return err;
}

/** What a fake init does when `start` opens its exec.fifo. */
export type InitAtStart =
  | 'go' // writes "0" and executes the program (the fifo is closed at exec)
  | 'dies' // exits without a word (the fifo's writer goes)
  | { fails: string }; // a startContainer hook failed: writes "e<text>" and exits

export interface FakeProcess {
  pid: number;
  startTime: string;
  /** R: alive; Z: exited, not reaped yet. */
  state: 'R' | 'Z';
  /** The cgroup directory it is in (until it exits). */
  cgroup?: string;
  /** Signals it got, in order (those sent while its cgroup was frozen once it was thawed). */
  signals: number[];
  /** Signals that do not end it (it has a handler); every other signal but 0 ends it. */
  survives: Set<number>;
  /** Signals sent while its cgroup was frozen: they arrive at thaw. */
  pending: number[];
  exit?: WaitStatus;
  /** The init's behaviour at start (a created container). */
  atStart?: InitAtStart;
  /** Set once its exec.fifo released it. */
  released?: boolean;
}

/** What the next helper started answers to its plan. */
export type HelperAnswer =
  | 'ready' // clones the init into the cgroup it was sent, reports its pid and ready
  | { fails: string } // fails before there is an init
  | { failsAfterPid: string } // clones the init, reports it, then fails (the caller must reap the init)
  | { saysAfterPid: string }; // clones the init, reports it, then writes a line outside the protocol and waits

interface Fifo {
  data: Buffer;
  /** The process holding the write end (the created container's init). */
  writer?: FakeProcess;
}

type Entry = { kind: 'dir'; mode: number } | { kind: 'file'; data: string } | { kind: 'fifo'; mode: number; fifo: Fifo };

type Fd =
  | { kind: 'dir' | 'file'; path: string }
  | { kind: 'fifo'; path: string; fifo: Fifo }
  | { kind: 'pidfd'; proc: FakeProcess }
  | { kind: 'helper'; helper: FakeHelper };

interface FakeHelper {
  proc: FakeProcess;
  /** Everything tsrunc wrote to it. */
  received: Buffer;
  answer: HelperAnswer;
  /** Lines still to read; undefined until it has its plan. */
  replies?: Buffer;
}

/** A Logger that keeps the warnings (and errors) it is given. */
export function recordingLog(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(`error: ${m}`) };
}

const signalNumber = (signal: number | NodeJS.Signals): number => (typeof signal === 'number' ? signal : constants.signals[signal]);

export class FakeHost implements Host {
  /** The calls that change something, in order. */
  readonly calls: string[] = [];
  readonly processes = new Map<number, FakeProcess>();
  /** Every process there was, reaped ones too. */
  readonly spawned: FakeProcess[] = [];
  /** Existing cgroup directories and whether each is frozen. */
  readonly cgroups = new Map<string, { frozen: boolean }>();
  /** What the next helper answers (then 'ready' again). */
  helperAnswer: HelperAnswer = 'ready';
  /** The helpers started, in order. */
  readonly helpers: FakeHelper[] = [];
  private readonly files = new Map<string, Entry>([['/', { kind: 'dir', mode: 0o755 }]]);
  private readonly fds = new Map<number, Fd>();
  private nextFd = 10;
  private nextPid = 100;
  private failures: { prefix: string; error: Error }[] = [];

  constructor() {
    // The process running the test is tsrunc: a create records it as the creator.
    this.spawn({ pid: process.pid });
  }

  /** The next call that starts with `prefix` ("cgroup.create", "mkfifo /r/c1") throws `error` (once). */
  failOn(prefix: string, error: Error = sysError('EIO', prefix)): void {
    this.failures.push({ prefix, error });
  }

  /** Records a call, or throws when it was told to fail (recorded with " FAILED"). */
  private call(text: string): void {
    const i = this.failures.findIndex((f) => text.startsWith(f.prefix));
    if (i >= 0) {
      const [{ error }] = this.failures.splice(i, 1);
      this.calls.push(`${text} FAILED`);
      throw error;
    }
    this.calls.push(text);
  }

  // Processes.

  spawn(o: Partial<FakeProcess> = {}): FakeProcess {
    let pid = o.pid ?? this.nextPid++;
    while (o.pid === undefined && this.processes.has(pid)) pid = this.nextPid++;
    const proc: FakeProcess = { pid, startTime: `${1000 + pid}`, state: 'R', signals: [], survives: new Set(), pending: [], ...o };
    this.processes.set(pid, proc);
    this.spawned.push(proc);
    return proc;
  }

  exitProcess(proc: FakeProcess, exit: WaitStatus): void {
    if (proc.state === 'Z') return;
    proc.state = 'Z';
    proc.exit = exit;
    delete proc.cgroup;
    for (const fifo of this.fifos()) if (fifo.writer === proc) delete fifo.writer;
    for (const h of this.helpers) if (h.proc === proc) h.replies ??= Buffer.alloc(0);
  }

  private deliver(proc: FakeProcess, signal: number): void {
    if (signal === 0 || proc.state === 'Z') return;
    if (proc.cgroup !== undefined && this.cgroups.get(proc.cgroup)?.frozen) {
      proc.pending.push(signal);
      return;
    }
    proc.signals.push(signal);
    if (!proc.survives.has(signal)) this.exitProcess(proc, { exitCode: null, signal });
  }

  private live(pid: number): FakeProcess {
    const proc = this.processes.get(pid);
    if (proc === undefined) throw sysError('ESRCH', `pid ${pid}`);
    return proc;
  }

  kill(pid: number, signal: number | NodeJS.Signals): void {
    this.call(`kill ${pid} ${signalNumber(signal)}`);
    this.deliver(this.live(pid), signalNumber(signal));
  }

  pidfdOpen(pid: number): number {
    return this.newFd({ kind: 'pidfd', proc: this.live(pid) });
  }

  pidfdSendSignal(pidfd: number, signal: number): void {
    const fd = this.fd(pidfd);
    if (fd.kind !== 'pidfd') throw sysError('EBADF', 'not a pidfd');
    this.call(`pidfdSendSignal ${fd.proc.pid} ${signal}`);
    if (fd.proc.state === 'Z') throw sysError('ESRCH', `pid ${fd.proc.pid}`);
    this.deliver(fd.proc, signal);
  }

  waitReadable(fd: number, _timeoutMs: number): boolean {
    const f = this.fd(fd);
    if (f.kind === 'pidfd') return f.proc.state === 'Z';
    if (f.kind === 'fifo') return f.fifo.data.length > 0 || f.fifo.writer === undefined;
    return true;
  }

  waitpidSync(pid: number): WaitStatus {
    const proc = this.processes.get(pid);
    this.call(`waitpidSync ${pid}`);
    if (proc === undefined) throw sysError('ECHILD', `pid ${pid}`);
    if (proc.state !== 'Z') throw new Error(`fake host: waitpidSync(${pid}) would wait forever on a live process`);
    this.processes.delete(pid);
    return proc.exit!;
  }

  async waitpid(pid: number): Promise<WaitStatus> {
    return this.waitpidSync(pid);
  }

  procStat(pid: number): ProcStat | undefined {
    const proc = this.processes.get(pid);
    return proc && { state: proc.state, startTime: proc.startTime };
  }

  isSameLiveProcess(pid: number, startTime: string): boolean {
    const proc = this.processes.get(pid);
    return proc !== undefined && proc.startTime === startTime && proc.state === 'R';
  }

  sleep(): void {}

  setChildSubreaper(): void {
    this.call('setChildSubreaper');
  }

  // The helper.

  spawnHelper(file: string, argv: string[], syncFd: number): { pid: number; fd: number } {
    this.call(`spawnHelper ${argv.join(' ')}`);
    const helper: FakeHelper = { proc: this.spawn(), received: Buffer.alloc(0), answer: this.helperAnswer };
    this.helperAnswer = 'ready';
    this.helpers.push(helper);
    void file;
    void syncFd;
    return { pid: helper.proc.pid, fd: this.newFd({ kind: 'helper', helper }) };
  }

  /** The cgroup the helper was sent (its open-cgroup op), where it clones the init. */
  private helperCgroup(helper: FakeHelper): string | undefined {
    const text = helper.received.toString('latin1');
    return [...this.cgroups.keys()].find((dir) => text.includes(dir));
  }

  private answer(helper: FakeHelper): Buffer {
    const { answer } = helper;
    const lines: string[] = [];
    if (answer === 'ready' || 'failsAfterPid' in answer || 'saysAfterPid' in answer) {
      const init = this.spawn({ atStart: 'go' });
      const cgroup = this.helperCgroup(helper);
      if (cgroup !== undefined) init.cgroup = cgroup;
      lines.push(`pid ${init.pid}`);
    }
    if (typeof answer === 'object' && 'saysAfterPid' in answer) {
      // The helper goes on running: only the client can end it.
      lines.push(answer.saysAfterPid);
      return Buffer.from(lines.map((l) => `${l}\n`).join(''));
    }
    if (answer === 'ready') lines.push('ready');
    else lines.push(`error -1 0 ${'fails' in answer ? answer.fails : answer.failsAfterPid}`);
    this.exitProcess(helper.proc, { exitCode: answer === 'ready' ? 0 : 1, signal: null });
    return Buffer.from(lines.map((l) => `${l}\n`).join(''));
  }

  // Files.

  private abs(file: string): string {
    return path.resolve(file);
  }

  private entry(file: string): Entry | undefined {
    return this.files.get(this.abs(file));
  }

  private parentDir(file: string, call: string): void {
    const parent = this.entry(path.dirname(this.abs(file)));
    if (parent === undefined) throw sysError('ENOENT', `${call} ${file}`);
    if (parent.kind !== 'dir') throw sysError('ENOTDIR', `${call} ${file}`);
  }

  /** A file's text (tests look at what was written). */
  fileText(file: string): string | undefined {
    const e = this.entry(file);
    return e?.kind === 'file' ? e.data : undefined;
  }

  /** Every path under `dir` (itself included), sorted. */
  under(dir: string): string[] {
    const root = this.abs(dir);
    return [...this.files.keys()].filter((p) => p === root || p.startsWith(`${root}/`)).sort();
  }

  readFile(file: string): string {
    const e = this.entry(file);
    if (e === undefined) throw sysError('ENOENT', `open ${file}`);
    if (e.kind !== 'file') throw sysError('EISDIR', `read ${file}`);
    return e.data;
  }

  writeFile(file: string, data: string): void {
    this.call(`writeFile ${file}`);
    this.parentDir(file, 'open');
    if (this.entry(file)?.kind === 'dir') throw sysError('EISDIR', `open ${file}`);
    this.files.set(this.abs(file), { kind: 'file', data });
  }

  rename(from: string, to: string): void {
    this.call(`rename ${from} ${to}`);
    const e = this.entry(from);
    if (e === undefined) throw sysError('ENOENT', `rename ${from}`);
    this.parentDir(to, 'rename');
    this.files.delete(this.abs(from));
    this.files.set(this.abs(to), e);
  }

  unlink(file: string): void {
    this.call(`unlink ${file}`);
    const e = this.entry(file);
    if (e === undefined) throw sysError('ENOENT', `unlink ${file}`);
    if (e.kind === 'dir') throw sysError('EISDIR', `unlink ${file}`);
    this.files.delete(this.abs(file));
  }

  mkdir(dir: string, o: { mode: number; recursive?: boolean }): void {
    this.call(`mkdir ${dir}`);
    const abs = this.abs(dir);
    const e = this.files.get(abs);
    if (o.recursive) {
      if (e?.kind === 'dir') return;
      if (e !== undefined) throw sysError('EEXIST', `mkdir ${dir}`);
      if (!this.files.has(path.dirname(abs))) this.mkdir(path.dirname(abs), o);
    } else if (e !== undefined) {
      throw sysError('EEXIST', `mkdir ${dir}`);
    }
    this.parentDir(abs, 'mkdir');
    this.files.set(abs, { kind: 'dir', mode: o.mode });
  }

  rmdir(dir: string): void {
    this.call(`rmdir ${dir}`);
    const e = this.entry(dir);
    if (e === undefined) throw sysError('ENOENT', `rmdir ${dir}`);
    if (e.kind !== 'dir') throw sysError('ENOTDIR', `rmdir ${dir}`);
    if (this.under(dir).length > 1) throw sysError('ENOTEMPTY', `rmdir ${dir}`);
    this.files.delete(this.abs(dir));
  }

  removeTree(dir: string): void {
    this.call(`removeTree ${dir}`);
    for (const p of this.under(dir)) this.files.delete(p);
  }

  readdir(dir: string): string[] {
    const e = this.entry(dir);
    if (e === undefined) throw sysError('ENOENT', `scandir ${dir}`);
    if (e.kind !== 'dir') throw sysError('ENOTDIR', `scandir ${dir}`);
    const abs = this.abs(dir);
    return this.under(dir).filter((p) => path.dirname(p) === abs && p !== abs).map((p) => path.basename(p));
  }

  /** What readlink answers, by path (/proc/self/fd/<n> for the descriptors a test says are open). */
  readonly links = new Map<string, string>();

  readlink(link: string): string {
    const target = this.links.get(link);
    if (target === undefined) throw sysError('ENOENT', `readlink ${link}`);
    return target;
  }

  stat(file: string): { isDirectory(): boolean } {
    const e = this.entry(file);
    if (e === undefined) throw sysError('ENOENT', `stat ${file}`);
    return { isDirectory: () => e.kind === 'dir' };
  }

  exists(file: string): boolean {
    return this.entry(file) !== undefined;
  }

  detachMount(file: string): void {
    this.call(`detachMount ${file}`);
  }

  mkfifo(file: string, mode: number): void {
    this.call(`mkfifo ${file}`);
    if (this.exists(file)) throw sysError('EEXIST', `mkfifo ${file}`);
    this.parentDir(file, 'mkfifo');
    this.files.set(this.abs(file), { kind: 'fifo', mode, fifo: { data: Buffer.alloc(0) } });
  }

  /** Gives a fifo's write end to `writer` (an init waiting to be started). */
  holdFifo(file: string, writer: FakeProcess): void {
    const e = this.entry(file);
    if (e?.kind !== 'fifo') throw new Error(`fake host: no fifo ${file}`);
    e.fifo.writer = writer;
  }

  private fifos(): Fifo[] {
    return [...this.files.values()].flatMap((e) => (e.kind === 'fifo' ? [e.fifo] : []));
  }

  open(file: string, flags: string | number): number {
    this.call(`open ${file}`);
    const e = this.entry(file);
    if (e === undefined) throw sysError('ENOENT', `open ${file}`);
    if (e.kind !== 'fifo') return this.newFd({ kind: e.kind, path: this.abs(file) });
    void flags;
    // A reader: the init waiting on the write end goes on.
    const init = e.fifo.writer;
    if (init !== undefined && init.state === 'R') {
      const atStart = init.atStart ?? 'go';
      if (atStart === 'go') {
        e.fifo.data = Buffer.from('0');
        init.released = true;
        delete e.fifo.writer;
      } else if (atStart === 'dies') {
        this.exitProcess(init, { exitCode: 1, signal: null });
      } else {
        e.fifo.data = Buffer.from(`e${atStart.fails}`);
        this.exitProcess(init, { exitCode: 1, signal: null });
      }
    }
    return this.newFd({ kind: 'fifo', path: this.abs(file), fifo: e.fifo });
  }

  read(fd: number, buf: Buffer): number {
    const f = this.fd(fd);
    let from: Buffer;
    if (f.kind === 'fifo') {
      if (f.fifo.data.length === 0 && f.fifo.writer !== undefined) throw sysError('EAGAIN', 'read');
      from = f.fifo.data;
      const n = from.copy(buf, 0, 0, Math.min(buf.length, from.length));
      f.fifo.data = from.subarray(n);
      return n;
    }
    if (f.kind !== 'helper') throw sysError('EISDIR', 'read');
    const { helper } = f;
    helper.replies ??= this.answer(helper);
    const n = helper.replies.copy(buf, 0, 0, Math.min(buf.length, helper.replies.length));
    helper.replies = helper.replies.subarray(n);
    return n;
  }

  write(fd: number, data: Buffer, offset: number): number {
    const f = this.fd(fd);
    if (f.kind !== 'helper') throw sysError('EBADF', 'write');
    this.call(`write helper ${f.helper.proc.pid}`);
    if (f.helper.proc.state === 'Z') throw sysError('EPIPE', 'write');
    f.helper.received = Buffer.concat([f.helper.received, data.subarray(offset)]);
    return data.length - offset;
  }

  close(fd: number): void {
    this.fd(fd);
    this.fds.delete(fd);
  }

  /** The fds tsrunc has open (a test checks none is left). */
  openFds(): number[] {
    return [...this.fds.keys()];
  }

  flock(fd: number, exclusive: boolean): void {
    const f = this.fd(fd);
    this.call(`flock ${'path' in f ? f.path : fd} ${exclusive ? 'exclusive' : 'shared'}`);
  }

  private newFd(fd: Fd): number {
    const n = this.nextFd++;
    this.fds.set(n, fd);
    return n;
  }

  private fd(n: number): Fd {
    const fd = this.fds.get(n);
    if (fd === undefined) throw sysError('EBADF', `fd ${n}`);
    return fd;
  }

  listenUnix(file: string): number {
    this.call(`listenUnix ${file}`);
    throw sysError('ENOSYS', 'the fake host has no unix sockets');
  }

  acceptRequest(): AcceptedRequest {
    throw sysError('ENOSYS', 'the fake host has no unix sockets');
  }

  processIdentity(): string | null {
    throw sysError('ENOSYS', 'the fake host has no processes of its own');
  }

  dieWithPeer(): void {
    throw sysError('ENOSYS', 'the fake host has no unix sockets');
  }

  outliveThePeer(): boolean {
    return false;
  }

  dup(): number {
    throw sysError('ENOSYS', 'the fake host has no descriptors to duplicate');
  }

  dup2(): void {
    throw sysError('ENOSYS', 'the fake host has no descriptors to duplicate');
  }

  receiveFd(): { fd: number; name: string } {
    throw sysError('ENOSYS', 'the fake host has no console sockets');
  }

  pidfdGetFd(): number {
    throw sysError('ENOSYS', 'the fake host has no seccomp listeners');
  }

  sendFd(file: string): void {
    this.call(`sendFd ${file}`);
    throw sysError('ENOSYS', 'the fake host has no seccomp listeners');
  }

  getWinsize(): { rows: number; cols: number } {
    throw sysError('ENOTTY', 'the fake host has no terminals');
  }

  setWinsize(): void {}

  // Planning input (libseccomp's tables, strerror): the real ones, which touch nothing of the host.

  strerror(errno: number): { message: string; name: string } {
    return native().strerror(errno);
  }

  seccompArch(name?: string): number {
    return native().seccompArch(name);
  }

  seccompSyscallNumbers(arch: number, names: string[]): (number | null)[] {
    return native().seccompSyscallNumbers(arch, names);
  }

  seccompSyscallNames(arch: number, numbers: number[]): (string | null)[] {
    return native().seccompSyscallNames(arch, numbers);
  }

  seccompVersion(): string {
    return native().seccompVersion();
  }

  // Cgroups.

  cgroupFor(o: { id: string; cgroupsPath?: string }): CgroupManager {
    return new FakeCgroup(this, o.cgroupsPath ?? `/sys/fs/cgroup/${o.id}`, []);
  }

  cgroupOf(recorded: RecordedCgroup): CgroupManager {
    return new FakeCgroup(this, Object.values(recorded.paths)[0], recorded.created);
  }

  /** For FakeCgroup: records the call (or fails it). */
  cgroupCall(text: string): void {
    this.call(text);
  }

  /** Delivers what was sent to a frozen cgroup's processes. */
  thawed(dir: string): void {
    for (const proc of this.processes.values()) {
      if (proc.cgroup !== dir) continue;
      for (const signal of proc.pending.splice(0)) this.deliver(proc, signal);
    }
  }

  /**
   * A container as create leaves it in `store`: its record, its cgroup with the init (and `others`
   * more processes) in it, and, while it is created, exec.fifo with the init waiting on it.
   */
  container(store: StateStore, id: string, o: { status: 'created' | 'running' | 'paused' | 'stopped'; others?: number; ownPidNamespace?: boolean; atStart?: InitAtStart }): {
    record: ContainerRecord; init: FakeProcess; others: FakeProcess[]; cgroup: string;
  } {
    const cgroup = `/sys/fs/cgroup/${id}`;
    this.cgroups.set(cgroup, { frozen: o.status === 'paused' });
    const init = this.spawn({ cgroup, atStart: o.atStart ?? 'go' });
    const others = Array.from({ length: o.others ?? 0 }, () => this.spawn({ cgroup }));
    store.claim(id);
    const record: ContainerRecord = {
      ociVersion: '1.2.0', id, pid: init.pid, pidStartTime: init.startTime, bundle: `/bundles/${id}`, rootfs: `/bundles/${id}/rootfs`,
      created: '2026-01-01T00:00:00.000Z', owner: 'root', cgroup: { driver: 'v2', paths: { unified: cgroup }, created: [cgroup] },
      ownPidNamespace: o.ownPidNamespace ?? true,
    };
    store.write(record);
    if (o.status === 'created') {
      this.mkfifo(store.fifoPath(id), 0o622);
      this.holdFifo(store.fifoPath(id), init);
    }
    if (o.status === 'stopped') this.exitProcess(init, { exitCode: 0, signal: null });
    this.calls.length = 0;
    return { record, init, others, cgroup };
  }
}

/** A cgroup v2 directory of the fake host: made, removed, frozen and thawed there; its pids are the host's processes in it. */
class FakeCgroup implements CgroupManager {
  readonly driver = 'v2' as const;
  readonly paths: Record<string, string>;
  created: string[];

  constructor(private readonly host: FakeHost, private readonly dir: string, created: readonly string[]) {
    this.paths = { unified: dir };
    this.created = [...created];
  }

  warnings(): string[] {
    return [];
  }

  create(): void {
    this.host.cgroupCall(`cgroup.create ${this.dir}`);
    if (this.host.cgroups.has(this.dir)) {
      if (this.pids().length > 0) throw sysError('EBUSY', `${this.dir} has processes`);
      return;
    }
    this.host.cgroups.set(this.dir, { frozen: false });
    this.created = [this.dir];
  }

  plannedDirs(): string[] {
    return this.host.cgroups.has(this.dir) ? [] : [this.dir];
  }

  resourceWrites(): CgroupWrite[] {
    return [];
  }

  deviceProgram(): undefined {
    return undefined;
  }

  unsupported(): NotApplied[] {
    return [];
  }

  apply(): void {
    this.host.cgroupCall(`cgroup.apply ${this.dir}`);
  }

  procsFiles(): string[] {
    return [`${this.dir}/cgroup.procs`];
  }

  entry(): CgroupEntry {
    return { join: [], cloneInto: this.dir };
  }

  pids(): number[] {
    return [...this.host.processes.values()].filter((p) => p.cgroup === this.dir && p.state === 'R').map((p) => p.pid);
  }

  freeze(): void {
    this.host.cgroupCall(`cgroup.freeze ${this.dir}`);
    this.state().frozen = true;
  }

  thaw(): void {
    this.host.cgroupCall(`cgroup.thaw ${this.dir}`);
    this.state().frozen = false;
    this.host.thawed(this.dir);
  }

  frozen(): boolean {
    return this.host.cgroups.get(this.dir)?.frozen ?? false;
  }

  destroyIfEmpty(): boolean {
    if (this.pids().length > 0) return false;
    this.destroy();
    return true;
  }

  destroy(): void {
    this.host.cgroupCall(`cgroup.destroy ${this.dir}`);
    if (this.pids().length > 0) throw sysError('EBUSY', `rmdir ${this.dir}`);
    if (this.created.includes(this.dir)) this.host.cgroups.delete(this.dir);
  }

  private state(): { frozen: boolean } {
    const s = this.host.cgroups.get(this.dir);
    if (s === undefined) throw sysError('ENOENT', `${this.dir}/cgroup.freeze`);
    return s;
  }
}
