// The warm path (docs/warm-path.md): bin/tsrunc hands its command to the `tsrunc daemon` of the root,
// and falls back to the cold path only where that is safe. The faults: the server killed while it
// serves create or delete (never run twice; the outcome reported unknown and left to delete --force),
// a stale socket, a server that does not answer, and callers it must not serve (another mount
// namespace, another user, fewer capabilities): they run cold, and TSRUNC_DAEMON=required shows it.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { native } from '../../src/linux/native';
import { DAEMON_SOCKET, startDaemon, stopDaemon, TestEnv, TSRUNC } from '../support/env';
import { delay, leftoversOf, reap, setConfig, specWith, waitFor } from '../oci-conformance/helpers';

let env: TestEnv;
let bundle: string;
let daemon: ChildProcess | undefined;

const socket = () => path.join(env.root, DAEMON_SOCKET);
const required = { env: { TSRUNC_DAEMON: 'required' } };

beforeAll(() => {
  env = new TestEnv('warm');
  bundle = env.bundle('b', specWith(['sleep', '100']));
});

afterEach(async () => {
  if (daemon) await stopDaemon(daemon);
  daemon = undefined;
});

afterAll(async () => {
  expect(await env.cleanup()).toEqual([]);
});

/** Kills the server and its workers at once (its process group), as a crash or an OOM kill would; waits until all are gone. */
async function killServer(d: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => d.once('exit', resolve));
  process.kill(-d.pid!, 'SIGKILL');
  await exited;
  // Its workers die a moment later; until then their listening socket takes connections.
  await waitFor('the server\'s workers to go', () => !groupHasLiveProcess(d.pid!));
}

/** Whether a process of group pgid is alive (a zombie is not: this process, a subreaper, may hold some). */
function groupHasLiveProcess(pgid: number): boolean {
  return fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).some((n) => {
    try {
      const stat = fs.readFileSync(`/proc/${n}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return state !== 'Z' && Number(pgrp) === pgid;
    } catch {
      return false;
    }
  });
}

/** A daemon in a process group of its own, so that killServer takes its workers too. */
function startGroupedDaemon(): ChildProcess {
  fs.rmSync(socket(), { force: true });
  const d = spawn(TSRUNC, ['--root', env.root, 'daemon', '--idle-workers', '1'], { stdio: 'ignore', detached: true });
  const deadline = Date.now() + 20_000;
  while (!fs.existsSync(socket())) {
    if (Date.now() > deadline) throw new Error('the daemon did not start');
    spawnSync('sleep', ['0.01']);
  }
  return d;
}

describe('the warm path', () => {
  it('serves the lifecycle: the init is the front\'s child, in the caller\'s cgroup, with the caller\'s descriptors', async () => {
    daemon = startDaemon(env.root, path.join(env.tmp, 'daemon.log'));
    const id = env.id('life');
    env.ok(['create', '--bundle', bundle, id], required);
    const st = env.state(id);
    expect(st.status).toBe('created');
    // The front exited: the init was reparented to this process (a subreaper), as on the cold path.
    const ppid = Number(fs.readFileSync(`/proc/${st.pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    expect(ppid).toBe(process.pid);
    env.ok(['start', id], required);
    expect(env.state(id).status).toBe('running');
    // A process that exits at once is still the caller's to reap (the front reaps only what the worker waits for).
    const pidFile = path.join(env.tmp, 'exec.pid');
    env.ok(['exec', '--detach', '--pid-file', pidFile, id, 'sh', '-c', 'exit 5'], required);
    expect(await native().waitpid(Number(fs.readFileSync(pidFile, 'utf8')))).toEqual({ exitCode: 5, signal: null });
    env.ok(['kill', id, 'KILL'], required);
    await waitFor('stopped', () => env.state(id).status === 'stopped');
    env.ok(['delete', id], required);
    await reap(st.pid);
    expect(leftoversOf(env, id)).toEqual([]);
  });

  it('a foreground run: the exit status, signals forwarded to the container, the output on the caller\'s stdio', () => {
    daemon = startDaemon(env.root, path.join(env.tmp, 'daemon.log'));
    setConfig(bundle, specWith(['sh', '-c', 'echo out; echo err >&2; exit 7']));
    const r = env.tsrunc(['run', '--bundle', bundle, env.id('fg')], required);
    expect([r.status, r.stdout, r.stderr]).toEqual([7, 'out\n', 'err\n']);
    setConfig(bundle, specWith(['sleep', '100']));
  });

  it('a stale socket (no server behind it) sends every command to the cold path', () => {
    fs.mkdirSync(env.root, { recursive: true });
    const fd = spawnSync('python3', ['-c', `import socket; s=socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(socket())})`]);
    expect(fd.status).toBe(0);
    const id = env.id('stale');
    env.ok(['create', '--bundle', bundle, id]);
    env.ok(['delete', '--force', id]);
    expect(env.tsrunc(['list'], required).stderr).toMatch(/TSRUNC_DAEMON=required, and no tsrunc daemon of .* took the command/);
    fs.unlinkSync(socket());
  });

  it('a server that goes away with the request in its backlog, before any worker said hello: the command runs cold (it never ran)', async () => {
    fs.mkdirSync(env.root, { recursive: true });
    const id = env.id('backlog');
    const server = spawn('python3', ['-c', [
      'import os, select, socket, sys, time',
      's = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)',
      'print("listening", flush=True)',
      'select.select([s], [], [], 20); time.sleep(0.2)',
      'os.unlink(sys.argv[1]); s.close()',
    ].join('\n'), socket()], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => server.stdout!.once('data', resolve));
    const create = await runAsync(['create', '--bundle', bundle, id]);
    await new Promise((resolve) => (server.exitCode !== null ? resolve(null) : server.once('exit', resolve)));
    expect([create.status, create.stderr]).toEqual([0, '']);
    expect(env.state(id).status).toBe('created');
    env.ok(['delete', '--force', id]);
    expect(leftoversOf(env, id)).toEqual([]);
  });

  it('a server that does not answer: read-only commands run cold, the others fail at once and run nowhere', async () => {
    fs.mkdirSync(env.root, { recursive: true });
    const held: net.Socket[] = [];
    const mute = net.createServer((c) => held.push(c));
    await new Promise<void>((resolve) => mute.listen(socket(), resolve));
    try {
      const id = env.id('mute');
      process.env.TSRUNC_DAEMON_TIMEOUT_MS = '1000';
      const list = await runAsync(['list', '--quiet']);
      expect(list.status).toBe(0);
      const create = await runAsync(['create', '--bundle', bundle, id]);
      expect(create.status).toBe(1);
      expect(create.stderr).toMatch(/^tsrunc: the tsrunc daemon at .* did not answer within 1000 ms; create was not run/);
      expect(leftoversOf(env, id)).toEqual([]);
    } finally {
      delete process.env.TSRUNC_DAEMON_TIMEOUT_MS;
      for (const c of held) c.destroy();
      await new Promise((resolve) => mute.close(resolve));
    }
  });

  it('a request whose deadline has passed when a worker takes it is not run: the worker says hello and stops there', () => {
    daemon = startDaemon(env.root, path.join(env.tmp, 'daemon.log'));
    const id = env.id('expired');
    env.ok(['create', '--bundle', bundle, id], required);
    // A front that sent `delete --force` and gave up long ago (deadline 1 ms after boot) but is still connected.
    const fields = ['tsrunc-warm-2', '1', '/', '22', '', '0', '000', '5', '--root', env.root, 'delete', '--force', id, '0'];
    const client = spawnSync('python3', ['-c', [
      'import socket, struct, sys',
      'body = b"".join(f.encode() + b"\\0" for f in sys.argv[2:])',
      's = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(struct.pack("<I", len(body)) + body)',
      'got = b""',
      'while True:',
      '    d = s.recv(4096)',
      '    if not d: break',
      '    got += d',
      'sys.stdout.write(got.decode())',
    ].join('\n'), socket(), ...fields], { encoding: 'utf8', timeout: 10_000 });
    expect([client.status, client.stdout]).toEqual([0, 'hello\n']);
    expect(env.state(id).status).toBe('created');
    env.ok(['delete', '--force', id], required);
    expect(leftoversOf(env, id)).toEqual([]);
  });

  it('every worker busy past the timeout: create fails as not run, and the worker that takes it later runs nothing', async () => {
    daemon = startDaemon(env.root, path.join(env.tmp, 'daemon.log'), ['--idle-workers', '1', '--max-workers', '1']);
    const busy = env.id('busy');
    setConfig(bundle, specWith(['sleep', '2']));
    const off = { env: { TSRUNC_DAEMON: 'off' } };
    const foreground = runAsync(['run', '--bundle', bundle, busy]);
    await waitFor('the busy run', () => env.tsrunc(['state', busy], off).stdout.includes('"running"'), 15_000);
    const late = env.id('late');
    process.env.TSRUNC_DAEMON_TIMEOUT_MS = '300';
    try {
      const create = await runAsync(['create', '--bundle', bundle, late]);
      expect(create.status).toBe(1);
      expect(create.stderr).toMatch(/^tsrunc: the tsrunc daemon at .* did not answer within 300 ms; create was not run/);
    } finally {
      delete process.env.TSRUNC_DAEMON_TIMEOUT_MS;
    }
    expect((await foreground).status).toBe(0);
    // The worker is free again and has had the late connection: it serves, and made nothing of it.
    expect(env.tsrunc(['list', '--quiet'], required).stdout).not.toContain(late);
    expect(leftoversOf(env, late)).toEqual([]);
    expect(leftoversOf(env, busy)).toEqual([]);
    setConfig(bundle, specWith(['sleep', '100']));
  });

  it('short requests leave the pool as it is; one still running after a moment is told busy, and the server starts a worker in its place', async () => {
    daemon = startDaemon(env.root, path.join(env.tmp, 'daemon.log'), ['--idle-workers', '1']);
    const workers = () => spawnSync('pgrep', ['-P', String(daemon!.pid), '-f', 'daemon --worker'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    await waitFor('the first worker', () => workers().length === 1, 15_000);
    const id = env.id('pool');
    // Made cold: a create takes longer than the moment, and would be told busy.
    env.ok(['create', '--bundle', bundle, id], { env: { TSRUNC_DAEMON: 'off' } });
    for (let i = 0; i < 10; i++) env.ok(['state', id], required);
    // A worker that said busy (the old way, of every request) would have had the server start another by now.
    await delay(1500);
    expect(workers()).toHaveLength(1);
    setConfig(bundle, specWith(['sleep', '3']));
    const foreground = runAsync(['run', '--bundle', bundle, env.id('long')]);
    await waitFor('a second worker', () => workers().length === 2, 15_000);
    expect((await foreground).status).toBe(0);
    env.ok(['delete', '--force', id], required);
    setConfig(bundle, specWith(['sleep', '100']));
  });

  it('the front killed while a worker serves its create: the worker stops there too, as a killed cold create does', async () => {
    daemon = startDaemon(env.root, path.join(env.tmp, 'daemon.log'));
    const id = env.id('frontkilled');
    setConfig(bundle, specWith(['sleep', '100'], (s) => {
      s.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `touch ${env.tmp}/front-hook-$$; sleep 2`] }] };
    }));
    const front = spawn(TSRUNC, ['--root', env.root, 'create', '--bundle', bundle, id], { stdio: 'ignore', env: { ...process.env, ...required.env } });
    const exited = new Promise((resolve) => front.once('exit', resolve));
    await waitFor('the hook', () => fs.readdirSync(env.tmp).some((n) => n.startsWith('front-hook-')), 15_000);
    front.kill('SIGKILL');
    await exited;
    // Had the worker gone on, the container would be created once the hook's 2 s are over.
    await delay(3000);
    expect(env.state(id).status).toBe('stopped');
    env.ok(['delete', '--force', id], required);
    await delay(100);
    expect(leftoversOf(env, id)).toEqual([]);
    // The server replaced the worker, and serves.
    expect(env.tsrunc(['list', '--quiet'], required).status).toBe(0);
    setConfig(bundle, specWith(['sleep', '100']));
  });

  it('the server killed while it serves create: the outcome is reported unknown, never run twice, and delete --force removes it', async () => {
    daemon = startGroupedDaemon();
    const id = env.id('killed');
    // The createRuntime hook runs in the worker: kill the server while it sleeps there.
    setConfig(bundle, specWith(['sleep', '100'], (s) => {
      s.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `touch ${env.tmp}/hook-ran-$$; sleep 5`] }] };
    }));
    const create = runAsync(['create', '--bundle', bundle, id]);
    await waitFor('the hook', () => fs.readdirSync(env.tmp).some((n) => n.startsWith('hook-ran-')), 15_000);
    await killServer(daemon);
    daemon = undefined;
    const r = await create;
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/went away during create: its outcome is unknown/);
    // Ran once: one hook, and no cold create after it.
    expect(fs.readdirSync(env.tmp).filter((n) => n.startsWith('hook-ran-'))).toHaveLength(1);
    env.ok(['delete', '--force', id]);
    await delay(100);
    expect(leftoversOf(env, id)).toEqual([]);
    setConfig(bundle, specWith(['sleep', '100']));
  });

  it('the server killed while it serves delete: reported unknown; delete --force finishes it', async () => {
    const id = env.id('killdel');
    setConfig(bundle, specWith(['true'], (s) => {
      s.hooks = { poststop: [{ path: '/bin/sh', args: ['sh', '-c', `touch ${env.tmp}/poststop-ran-$$; sleep 5`] }] };
    }));
    env.ok(['create', '--bundle', bundle, id]);
    daemon = startGroupedDaemon();
    const del = runAsync(['delete', '--force', id]);
    await waitFor('the poststop hook', () => fs.readdirSync(env.tmp).some((n) => n.startsWith('poststop-ran-')), 15_000);
    await killServer(daemon);
    daemon = undefined;
    const r = await del;
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/went away during delete: its outcome is unknown/);
    env.tsrunc(['delete', '--force', id]);
    expect(leftoversOf(env, id)).toEqual([]);
    setConfig(bundle, specWith(['sleep', '100']));
  });

  it('takes the socket systemd passes (socket activation: LISTEN_PID, LISTEN_FDS, fd 3) and leaves it to systemd', async () => {
    fs.mkdirSync(env.root, { recursive: true });
    fs.rmSync(socket(), { force: true });
    const listenFd = native().listenUnix(socket(), 16);
    // As systemd starts a service: the socket at fd 3, LISTEN_PID the service's own pid (exec keeps it).
    const d = spawn('sh', ['-c', 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" --root "$1" daemon', TSRUNC, env.root], {
      stdio: ['ignore', 'ignore', 'ignore', listenFd], env: { ...process.env, TSRUNC_DAEMON: 'off' },
    });
    fs.closeSync(listenFd);
    try {
      const id = env.id('activated');
      setConfig(bundle, specWith(['true']));
      expect(env.tsrunc(['run', '--bundle', bundle, id], required).status).toBe(0);
    } finally {
      await stopDaemon(d);
      setConfig(bundle, specWith(['sleep', '100']));
    }
    // The socket is systemd's: the server does not remove it.
    expect(fs.existsSync(socket())).toBe(true);
    fs.unlinkSync(socket());
  });

  it('a caller in another mount namespace is not served (it runs cold)', () => {
    daemon = startDaemon(env.root, path.join(env.tmp, 'daemon.log'));
    const r = spawnSync('unshare', ['-m', TSRUNC, '--root', env.root, 'list'], { encoding: 'utf8', env: { ...process.env, TSRUNC_DAEMON: 'required' } });
    expect(r.stderr).toMatch(/TSRUNC_DAEMON=required, and no tsrunc daemon of .* took the command/);
    expect(spawnSync('unshare', ['-m', TSRUNC, '--root', env.root, 'list', '--quiet'], { encoding: 'utf8' }).status).toBe(0);
  });

  it('another user, or the same user with fewer capabilities, is not served, even with the socket open to it', () => {
    daemon = startDaemon(env.root, path.join(env.tmp, 'daemon.log'));
    fs.chmodSync(env.tmp, 0o755);
    fs.chmodSync(socket(), 0o666);
    try {
      const as = (prefix: string[]) => spawnSync('setpriv', [...prefix, TSRUNC, '--root', env.root, 'list'], {
        encoding: 'utf8', env: { ...process.env, TSRUNC_DAEMON: 'required' },
      });
      expect(as(['--reuid=65534', '--regid=65534', '--clear-groups']).stderr).toMatch(/no tsrunc daemon of .* took the command/);
      expect(as(['--inh-caps=-all', '--bounding-set=-sys_admin']).stderr).toMatch(/no tsrunc daemon of .* took the command/);
    } finally {
      fs.chmodSync(env.tmp, 0o700);
    }
  });
});

let runs = 0;

/**
 * tsrunc in the background (the test goes on while it runs); its status and output, which go to files:
 * a container it creates holds its stdio, so pipes would not close.
 */
function runAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const base = path.join(env.tmp, `async-${runs++}`);
  const out = fs.openSync(`${base}.out`, 'w+');
  const err = fs.openSync(`${base}.err`, 'w+');
  const child = spawn(TSRUNC, ['--root', env.root, ...args], { stdio: ['ignore', out, err] });
  fs.closeSync(out);
  fs.closeSync(err);
  return new Promise((resolve) => {
    child.once('exit', (status) => resolve({
      status, stdout: fs.readFileSync(`${base}.out`, 'utf8'), stderr: fs.readFileSync(`${base}.err`, 'utf8'),
    }));
  });
}
