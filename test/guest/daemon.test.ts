// The warm server under systemd (socket activation), as scripts/install-daemon.sh sets it up: the first
// command starts it through its socket, is served warm, and stopping the units leaves nothing. Runs
// where systemd is PID 1 (the guest of scripts/guest/run.sh); the units it installs are removed again.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemdRunning } from '../../src/linux/cgroups/systemd/bus';
import { packageRoot } from '../../src/linux/native';
import { DAEMON_SOCKET, TestEnv } from '../support/env';
import { specWith } from '../oci-conformance/helpers';

const usable = process.getuid?.() === 0 && systemdRunning();
const UNITS = ['tsrunc-daemon@.socket', 'tsrunc-daemon@.service'].map((u) => path.join('/etc/systemd/system', u));
const systemctl = (...args: string[]) => spawnSync('systemctl', args, { encoding: 'utf8' });

describe.skipIf(!usable)('tsrunc daemon under systemd (socket activation)', { timeout: 180_000 }, () => {
  let env: TestEnv;
  let instance = '';
  const hadUnits = UNITS.some((u) => fs.existsSync(u));

  beforeAll(() => {
    env = new TestEnv('sdwarm');
    instance = spawnSync('systemd-escape', ['--path', env.root], { encoding: 'utf8' }).stdout.trim();
  });

  afterAll(async () => {
    systemctl('stop', `tsrunc-daemon@${instance}.socket`, `tsrunc-daemon@${instance}.service`);
    systemctl('disable', `tsrunc-daemon@${instance}.socket`);
    if (!hadUnits) for (const u of UNITS) fs.rmSync(u, { force: true });
    systemctl('daemon-reload');
    expect(await env.cleanup()).toEqual([]);
  });

  it('install-daemon.sh enables the socket; the first command starts the server and is served warm', () => {
    if (hadUnits) return; // a host with tsrunc's units of its own: not this test's to replace
    const install = spawnSync('bash', [path.join(packageRoot(), 'scripts/install-daemon.sh'), env.root], { encoding: 'utf8' });
    expect(install.status, install.stderr).toBe(0);
    expect(systemctl('is-active', `tsrunc-daemon@${instance}.socket`).stdout.trim()).toBe('active');
    expect(fs.existsSync(path.join(env.root, DAEMON_SOCKET))).toBe(true);
    const bundle = env.bundle('b', specWith(['sh', '-c', 'echo warm']));
    // The first command starts the server and its first worker: a guest under TCG takes its time.
    const r = env.tsrunc(['run', '--bundle', bundle, env.id('sd')], { env: { TSRUNC_DAEMON: 'required', TSRUNC_DAEMON_TIMEOUT_MS: '120000' }, timeout: 180_000 });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'warm\n', '']);
    expect(systemctl('is-active', `tsrunc-daemon@${instance}.service`).stdout.trim()).toBe('active');
    // The server's stop lets its workers go: the unit is inactive, and the socket stays for the next start.
    systemctl('stop', `tsrunc-daemon@${instance}.service`);
    expect(systemctl('is-active', `tsrunc-daemon@${instance}.service`).stdout.trim()).not.toBe('active');
    expect(env.tsrunc(['list', '--quiet'], { env: { TSRUNC_DAEMON: 'required' } }).status).toBe(0);
  });
});
