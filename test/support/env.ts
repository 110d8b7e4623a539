// A test's own world: a temporary folder with bundles, its own --root, and a cleanup that removes every
// container the test made and checks that nothing (state, mount, cgroup, process) is left behind.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Spec } from '../../src/oci/types';
import { baseSpec } from './base-spec';
import { native, packageRoot } from '../../src/linux/native';
import { readProcStat, sleepMs } from '../../src/linux/proc';

export const TSRUNC = path.join(packageRoot(), 'bin', 'tsrunc');
const BUSYBOX = '/bin/busybox';

export interface TsruncOptions {
  input?: string;
  timeout?: number;
  extraFds?: number[];
  /** Added to the environment of this command (after the TestEnv's own). */
  env?: Record<string, string>;
}

export interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

let subreaper = false;

/** Orphaned container inits come to this process (as they go to containerd's shim), so it can reap them. */
function becomeSubreaper(): void {
  if (!subreaper) native().setChildSubreaper();
  subreaper = true;
}

/** A busybox rootfs: /bin/busybox plus a link per applet, and minimal /etc files. */
export function makeRootfs(dir: string): void {
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  for (const d of ['proc', 'sys', 'dev', 'etc', 'tmp', 'root', 'home/user']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
  fs.copyFileSync(BUSYBOX, path.join(dir, 'bin/busybox'));
  fs.chmodSync(path.join(dir, 'bin/busybox'), 0o755);
  const applets = spawnSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  for (const applet of applets) {
    if (applet !== 'busybox') fs.symlinkSync('busybox', path.join(dir, 'bin', applet));
  }
  fs.writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  fs.writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\nuser:x:1000:\nnobody:x:65534:\n');
}

/** The default spec with a writable root and no terminal, running args. */
export function testSpec(args: string[]): Spec {
  const spec = baseSpec();
  spec.process!.args = args;
  spec.root = { path: 'rootfs', readonly: false };
  return spec;
}

/** With TSRUNC_TEST_WARM=1 every TestEnv serves its root with a `tsrunc daemon`: the tests run the warm path. */
export const WARM = process.env.TSRUNC_TEST_WARM === '1';

/** The warm server's socket under a root (src/runtime/warm/server.ts SOCKET_NAME). */
export const DAEMON_SOCKET = 'tsrunc@daemon.sock';

const daemons = new Set<number>();

/** The daemons startDaemon started that still run (children of the test, not of its containers). */
export function daemonPids(): Set<number> {
  return daemons;
}

/** Starts `tsrunc daemon` for root and waits until its socket is there. */
export function startDaemon(root: string, log: string, args: string[] = []): ChildProcess {
  // A socket file left by an earlier server would look like this one's before it has replaced it.
  fs.rmSync(path.join(root, DAEMON_SOCKET), { force: true });
  const out = fs.openSync(log, 'a');
  const daemon = spawn(TSRUNC, ['--root', root, 'daemon', ...args], { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  if (daemon.pid !== undefined) daemons.add(daemon.pid);
  daemon.once('exit', () => daemon.pid !== undefined && daemons.delete(daemon.pid));
  for (let waited = 0; !fs.existsSync(path.join(root, DAEMON_SOCKET)); waited += 10) {
    if (waited > 20_000 || daemon.exitCode !== null) throw new Error(`tsrunc daemon for ${root} did not start: ${fs.readFileSync(log, 'utf8')}`);
    sleepMs(10);
  }
  return daemon;
}

/** Stops a daemon startDaemon started (SIGTERM: it lets busy workers finish) and waits for it. */
export async function stopDaemon(daemon: ChildProcess): Promise<void> {
  if (daemon.exitCode !== null || daemon.signalCode !== null) return;
  const exited = new Promise((resolve) => daemon.once('exit', resolve));
  daemon.kill('SIGTERM');
  await exited;
}

export class TestEnv {
  readonly tmp: string;
  readonly root: string;
  private readonly pids = new Set<number>();
  private seq = 0;
  private daemon: ChildProcess | undefined;

  /** `env`: added to the environment of every tsrunc command of this TestEnv (cleanup's too). */
  constructor(label: string, private readonly opts: { env?: Record<string, string> } = {}) {
    becomeSubreaper();
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), `tsrunc-test-${label}-`));
    this.root = path.join(this.tmp, 'state');
    if (WARM) this.daemon = startDaemon(this.root, path.join(this.tmp, 'daemon.log'), ['--idle-workers', '1']);
  }

  /** What is under this root: the containers' state (not the warm server's socket). */
  stateEntries(): string[] {
    return fs.existsSync(this.root) ? fs.readdirSync(this.root).filter((n) => n !== DAEMON_SOCKET) : [];
  }

  id(label: string): string {
    return `tsrunc-test-${label}-${randomBytes(4).toString('hex')}`;
  }

  /** A bundle folder with a busybox rootfs and the given config (object, or raw text). */
  bundle(name: string, config: Spec | string): string {
    const dir = path.join(this.tmp, name);
    makeRootfs(path.join(dir, 'rootfs'));
    fs.writeFileSync(path.join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config, null, 2));
    return dir;
  }

  /**
   * Runs tsrunc with this root. Its stdout and stderr go to files, not pipes: a container that outlives
   * the command (create, run --detach) inherits them, and a pipe it holds would keep spawnSync waiting.
   * stdin is /dev/null unless `input` is given; `extraFds` become fds 3, 4, … (for --preserve-fds).
   */
  tsrunc(args: string[], opts: TsruncOptions = {}): Result {
    const base = path.join(this.tmp, `out-${process.pid}-${this.seq++}`);
    const out = fs.openSync(`${base}.stdout`, 'w+');
    const err = fs.openSync(`${base}.stderr`, 'w+');
    try {
      const r = spawnSync(TSRUNC, ['--root', this.root, ...args], {
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', out, err, ...(opts.extraFds ?? [])],
        input: opts.input, timeout: opts.timeout ?? 20_000, killSignal: 'SIGKILL',
        // Warm: never the cold path unnoticed.
        ...(this.opts.env || opts.env || WARM ? { env: { ...process.env, ...(WARM ? { TSRUNC_DAEMON: 'required' } : {}), ...this.opts.env, ...opts.env } } : {}),
      });
      if (r.error) throw r.error;
      this.rememberPids();
      return { status: r.status, stdout: fs.readFileSync(`${base}.stdout`, 'utf8'), stderr: fs.readFileSync(`${base}.stderr`, 'utf8') };
    } finally {
      fs.closeSync(out);
      fs.closeSync(err);
    }
  }

  /** tsrunc, failing the test unless it exits 0. */
  ok(args: string[], opts: TsruncOptions = {}): Result {
    const r = this.tsrunc(args, opts);
    if (r.status !== 0) throw new Error(`tsrunc ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return r;
  }

  state(id: string): { status: string; pid: number; [key: string]: unknown } {
    return JSON.parse(this.ok(['state', id]).stdout);
  }

  private rememberPids(): void {
    for (const id of this.stateEntries()) {
      try {
        const record = JSON.parse(fs.readFileSync(path.join(this.root, id, 'state.json'), 'utf8')) as { pid: number };
        if (record.pid > 0) this.pids.add(record.pid);
      } catch {
        // not created (yet)
      }
    }
  }

  /** Deletes every container under this root, reaps their inits, checks nothing is left, removes the folder. */
  async cleanup(): Promise<string[]> {
    this.rememberPids();
    const leftovers: string[] = [];
    for (const id of this.stateEntries()) {
      const r = this.tsrunc(['delete', '--force', id]);
      if (r.status !== 0) leftovers.push(`delete --force ${id} failed: ${r.stderr}`);
      const cgroups = spawnSync('find', ['/sys/fs/cgroup', '-maxdepth', '4', '-name', id], { encoding: 'utf8' }).stdout.trim();
      if (cgroups) leftovers.push(`cgroup left: ${cgroups}`);
    }
    for (const pid of this.pids) {
      try {
        if (readProcStat(pid)?.state === 'Z') await native().waitpid(pid);
      } catch {
        // not our child (already reaped, or run reaped it)
      }
      if (fs.existsSync(`/proc/${pid}`)) leftovers.push(`process ${pid} left`);
    }
    if (this.daemon) await stopDaemon(this.daemon);
    const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(this.tmp));
    leftovers.push(...mounts.map((m) => `mount left: ${m}`));
    if (this.stateEntries().length > 0) leftovers.push(`state left in ${this.root}`);
    fs.rmSync(this.tmp, { recursive: true, force: true });
    return leftovers;
  }
}
