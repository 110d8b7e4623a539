// tsrunc as containerd's runtime binary: a private containerd (own socket, root and state in a temp
// folder) and containerd-shim-runc-v2, driven with ctr --runc-binary bin/tsrunc, as an engine does:
// create/start/wait/delete with the exit status, exec, ps, pause/resume, kill, and a terminal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChildProcess, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startDaemon, stopDaemon, TestEnv, TSRUNC, makeRootfs, WARM } from '../support/env';
import { hasContainerd, type PrivateContainerd, startContainerd } from '../support/containerd';

describe.skipIf(!hasContainerd)('containerd 1.6 with containerd-shim-runc-v2', () => {
  let env: TestEnv;
  let containerd: PrivateContainerd | undefined;
  let rootfs = '';
  const hadRunDir = fs.existsSync('/run/containerd');
  // The shim's --root for ctr's default namespace; served warm with TSRUNC_TEST_WARM=1.
  const runcRoot = '/run/containerd/runc/default';
  let daemon: ChildProcess | undefined;

  const ctr = (args: string[], timeout = 30_000) => containerd!.ctr(args, timeout);
  const run = (id: string, extra: string[], cmd: string[]) =>
    ctr(['run', ...extra, '--runc-binary', TSRUNC, '--rootfs', rootfs, id, ...cmd]);

  beforeAll(async () => {
    env = new TestEnv('ctrd');
    rootfs = path.join(env.tmp, 'rootfs');
    makeRootfs(rootfs);
    if (WARM) {
      daemon = startDaemon(runcRoot, path.join(env.tmp, 'daemon.log'));
      // containerd passes its environment on to the shim, and the shim to tsrunc: never cold unnoticed.
      process.env.TSRUNC_DAEMON = 'required';
    }
    containerd = await startContainerd(path.join(env.tmp, 'containerd'));
  });

  afterAll(async () => {
    for (const id of ['ctrd-run', 'ctrd-detached', 'ctrd-tty']) {
      ctr(['task', 'kill', '-s', 'SIGKILL', id]);
      ctr(['task', 'delete', '-f', id]);
      ctr(['container', 'rm', id]);
    }
    await containerd?.stop();
    delete process.env.TSRUNC_DAEMON;
    if (daemon) await stopDaemon(daemon);
    const leftovers = await env.cleanup();
    // containerd keeps its own runtime root (/run/containerd/runc/<ns>); tsrunc's state under it must be
    // gone, and so must the cgroups (ctr puts them under /default).
    const state = fs.existsSync(runcRoot) ? fs.readdirSync(runcRoot).filter((n) => n.startsWith('ctrd-')) : [];
    const cgroups = spawnSync('find', ['/sys/fs/cgroup', '-maxdepth', '5', '-name', 'ctrd-*'], { encoding: 'utf8' }).stdout.trim();
    if (!hadRunDir) fs.rmSync('/run/containerd', { recursive: true, force: true });
    expect([...leftovers, ...state, ...(cgroups ? [cgroups] : [])]).toEqual([]);
  });

  it('runs a container and passes its exit status back', () => {
    const r = run('ctrd-run', ['--rm'], ['sh', '-c', 'echo hello from tsrunc; echo pid $$; exit 3']);
    expect(r.stdout).toBe('hello from tsrunc\npid 1\n');
    expect(r.status).toBe(3);
  });

  it('runs detached, then exec, ps, pause, resume, kill and delete', () => {
    expect(run('ctrd-detached', ['-d'], ['sh', '-c', 'while :; do sleep 0.1; done']).status).toBe(0);
    expect(ctr(['task', 'ls']).stdout).toMatch(/ctrd-detached\s+\d+\s+RUNNING/);
    const exec = ctr(['task', 'exec', '--exec-id', 'e1', 'ctrd-detached', 'sh', '-c', 'echo in $(hostname); cat /proc/1/cmdline | tr "\\0" " "']);
    expect(exec).toMatchObject({ status: 0 });
    expect(exec.stdout).toContain('while :; do sleep 0.1; done');
    expect(ctr(['task', 'ps', 'ctrd-detached']).stdout.trim().split('\n').length).toBeGreaterThanOrEqual(2);
    expect(ctr(['task', 'pause', 'ctrd-detached']).status).toBe(0);
    expect(ctr(['task', 'ls']).stdout).toMatch(/ctrd-detached\s+\d+\s+PAUSED/);
    expect(ctr(['task', 'resume', 'ctrd-detached']).status).toBe(0);
    expect(ctr(['task', 'ls']).stdout).toMatch(/ctrd-detached\s+\d+\s+RUNNING/);
    expect(ctr(['task', 'kill', '-s', 'SIGKILL', 'ctrd-detached']).status).toBe(0);
    for (let i = 0; i < 50 && !/STOPPED/.test(ctr(['task', 'ls']).stdout); i++) spawnSync('sleep', ['0.1']);
    expect(ctr(['task', 'ls']).stdout).toMatch(/ctrd-detached\s+\d+\s+STOPPED/);
    expect(ctr(['task', 'delete', 'ctrd-detached']).status).toBe(0);
    expect(ctr(['container', 'rm', 'ctrd-detached']).status).toBe(0);
  });

  it('gives the container a terminal through the console socket', () => {
    // ctr -t wants a terminal of its own: script(1) gives it one.
    const r = spawnSync('script', ['-qec', `ctr -a ${containerd!.sock} run --rm -t --runc-binary ${TSRUNC} --rootfs ${rootfs} ctrd-tty sh -c 'tty; echo tty-ok'`, '/dev/null'], {
      encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+\s+tty-ok/);
  });
});
