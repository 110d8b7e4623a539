// process.terminal through bin/tsrunc with real busybox containers, as containerd's shim and conmon use
// it: the caller listens on --console-socket, tsrunc's helper connects, makes the pty in the
// container's devpts and sends exactly one fd (the master) with a name before create / exec --detach
// exits; the process has the slave as its controlling terminal and stdio, sized by
// process.consoleSize and owned by process.user.uid. runc's checkTerminal refusals; a foreground run
// or exec without a socket makes its own pty and copies it to its stdio.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tty from 'node:tty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Spec } from '../../src/oci/types';
import { native } from '../../src/linux/native';
import { TestEnv, TSRUNC } from '../support/env';
import { setConfig, specWith } from './helpers';

let env: TestEnv;
let bundle: string;
let seq = 0;

beforeAll(() => {
  env = new TestEnv('terminal');
  bundle = env.bundle('b', specWith(['true']));
});

afterAll(async () => {
  expect(await env.cleanup()).toEqual([]);
});

const PROBE = 'tty; stty size; id; stat -c "owner %u" "$(tty)"; readlink /proc/self/fd/1; test -c /dev/console && echo console-ok; exit 0';

function terminalSpec(script: string, edit?: (s: Spec) => void): Spec {
  return specWith(['sh', '-c', script], (s) => {
    s.process!.terminal = true;
    s.process!.consoleSize = { height: 33, width: 101 };
    s.process!.env = ['PATH=/usr/bin:/bin', 'TERM=xterm'];
    edit?.(s);
  });
}

/** A console socket the test listens on, as the shim does. */
function listen(): { socket: string; fd: number; close(): void } {
  const socket = path.join(env.tmp, `console-${seq++}.sock`);
  const fd = native().listenUnix(socket, 4);
  return { socket, fd, close: () => { fs.closeSync(fd); fs.rmSync(socket, { force: true }); } };
}

/** Everything the master gives until EIO (every slave fd closed), CRLF made LF. */
function readPty(fd: number, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = new tty.ReadStream(fd);
    let out = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no EIO from the pty master in time; read ${JSON.stringify(out)}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(out.replace(/\r\n/g, '\n'));
    };
    s.on('data', (d: Buffer) => { out += d.toString('utf8'); });
    s.on('error', done);
    s.on('end', done);
  });
}

function gone(id: string): void {
  expect(fs.existsSync(path.join(env.root, id))).toBe(false);
  expect(env.tsrunc(['state', id]).status).not.toBe(0);
}

describe('create --console-socket', () => {
  it('sends one fd (the master) with a name before create exits; the process has the sized pty as its terminal', async () => {
    setConfig(bundle, terminalSpec(PROBE, (s) => { s.process!.user = { uid: 1000, gid: 1000 }; }));
    const l = listen();
    const id = env.id('c');
    try {
      const created = env.ok(['create', '--bundle', bundle, '--console-socket', l.socket, id]);
      expect(created.stdout).toBe('');
      // Sent before create exited: waiting is no longer needed.
      const got = native().receiveFd(l.fd, 0);
      expect(got.name).not.toBe('');
      expect(fs.readlinkSync(`/proc/self/fd/${got.fd}`)).toMatch(/ptmx$/);
      expect(env.state(id).status).toBe('created');
      const output = readPty(got.fd);
      env.ok(['start', id]);
      const out = await output;
      const lines = out.trim().split('\n');
      expect(lines[0]).toMatch(/^\/dev\/pts\/\d+$/);
      expect(lines[1]).toBe('33 101');
      expect(lines[2]).toMatch(/^uid=1000\b/);
      expect(lines[3]).toBe('owner 1000');
      expect(lines[4]).toBe(lines[0]);
      expect(lines[5]).toBe('console-ok');
    } finally {
      l.close();
    }
    env.ok(['delete', '--force', id]);
  });

  it('refuses process.terminal without --console-socket, leaving nothing', () => {
    setConfig(bundle, terminalSpec('true'));
    const id = env.id('c');
    const r = env.tsrunc(['create', '--bundle', bundle, id]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot allocate tty .*console socket/);
    gone(id);
  });

  it('refuses --console-socket with process.terminal false, leaving nothing', () => {
    setConfig(bundle, specWith(['true']));
    const l = listen();
    const id = env.id('c');
    try {
      const r = env.tsrunc(['create', '--bundle', bundle, '--console-socket', l.socket, id]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/cannot use console socket .*process.terminal is false/);
      gone(id);
    } finally {
      l.close();
    }
  });

  it('fails create cleanly when nothing listens on the socket', () => {
    setConfig(bundle, terminalSpec('true'));
    const id = env.id('c');
    const r = env.tsrunc(['create', '--bundle', bundle, '--console-socket', path.join(env.tmp, 'nobody.sock'), id]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--console-socket: console-connect .*nobody\.sock.*no such file or directory/);
    gone(id);
  });
});

describe('exec --tty', () => {
  it('exec --detach --tty --console-socket: the master arrives before exec exits, the process has the pty', async () => {
    setConfig(bundle, specWith(['sh', '-c', 'while :; do sleep 0.1; done'], (s) => {
      s.process!.consoleSize = { height: 40, width: 120 };
    }));
    const id = env.id('c');
    env.ok(['run', '--detach', '--bundle', bundle, id]);
    const l = listen();
    const pidFile = path.join(env.tmp, `exec-${seq++}.pid`);
    try {
      env.ok(['exec', '--detach', '--tty', '--console-socket', l.socket, '--pid-file', pidFile, id, 'sh', '-c', 'tty; stty size; ps -o pid,tty | grep -c pts; exit 0']);
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      const got = native().receiveFd(l.fd, 0);
      expect(got.name).not.toBe('');
      const reaped = native().waitpid(pid);
      const out = await readPty(got.fd);
      await reaped;
      const lines = out.trim().split('\n');
      expect(lines[0]).toMatch(/^\/dev\/pts\/\d+$/);
      expect(lines[1]).toBe('40 120');
    } finally {
      l.close();
    }
    env.ok(['delete', '--force', id]);
  });

  it('refuses --console-socket without --tty, and a foreground exec with a console socket', () => {
    setConfig(bundle, specWith(['sh', '-c', 'while :; do sleep 0.1; done']));
    const id = env.id('c');
    env.ok(['run', '--detach', '--bundle', bundle, id]);
    const l = listen();
    try {
      const noTty = env.tsrunc(['exec', '--detach', '--console-socket', l.socket, id, 'true']);
      expect(noTty.status).toBe(255);
      expect(noTty.stderr).toMatch(/cannot use console socket/);
      const noSocket = env.tsrunc(['exec', '--detach', '--tty', id, 'true']);
      expect(noSocket.status).toBe(255);
      expect(noSocket.stderr).toMatch(/cannot allocate tty/);
    } finally {
      l.close();
    }
    env.ok(['delete', '--force', id]);
  });

  it('a foreground exec --tty copies the pty to its stdout and exits with the status', () => {
    setConfig(bundle, specWith(['sh', '-c', 'while :; do sleep 0.1; done']));
    const id = env.id('c');
    env.ok(['run', '--detach', '--bundle', bundle, id]);
    const r = spawnSync(TSRUNC, ['--root', env.root, 'exec', '--tty', id, 'sh', '-c', 'tty; echo from-exec; exit 7'], {
      encoding: 'utf8', input: '', timeout: 20_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(7);
    // Output flags as runc sets them on a pty it relays: no "\r\n" for "\n".
    expect(r.stdout).toMatch(/^\/dev\/pts\/\d+\nfrom-exec\n$/);
    env.ok(['delete', '--force', id]);
  });
});

describe('run with a terminal', () => {
  it('in the foreground without a socket: its own pty, copied to stdout; the exit status', () => {
    setConfig(bundle, terminalSpec('tty; stty size; echo from-run; exit 5'));
    const id = env.id('c');
    const r = spawnSync(TSRUNC, ['--root', env.root, 'run', '--bundle', bundle, id], { encoding: 'utf8', input: '', timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(5);
    expect(r.stdout).toMatch(/^\/dev\/pts\/\d+\n33 101\nfrom-run\n$/);
    gone(id);
  });

  it('refuses a console socket in the foreground, and a detached terminal without one', () => {
    setConfig(bundle, terminalSpec('true'));
    const l = listen();
    try {
      const id = env.id('c');
      const fg = env.tsrunc(['run', '--bundle', bundle, '--console-socket', l.socket, id]);
      expect(fg.status).toBe(1);
      expect(fg.stderr).toMatch(/cannot use console socket .*not detaching/);
      gone(id);
      const bg = env.tsrunc(['run', '--detach', '--bundle', bundle, id]);
      expect(bg.status).toBe(1);
      expect(bg.stderr).toMatch(/cannot allocate tty/);
      gone(id);
    } finally {
      l.close();
    }
  });
});
