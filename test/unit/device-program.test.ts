// The cgroup v2 device program, pure: the instruction encoder (bytes and decoded listings), the program
// tsrunc builds from device rules (exact listings), and what it decides, run in a small interpreter of
// the instructions it uses and compared with the rules' meaning for many rule lists.
import { describe, expect, it } from 'vitest';
import {
  alu32Imm, alu32Reg, type BpfInsn, decodeProgram, describeInsn, encodeProgram, exit, jumpImm, jumpReg, listProgram, loadWord, mov64Imm,
} from '../../src/linux/bpf-insn';
import {
  BPF_DEVCG_ACC_MKNOD, BPF_DEVCG_ACC_READ, BPF_DEVCG_ACC_WRITE, BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_DEV_CHAR, buildDeviceProgram, describeProgramRule,
} from '../../src/linux/cgroups/device-program';
import { deviceCgroupRules, type SourcedDeviceRule } from '../../src/linux/devices';

const program = (rules: SourcedDeviceRule[]) => {
  const built = buildDeviceProgram(rules, 'linux.resources.devices');
  expect(built.problems).toEqual([]);
  return built.program!;
};

const ACCESS: Record<string, number> = { r: BPF_DEVCG_ACC_READ, w: BPF_DEVCG_ACC_WRITE, m: BPF_DEVCG_ACC_MKNOD };
const bits = (access: string) => [...access].reduce((b, c) => b | ACCESS[c], 0);

/**
 * Runs a program of the instructions bpf-insn.ts builds on a bpf_cgroup_dev_ctx, as the kernel would:
 * 1 allows, 0 denies. Fails on anything else (a backward jump, an unknown instruction, falling off).
 */
function run(insns: BpfInsn[], type: 'c' | 'b', major: number, minor: number, access: string): number {
  const ctx = [(bits(access) << 16) | (type === 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK), major >>> 0, minor >>> 0];
  const r = new Array<bigint>(11).fill(0n);
  const u64 = (v: bigint) => BigInt.asUintN(64, v);
  const u32 = (v: bigint) => BigInt.asUintN(32, v);
  const imm64 = (i: BpfInsn) => u64(BigInt(i.imm));
  for (let pc = 0; pc < insns.length; pc++) {
    const i = insns[pc];
    const src = (i.code & 0x08) !== 0 ? r[i.src] : imm64(i);
    switch (i.code & 0xf7) {
      case 0x61: r[i.dst] = BigInt(ctx[i.off / 4]); break; // ldx w, from the context
      case 0x54: r[i.dst] = u32(r[i.dst] & src); break;
      case 0x74: r[i.dst] = u32(r[i.dst]) >> u32(src); break;
      case 0xb4: r[i.dst] = u32(src); break;
      case 0xb7: r[i.dst] = u64(src); break;
      case 0x15: case 0x55: {
        if (i.off < 0) throw new Error(`backward jump at ${pc}`);
        if ((r[i.dst] === src) === ((i.code & 0xf0) === 0x10)) pc += i.off;
        break;
      }
      case 0x95: return Number(r[0]);
      default: throw new Error(`instruction ${describeInsn(i)} at ${pc}`);
    }
  }
  throw new Error('fell off the end');
}

/** The rules' meaning: each access asked is decided by the last rule naming the device and it; undecided is denied. */
function reference(rules: SourcedDeviceRule[], type: 'c' | 'b', major: number, minor: number, access: string): number {
  const names = (x: SourcedDeviceRule) => ((x.type ?? 'a') === 'a' || x.type === type)
    && (x.major == null || x.major < 0 || x.major === major) && (x.minor == null || x.minor < 0 || x.minor === minor);
  return [...access].every((a) => [...rules].reverse().find((x) => names(x) && (x.access ?? 'rwm').includes(a))?.allow === true) ? 1 : 0;
}

describe('BPF instructions', () => {
  it('encode as struct bpf_insn (little-endian, dst in the low nibble) and decode back', () => {
    const insns = [loadWord(2, 1, 0), alu32Imm('and', 3, ~2), alu32Reg('mov', 1, 3), jumpReg('jne', 4, 1, 3), jumpImm('jeq', 1, 0, -1), mov64Imm(0, 1), exit()];
    const bytes = encodeProgram(insns);
    expect(Buffer.from(bytes.subarray(0, 8)).toString('hex')).toBe('6112000000000000');
    expect(Buffer.from(bytes.subarray(8, 16)).toString('hex')).toBe('54030000fdffffff');
    expect(Buffer.from(bytes.subarray(16, 24)).toString('hex')).toBe('bc31000000000000');
    expect(Buffer.from(bytes.subarray(40, 56)).toString('hex')).toBe('b7000000010000009500000000000000');
    expect(decodeProgram(bytes)).toEqual(insns);
    expect(listProgram(decodeProgram(bytes))).toEqual([
      '0: r2 = *(u32 *)(r1 + 0)',
      '1: w3 &= 0xfffffffd',
      '2: w1 = w3',
      '3: if r4 != r1 goto +3',
      '4: if r1 == 0 goto -1',
      '5: r0 = 1',
      '6: exit',
    ]);
    expect(() => decodeProgram(new Uint8Array(12))).toThrow(/multiple of 8/);
  });
});

describe('the device program', () => {
  it('checks the rules last first, each block falling through to the next', () => {
    const p = program([
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: true, type: 'b', major: 8, access: 'r' },
      { allow: false, type: 'a', major: 4294967295, minor: -1, access: 'w' },
    ]);
    expect(p.otherwise).toEqual({ allow: false, origin: 'linux.resources.devices[0]' });
    expect(p.rules.map(describeProgramRule)).toEqual(['allow c 1:3 rwm', 'allow b 8:* r', 'deny  a 4294967295:* w']);
    expect(listProgram(decodeProgram(encodeProgram(p.insns)))).toEqual([
      ' 0: r2 = *(u32 *)(r1 + 0)',
      ' 1: w2 &= 0xffff',
      ' 2: r3 = *(u32 *)(r1 + 0)',
      ' 3: w3 >>= 16',
      ' 4: r4 = *(u32 *)(r1 + 4)',
      ' 5: r5 = *(u32 *)(r1 + 8)',
      // deny a 4294967295:* w: the major is above 2^31, so compared through r1
      ' 6: w1 = 4294967295',
      ' 7: if r4 != r1 goto +5',
      ' 8: w1 = w3',
      ' 9: w1 &= 0x4',
      '10: if r1 == 0 goto +2',
      '11: r0 = 0',
      '12: exit',
      // allow b 8:* r
      '13: if r2 != 1 goto +5',
      '14: if r4 != 8 goto +4',
      '15: w3 &= 0xfffffffd',
      '16: if r3 != 0 goto +2',
      '17: r0 = 1',
      '18: exit',
      // allow c 1:3 rwm
      '19: if r2 != 2 goto +4',
      '20: if r4 != 1 goto +3',
      '21: if r5 != 3 goto +2',
      '22: r0 = 1',
      '23: exit',
      // no rule decided
      '24: r0 = 0',
      '25: exit',
    ]);
  });

  it('leaves out what a later rule covering everything overrides; with none left it is just the answer', () => {
    const p = program([{ allow: true, type: 'c', major: 1, minor: 3 }, { allow: true }, { allow: false, type: 'b', access: 'm' }]);
    expect(p.otherwise).toEqual({ allow: true, origin: 'linux.resources.devices[1]' });
    expect(p.rules.map((r) => r.origin)).toEqual(['linux.resources.devices[2]']);
    expect(listProgram(program([{ allow: true, access: 'rwm' }]).insns)).toEqual(['0: r0 = 1', '1: exit']);
    expect(listProgram(program([]).insns)).toEqual(['0: r0 = 0', '1: exit']);
  });

  it('the rules create gives a container: runc\'s defaults are allowed, nothing else (not the config\'s devices either)', () => {
    const rules = deviceCgroupRules([{ allow: false, access: 'rwm' }], [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }]);
    const p = program(rules);
    expect(p.otherwise.origin).toBe('linux.resources.devices[0]');
    expect(new Set(p.rules.map((r) => r.origin))).toEqual(new Set(['default device rule']));
    const decide = (type: 'c' | 'b', major: number, minor: number, access: string) => run(p.insns, type, major, minor, access);
    expect(decide('c', 1, 3, 'rw')).toBe(1); // /dev/null
    expect(decide('c', 136, 7, 'rw')).toBe(1); // a pty
    expect(decide('c', 10, 229, 'rw')).toBe(0); // the config's /dev/fuse: only a rule of linux.resources.devices allows it
    expect(decide('c', 10, 237, 'r')).toBe(0); // /dev/loop-control
    expect(decide('b', 8, 0, 'r')).toBe(0);
    expect(decide('b', 8, 0, 'm')).toBe(1); // mknod of anything, opening it is another matter
    expect(decide('c', 4, 1, 'm')).toBe(1);
    expect(decide('c', 4, 1, 'mw')).toBe(0);
  });

  it('decides each access by the last rule naming it (a later rule overrides, an access asked with others too)', () => {
    const p = program([{ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }]);
    expect([run(p.insns, 'c', 1, 3, 'r'), run(p.insns, 'c', 1, 3, 'w'), run(p.insns, 'c', 1, 3, 'rw')]).toEqual([1, 0, 0]);
    // Two rules together allow what neither allows alone (v1 would want one rule with both).
    const q = program([{ allow: true, type: 'c', access: 'r' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'w' }]);
    expect([run(q.insns, 'c', 1, 3, 'rw'), run(q.insns, 'c', 1, 5, 'rw'), run(q.insns, 'c', 1, 5, 'r')]).toEqual([1, 0, 1]);
    // A deny below an allow of the same access no longer matters for it.
    const s = program([{ allow: true, type: 'c', major: 1, minor: 3, access: 'w' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'r' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'r' }]);
    expect(run(s.insns, 'c', 1, 3, 'rw')).toBe(1);
  });

  it('means what the rules mean, for many rule lists and every request', () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pick = <T>(xs: readonly T[]) => xs[rand(xs.length)];
    const accesses = ['r', 'w', 'm', 'rw', 'rm', 'wm', 'rwm'];
    for (let n = 0; n < 300; n++) {
      const rules: SourcedDeviceRule[] = Array.from({ length: 1 + rand(6) }, () => ({
        allow: rand(2) === 0,
        type: pick(['a', 'c', 'b', undefined] as const),
        major: pick([undefined, null, -1, 1, 2, 2 ** 31 + 1]),
        minor: pick([undefined, 3, 4]),
        access: pick([...accesses, undefined]),
      }));
      const { insns } = program(rules);
      for (const type of ['c', 'b'] as const) {
        for (const major of [1, 2, 7, 2 ** 31 + 1]) {
          for (const minor of [3, 4, 9]) {
            for (const access of accesses) {
              expect(run(insns, type, major, minor, access), `${JSON.stringify(rules)} on ${type} ${major}:${minor} ${access}`)
                .toBe(reference(rules, type, major, minor, access));
            }
          }
        }
      }
    }
  });

  it('names each number it cannot compare, at the rule\'s own field', () => {
    const built = buildDeviceProgram([
      { allow: true, type: 'c', major: 1, minor: 3 },
      { allow: true, type: 'c', major: 2 ** 32, minor: 0.5, origin: 'linux.devices[0]' },
    ], 'linux.resources.devices');
    expect(built.program).toBeUndefined();
    expect(built.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'linux.devices[0].major: 4294967296 cannot be matched by a cgroup v2 device program: the kernel gives it device numbers of 32 bits (0 to 4294967295)',
      'linux.devices[0].minor: 0.5 cannot be matched by a cgroup v2 device program: the kernel gives it device numbers of 32 bits (0 to 4294967295)',
    ]);
  });
});
