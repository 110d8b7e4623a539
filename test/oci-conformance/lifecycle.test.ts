// The runtime-spec lifecycle through bin/tsrunc with real busybox containers: create, state, start,
// kill, delete, and the errors each operation must give in the wrong state; list; run's exit status.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Spec } from '../../src/oci/types';
import { native } from '../../src/linux/native';
import { readProcStat } from '../../src/linux/proc';
import { TestEnv, TSRUNC } from '../support/env';
import { ACTIONS, Action, refusal } from '../../src/runtime/lifecycle';
import { detectCgroupLayout } from '../../src/linux/cgroups/layout';
import {
  leftoversOf, reap, runSpec, setConfig, specWith, waitFor,
} from './helpers';

let env: TestEnv;
let bundle: string;

beforeAll(() => {
  env = new TestEnv('life');
  bundle = env.bundle('b', specWith(['true']));
});

afterAll(async () => {
  expect(await env.cleanup()).toEqual([]);
});

/** A fresh host folder, bind-mounted read-write as /out in the spec. */
function withOut(spec: Spec): { spec: Spec; out: string } {
  const out = fs.mkdtempSync(path.join(env.tmp, 'out-'));
  spec.mounts!.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
  return { spec, out };
}

const TRAP_TERM = 'touch /out/started; trap "exit 0" TERM; while :; do sleep 0.1; done';
const FOREVER = 'while :; do sleep 0.1; done';

/** create (from a config that runs script under sh -c) and return the id and the init pid. */
function createWith(spec: Spec, extra: string[] = []): { id: string; pid: number } {
  setConfig(bundle, spec);
  const id = env.id('c');
  env.ok(['create', ...extra, '--bundle', bundle, id]);
  const st = env.state(id);
  return { id, pid: st.pid };
}

function runDetached(script: string): { id: string; pid: number } {
  setConfig(bundle, specWith(['sh', '-c', script]));
  const id = env.id('d');
  env.ok(['run', '--detach', '--bundle', bundle, id]);
  const st = env.state(id);
  expect(st.status).toBe('running');
  return { id, pid: st.pid };
}

async function stopped(id: string): Promise<void> {
  await waitFor(`${id} to stop`, () => env.state(id).status === 'stopped');
}

async function deleteAndCheck(id: string, pid: number, args: string[] = []): Promise<void> {
  env.ok(['delete', ...args, id]);
  await reap(pid);
  expect(leftoversOf(env, id, { bundle, pid })).toEqual([]);
}

describe('create, start, kill, delete', () => {
  it('create leaves a blocked init; start runs the program; SIGTERM stops it; delete removes everything', async () => {
    const { spec, out } = withOut(specWith(['sh', '-c', TRAP_TERM]));
    setConfig(bundle, spec);
    const id = env.id('flow');
    const pidFile = path.join(env.tmp, `${id}.pid`);
    env.ok(['create', '--bundle', bundle, '--pid-file', pidFile, id]);

    const created = env.state(id);
    expect(created).toMatchObject({ id, status: 'created', bundle });
    expect(created.pid).toBeGreaterThan(0);
    expect(fs.readFileSync(pidFile, 'utf8')).toBe(String(created.pid));
    // Blocked before execve: still the helper, and the program has not written /out/started.
    expect(readProcStat(created.pid)?.state).not.toBe('Z');
    expect(fs.readlinkSync(`/proc/${created.pid}/exe`)).toMatch(/tsrunc-init/);
    expect(fs.existsSync(path.join(out, 'started'))).toBe(false);
    // The init is in the container's cgroup already.
    expect(fs.readFileSync(`/proc/${created.pid}/cgroup`, 'utf8')).toContain(id);

    env.ok(['start', id]);
    await waitFor('/out/started', () => fs.existsSync(path.join(out, 'started')));
    expect(env.state(id)).toMatchObject({ status: 'running', pid: created.pid });
    expect(fs.readlinkSync(`/proc/${created.pid}/exe`)).toMatch(/busybox$/);

    env.ok(['kill', id]); // SIGTERM by default: the trap makes it exit 0.
    await stopped(id);
    expect(env.state(id).pid).toBe(0);
    expect(await native().waitpid(created.pid)).toEqual({ exitCode: 0, signal: null });

    await deleteAndCheck(id, created.pid);
    const r = env.tsrunc(['state', id]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/container does not exist/);
  });

  it.each(['9', 'KILL', 'SIGKILL'])('kill %s stops a container that ignores SIGTERM', async (signal) => {
    const { id, pid } = runDetached(`trap "" TERM; ${FOREVER}`);
    env.ok(['kill', id, signal]);
    await stopped(id);
    expect(env.state(id).pid).toBe(0);
    expect(await native().waitpid(pid)).toEqual({ exitCode: null, signal: 9 });
    await deleteAndCheck(id, pid);
  });

  it('kill KILL of a paused container ends it at once (thawed, as runc does)', async () => {
    const { id, pid } = runDetached(FOREVER);
    env.ok(['pause', id]);
    expect(env.state(id).status).toBe('paused');
    env.ok(['kill', id, 'KILL']);
    await stopped(id);
    expect(await native().waitpid(pid)).toEqual({ exitCode: null, signal: 9 });
    await deleteAndCheck(id, pid);
  });

  it('kill ID 0 checks the container is alive and signals nothing (runc takes 0 too)', async () => {
    const { id, pid } = runDetached(FOREVER);
    env.ok(['kill', id, '0']);
    expect(env.state(id)).toMatchObject({ status: 'running', pid });
    env.ok(['kill', id, 'KILL']);
    await stopped(id);
    const r = env.tsrunc(['kill', id, '0']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/container not running/);
    await deleteAndCheck(id, pid);
  });

  it.each(['TERM', 'USR1'])('kill %s of a created container ends its waiting init (as runc\'s)', async (signal) => {
    setConfig(bundle, specWith(['true']));
    const id = env.id('kill-created');
    env.ok(['create', '--bundle', bundle, id]);
    const { pid } = env.state(id);
    env.ok(['kill', id, signal]);
    await stopped(id);
    expect((await native().waitpid(pid)).exitCode).toBe(128 + (signal === 'TERM' ? 15 : 10));
    await deleteAndCheck(id, pid);
  });

  it('kill by name or number delivers that signal', async () => {
    const { id, pid } = runDetached(`trap "exit 42" USR1; ${FOREVER}`);
    env.ok(['kill', id, 'USR1']);
    await stopped(id);
    expect(await native().waitpid(pid)).toEqual({ exitCode: 42, signal: null });
    await deleteAndCheck(id, pid);
  });

  it('start of a running container fails and leaves it running', async () => {
    const { id, pid } = runDetached(FOREVER);
    const r = env.tsrunc(['start', id]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot start an already running container/);
    expect(env.state(id)).toMatchObject({ status: 'running', pid });
    await deleteAndCheck(id, pid, ['--force']);
  });

  it('kill of a stopped container exits 1 "container not running"; kill --all exits 0', async () => {
    const { id, pid } = createWith(specWith(['sh', '-c', 'exit 0']));
    env.ok(['start', id]);
    await stopped(id);
    const r = env.tsrunc(['kill', id, 'KILL']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/container not running/);
    expect(env.tsrunc(['kill', '--all', id, 'KILL']).status).toBe(0);
    const s = env.tsrunc(['start', id]);
    expect(s.status).toBe(1);
    expect(s.stderr).toMatch(/stopped/);
    await deleteAndCheck(id, pid);
  });

  it('delete of a running container needs --force', async () => {
    const { id, pid } = runDetached(FOREVER);
    const r = env.tsrunc(['delete', id]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`cannot delete container ${id} that is not stopped: running`);
    expect(env.state(id)).toMatchObject({ status: 'running', pid });
    await deleteAndCheck(id, pid, ['--force']);
  });

  it('delete of a created container succeeds and kills the blocked init', async () => {
    const { spec, out } = withOut(specWith(['sh', '-c', TRAP_TERM]));
    const { id, pid } = createWith(spec);
    expect(env.state(id).status).toBe('created');
    await deleteAndCheck(id, pid);
    expect(fs.existsSync(path.join(out, 'started'))).toBe(false);
  });

  it('delete of a stopped container whose cgroup still has a process (the host\'s pid namespace) kills it and removes everything', async () => {
    const spec = specWith(['sh', '-c', 'sleep 1000 & echo $! > /out/bg; exit 0']);
    spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) => n.type !== 'pid');
    const { spec: withBg, out } = withOut(spec);
    const { id, pid } = createWith(withBg);
    env.ok(['start', id]);
    await stopped(id);
    await waitFor('the background pid', () => fs.existsSync(path.join(out, 'bg')) && fs.readFileSync(path.join(out, 'bg'), 'utf8').trim() !== '');
    const bg = Number(fs.readFileSync(path.join(out, 'bg'), 'utf8'));
    expect(readProcStat(bg)).toBeDefined();
    await deleteAndCheck(id, pid);
    await reap(bg);
    expect(fs.existsSync(`/proc/${bg}`)).toBe(false);
  });

  it('without startContainer or poststart hooks the init goes on at the open of exec.fifo and writes nothing there', async () => {
    const { spec, out } = withOut(specWith(['sh', '-c', 'touch /out/started; sleep 100']));
    const { id, pid } = createWith(spec);
    // Another reader of the fifo releases the init as start would (runc's mechanism too).
    const fd = fs.openSync(path.join(env.root, id, 'exec.fifo'), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      await waitFor('the program', () => fs.existsSync(path.join(out, 'started')));
      // The execve closed the init's end: EOF, with nothing written before it (no "0").
      let written = 0;
      await waitFor('the EOF', () => {
        try {
          const n = fs.readSync(fd, Buffer.alloc(8));
          written += n;
          return n === 0;
        } catch {
          return false;
        }
      });
      expect(written).toBe(0);
    } finally {
      fs.closeSync(fd);
    }
    await deleteAndCheck(id, pid, ['--force']);
  });

  it('delete --force of an unknown id exits 0; delete without --force exits 1', () => {
    const id = env.id('unknown');
    expect(env.tsrunc(['delete', '--force', id])).toMatchObject({ status: 0 });
    const r = env.tsrunc(['delete', id]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/container does not exist/);
  });

  it('a duplicate id is refused and the first container is left intact', async () => {
    const { spec, out } = withOut(specWith(['sh', '-c', TRAP_TERM]));
    const { id, pid } = createWith(spec);
    const r = env.tsrunc(['create', '--bundle', bundle, id]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/container with given ID already exists/);
    const r2 = env.tsrunc(['run', '--bundle', bundle, id]);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/container with given ID already exists/);
    expect(env.state(id)).toMatchObject({ status: 'created', pid });
    // Still startable: its exec fifo and state are untouched.
    env.ok(['start', id]);
    await waitFor('/out/started', () => fs.existsSync(path.join(out, 'started')));
    await deleteAndCheck(id, pid, ['--force']);
  });

  it('of two concurrent creates of one id exactly one succeeds', async () => {
    setConfig(bundle, specWith(['sh', '-c', FOREVER]));
    const id = env.id('race');
    const one = (n: number) => new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const errFile = path.join(env.tmp, `${id}.${n}.stderr`);
      const errFd = fs.openSync(errFile, 'w');
      const child = spawn(TSRUNC, ['--root', env.root, 'create', '--bundle', bundle, id], { stdio: ['ignore', errFd, errFd] });
      fs.closeSync(errFd);
      child.on('exit', (code) => resolve({ code, stderr: fs.readFileSync(errFile, 'utf8') }));
    });
    const results = await Promise.all([one(1), one(2)]);
    const codes = results.map((r) => r.code).sort();
    expect(codes).toEqual([0, 1]);
    expect(results.find((r) => r.code === 1)!.stderr).toMatch(/container with given ID already exists/);
    const st = env.state(id);
    expect(st.status).toBe('created');
    expect(readProcStat(st.pid)?.state).not.toBe('Z');
    await deleteAndCheck(id, st.pid);
  });
});

/** The command line of each action of the lifecycle table. */
function commandOf(action: Action, id: string): string[] {
  const [command, ...flags] = action.split(' ');
  const tail: Partial<Record<string, string[]>> = { kill: ['KILL'], exec: ['true'] };
  return [command, ...flags, ...(command === 'update' ? ['--pids-limit', '100'] : []), id, ...(tail[command] ?? [])];
}

describe('the lifecycle table, as the commands say it', () => {
  it('every action a status refuses fails with the table\'s text and leaves the status as it was', async () => {
    const { id, pid } = createWith(specWith(['sh', '-c', FOREVER]));
    const refusedIn = (status: string) => {
      expect(env.state(id).status).toBe(status);
      for (const action of ACTIONS) {
        const text = refusal(action, status as 'created', id);
        if (text === undefined) continue;
        const r = env.tsrunc(commandOf(action, id));
        expect(r.status, action).toBe(action.startsWith('exec') ? 255 : 1);
        expect(r.stderr, action).toContain(text);
      }
      expect(env.state(id).status).toBe(status);
    };
    refusedIn('created');
    env.ok(['start', id]);
    refusedIn('running');
    env.ok(['pause', id]);
    refusedIn('paused');
    env.ok(['resume', id]);
    env.ok(['kill', id, 'KILL']);
    await stopped(id);
    refusedIn('stopped');
    await deleteAndCheck(id, pid);
  });
});

describe('more of the lifecycle', () => {
  it('state carries ociVersion, bundle, created, owner and the config\'s annotations', async () => {
    const { id, pid } = createWith(specWith(['true'], (s) => {
      s.annotations = { 'org.example.key': 'value', 'org.example.other': '' };
    }));
    const st = env.state(id);
    expect(st).toEqual({
      ociVersion: expect.any(String), id, pid, status: 'created', bundle, rootfs: path.join(bundle, 'rootfs'),
      created: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/), owner: 'root',
      annotations: { 'org.example.key': 'value', 'org.example.other': '' },
    });
    await deleteAndCheck(id, pid);
  });

  it('a created container can be killed; start then fails', async () => {
    const { spec, out } = withOut(specWith(['sh', '-c', TRAP_TERM]));
    const { id, pid } = createWith(spec);
    env.ok(['kill', id, 'KILL']);
    await stopped(id);
    const r = env.tsrunc(['start', id]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot start a container that has stopped/);
    expect(fs.existsSync(path.join(out, 'started'))).toBe(false);
    await deleteAndCheck(id, pid);
  });

  it('kill --all signals every process of a container without its own pid namespace', async () => {
    setConfig(bundle, specWith(['sh', '-c', 'sleep 1000 & sleep 1000 & wait'], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid');
    }));
    const id = env.id('all');
    env.ok(['run', '--detach', '--bundle', bundle, id]);
    const { pid } = env.state(id);
    const procs = cgroupProcs(id);
    const pids = await waitFor('three processes', () => {
      const p = procs();
      return p.length === 3 ? p : undefined;
    });
    expect(pids).toContain(pid);
    env.ok(['kill', '--all', id, 'KILL']);
    await stopped(id);
    for (const p of pids) await reap(p);
    for (const p of pids) expect(fs.existsSync(`/proc/${p}`), `process ${p}`).toBe(false);
    await deleteAndCheck(id, pid);
  });

  // runc's delete.bats and kill.bats "[host pidns + init gone]": the container is stopped, its exec'd
  // processes are not, and kill KILL, delete and delete --force each end them all.
  for (const how of [['kill', 'KILL'], ['delete'], ['delete', '--force']]) {
    it(`${how.join(' ')} of a container sharing the pid namespace whose init is gone ends what is left in its cgroup`, async () => {
      setConfig(bundle, specWith(['sleep', '1000'], (s) => {
        s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid');
      }));
      const id = env.id('gone');
      env.ok(['run', '--detach', '--bundle', bundle, id]);
      const { pid } = env.state(id);
      for (let i = 0; i < 2; i++) env.ok(['exec', '--detach', id, 'sleep', '1000']);
      const procs = cgroupProcs(id);
      const pids = await waitFor('three processes', () => {
        const p = procs();
        return p.length === 3 ? p : undefined;
      });
      process.kill(pid, 'SIGKILL');
      await reap(pid);
      expect(env.state(id).status).toBe('stopped');
      const left = pids.filter((p) => p !== pid);
      for (const p of left) expect(readProcStat(p)?.state, `process ${p}`).not.toBe('Z');
      const r = env.tsrunc(how[0] === 'kill' ? ['kill', id, how[1]] : [...how, id]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      for (const p of left) await reap(p);
      for (const p of left) expect(fs.existsSync(`/proc/${p}`), `process ${p}`).toBe(false);
      if (how[0] === 'kill') {
        expect(procs()).toEqual([]);
        env.ok(['delete', id]);
      }
      expect(leftoversOf(env, id, { bundle })).toEqual([]);
    });
  }

  it('run forwards SIGTERM to the container and exits with its status', async () => {
    const { spec, out } = withOut(specWith(['sh', '-c', 'trap "exit 7" TERM; touch /out/started; while :; do sleep 0.1; done']));
    setConfig(bundle, spec);
    const id = env.id('fwd');
    const child = spawn(TSRUNC, ['--root', env.root, 'run', '--bundle', bundle, id], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor('/out/started', () => fs.existsSync(path.join(out, 'started')));
    child.kill('SIGTERM');
    expect(await exited).toBe(7);
    expect(leftoversOf(env, id, { bundle })).toEqual([]);
  });
});

describe('--pidfd-socket', () => {
  /**
   * A listener on a fresh socket that takes one pidfd and prints the word that came with it; `signal()`
   * then has it send `signal` through the pidfd (and exit).
   */
  async function pidfdListener(sig: string): Promise<{ socket: string; word: Promise<string>; signal: () => Promise<void> }> {
    const socket = path.join(fs.mkdtempSync(path.join(env.tmp, 'pidfd-')), 'sock');
    const script = [
      'import os, signal, socket, sys',
      's = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)',
      'c, _ = s.accept()',
      'msg, fds, _, _ = socket.recv_fds(c, 64, 1)',
      'print(msg.decode(), flush=True)',
      'sys.stdin.readline()',
      'signal.pidfd_send_signal(fds[0], getattr(signal, sys.argv[2]))',
    ].join('\n');
    const child = spawn('python3', ['-c', script, socket, sig], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const word = new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
    await waitFor('the listener', () => fs.existsSync(socket));
    return { socket, word, signal: async () => { child.stdin.end('\n'); await exited; } };
  }

  it("create and exec send a pidfd of their process (runc's words: standard, setns); a signal through it reaches the process", async () => {
    const l = await pidfdListener('SIGKILL');
    const { id, pid } = createWith(specWith(['sh', '-c', FOREVER]), ['--pidfd-socket', l.socket]);
    expect(await l.word).toBe('standard');
    await l.signal();
    await stopped(id);
    await deleteAndCheck(id, pid);

    const { id: running, pid: init } = runDetached(FOREVER);
    const e = await pidfdListener('SIGTERM');
    const exec = new Promise<number | null>((resolve) => {
      spawn(TSRUNC, ['--root', env.root, 'exec', '--pidfd-socket', e.socket, running, 'sh', '-c', 'trap "exit 7" TERM; touch /tmp/trapped; while :; do sleep 0.1; done'], { stdio: 'ignore' })
        .once('exit', (code) => resolve(code));
    });
    expect(await e.word).toBe('setns');
    // The pidfd comes before the program runs: signal once its trap is set.
    await waitFor('the trap', () => fs.existsSync(`/proc/${init}/root/tmp/trapped`));
    await e.signal();
    expect(await exec).toBe(7);
    await deleteAndCheck(running, init, ['--force']);
  });
});

describe('list', () => {
  it('prints a table, JSON (null when empty) and ids with --quiet', async () => {
    const local = new TestEnv('list');
    try {
      // As runc: a --root that is not there is an error (the default root not made yet lists nothing).
      const missing = local.tsrunc(['list'], { env: { TSRUNC_DAEMON: 'off' } });
      if (!fs.existsSync(local.root)) {
        expect([missing.status, missing.stderr]).toEqual([1, expect.stringContaining(`open ${local.root}: no such file or directory`)]);
      }
      fs.mkdirSync(local.root, { recursive: true });
      const empty = local.ok(['list', '--format', 'json']);
      expect(empty.stdout).toBe('null\n');
      expect(local.ok(['list', '--quiet']).stdout).toBe('');
      expect(local.ok(['list']).stdout).toMatch(/^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER\n?$/);

      const b = local.bundle('b', specWith(['sh', '-c', FOREVER]));
      const ids = [local.id('a'), local.id('b')].sort();
      local.ok(['create', '--bundle', b, ids[0]]);
      local.ok(['run', '--detach', '--bundle', b, ids[1]]);
      const pids = ids.map((id) => local.state(id).pid);

      const json = JSON.parse(local.ok(['list', '--format', 'json']).stdout) as Record<string, unknown>[];
      expect(json.map((s) => [s.id, s.pid, s.status, s.bundle, s.owner])).toEqual([
        [ids[0], pids[0], 'created', b, 'root'],
        [ids[1], pids[1], 'running', b, 'root'],
      ]);
      for (const s of json) expect(new Date(s.created as string).getTime()).toBeGreaterThan(Date.now() - 60_000);

      expect(local.ok(['list', '-q']).stdout).toBe(`${ids.join('\n')}\n`);

      const lines = local.ok(['list']).stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER$/);
      expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 4))).toEqual([
        [ids[0], String(pids[0]), 'created', b],
        [ids[1], String(pids[1]), 'running', b],
      ]);
      // Columns line up: every row's STATUS starts where the header's does.
      const col = lines[0].indexOf('STATUS');
      for (const l of lines.slice(1)) expect(l.slice(col)).toMatch(/^(created|running) /);

      for (const id of ids) local.ok(['delete', '--force', id]);
      for (const pid of pids) await reap(pid);
      expect(local.ok(['list', '--format', 'json']).stdout).toBe('null\n');
    } finally {
      expect(await local.cleanup()).toEqual([]);
    }
  });
});

describe('run', () => {
  it('exits with the container\'s exit status', () => {
    const r = runSpec(env, bundle, specWith(['sh', '-c', 'echo hello; exit 3']));
    expect(r).toMatchObject({ status: 3, stdout: 'hello\n' });
  });

  it('exits 128+N when the init is killed by signal N', () => {
    // A pid namespace's init ignores SIGKILL sent from inside it, so the process kills itself in the
    // host's pid namespace.
    const r = runSpec(env, bundle, specWith(['sh', '-c', 'kill -9 $$'], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid');
    }));
    expect(r.status).toBe(137);
  });

  it('--detach returns while the container runs', async () => {
    const { id, pid } = runDetached(FOREVER);
    expect(readProcStat(pid)?.state).not.toBe('Z');
    await deleteAndCheck(id, pid, ['--force']);
  });

  it('without --keep deletes the container when it exits; with --keep leaves it stopped', async () => {
    setConfig(bundle, specWith(['true']));
    const gone = env.id('gone');
    env.ok(['run', '--bundle', bundle, gone]);
    expect(leftoversOf(env, gone, { bundle })).toEqual([]);

    const kept = env.id('kept');
    env.ok(['run', '--keep', '--bundle', bundle, kept]);
    expect(env.state(kept)).toMatchObject({ status: 'stopped', pid: 0 });
    expect(cgroupExists(kept)).toBe(true);
    await deleteAndCheck(kept, 0);
  });
});

function cgroupExists(id: string): boolean {
  return leftoversOf(env, id).some((l) => l.startsWith('cgroup'));
}

/** Reads the pids in the container's cgroup (any hierarchy of the ones its state records). */
function cgroupProcs(id: string): () => number[] {
  const record = JSON.parse(fs.readFileSync(path.join(env.root, id, 'state.json'), 'utf8')) as { cgroup: { paths: Record<string, string> } };
  const file = path.join(Object.values(record.cgroup.paths)[0], 'cgroup.procs');
  return () => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
}

describe('a cgroup that is not empty', () => {
  it('is taken with a warning, as runc takes it; delete --force of the second container stops everything in it', async () => {
    const shared = `/tsrunc-test-shared-${process.pid}`;
    const a = env.id('cga');
    const b = env.id('cgb');
    setConfig(bundle, specWith(['sh', '-c', FOREVER], (s) => { s.linux!.cgroupsPath = shared; }));
    env.ok(['run', '--detach', '--bundle', bundle, a]);
    const pidA = env.state(a).pid;
    const log = path.join(env.tmp, 'shared.log');
    env.ok(['--log', log, 'run', '--detach', '--bundle', bundle, b]);
    expect(fs.readFileSync(log, 'utf8')).toMatch(new RegExp(`level=warn msg="container's cgroup is not empty: \\d+ process\\(es\\) found in \\S+${shared} \\(${pidA}\\b`));
    expect(fs.readFileSync(log, 'utf8').match(/is not empty/g)).toHaveLength(1);
    const pidB = env.state(b).pid;
    env.ok(['delete', '--force', b]);
    await reap(pidB);
    await waitFor(`${a} to stop`, () => env.state(a).status === 'stopped');
    env.ok(['delete', a]);
    await reap(pidA);
    expect(leftoversOf(env, a, { bundle, pid: pidA })).toEqual([]);
  });
});

const cpusetV1 = detectCgroupLayout().v1.cpuset;

describe.skipIf(cpusetV1 === undefined)('a cgroup v1 cpuset parent made empty by someone else (mkdir, as a pod manager)', () => {
  it('is filled from its own parent before the container\'s, as runc does, and left in place after delete', async () => {
    const pod = `tsrunc-test-pod-${process.pid}`;
    const podDir = path.join(cpusetV1!, pod);
    fs.mkdirSync(podDir);
    const id = env.id('pod');
    try {
      expect(fs.readFileSync(path.join(podDir, 'cpuset.cpus'), 'utf8').trim()).toBe('');
      setConfig(bundle, specWith(['cat', '/sys/fs/cgroup/cpuset/cpuset.cpus', '/sys/fs/cgroup/cpuset/cpuset.mems'], (s) => {
        s.linux!.cgroupsPath = `/${pod}/ctr`;
      }));
      const r = env.tsrunc(['run', '--bundle', bundle, id]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const host = ['cpus', 'mems'].map((f) => fs.readFileSync(path.join(cpusetV1!, `cpuset.${f}`), 'utf8').trim());
      expect(r.stdout.trim().split('\n')).toEqual(host);
      expect(['cpus', 'mems'].map((f) => fs.readFileSync(path.join(podDir, `cpuset.${f}`), 'utf8').trim())).toEqual(host);
      expect(leftoversOf(env, id, { bundle })).toEqual([]);
      expect(fs.existsSync(podDir)).toBe(true);
    } finally {
      try {
        fs.rmdirSync(path.join(podDir, 'ctr'));
      } catch { /* gone */ }
      fs.rmdirSync(podDir);
    }
  });
});
