// The cgroup v2 device program on the real cgroup2 mount (here the hybrid host's /sys/fs/cgroup/unified,
// which offers no controllers; device programs attach to any cgroup2 directory all the same): what it
// allows and refuses to a process in the cgroup, its replacement by a later apply, that the kernel's
// verifier takes what tsrunc builds, and that it goes with the cgroup.

import { spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type CgroupLayout, detectCgroupLayout } from '../../src/linux/cgroups/layout';
import { cgroupManagerFor } from '../../src/linux/cgroups/manager';
import { attachDeviceProgram, attachedDevicePrograms, deviceProgramUnavailable } from '../../src/linux/cgroups/device-filter';
import { buildDeviceProgram } from '../../src/linux/cgroups/device-program';
import { deviceCgroupRules, type SourcedDeviceRule } from '../../src/linux/devices';
import { encodeProgram, exit, mov64Imm } from '../../src/linux/bpf-insn';
import { native } from '../../src/linux/native';
import { cleanupTestCgroups, isRoot, testId } from './helpers';

const mount = detectCgroupLayout().unified;
const usable = isRoot && mount !== undefined && deviceProgramUnavailable() === undefined;
const layout: CgroupLayout = { mode: 'v2', unified: mount, v1: {} };

/** Runs `script` in sh after the shell has moved itself into cgroup `dir`; stdout and stderr together. */
function inCgroup(dir: string, script: string): string {
  const r = spawnSync('sh', ['-c', `echo $$ > ${dir}/cgroup.procs || exit 99; ${script}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(r.status, r.stderr).not.toBe(99);
  return `${r.stdout}${r.stderr}`;
}

const TRY = [
  '{ cat /dev/null && echo null-read-ok; } 2>&1',
  '{ echo x > /dev/null && echo null-write-ok; } 2>&1',
  "{ head -c1 /dev/zero | tr '\\000' Z; echo; } 2>&1",
].join('; ');

describe.skipIf(!usable)(`the cgroup v2 device program on the real cgroup2 mount (${mount})`, () => {
  let id = '';

  afterEach(async () => {
    await cleanupTestCgroups(id);
  });

  it('refuses a process in the cgroup what the rules do not allow (EPERM), allows the rest; a later apply replaces it', () => {
    id = testId('dev');
    const m = cgroupManagerFor({ id, cgroupsPath: `/${id}`, layout });
    m.create();
    const dir = m.paths.unified;
    expect(attachedDevicePrograms(dir)).toEqual([]);

    // /dev/null may be read, not written; /dev/zero is not named, so refused. (The shell's stdout is a
    // pipe opened before, which no program checks again.)
    m.apply({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'r' }] });
    const first = attachedDevicePrograms(dir);
    expect(first).toHaveLength(1);
    const out = inCgroup(dir, TRY);
    expect(out).toContain('null-read-ok');
    expect(out).not.toContain('null-write-ok');
    expect(out).toMatch(/\/dev\/null: Operation not permitted/);
    expect(out).toMatch(/\/dev\/zero.*Operation not permitted/);
    expect(out).not.toMatch(/^Z$/m);

    // A later rule overrides an earlier one; the new program takes the old one's place.
    m.apply({ devices: [{ allow: true, type: 'c', major: 1, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 5, access: 'r' }] });
    const second = attachedDevicePrograms(dir);
    expect(second).toHaveLength(1);
    expect(second).not.toEqual(first);
    const again = inCgroup(dir, TRY);
    expect(again).toContain('null-read-ok');
    expect(again).toContain('null-write-ok');
    expect(again).toMatch(/\/dev\/zero.*Operation not permitted/);
    // Reading is what the later rule takes away; opening /dev/zero to write is still allowed.
    expect(inCgroup(dir, '{ echo x > /dev/zero && echo zero-write-ok; } 2>&1')).toContain('zero-write-ok');

    m.destroy();
    expect(existsSync(dir)).toBe(false);
  });

  it('the verifier loads the program of the rules create gives and of many other rule lists', () => {
    id = testId('devload');
    const m = cgroupManagerFor({ id, cgroupsPath: `/${id}`, layout });
    m.create();
    const dir = m.paths.unified;
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pick = <T>(xs: readonly T[]) => xs[rand(xs.length)];
    const lists: SourcedDeviceRule[][] = [
      deviceCgroupRules([{ allow: false, access: 'rwm' }], [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }]),
      [],
      [{ allow: true }],
      ...Array.from({ length: 20 }, () => Array.from({ length: 1 + rand(8) }, (): SourcedDeviceRule => ({
        allow: rand(2) === 0,
        type: pick(['a', 'c', 'b'] as const),
        major: pick([undefined, 1, 4095, 2 ** 32 - 1]),
        minor: pick([undefined, 0, 2 ** 20 - 1]),
        access: pick(['r', 'w', 'm', 'rw', 'rwm']),
      }))),
    ];
    for (const rules of lists) {
      const { program } = buildDeviceProgram(rules, 'linux.resources.devices');
      attachDeviceProgram(dir, program!, 'linux.resources.devices');
      expect(attachedDevicePrograms(dir)).toHaveLength(1);
    }
    // What the verifier refuses is said in its words (a program that does not end in exit).
    const broken = { rules: [], otherwise: { allow: false }, insns: [mov64Imm(0, 1)] };
    expect(() => attachDeviceProgram(dir, broken, 'linux.resources.devices'))
      .toThrow(/^linux\.resources\.devices: cannot load the device program \(BPF_PROG_TYPE_CGROUP_DEVICE\): bpf\(BPF_PROG_LOAD\): \w.*; the verifier said: \S/);
    expect(attachedDevicePrograms(dir)).toHaveLength(1);
    m.destroy();
  });

  it('a program above that lets no other in is a clear error naming the field', () => {
    id = testId('devnone');
    const m = cgroupManagerFor({ id, cgroupsPath: `/${id}/ctr`, layout });
    m.create();
    // Attached to the parent without flags (BPF_F_NONE): no program may be attached below it.
    const prog = native().bpfProgLoad(15, encodeProgram([mov64Imm(0, 1), exit()]), 'GPL');
    const parent = openSync(join(mount!, id), constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      native().bpfProgAttach(parent, prog, 6, 0);
    } finally {
      closeSync(parent);
      closeSync(prog);
    }
    expect(() => m.apply({ devices: [{ allow: true }] })).toThrow(new RegExp(
      `^linux\\.resources\\.devices: cannot attach the device program to ${m.paths.unified}: bpf\\(BPF_PROG_ATTACH\\): Operation not permitted \\(.*`
      + 'or a program attached to this cgroup or above it without BPF_F_ALLOW_MULTI keeps others out\\)$'));
    expect(attachedDevicePrograms(m.paths.unified)).toEqual([]);
    m.destroy();
  });
});
