// The op schema is the one definition of the plan's ops: the checked-in C table and the op reference
// must be what it renders, and the constructors and fieldsOf must agree with it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkArgs, fieldsOf, HEAD_OPS, makeOp, op, OPS, type OpName } from '../../src/linux/op-schema';
import { opsInReference, renderOpReference, renderOpTable } from '../../scripts/op-table';
import { sampleFields } from '../support/op-samples';

const root = path.resolve(__dirname, '../..');
const NAMES = Object.keys(OPS) as OpName[];

describe('the op schema', () => {
  it('is what native/helper/op_table.h holds (run `node scripts/gen-op-table.mjs` after changing it)', () => {
    expect(fs.readFileSync(path.join(root, 'native/helper/op_table.h'), 'utf8')).toBe(renderOpTable());
  });

  it('is what the op reference lists: every op has a row, every row an op, the args column rendered from it', () => {
    const doc = fs.readFileSync(path.join(root, 'docs/plan-format.md'), 'utf8');
    expect(renderOpReference(doc)).toBe(doc);
    const rows = opsInReference(doc);
    expect([...new Set(rows)].sort()).toEqual([...NAMES].sort());
    expect(rows.length).toBe(NAMES.length);
  });

  it('lets only the ops that touch the helper alone into a head', () => {
    expect([...HEAD_OPS].sort()).toEqual(['cloexec-from', 'join-cgroup', 'open-cgroup']);
  });

  it('reads back by name what each constructor was given', () => {
    for (const name of NAMES) {
      const fields = sampleFields(name);
      expect(fieldsOf(makeOp(name, fields)), name).toEqual(fields);
    }
  });

  it('has one constructor per op, named after it, keeping the origin', () => {
    expect(op.mountInRoot({
      root: '/r', source: '', dest: '/d', fstype: 'tmpfs', flags: 2, data: '', create: 'dir', remountFlags: 0, propagation: 0,
    }, 'mounts[0]')).toEqual({ op: 'mount-in-root', args: ['/r', '', '/d', 'tmpfs', '2', '', 'dir', '0', '0'], origin: 'mounts[0]' });
    expect(op.capset({ effective: 0n, permitted: 0x21n, inheritable: 2n ** 63n })).toEqual({ op: 'capset', args: ['0x0', '0x21', '0x8000000000000000'] });
    expect(op.runHook({ label: 'l', timeout: 0, stateBeforePid: '{', stateAfterPid: '}', path: '/h', argv: ['h', '-v'], env: 'inherit' }).args)
      .toEqual(['l', '0', '{', '}', '/h', '2', 'h', '-v', 'inherit']);
    expect(op.exec({ argv: ['sh'], env: ['A=1', 'B=2'] }).args).toEqual(['1', 'sh', 'A=1', 'B=2']);
    expect(op.waitStart()).toEqual({ op: 'wait-start', args: [] });
    expect(op.console({ ptmx: '/dev/ptmx', rows: 0, cols: 0, uid: null, consolePath: '', onlcr: 'keep' }).args).toEqual(['/dev/ptmx', '0', '0', '', '', 'keep']);
  });

  it('checks what is sent as the helper does, worded as it words it', () => {
    expect(checkArgs(op.umask({ mask: 0o1000 }))).toBe('umask: bad mask "512" (argument 1): must be a number, at most 511');
    expect(checkArgs(op.chdir({ path: 'relative' }))).toBe('chdir: bad path "relative" (argument 1): must be an absolute path');
    expect(checkArgs({ op: 'mount-in-root', args: ['/r', '', '/d', '', '0', '', 'maybe', '0', '0'] }))
      .toBe('mount-in-root: bad create "maybe" (argument 7): is not one of the values the op takes');
    expect(checkArgs({ op: 'rlimit', args: ['1', '18446744073709551616', '0'] })).toMatch(/bad soft .* must be a 64-bit number/);
    expect(checkArgs(op.seccomp({ items: [] }))).toBe('wrong argument count 0 for seccomp');
    expect(checkArgs(op.dropBounding({ caps: [1, 64] }))).toBe('drop-bounding: bad caps "64" (argument 2): must be a number, at most 63');
    expect(checkArgs({ op: 'exec', args: ['5', 'a'] })).toBe('wrong argument count 2 for exec');
    expect(checkArgs({ op: 'frobnicate', args: [] })).toBe('unknown op "frobnicate"');
    for (const name of NAMES) expect(checkArgs(makeOp(name, sampleFields(name))), name).toBeUndefined();
  });
});
