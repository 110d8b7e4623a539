// The host seam: every call that the state store, the lifecycle commands (start, kill, delete, pause,
// resume), create, the head start and the helper client make to the addon, the file system, /proc and
// the cgroup tree goes through a Host, which the command context carries (ctx.host). realHost is the
// machine; tests put an in-memory fake in its place (test/support/fake-host.ts).
//
// The file calls are node:fs's synchronous ones with the same meaning and the same failures (an Error
// whose `.code` is the errno name); the addon's are NativeAddon's (src/linux/native.ts).
import * as fs from 'node:fs';
import { native, NativeAddon, WaitStatus } from '../linux/native';
import { isSameLiveProcess, ProcStat, readProcStat, sleepMs } from '../linux/proc';
import { cgroupManagerFor, cgroupManagerFromPaths, CgroupManager } from '../linux/cgroups';
import type { RecordedCgroup } from './state-record';
import type { Resources } from '../oci/types';

export interface CgroupFor {
  id: string;
  cgroupsPath?: string;
  annotations?: Record<string, string>;
  resources?: Resources;
}

export interface Host extends NativeAddon {
  /** readFileSync(file, 'utf8'). */
  readFile(file: string): string;
  /** writeFileSync(file, data). */
  writeFile(file: string, data: string): void;
  rename(from: string, to: string): void;
  unlink(file: string): void;
  mkdir(dir: string, o: { mode: number; recursive?: boolean }): void;
  rmdir(dir: string): void;
  /** rmSync(dir, { recursive: true, force: true }). */
  removeTree(dir: string): void;
  readdir(dir: string): string[];
  /** readlinkSync(link). */
  readlink(link: string): string;
  /** statSync: throws ENOENT (and the like) when there is nothing to stat. */
  stat(file: string): { isDirectory(): boolean };
  exists(file: string): boolean;
  open(file: string, flags: string | number): number;
  /** readSync(fd, buf, 0, buf.length, null): 0 at EOF. */
  read(fd: number, buf: Buffer): number;
  /** writeSync(fd, data, offset): how many bytes were written. */
  write(fd: number, data: Buffer, offset: number): number;
  close(fd: number): void;

  /** process.kill: a signal by pid (ESRCH once it is gone). */
  kill(pid: number, signal: number | NodeJS.Signals): void;
  /** /proc/<pid>/stat; undefined when there is no such process. */
  procStat(pid: number): ProcStat | undefined;
  /** True when pid still runs the process that had startTime (not exited, not a zombie, not reused). */
  isSameLiveProcess(pid: number, startTime: string): boolean;
  /** Sleeps synchronously. */
  sleep(ms: number): void;

  /**
   * The cgroup of a container about to be created, from its id and linux.cgroupsPath (and, for the
   * systemd driver, its annotations and resources, which its unit starts with).
   */
  cgroupFor(o: CgroupFor): CgroupManager;
  /** The cgroup of an existing container, from what its record keeps. */
  cgroupOf(recorded: RecordedCgroup): CgroupManager;
}

/** The machine: the addon (loaded on first use, as native() does), node:fs, /proc and cgroupfs. */
export const realHost: Host = {
  pidfdOpen: (pid) => native().pidfdOpen(pid),
  pidfdSendSignal: (pidfd, signal) => native().pidfdSendSignal(pidfd, signal),
  waitReadable: (fd, timeoutMs) => native().waitReadable(fd, timeoutMs),
  waitpid: (pid): Promise<WaitStatus> => native().waitpid(pid),
  waitpidSync: (pid) => native().waitpidSync(pid),
  spawnHelper: (file, argv, syncFd) => native().spawnHelper(file, argv, syncFd),
  flock: (fd, exclusive) => native().flock(fd, exclusive),
  mkfifo: (file, mode) => native().mkfifo(file, mode),
  detachMount: (file) => native().detachMount(file),
  setChildSubreaper: () => native().setChildSubreaper(),
  listenUnix: (file, backlog) => native().listenUnix(file, backlog),
  acceptRequest: (fd, maxBytes) => native().acceptRequest(fd, maxBytes),
  processIdentity: (proc, fields, namespaces) => native().processIdentity(proc, fields, namespaces),
  dup: (fd) => native().dup(fd),
  dieWithPeer: (fd, notice) => native().dieWithPeer(fd, notice),
  outliveThePeer: () => native().outliveThePeer(),
  dup2: (from, to) => native().dup2(from, to),
  receiveFd: (listenFd, timeoutMs) => native().receiveFd(listenFd, timeoutMs),
  pidfdGetFd: (pidfd, targetFd) => native().pidfdGetFd(pidfd, targetFd),
  sendFd: (file, data, fd, timeoutMs) => native().sendFd(file, data, fd, timeoutMs),
  setWinsize: (fd, rows, cols) => native().setWinsize(fd, rows, cols),
  getWinsize: (fd) => native().getWinsize(fd),
  strerror: (errno) => native().strerror(errno),
  seccompArch: (name) => native().seccompArch(name),
  seccompSyscallNumbers: (arch, names) => native().seccompSyscallNumbers(arch, names),
  seccompSyscallNames: (arch, numbers) => native().seccompSyscallNames(arch, numbers),
  seccompVersion: () => native().seccompVersion(),

  readFile: (file) => fs.readFileSync(file, 'utf8'),
  readlink: (link) => fs.readlinkSync(link),
  writeFile: (file, data) => fs.writeFileSync(file, data),
  rename: (from, to) => fs.renameSync(from, to),
  unlink: (file) => fs.unlinkSync(file),
  mkdir: (dir, o) => {
    fs.mkdirSync(dir, o);
  },
  rmdir: (dir) => fs.rmdirSync(dir),
  removeTree: (dir) => fs.rmSync(dir, { recursive: true, force: true }),
  readdir: (dir) => fs.readdirSync(dir),
  stat: (file) => fs.statSync(file),
  exists: (file) => fs.existsSync(file),
  open: (file, flags) => fs.openSync(file, flags),
  read: (fd, buf) => fs.readSync(fd, buf, 0, buf.length, null),
  write: (fd, data, offset) => fs.writeSync(fd, data, offset),
  close: (fd) => fs.closeSync(fd),

  kill: (pid, signal) => {
    process.kill(pid, signal);
  },
  procStat: readProcStat,
  isSameLiveProcess,
  sleep: sleepMs,

  cgroupFor: (o) => cgroupManagerFor(o),
  cgroupOf: (recorded) => recorded.driver === 'systemd'
    ? systemdDriver().systemdManagerFromRecord(recorded.paths, recorded.created, recorded.unit)
    : cgroupManagerFromPaths(recorded.driver, recorded.paths, recorded.created),
};

export type SystemdDriver = typeof import('../linux/cgroups/systemd/driver');
let driver: SystemdDriver | undefined;
let loadDriver = (): SystemdDriver => require('../linux/cgroups/systemd/driver') as SystemdDriver;

/** How the driver's dist file is loaded (main: with its code cache). */
export function loadSystemdDriverWith(load: () => SystemdDriver): void {
  loadDriver = load;
}

/** The systemd cgroup driver is a dist file of its own (scripts/build.mjs), loaded only where it is used. */
export const systemdDriver = (): SystemdDriver => (driver ??= loadDriver());

/** `host` with the systemd cgroup driver for new containers (--systemd-cgroup); existing ones keep the driver their record names. */
export function withSystemdCgroups(host: Host): Host {
  return { ...host, cgroupFor: (o) => systemdDriver().systemdManagerFor(o) };
}

