// Lazy access to the native addon (native/addon/addon.cc) and the path of the helper executable.

import * as fs from 'node:fs';
import * as path from 'node:path';

export interface WaitStatus {
  /** Set when the process exited normally. */
  exitCode: number | null;
  /** Set when a signal killed the process. */
  signal: number | null;
}

/** Failures throw (or reject with) an Error whose `.code` is the errno name and `.errno` its number. */
/** A connection a warm worker took, with the request its front sent first (acceptRequest). */
export interface AcceptedRequest {
  conn: number;
  pid: number;
  uid: number;
  /** The request's bytes after their length. */
  body: Buffer;
  fds: number[];
}

export interface NativeAddon {
  /** pidfd_open(pid, 0); the fd is close-on-exec. */
  pidfdOpen(pid: number): number;
  /** pidfd_send_signal; ESRCH once the process is gone. */
  pidfdSendSignal(pidfd: number, signal: number): void;
  /** poll() for POLLIN: for a pidfd, true once the process has exited; false when `timeoutMs` passed first (negative: no timeout). */
  waitReadable(fd: number, timeoutMs: number): boolean;
  /** Reaps any child (also one created with CLONE_PARENT) on the thread pool. */
  waitpid(pid: number): Promise<WaitStatus>;
  /** Blocking waitpid, for a child that is about to exit. */
  waitpidSync(pid: number): WaitStatus;
  /**
   * posix_spawn of path with argv, fds below syncFd inherited, one end of a new socketpair at syncFd,
   * every signal at its default and none blocked. `fd` is our end (close-on-exec).
   */
  spawnHelper(path: string, argv: string[], syncFd: number): { pid: number; fd: number };
  /** Blocking flock(LOCK_EX or LOCK_SH). */
  flock(fd: number, exclusive: boolean): void;
  /** umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW): the topmost mount at path, with everything below it. */
  detachMount(path: string): void;
  /** mkfifo with exactly `mode`: the umask does not apply. */
  mkfifo(path: string, mode: number): void;
  /** prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants are reparented to this process. */
  setChildSubreaper(): void;
  /** An AF_UNIX SOCK_STREAM socket bound to `path` and listening (close-on-exec): a console socket. */
  /** socket(AF_UNIX, SOCK_STREAM) bound to path and listening with the backlog: its fd. */
  listenUnix(path: string, backlog: number): number;
  /**
   * Waits for the next connection (close-on-exec) and reads the message its peer sends first: a
   * little-endian u32 length, then that many bytes (at most maxBytes), with the SCM_RIGHTS fds
   * (close-on-exec) that come with them. pid and uid are SO_PEERCRED's (pid 0: a peer in a pid
   * namespace this one cannot see). A connection whose message does not come whole is closed, with
   * what came with it, and the call throws.
   */
  acceptRequest(listenFd: number, maxBytes: number): AcceptedRequest;
  /**
   * One text of what a process is allowed and sees, equal for two processes exactly when they have the
   * same: the lines of <proc>/status named in `fields`, its LSM label (<proc>/attr/current) and the
   * target of <proc>/ns/<type> for each of `namespaces` ("-" where there is none to read); null when
   * <proc>/status cannot be read. Lines are "<name>:\t<value>" ("LSM label", "ns <type>").
   */
  processIdentity(proc: string, fields: string[], namespaces: string[]): string | null;
  /**
   * Until outliveThePeer: this process kills itself (SIGKILL) the moment the peer of the connected socket
   * fd closes it. The notice is written to its fd if outliveThePeer has not come within its afterMs.
   */
  dieWithPeer(fd: number, notice?: { fd: number; afterMs: number; text: string }): void;
  /** Ends dieWithPeer; true when its notice was written. */
  outliveThePeer(): boolean;
  /** A close-on-exec copy of fd, numbered 10 or above. */
  dup(fd: number): number;
  /** dup2(from, to). */
  dup2(from: number, to: number): void;
  /**
   * Accepts one connection on a listening socket (at most `timeoutMs`; negative: no limit; ETIMEDOUT
   * after) and receives one message: a non-empty name and exactly one fd by SCM_RIGHTS (EBADMSG
   * otherwise). The fd is close-on-exec.
   */
  receiveFd(listenFd: number, timeoutMs: number): { fd: number; name: string };
  /** pidfd_getfd(pidfd, targetFd, 0): a copy (close-on-exec) of the process's fd targetFd. */
  pidfdGetFd(pidfd: number, targetFd: number): number;
  /**
   * Connects to the AF_UNIX stream socket at `path` ('@name': an abstract one), sends `data` with `fd`
   * (SCM_RIGHTS) in one sendmsg and closes the connection; the connect and the send each give up after
   * `timeoutMs` (ETIMEDOUT). The Error's `syscall` says which step failed.
   */
  sendFd(path: string, data: string, fd: number, timeoutMs: number): void;
  /** ioctl(TIOCSWINSZ). */
  setWinsize(fd: number, rows: number, cols: number): void;
  /** ioctl(TIOCGWINSZ) (ENOTTY: not a terminal). */
  getWinsize(fd: number): { rows: number; cols: number };
  /** strerror(errno) and strerrorname_np(errno) ("" when it has none). */
  strerror(errno: number): { message: string; name: string };
  /** seccomp_arch_resolve_name: a libseccomp architecture name's token, 0 when unknown; without a name, the native one's. */
  seccompArch(name?: string): number;
  /** seccomp_syscall_resolve_name_arch for each name (negative: libseccomp's pseudo number for a call the architecture lacks); null when unknown. */
  seccompSyscallNumbers(arch: number, names: string[]): (number | null)[];
  /** seccomp_syscall_resolve_num_arch for each number; null when it names no system call. */
  seccompSyscallNames(arch: number, numbers: number[]): (string | null)[];
  /** The installed libseccomp's version, "2.5.4". */
  seccompVersion(): string;
}

/**
 * The bpf(2) commands of the cgroup v2 device program. Not part of the Host seam (runtime/host.ts): only
 * the cgroup manager uses them, and the Host hands out cgroup managers whole.
 */
export interface BpfCalls {
  /**
   * bpf(BPF_PROG_LOAD) of `insns` (struct bpf_insn, 8 bytes each): the program's fd (close-on-exec).
   * Retried once with RLIMIT_MEMLOCK's soft limit at its hard one after EPERM (kernels before 5.11
   * charge programs to it); a failure's Error has `.log`, the verifier's log ("" when it gave none).
   */
  bpfProgLoad(type: number, insns: Uint8Array, license: string): number;
  /** bpf(BPF_PROG_ATTACH). */
  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags: number): void;
  /** bpf(BPF_PROG_DETACH). */
  bpfProgDetach(targetFd: number, progFd: number, attachType: number): void;
  /** bpf(BPF_PROG_QUERY): the ids of the programs of `attachType` attached to the target itself. */
  bpfProgQuery(targetFd: number, attachType: number): number[];
  /** bpf(BPF_PROG_GET_FD_BY_ID): an fd of the program (close-on-exec). */
  bpfProgGetFdById(id: number): number;
}

let root: string | undefined;
let addon: (NativeAddon & BpfCalls) | undefined;

/** The directory of tsrunc's package.json, from src/linux (tests) as well as from a dist file in dist/. */
export function packageRoot(): string {
  if (root !== undefined) return root;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'tsrunc') return (root = dir);
    } catch {
      // no (readable) package.json here: keep walking up
    }
    if (path.dirname(dir) === dir) throw new Error(`tsrunc package root not found above ${__dirname}`);
  }
}

export function helperPath(): string {
  return path.join(packageRoot(), 'build', 'Release', 'tsrunc-init');
}

export function native(): NativeAddon & BpfCalls {
  if (addon === undefined) {
    // process.dlopen rather than require: the addon is not a module to resolve or cache, and
    // require's resolution costs ~0.7 ms of every start that needs a syscall from it.
    const mod = { exports: {} as NativeAddon & BpfCalls };
    process.dlopen(mod, path.join(packageRoot(), 'build', 'Release', 'tsrunc_native.node'));
    addon = mod.exports;
  }
  return addon;
}
