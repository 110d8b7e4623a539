// Drives the real tsrunc-init with real plans (needs root), and exercises the native addon.
import { type ChildProcess, execFileSync, execSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { helperPath, native, packageRoot } from '../../src/linux/native';
import { encodeHead, encodePlan, type ContainerOpName, type HostOpName, type OpOf, type Plan } from '../../src/linux/plan';
import { encodeSeccomp, translateSeccomp } from '../../src/linux/seccomp';

const CLONE_NEWNS = 0x00020000;
const CLONE_NEWUTS = 0x04000000;
const CLONE_NEWIPC = 0x08000000;
const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWPID = 0x20000000;
const CLONE_NEWNET = 0x40000000;
const CLONE_PARENT = 0x00008000;
const SIGCHLD = 17;

const MS_RDONLY = 0x1;
const MS_NOSUID = 0x2;
const MS_NODEV = 0x4;
const MS_NOEXEC = 0x8;
const MS_BIND = 0x1000;
const MS_REC = 0x4000;
const MS_PRIVATE = 0x40000;
const MS_STRICTATIME = 0x1000000;

const S_IFCHR = 0o020000;
const ENOENT = 2;
const ENODEV = 19;

const TIMEOUT = 20_000;

const flags = (...f: number[]) => String(f.reduce((a, b) => a | b, 0) >>> 0);
// Raw ops, any arguments: these tests talk to the helper's wire format directly.
const host = (op: HostOpName, ...args: string[]) => ({ op, args }) as OpOf<HostOpName>;
const ctr = (op: ContainerOpName, ...args: string[]) => ({ op, args }) as OpOf<ContainerOpName>;
const exec = (argv: string[], env: string[] = ['PATH=/bin:/usr/bin']) =>
  ctr('exec', String(argv.length), ...argv, ...env);

// ---- bookkeeping, so every test cleans up even when it fails ----

/** seccomp items take numbers: a system call's on this machine, actions as SCMP_ACT_* (docs/plan-format.md). */
const nr = (name: string) => native().seccompSyscallNumbers(native().seccompArch(), [name])[0]!;
const SCMP_ALLOW = 0x7fff0000;
const SCMP_ERRNO = (e: number) => 0x50000 + e;

const tempDirs: string[] = [];
const allTempDirs: string[] = [];
const helpers: ChildProcess[] = [];
const containers = new Set<number>(); // pids not yet reaped
const fifos: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-test-native-'));
  // mkdtemp makes it 0700; a container root in a user namespace must be able to traverse it.
  fs.chmodSync(dir, 0o755);
  tempDirs.push(dir);
  allTempDirs.push(dir);
  return dir;
}

async function reap(pid: number) {
  const status = await withTimeout(native().waitpid(pid), 10_000, `waitpid(${pid})`);
  containers.delete(pid);
  return status;
}

afterEach(async () => {
  for (const fifo of fifos.splice(0)) {
    // Unblock a reader left waiting on the FIFO (ENXIO when there is none).
    try {
      fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    } catch {
      /* no reader */
    }
  }
  for (const child of helpers.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pid of [...containers]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone (but maybe not reaped) */
    }
    await reap(pid).catch(() => containers.delete(pid));
  }
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

afterAll(() => {
  // Every mount was made in a mount namespace that died with its container.
  const mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  for (const dir of allTempDirs) expect(mountinfo).not.toContain(dir);
});

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---- running the helper ----

class Lines {
  readonly seen: string[] = [];
  private buf = '';
  private queue: string[] = [];
  private waiters: ((line: string | null) => void)[] = [];
  private ended = false;

  constructor(stream: Readable) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buf += chunk;
      let nl;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.seen.push(line);
        const waiter = this.waiters.shift();
        if (waiter) waiter(line);
        else this.queue.push(line);
      }
    });
    const end = () => {
      this.ended = true;
      for (const waiter of this.waiters.splice(0)) waiter(null);
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  }

  /** The next line, or null at EOF. */
  next(): Promise<string | null> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift()!);
    if (this.ended) return Promise.resolve(null);
    return withTimeout(new Promise((resolve) => this.waiters.push(resolve)), 10_000, 'a sync line');
  }

  /** Reads the next line and checks it, with whatever came instead in the failure message. */
  async expect(pattern: RegExp): Promise<RegExpMatchArray> {
    const line = await this.next();
    const match = line?.match(pattern);
    if (!match) throw new Error(`expected ${pattern} on the sync fd, got ${JSON.stringify(line)}`);
    return match;
  }
}

function collect(stream: Readable): Promise<string> {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (text += chunk));
  return new Promise((resolve) => stream.on('close', () => resolve(text)));
}

interface Run {
  child: ChildProcess;
  sync: Lines;
  /** Everything P and C (and what C executes) wrote; resolves once all of them closed it. */
  stdout: Promise<string>;
  stderr: Promise<string>;
  /** P's exit code. */
  exit: Promise<number | null>;
}

/** `preserved` become fds 3, 4, … (as --preserve-fds), the sync fd comes after them, `extraStdio` after it. */
function run(plan: Plan | Buffer, extraStdio: number[] = [], env?: NodeJS.ProcessEnv, preserved: number[] = []): Run {
  const syncFd = 3 + preserved.length;
  const child = spawn(helperPath(), [String(syncFd)], {
    stdio: ['inherit', 'pipe', 'pipe', ...preserved, 'pipe', ...extraStdio], ...(env ? { env } : {}),
  });
  helpers.push(child);
  const syncfd = child.stdio[syncFd] as Socket;
  syncfd.on('error', () => {});
  syncfd.write(Buffer.isBuffer(plan) ? plan : encodePlan(plan));
  return {
    child,
    sync: new Lines(syncfd),
    stdout: collect(child.stdout!),
    stderr: collect(child.stderr!),
    exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
}

async function containerPid(r: Run): Promise<number> {
  const pid = Number((await r.sync.expect(/^pid (\d+)$/))[1]);
  containers.add(pid);
  return pid;
}

// ---- fixtures ----

const APPLETS = ['sh', 'cat', 'ls', 'id', 'hostname', 'true', 'echo', 'readlink', 'grep', 'tr', 'sleep', 'stat'];

function makeRootfs(dir: string): string {
  const rootfs = path.join(dir, 'rootfs');
  fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  fs.chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  for (const applet of APPLETS) fs.symlinkSync('busybox', path.join(rootfs, 'bin', applet));
  fs.writeFileSync(path.join(rootfs, 'secret.txt'), 'SECRET\n');
  fs.mkdirSync(path.join(rootfs, 'secretdir'));
  fs.writeFileSync(path.join(rootfs, 'secretdir', 'inside'), 'x');
  return rootfs;
}

function makeStateDir(dir: string): { state: string; fifo: string } {
  const state = path.join(dir, 'state');
  fs.mkdirSync(state, { mode: 0o755 });
  const fifo = path.join(state, 'exec.fifo');
  // 0622 like runc: the container process may already run as a non-root user when it opens it.
  execSync(`mkfifo -m 0622 ${fifo}`);
  fifos.push(fifo);
  return { state, fifo };
}

/** Plays `tsrunc start`: opening exec.fifo for reading lets C past `wait-start`. */
async function startContainer(fifo: string) {
  expect(await withTimeout(fs.promises.readFile(fifo, 'utf8'), 10_000, 'exec.fifo')).toBe('0');
}

interface MountInfo {
  mountPoint: string;
  options: string[];
  fstype: string;
}

function parseMountinfo(text: string): MountInfo[] {
  return text
    .split('\n')
    .filter((line) => / - /.test(line))
    .map((line) => {
      const [left, right] = line.split(' - ');
      const fields = left.split(' ');
      return { mountPoint: fields[4], options: fields[5].split(','), fstype: right.split(' ')[0] };
    });
}

/** The root-change part of a container plan, shared by the tests that pivot into the busybox rootfs. */
function enterRootfs(rootfs: string, devices: OpOf<ContainerOpName>[]): OpOf<ContainerOpName>[] {
  return [
    ctr('mount', '', '/', '', flags(MS_REC, MS_PRIVATE), ''),
    ctr('mount', rootfs, rootfs, '', flags(MS_BIND, MS_REC), ''),
    ctr('mount-in-root', rootfs, 'proc', '/proc', 'proc', flags(MS_NOSUID, MS_NODEV, MS_NOEXEC), '', 'dir', '0', '0'),
    ctr('mount-in-root', rootfs, 'tmpfs', '/dev', 'tmpfs', flags(MS_NOSUID, MS_STRICTATIME), 'mode=755', 'dir', '0', '0'),
    ...devices,
    ctr('symlink-in-root', rootfs, '/proc/self/fd', '/dev/fd'),
    ctr('pivot-root', rootfs),
  ];
}

/** The cgroup2 mount: /sys/fs/cgroup on a v2 host, /sys/fs/cgroup/unified on a hybrid one. */
function cgroup2Mount(): string | undefined {
  return ['/sys/fs/cgroup', '/sys/fs/cgroup/unified'].find((m) => fs.existsSync(path.join(m, 'cgroup.controllers')));
}

/** A new cgroup for a test (in `base`; by default the pids hierarchy of cgroup v1, or cgroup v2); the caller removes it. */
function testCgroup(name: string, base = fs.existsSync('/sys/fs/cgroup/cgroup.controllers') ? '/sys/fs/cgroup' : '/sys/fs/cgroup/pids'): string {
  const dir = path.join(base, `tsrunc-test-${name}-${process.pid}`);
  fs.mkdirSync(dir);
  return dir;
}

const procsOf = (cgroup: string) => fs.readFileSync(path.join(cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);

// ---- the helper ----

describe('tsrunc-init', () => {
  it('runs a full container plan', { timeout: TIMEOUT }, async () => {
    const dir = tempDir();
    const rootfs = makeRootfs(dir);
    const { fifo } = makeStateDir(dir);
    // An fd the engine forgot to mark close-on-exec: `cloexec-from 4` must keep it out of the container.
    const leak = fs.openSync(path.join(dir, 'leak'), 'w');
    const procMasks = ['/proc/kcore', '/proc/keys', '/proc/acpi'];
    const script = [
      'echo hostname=$(hostname)',
      'echo pid=$$',
      'echo uid=$(id -u)',
      'echo "secret=[$(cat /secret.txt)]"',
      'echo "secretdir=[$(ls /secretdir)]"',
      'echo devfd=$(readlink /dev/fd)',
      'echo null=$(stat -c %F:%a:%t,%T /dev/null)',
      'echo fds=$(ls /proc/self/fd | tr "\\n" " ")',
      'cat /proc/self/mountinfo',
    ].join('; ');
    const plan: Plan = {
      host: [
        host('cloexec-from', '4'),
        host(
          'clone',
          flags(CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET, CLONE_PARENT, SIGCHLD),
        ),
        host('report-pid'),
        host('release'),
      ],
      container: [
        ctr('wait-release'),
        ctr('setsid'),
        ctr('open-exec-fifo', fifo),
        ctr('sethostname', 'tsrunc-test'),
        ...enterRootfs(rootfs, [
          ctr('mknod-in-root', rootfs, '/dev/null', String(S_IFCHR | 0o666), '1', '3', '0', '0'),
          ctr('mount-in-root', rootfs, 'tmpfs', '/mnt/ro', 'tmpfs', '0', '', 'dir', String(MS_RDONLY), String(MS_PRIVATE)),
        ]),
        ctr('mask', '/secret.txt'),
        ctr('mask', '/secretdir'),
        ...procMasks.map((p) => ctr('mask', p)),
        ctr('readonly', '/proc/sys'),
        ctr('chdir', '/'),
        ctr('find-exec', '/usr/bin/sh', '/bin/sh'),
        ctr('ready'),
        ctr('wait-start'),
        exec(['sh', '-c', script]),
      ],
    };
    let r: Run;
    try {
      r = run(plan, [leak]);
    } finally {
      fs.closeSync(leak);
    }
    const pid = await containerPid(r);
    await r.sync.expect(/^ready$/);
    expect(await r.exit).toBe(0);
    expect(await r.sync.next()).toBeNull(); // P exited, C closed the sync fd at `ready`

    await startContainer(fifo);
    const out = await withTimeout(r.stdout, 10_000, 'container output');
    expect(await reap(pid)).toEqual({ exitCode: 0, signal: null });

    expect(out).toContain('hostname=tsrunc-test\n');
    expect(out).toContain('pid=1\n');
    expect(out).toContain('uid=0\n');
    expect(out).toContain('secret=[]\n');
    expect(out).toContain('secretdir=[]\n');
    expect(out).toContain('devfd=/proc/self/fd\n');
    expect(out).toContain('null=character special file:666:1,3\n'); // mode exact despite the umask
    const fds = out.match(/^fds=(.*)$/m)![1].trim().split(' ');
    expect(fds.every((fd) => Number(fd) <= 3)).toBe(true); // 0-2 and ls's own directory fd

    const mounts = parseMountinfo(out);
    const at = (mountPoint: string) => mounts.filter((m) => m.mountPoint === mountPoint);
    expect(at('/proc').map((m) => m.fstype)).toEqual(['proc']);
    expect(at('/proc')[0].options).toEqual(expect.arrayContaining(['nosuid', 'nodev', 'noexec']));
    expect(at('/proc/sys').at(-1)!.options).toContain('ro');
    expect(at('/dev')[0].fstype).toBe('tmpfs');
    expect(at('/mnt/ro')[0].options).toContain('ro');
    expect(at('/secret.txt')).toHaveLength(1);
    expect(at('/secretdir')[0]).toMatchObject({ fstype: 'tmpfs', options: expect.arrayContaining(['ro']) });
    for (const p of procMasks) expect(at(p)).toHaveLength(fs.existsSync(p) ? 1 : 0);
    expect(mounts.some((m) => m.mountPoint.includes(dir))).toBe(false); // the old root is gone
    expect(await r.stderr).toBe('');
  });

  it('maps a user namespace and becomes root in it', { timeout: TIMEOUT }, async () => {
    const dir = tempDir();
    const rootfs = makeRootfs(dir);
    // Owned by the host's root, the rootfs is read-only to the container's root: mount points must exist.
    for (const d of ['proc', 'dev']) fs.mkdirSync(path.join(rootfs, d));
    const { fifo } = makeStateDir(dir);
    const plan: Plan = {
      host: [
        host('cloexec-from', '4'),
        host('clone', flags(CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS, CLONE_PARENT, SIGCHLD)),
        host('report-pid'),
        host('uid-map', '0 100000 65536'),
        host('gid-map', '0 100000 65536'),
        host('release'),
      ],
      container: [
        ctr('wait-release'),
        ctr('become-root'),
        ctr('setsid'),
        ctr('open-exec-fifo', fifo),
        ctr('sethostname', 'userns'),
        // No mknod in a user namespace: bind the host's device instead (and test create=file).
        ...enterRootfs(rootfs, [
          ctr('mount-in-root', rootfs, '/dev/null', '/dev/null', '', flags(MS_BIND), '', 'file', '0', '0'),
        ]),
        ctr('readonly', '/proc/sys'),
        ctr('find-exec', '/bin/sh'),
        ctr('ready'),
        ctr('wait-start'),
        exec(['sh', '-c', 'echo uid=$(id -u) gid=$(id -g); cat /proc/self/uid_map; echo null=$(cat /dev/null)']),
      ],
    };
    const r = run(plan);
    const pid = await containerPid(r);
    await r.sync.expect(/^ready$/);
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(status).toMatch(/^Uid:\s+100000\s+100000\s+100000\s+100000$/m);
    expect(status).toMatch(/^Gid:\s+100000\s+100000\s+100000\s+100000$/m);

    await startContainer(fifo);
    const out = await withTimeout(r.stdout, 10_000, 'container output');
    expect(await reap(pid)).toEqual({ exitCode: 0, signal: null });
    expect(out).toContain('uid=0 gid=0\n');
    expect(out).toMatch(/^\s*0\s+100000\s+65536$/m);
    expect(out).toContain('null=\n');
  });

  it('sets credentials, capabilities, rlimits and the umask', { timeout: TIMEOUT }, async () => {
    const lastCap = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
    const keep = [0, 5, 10]; // CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE
    const drop = Array.from({ length: lastCap + 1 }, (_, i) => i).filter((c) => !keep.includes(c));
    const plan: Plan = {
      host: [host('cloexec-from', '4'), host('clone', flags(CLONE_PARENT, SIGCHLD)), host('report-pid'), host('release')],
      container: [
        ctr('wait-release'),
        ctr('rlimit', '7', '1000', '1001'), // RLIMIT_NOFILE
        ctr('umask', String(0o027)),
        ctr('keep-caps'),
        ctr('drop-bounding', ...drop.map(String)),
        ctr('setgroups-list', '1001', '1002'),
        ctr('setresgid', '1000'),
        ctr('setresuid', '1000'),
        ctr('capset', '0x421', '0x421', '0x421'),
        ctr('ambient', '5', '10'),
        ctr('no-new-privs'),
        ctr('find-exec', '/bin/sh'),
        exec(['sh', '-c', 'grep -E "^(Uid|Gid|Groups|Cap...|NoNewPrivs):" /proc/self/status; ulimit -n; ulimit -Hn; umask']),
      ],
    };
    const r = run(plan);
    const pid = await containerPid(r);
    const out = await withTimeout(r.stdout, 10_000, 'container output');
    expect(await reap(pid)).toEqual({ exitCode: 0, signal: null });
    expect(out).toMatch(/^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
    expect(out).toMatch(/^Gid:\s+1000\s+1000\s+1000\s+1000$/m);
    expect(out).toMatch(/^Groups:\s+1001 1002\s*$/m);
    expect(out).toMatch(/^CapInh:\s+0000000000000421$/m);
    expect(out).toMatch(/^CapPrm:\s+0000000000000420$/m);
    expect(out).toMatch(/^CapEff:\s+0000000000000420$/m);
    expect(out).toMatch(/^CapBnd:\s+0000000000000421$/m);
    expect(out).toMatch(/^CapAmb:\s+0000000000000420$/m);
    expect(out).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(out).toMatch(/^1000\n1001\n0027$/m);
  });

  it('runs from a sealed memfd that cannot be written', { timeout: TIMEOUT }, async () => {
    const dir = tempDir();
    const { fifo } = makeStateDir(dir);
    const plan: Plan = {
      host: [host('cloexec-from', '4'), host('clone', flags(CLONE_NEWPID, CLONE_PARENT, SIGCHLD)), host('report-pid'), host('release')],
      container: [ctr('wait-release'), ctr('open-exec-fifo', fifo), ctr('ready'), ctr('wait-start'), ctr('find-exec', '/bin/true'), exec(['true'])],
    };
    const r = run(plan);
    const pid = await containerPid(r);
    await r.sync.expect(/^ready$/);
    expect(fs.readlinkSync(`/proc/${pid}/exe`)).toContain('memfd:');
    expect(() => fs.openSync(`/proc/${pid}/exe`, 'r+')).toThrow();
    expect(() => fs.openSync(`/proc/${pid}/exe`, fs.constants.O_WRONLY)).toThrow();
    await startContainer(fifo);
    expect(await reap(pid)).toEqual({ exitCode: 0, signal: null });
  });

  it('reports a failing container op by its index and exits 1', { timeout: TIMEOUT }, async () => {
    const dir = tempDir();
    const rootfs = makeRootfs(dir);
    const plan: Plan = {
      host: [host('cloexec-from', '4'), host('clone', flags(CLONE_NEWNS, CLONE_NEWPID, CLONE_PARENT, SIGCHLD)), host('report-pid'), host('release')],
      container: [
        ctr('wait-release'),
        ctr('mount', '', '/', '', flags(MS_REC, MS_PRIVATE), ''),
        ctr('mount-in-root', rootfs, 'none', '/mnt', 'bogusfs', '0', '', 'dir', '0', '0'),
        ctr('find-exec', '/bin/true'),
        exec(['true']),
      ],
    };
    const r = run(plan);
    const pid = await containerPid(r);
    const [, index, errno, text] = await r.sync.expect(/^error (-?\d+) (\d+) (.*)$/);
    expect(Number(index)).toBe(plan.host.length + 2);
    expect(Number(errno)).toBe(ENODEV);
    expect(text).toContain('bogusfs');
    expect(await reap(pid)).toEqual({ exitCode: 1, signal: null });
    expect(await r.exit).toBe(0);
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('keeps paths in root even through symlinks that point out of it', { timeout: TIMEOUT }, async () => {
    const dir = tempDir();
    const rootfs = makeRootfs(dir);
    const name = path.basename(dir) + '-escape';
    fs.symlinkSync('../../../../../../..', path.join(rootfs, 'up'));
    fs.symlinkSync('/', path.join(rootfs, 'abs'));
    fs.symlinkSync('/proc/self/root', path.join(rootfs, 'magic'));
    const plan: Plan = {
      host: [host('clone', flags(CLONE_NEWNS, CLONE_NEWPID, CLONE_PARENT, SIGCHLD)), host('report-pid'), host('release')],
      container: [
        ctr('wait-release'),
        ctr('mount', '', '/', '', flags(MS_REC, MS_PRIVATE), ''),
        ctr('mount-in-root', rootfs, 'proc', '/proc', 'proc', '0', '', 'dir', '0', '0'),
        ctr('mount-in-root', rootfs, 'tmpfs', `/up/${name}/a`, 'tmpfs', '0', '', 'dir', '0', '0'),
        ctr('mknod-in-root', rootfs, `/abs/${name}/b/fifo`, String(0o010644), '0', '0', '0', '0'),
        ctr('symlink-in-root', rootfs, 'target', `/up/abs/${name}/link`),
        ctr('mount-in-root', rootfs, 'tmpfs', '/magic/x', 'tmpfs', '0', '', 'dir', '0', '0'),
      ],
    };
    const r = run(plan);
    const pid = await containerPid(r);
    const [, index, errno, text] = await r.sync.expect(/^error (-?\d+) (\d+) (.*)$/);
    // The magic link /proc/self/root (through the rootfs' own proc) is refused with ELOOP.
    expect([Number(index), Number(errno)]).toEqual([plan.host.length + 6, 40]);
    expect(text).toContain('magic');
    expect(await reap(pid)).toEqual({ exitCode: 1, signal: null });
    expect(fs.existsSync(path.join(rootfs, name, 'a'))).toBe(true);
    expect(fs.statSync(path.join(rootfs, name, 'b', 'fifo')).isFIFO()).toBe(true);
    expect(fs.readlinkSync(path.join(rootfs, name, 'link'))).toBe('target');
    for (const outside of [path.join('/', name), path.join(dir, name), path.join(os.tmpdir(), name)]) {
      expect(fs.existsSync(outside)).toBe(false);
    }
  });

  it('mounts an ordinary-dir destination only on a directory: a symlink there is refused, not followed', { timeout: TIMEOUT }, async () => {
    const dir = tempDir();
    const rootfs = makeRootfs(dir);
    fs.mkdirSync(path.join(rootfs, 'elsewhere'));
    fs.symlinkSync('elsewhere', path.join(rootfs, 'linked'));
    const plan: Plan = {
      host: [host('clone', flags(CLONE_NEWNS, CLONE_NEWPID, CLONE_PARENT, SIGCHLD)), host('report-pid'), host('release')],
      container: [
        ctr('wait-release'),
        ctr('mount', '', '/', '', flags(MS_REC, MS_PRIVATE), ''),
        ctr('mount-in-root', rootfs, 'proc', '/made', 'proc', '0', '', 'ordinary-dir', '0', '0'),
        ctr('mount-in-root', rootfs, 'proc', '/linked', 'proc', '0', '', 'ordinary-dir', '0', '0'),
      ],
    };
    const r = run(plan);
    const pid = await containerPid(r);
    const [, index, errno, text] = await r.sync.expect(/^error (-?\d+) (\d+) (.*)$/);
    expect([Number(index), Number(errno), text]).toEqual([plan.host.length + 3, 0, 'not-ordinary-dir']);
    expect(await reap(pid)).toEqual({ exitCode: 1, signal: null });
    // The missing one was made a directory; the link is still a link, and nothing was made where it points.
    expect(fs.statSync(path.join(rootfs, 'made')).isDirectory()).toBe(true);
    expect(fs.lstatSync(path.join(rootfs, 'linked')).isSymbolicLink()).toBe(true);
    expect(fs.readdirSync(path.join(rootfs, 'elsewhere'))).toEqual([]);
  });

  it('exits 1 in wait-release when P exits without releasing', { timeout: TIMEOUT }, async () => {
    const plan: Plan = {
      host: [host('clone', flags(CLONE_PARENT, SIGCHLD)), host('report-pid')],
      container: [ctr('wait-release'), ctr('find-exec', '/bin/true'), exec(['true'])],
    };
    const r = run(plan);
    const pid = await containerPid(r);
    await r.sync.expect(/^error 2 0 /);
    expect(await r.exit).toBe(0);
    expect(await reap(pid)).toEqual({ exitCode: 1, signal: null });
  });

  it('reports a missing program with ENOENT', { timeout: TIMEOUT }, async () => {
    const plan: Plan = {
      host: [host('clone', flags(CLONE_PARENT, SIGCHLD)), host('report-pid'), host('release')],
      container: [ctr('wait-release'), ctr('find-exec', '/nonexistent/a', '/nonexistent/b'), exec(['a'])],
    };
    const r = run(plan);
    const pid = await containerPid(r);
    const [, index, errno] = await r.sync.expect(/^error (-?\d+) (\d+) (.*)$/);
    expect([Number(index), Number(errno)]).toEqual([plan.host.length + 1, ENOENT]);
    expect(await reap(pid)).toEqual({ exitCode: 1, signal: null });
  });

  it('kills the container when P fails after clone', { timeout: TIMEOUT }, async () => {
    const plan: Plan = {
      host: [
        host('clone', flags(CLONE_NEWUSER, CLONE_PARENT, SIGCHLD)),
        host('report-pid'),
        host('uid-map', 'not a map'),
        host('release'),
      ],
      container: [ctr('wait-release'), ctr('find-exec', '/bin/true'), exec(['true'])],
    };
    const r = run(plan);
    const pid = await containerPid(r);
    const [, index, errno, text] = await r.sync.expect(/^error (-?\d+) (\d+) (.*)$/);
    expect(Number(index)).toBe(2);
    expect(Number(errno)).toBeGreaterThan(0);
    expect(text).toContain('uid_map');
    expect(await r.exit).toBe(1);
    expect(await reap(pid)).toEqual({ exitCode: null, signal: 9 });
  });

  it('runs a head (cgroup joins) at once, then the rest of the plan when it comes', { timeout: TIMEOUT }, async () => {
    const cgroup = testCgroup('head');
    try {
      const dir = tempDir();
      const dump = path.join(dir, 'plan.dump');
      const head = [host('cloexec-from', '4'), host('join-cgroup', path.join(cgroup, 'cgroup.procs'))];
      const plan: Plan = {
        host: [...head, host('clone', flags(CLONE_PARENT, SIGCHLD)), host('report-pid'), host('release')],
        container: [ctr('wait-release'), ctr('find-exec', '/bin/true'), ctr('ready'), exec(['true'])],
      };
      const r = run(encodeHead(head), [], { ...process.env, TSRUNC_INIT_PLAN_DUMP: dump });
      // The helper joins before it has the rest of its plan.
      const deadline = Date.now() + 10_000;
      while (!procsOf(cgroup).includes(r.child.pid!) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
      expect(procsOf(cgroup)).toEqual([r.child.pid]);
      (r.child.stdio[3] as Socket).write(encodePlan(plan, head.length));
      const pid = await containerPid(r);
      await r.sync.expect(/^ready$/);
      expect(await r.exit).toBe(0);
      expect(await reap(pid)).toEqual({ exitCode: 0, signal: null });
      // Op indexes and the dump run across both parts, as if the plan had come whole.
      expect(fs.readFileSync(dump)).toEqual(encodePlan(plan).subarray(4));
    } finally {
      fs.rmdirSync(cgroup);
    }
  });

  it.skipIf(cgroup2Mount() === undefined)('clones C into the cgroup2 directory of open-cgroup (clone3 CLONE_INTO_CGROUP); P never joins it', { timeout: TIMEOUT }, async () => {
    const cgroup = testCgroup('into', cgroup2Mount());
    try {
      const head = [host('cloexec-from', '4'), host('open-cgroup', cgroup)];
      const plan: Plan = {
        host: [...head, host('clone', flags(CLONE_PARENT, SIGCHLD)), host('report-pid'), host('release')],
        container: [ctr('wait-release'), ctr('find-exec', '/bin/cat'), ctr('ready'), exec(['cat', '/proc/self/cgroup'])],
      };
      const r = run(encodeHead(head));
      await new Promise((res) => setTimeout(res, 100));
      expect(procsOf(cgroup)).toEqual([]);
      (r.child.stdio[3] as Socket).write(encodePlan(plan, head.length));
      const pid = await containerPid(r);
      await r.sync.expect(/^ready$/);
      expect(await r.exit).toBe(0);
      expect(await reap(pid)).toEqual({ exitCode: 0, signal: null });
      const mount = cgroup2Mount()!;
      expect(await r.stdout).toMatch(new RegExp(`^0::${cgroup.slice(mount.length)}$`, 'm'));
    } finally {
      fs.rmdirSync(cgroup);
    }
  });

  it.skipIf(cgroup2Mount() === undefined)('reports each fallback it takes: a helper under a filter that refuses clone3, TIOCGPTPEER and MFD_EXEC', { timeout: TIMEOUT }, async () => {
    const dir = tempDir();
    const cgroup = testCgroup('fallback', cgroup2Mount());
    const socketPath = path.join(dir, 'console.sock');
    const listenFd = native().listenUnix(socketPath, 4);
    try {
      // The outer helper's container process installs the filter and executes an inner helper, which
      // gets the plan under test on fd 3.
      const { filter } = translateSeccomp({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
          { names: ['ioctl'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [{ index: 1, value: 0x5441, op: 'SCMP_CMP_EQ' }] },
          { names: ['memfd_create'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [{ index: 1, value: 0x10, valueTwo: 0x10, op: 'SCMP_CMP_MASKED_EQ' }] },
        ],
      });
      const outer: Plan = {
        host: [host('clone', flags(CLONE_PARENT, SIGCHLD)), host('report-pid'), host('release')],
        container: [ctr('wait-release'), ctr('no-new-privs'), ctr('seccomp', ...encodeSeccomp(filter!).items), ctr('seccomp-load'), exec([helperPath(), '3'])],
      };
      const inner: Plan = {
        host: [host('console-connect', socketPath), host('open-cgroup', cgroup), host('clone', flags(CLONE_PARENT, SIGCHLD)), host('report-pid'), host('release')],
        container: [ctr('wait-release'), ctr('setsid'), ctr('console', '/dev/ptmx', '0', '0', '', '', 'keep'), ctr('find-exec', '/bin/true'), ctr('ready'), exec(['true'])],
      };
      const child = spawn(helperPath(), ['4'], { stdio: ['inherit', 'pipe', 'pipe', 'pipe', 'pipe'] });
      helpers.push(child);
      const [innerSync, outerSync] = [child.stdio[3] as Socket, child.stdio[4] as Socket];
      for (const [sock, plan] of [[outerSync, outer], [innerSync, inner]] as const) {
        sock.on('error', () => {});
        sock.write(encodePlan(plan));
      }
      void collect(child.stdout!);
      const stderr = collect(child.stderr!);
      const outerLines = new Lines(outerSync), innerLines = new Lines(innerSync);
      const outerC = Number((await outerLines.expect(/^pid (\d+)$/))[1]);
      containers.add(outerC);
      // Before the plan is read: index -1.
      await innerLines.expect(/^fallback -1 memfd-without-exec 22$/);
      await innerLines.expect(/^fallback 2 join-cgroup-and-clone 38$/);
      const innerC = Number((await innerLines.expect(/^pid (\d+)$/))[1]);
      containers.add(innerC);
      await innerLines.expect(/^fallback 7 pty-slave-by-path 22$/);
      await innerLines.expect(/^ready$/);
      // Kept open until C is gone: closing the master would hang its terminal up.
      const { fd: master } = native().receiveFd(listenFd, 5000);
      expect(await reap(innerC)).toEqual({ exitCode: 0, signal: null });
      fs.closeSync(master);
      expect(await reap(outerC)).toEqual({ exitCode: 0, signal: null });
      expect(await stderr).toBe('');
    } finally {
      fs.closeSync(listenFd);
      fs.rmdirSync(cgroup);
    }
  });

  it('refuses a head with ops that need the rest of the plan, a `more` in the rest, and exits on EOF after a head', { timeout: TIMEOUT }, async () => {
    const refused = run(encodeHead([host('cloexec-from', '4'), host('clone', flags(CLONE_PARENT, SIGCHLD))]));
    expect((await refused.sync.expect(/^error (-?\d+) (\d+) (.*)$/)).slice(1)).toEqual(['-1', '0', 'op 1: clone is not a head op']);
    expect(await refused.exit).toBe(1);

    const twice = run(encodeHead([host('cloexec-from', '4')]));
    (twice.child.stdio[3] as Socket).write(encodeHead([]));
    expect((await twice.sync.expect(/^error (-?\d+) (\d+) (.*)$/))[3]).toMatch(/^malformed plan: bad `more`/);
    expect(await twice.exit).toBe(1);

    const abandoned = run(encodeHead([host('cloexec-from', '4')]));
    (abandoned.child.stdio[3] as Socket).end();
    expect((await abandoned.sync.expect(/^error (-?\d+) (\d+) (.*)$/)).slice(1)).toEqual(['-1', '0', 'read the plan length from fd 3']);
    expect(await abandoned.exit).toBe(1);
  });

  it('rejects a malformed plan with index -1', { timeout: TIMEOUT }, async () => {
    const cases: Buffer[] = [
      encodePlan({ host: [host('frobnicate' as HostOpName)], container: [] }),
      encodePlan({ host: [host('clone', '1', '2')], container: [] }),
      encodePlan({ host: [], container: [ctr('exec', '5', 'a')] }),
      encodePlan({ host: [], container: [ctr('clone' as ContainerOpName, '17')] }),
      // run-hook: more arguments than there are, an env count that does not add up
      encodePlan({ host: [], container: [ctr('run-hook', 'l', '0', '{', '}', '/bin/true', '3', 'a', 'inherit')] }),
      encodePlan({ host: [], container: [ctr('run-hook', 'l', '0', '{', '}', '/bin/true', '1', 'true', '2', 'A=1')] }),
      Buffer.from([3, 0, 0, 0, 0x61, 0x62, 0x63]), // no NUL terminator
      Buffer.from([2, 0, 0, 0, 0x61, 0]), // a record without an argc
    ];
    for (const plan of cases) {
      const r = run(plan);
      const [, index, errno, text] = await r.sync.expect(/^error (-?\d+) (\d+) (.*)$/);
      expect([index, errno]).toEqual(['-1', '0']);
      expect(text.length).toBeGreaterThan(0);
      expect(await r.exit).toBe(1);
    }
  });

  it('fails on a truncated payload', { timeout: TIMEOUT }, async () => {
    const child = spawn(helperPath(), ['3'], { stdio: ['inherit', 'pipe', 'pipe', 'pipe'] });
    helpers.push(child);
    const syncfd = child.stdio[3] as Socket;
    const sync = new Lines(syncfd);
    const exit = new Promise((resolve) => child.on('exit', resolve));
    syncfd.end(Buffer.from([100, 0, 0, 0, 0x61])); // shutdown(SHUT_WR): the helper sees EOF
    expect(await sync.expect(/^error -1 0 /)).toBeTruthy();
    expect(await exit).toBe(1);
  });

  it('compiles a seccomp filter before ready and installs it at seccomp-load', { timeout: TIMEOUT }, async () => {
    const dir = tempDir();
    const script = 'grep "^Seccomp:" /proc/self/status; mkdir $0/a || echo refused; cat /proc/self/status >/dev/null && echo read';
    const plan: Plan = {
      host: [host('clone', flags(CLONE_PARENT, SIGCHLD)), host('report-pid'), host('release')],
      container: [
        ctr('wait-release'),
        ctr('no-new-privs'),
        ctr('seccomp', `default ${SCMP_ALLOW}`, `arch ${native().seccompArch('x86')}`, 'flags 2', `rule ${nr('mkdir')} ${SCMP_ERRNO(13)}`,
          `rule ${nr('mkdirat')} ${SCMP_ERRNO(13)}`, `rule ${nr('socketcall')} ${SCMP_ERRNO(1)}`, `rule ${nr('chmod')} ${SCMP_ERRNO(1)} 1 4 511 0`),
        ctr('find-exec', '/bin/busybox'),
        ctr('ready'),
        ctr('seccomp-load'),
        exec(['sh', '-c', script, dir]),
      ],
    };
    const r = run(plan);
    const pid = await containerPid(r);
    await r.sync.expect(/^ready$/);
    expect(await reap(pid)).toEqual({ exitCode: 0, signal: null });
    expect(await r.stdout).toMatch(/^Seccomp:\s+2\nrefused\nread\n$/);
    expect(await r.stderr).toContain('Permission denied');
    expect(fs.existsSync(path.join(dir, 'a'))).toBe(false);
  });

  it('reports a seccomp item libseccomp or the kernel refuses by its index, before ready', { timeout: TIMEOUT }, async () => {
    const mkdir = nr('mkdir');
    const cases: [string[], RegExp][] = [
      [[`default ${SCMP_ALLOW}`, `rule ${mkdir} 12345`], /^error 4 22 seccomp item 1: add the rule$/],
      [[`default ${SCMP_ALLOW}`, `rule ${mkdir}`], /^error 4 0 seccomp item 1: malformed$/],
      [[`default ${SCMP_ALLOW}`, 'flag 2'], /^error 4 0 seccomp item 1: unknown item "flag"$/],
      [[`rule ${mkdir} ${SCMP_ERRNO(1)}`], /^error 4 0 seccomp item 0: the first item must be "default"$/],
      [[`default ${SCMP_ALLOW}`, `rule ${mkdir} ${SCMP_ERRNO(1)} 9 4 1 0`], /^error 4 0 seccomp item 1: bad number "9"$/],
      [[`default ${SCMP_ALLOW}`, `rule ${mkdir} ${SCMP_ERRNO(1)} 0 8 1 0`], /^error 4 0 seccomp item 1: bad number "8"$/],
      [[`default ${SCMP_ALLOW}`, 'arch 12345'], /^error 4 22 seccomp item 1: add the architecture$/],
      // Meaningless without a notification listener: the kernel says EINVAL (22).
      [[`default ${SCMP_ALLOW}`, 'flags 32'], /^error 4 22 seccomp: the kernel refuses the filter flags 0x20$/],
    ];
    for (const [items, expected] of cases) {
      const plan: Plan = {
        host: [host('clone', flags(CLONE_PARENT, SIGCHLD)), host('report-pid'), host('release')],
        container: [ctr('wait-release'), ctr('seccomp', ...items), ctr('ready'), ctr('seccomp-load'), exec(['true'])],
      };
      const r = run(plan);
      const pid = await containerPid(r);
      await r.sync.expect(expected);
      expect(await reap(pid)).toEqual({ exitCode: 1, signal: null });
    }
  });

  it('reports how a run-hook hook ended as data: exited, signaled, timed out, not executed, with its output tail', { timeout: TIMEOUT }, async () => {
    const hook = (timeout: string, path: string, script: string) =>
      ctr('run-hook', 'hooks.createContainer[0]', timeout, '{"pid":', '}', path, '3', 'sh', '-c', script, 'inherit');
    const cases: [OpOf<ContainerOpName>, RegExp][] = [
      // Blanks, control characters and '%' in a field are escaped.
      [hook('0', '/bin/sh', 'echo "went\n  wrong" >&2; exit 3'), /^hook 4 exited 3 hooks\.createContainer\[0\] \/bin\/sh went%0A%20%20wrong%0A$/],
      [hook('0', '/bin/sh', 'echo bye; kill -9 $$'), /^hook 4 signaled 9 hooks\.createContainer\[0\] \/bin\/sh bye%0A$/],
      [hook('1', '/bin/sh', 'echo waiting; exec sleep 10'), /^hook 4 timed-out 1 hooks\.createContainer\[0\] \/bin\/sh waiting%0A$/],
      [hook('0', '/no/such 100%', 'true'), /^hook 4 exec-failed 2 hooks\.createContainer\[0\] \/no\/such%20100%25 $/],
    ];
    for (const [op, expected] of cases) {
      const plan: Plan = {
        host: [host('clone', flags(CLONE_PARENT, SIGCHLD)), host('report-pid'), host('release')],
        container: [ctr('wait-release'), op, ctr('ready'), exec(['true'])],
      };
      const r = run(plan);
      const pid = await containerPid(r);
      await r.sync.expect(expected);
      expect(await reap(pid)).toEqual({ exitCode: 1, signal: null });
    }
  });

  it('reports a startContainer hook failure on exec.fifo while start waits there, with whether the filter is in force', { timeout: TIMEOUT }, async () => {
    const dir = tempDir();
    const { fifo } = makeStateDir(dir);
    const plan: Plan = {
      host: [host('clone', flags(CLONE_PARENT, SIGCHLD)), host('report-pid'), host('release')],
      container: [
        ctr('wait-release'), ctr('open-exec-fifo', fifo), ctr('ready'), ctr('wait-start', 'hold'),
        ctr('run-hook', 'hooks.startContainer[0]', '0', '{"pid":', '}', '/bin/sh', '3', 'sh', '-c', 'echo no; exit 4', 'inherit'),
        ctr('report-start'), exec(['true']),
      ],
    };
    const r = run(plan);
    const pid = await containerPid(r);
    await r.sync.expect(/^ready$/);
    const read = await withTimeout(fs.promises.readFile(fifo, 'utf8'), 10_000, 'exec.fifo');
    expect(read).toBe('e0 hook 7 exited 4 hooks.startContainer[0] /bin/sh no%0A\n');
    expect(await reap(pid)).toEqual({ exitCode: 1, signal: null });
  });

  it('refuses seccomp-load without a compiled filter', { timeout: TIMEOUT }, async () => {
    const plan: Plan = {
      host: [host('clone', flags(CLONE_PARENT, SIGCHLD)), host('report-pid'), host('release')],
      container: [ctr('wait-release'), ctr('seccomp-load'), exec(['true'])],
    };
    const r = run(plan);
    const pid = await containerPid(r);
    await r.sync.expect(/^error 4 0 seccomp-load before seccomp$/);
    expect(await reap(pid)).toEqual({ exitCode: 1, signal: null });
  });

  it('needs nothing but execve once the filter is in force; a blocked execve fails on stderr', { timeout: TIMEOUT }, async () => {
    // Everything but execve (and exit_group, write for the message) fails: exec's argv was built earlier.
    const plan: Plan = {
      host: [host('clone', flags(CLONE_PARENT, SIGCHLD)), host('report-pid'), host('release')],
      container: [
        ctr('wait-release'), ctr('no-new-privs'),
        ctr('seccomp', `default ${SCMP_ERRNO(1)}`, `rule ${nr('write')} ${SCMP_ALLOW}`, `rule ${nr('exit_group')} ${SCMP_ALLOW}`,
          `rule ${nr('execve')} ${SCMP_ERRNO(13)}`),
        ctr('find-exec', '/bin/true'), ctr('ready'), ctr('seccomp-load'),
        exec(['true', ...Array.from({ length: 5000 }, (_, i) => `arg${i}`)]),
      ],
    };
    const r = run(plan);
    const pid = await containerPid(r);
    await r.sync.expect(/^ready$/);
    expect(await reap(pid)).toEqual({ exitCode: 127, signal: null });
    expect(await r.stderr).toBe('exec /bin/true: permission denied (with the linux.seccomp filter in force)\n');
  });

  it('refuses a cwd outside the root at chdir (a preserved fd of a host directory)', { timeout: TIMEOUT }, async () => {
    const dir = tempDir();
    const rootfs = makeRootfs(dir);
    const outside = path.join(dir, 'outside');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'sentinel'), 'HOST\n');
    const plan: Plan = {
      host: [host('cloexec-from', '4'), host('clone', flags(CLONE_NEWNS, CLONE_NEWPID, CLONE_PARENT, SIGCHLD)), host('report-pid'), host('release')],
      container: [
        ctr('wait-release'),
        ...enterRootfs(rootfs, []),
        ctr('chdir', '/proc/self/fd/3'),
        ctr('find-exec', '/bin/sh'),
        exec(['sh', '-c', 'cat sentinel; echo x > PWNED']),
      ],
    };
    const fd = fs.openSync(outside, 'r');
    let r: Run;
    try {
      r = run(plan, [], undefined, [fd]);
    } finally {
      fs.closeSync(fd);
    }
    const pid = await containerPid(r);
    const [, index, errno, text] = await r.sync.expect(/^error (-?\d+) (\d+) (.*)$/);
    expect([Number(index), Number(errno)]).toEqual([plan.host.length + 1 + enterRootfs(rootfs, []).length, 0]);
    // A condition, for TypeScript to word (runc's text).
    expect(text).toBe('cwd-outside-root');
    expect(await reap(pid)).toEqual({ exitCode: 1, signal: null });
    expect(await r.stdout).toBe('');
    expect(fs.readdirSync(outside)).toEqual(['sentinel']);
  });

  it('is not dumpable until its execve: a root without CAP_SYS_PTRACE cannot look into it through /proc', { timeout: TIMEOUT }, async () => {
    // C drops every capability (which leaves its dumpability alone: no uid changes) and blocks in `hooks`,
    // waiting for our answer, before its execve.
    const lastCap = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
    const plan: Plan = {
      host: [host('cloexec-from', '4'), host('clone', flags(CLONE_NEWPID, CLONE_PARENT, SIGCHLD)), host('report-pid'), host('release')],
      container: [
        ctr('wait-release'),
        ctr('drop-bounding', ...Array.from({ length: lastCap + 1 }, (_, i) => String(i))),
        ctr('capset', '0x0', '0x0', '0x0'),
        ctr('hooks', 'prestart'),
        ctr('find-exec', '/bin/sleep'), ctr('ready'), exec(['sleep', '10']),
      ],
    };
    const r = run(plan);
    const pid = await containerPid(r);
    await r.sync.expect(/^hooks prestart$/);
    // Root with no capability either, as the container's root is without CAP_SYS_PTRACE.
    const look = (file: string, how: 'cat' | 'readlink') =>
      spawnSync('setpriv', ['--bounding-set', '-all', '--inh-caps', '-all', how, `/proc/${pid}/${file}`], { encoding: 'utf8' }).status === 0;
    const seen = (): Record<string, boolean> => ({
      environ: look('environ', 'cat'), cwd: look('cwd', 'readlink'), root: look('root', 'readlink'), fd0: look('fd/0', 'readlink'),
    });
    expect(seen()).toEqual({ environ: false, cwd: false, root: false, fd0: false });
    (r.child.stdio[3] as Socket).write('ok\n');
    await r.sync.expect(/^ready$/);
    // The program it executed is dumpable again, as usual.
    await new Promise((res) => setTimeout(res, 50));
    expect(seen()).toEqual({ environ: true, cwd: true, root: true, fd0: true });
    process.kill(pid, 'SIGKILL');
    await reap(pid);
  });

  it('reports an exec failure after ready on stderr with exit 127', { timeout: TIMEOUT }, async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'noexec'), 'not a program');
    fs.chmodSync(path.join(dir, 'noexec'), 0o755);
    const plan: Plan = {
      host: [host('clone', flags(CLONE_PARENT, SIGCHLD)), host('report-pid'), host('release')],
      container: [ctr('wait-release'), ctr('find-exec', path.join(dir, 'noexec')), ctr('ready'), exec(['noexec'])],
    };
    const r = run(plan);
    const pid = await containerPid(r);
    await r.sync.expect(/^ready$/);
    expect(await reap(pid)).toEqual({ exitCode: 127, signal: null });
    expect(await r.stderr).toBe(`exec ${path.join(dir, 'noexec')}: exec format error\n`);
  });
});

// ---- the addon ----

describe('native addon', () => {
  it('finds the package root and the helper', () => {
    expect(fs.existsSync(path.join(packageRoot(), 'package.json'))).toBe(true);
    expect(fs.statSync(helperPath()).mode & 0o111).not.toBe(0);
  });

  it('opens, signals and waits on a pidfd', { timeout: TIMEOUT }, async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    helpers.push(child);
    const exited = new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const pidfd = native().pidfdOpen(child.pid!);
    try {
      expect(native().waitReadable(pidfd, 50)).toBe(false);
      native().pidfdSendSignal(pidfd, 15);
      expect(native().waitReadable(pidfd, 5000)).toBe(true);
      expect(await exited).toBe('SIGTERM');
      // Reaped by node now: the process is gone.
      expect(() => native().pidfdSendSignal(pidfd, 15)).toThrow(expect.objectContaining({ code: 'ESRCH', errno: 3 }));
    } finally {
      fs.closeSync(pidfd);
    }
    expect(() => native().pidfdOpen(child.pid!)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(() => native().pidfdOpen(-1)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('makes a FIFO with an exact mode', () => {
    const fifo = path.join(tempDir(), 'exec.fifo');
    const old = process.umask(0o077);
    try {
      native().mkfifo(fifo, 0o622);
    } finally {
      process.umask(old);
    }
    const st = fs.statSync(fifo);
    expect(st.isFIFO()).toBe(true);
    expect(st.mode & 0o7777).toBe(0o622);
    expect(() => native().mkfifo(fifo, 0o622)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
  });

  it('becomes a child subreaper', () => {
    // In a separate node process: the flag is for life.
    const script = `
      const addon = require(${JSON.stringify(path.join(packageRoot(), 'build/Release/tsrunc_native.node'))});
      addon.setChildSubreaper();
      const pid = require('child_process').execFileSync('sh', ['-c', 'sleep 30 >/dev/null 2>&1 & echo $!']).toString().trim();
      const ppid = require('fs').readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ')[1].split(' ')[1];
      process.kill(Number(pid), 'SIGKILL');
      addon.waitpid(Number(pid)).then((status) => {
        console.log(ppid === String(process.pid) && status.signal === 9 ? 'adopted' : 'not adopted: ' + ppid);
      });
    `;
    expect(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim()).toBe('adopted');
  });

  it('rejects waitpid of a process that is not a child', async () => {
    await expect(native().waitpid(1)).rejects.toMatchObject({ code: 'ECHILD', errno: 10 });
  });

  it('takes exclusive and shared flocks', () => {
    const file = path.join(tempDir(), 'lock');
    fs.writeFileSync(file, '');
    const fd = fs.openSync(file, 'r');
    const probe = (mode: string) => {
      try {
        execFileSync('flock', ['-n', mode, file, 'true']);
        return true;
      } catch {
        return false;
      }
    };
    try {
      native().flock(fd, true);
      expect(probe('-s')).toBe(false);
      native().flock(fd, false);
      expect(probe('-s')).toBe(true);
      expect(probe('-x')).toBe(false);
    } finally {
      fs.closeSync(fd);
    }
    expect(probe('-x')).toBe(true);
    expect(() => native().flock(-1, true)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });
});
