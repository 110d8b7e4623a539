// --systemd-cgroup on a host where systemd is not running (this development machine, CI): create and
// run fail with one line naming the bus they cannot reach, exit 1, and leave nothing; check and explain
// still judge a cgroupsPath by the driver's rules. (With systemd, see test/guest/systemd.test.ts.)
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CGROUP2_ONLY_ENV, detectCgroupLayout } from '../../src/linux/cgroups/layout';
import { systemdRunning } from '../../src/linux/cgroups/systemd/bus';
import { TestEnv } from '../support/env';
import { leftoversOf, specWith } from './helpers';

const noSystemd = process.getuid?.() === 0 && !systemdRunning() && !process.env.DBUS_SYSTEM_BUS_ADDRESS && !fs.existsSync('/run/dbus/system_bus_socket');
const unified = detectCgroupLayout().unified;
const NO_BUS = 'systemd cgroup driver: cannot connect to the system bus at /run/dbus/system_bus_socket: no such file or directory (systemd is not running on this host: /run/systemd/system does not exist)';

describe.skipIf(!noSystemd)('--systemd-cgroup without systemd', () => {
  let env: TestEnv;
  let bundle: string;

  beforeAll(() => {
    env = new TestEnv('nosd');
    bundle = env.bundle('b', specWith(['true']));
  });

  afterAll(async () => {
    expect(await env.cleanup()).toEqual([]);
  });

  for (const [what, extra] of [['this host', {}], ['a cgroup v2 view of it', unified ? { [CGROUP2_ONLY_ENV]: unified } : undefined]] as const) {
    it.skipIf(extra === undefined)(`create and run fail naming the bus, and leave nothing (${what})`, () => {
      for (const cmd of [['create'], ['run', '--detach']]) {
        const id = env.id('nosd');
        const r = env.tsrunc(['--systemd-cgroup', ...cmd, '--bundle', bundle, id], { env: extra });
        expect(r.status).toBe(1);
        expect(r.stderr.trim().split('\n')).toEqual([expect.stringContaining(`msg="${NO_BUS}"`)]);
        expect(leftoversOf(env, id)).toEqual([]);
        expect(env.stateEntries()).toEqual([]);
      }
    });
  }

  it.skipIf(unified === undefined)('check and explain judge cgroupsPath by the driver\'s rules', () => {
    const opts = { env: { [CGROUP2_ONLY_ENV]: unified! } };
    const ok = env.bundle('ok', { ...specWith(['true']), linux: { ...specWith(['true']).linux, cgroupsPath: 'machine-pod.slice:libpod:abc' } });
    expect(env.tsrunc(['--systemd-cgroup', 'explain', '--bundle', ok, 'x'], opts).stdout)
      .toContain(`path unified      ${unified}/machine.slice/machine-pod.slice/libpod-abc.scope`);
    const bad = env.bundle('bad', { ...specWith(['true']), linux: { ...specWith(['true']).linux, cgroupsPath: 'a:b' } });
    const r = env.tsrunc(['--systemd-cgroup', 'check', '--bundle', bad], opts);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('linux.cgroupsPath: "a:b" is not in the systemd driver\'s "slice:prefix:name" form');
    // Without the flag, the systemd form is refused as before.
    expect(env.tsrunc(['check', '--bundle', ok], opts).stdout).toContain('give --systemd-cgroup for the systemd driver');
  });
});
