// state.json read back: a finished record, a create's provisional one, and everything else corrupt.
import { describe, expect, it } from 'vitest';
import { CorruptRecord, isCreating, parseRecord } from '../../src/runtime/state-record';

const cgroup = { driver: 'v1', paths: { pids: '/sys/fs/cgroup/pids/c1' }, created: ['/sys/fs/cgroup/pids/c1'] };
const finished = {
  ociVersion: '1.3.0', id: 'c1', pid: 42, pidStartTime: '123', bundle: '/b', rootfs: '/b/rootfs',
  created: '2026-01-01T00:00:00.000Z', owner: 'root', cgroup, ownPidNamespace: true,
};
const creating = {
  status: 'creating', id: 'c1', creator: { pid: 7, startTime: '1' }, bundle: '/b', created: '2026-01-01T00:00:00.000Z',
  owner: 'root', cgroup, helper: { pid: 8, startTime: '2' },
};

function reason(text: string): string {
  try {
    parseRecord(text, 'c1');
  } catch (err) {
    if (err instanceof CorruptRecord) return err.reason;
    throw err;
  }
  throw new Error('accepted');
}

describe('parseRecord', () => {
  it('reads a finished record and a provisional one', () => {
    expect(isCreating(parseRecord(JSON.stringify(finished), 'c1'))).toBe(false);
    expect(isCreating(parseRecord(JSON.stringify(creating), 'c1'))).toBe(true);
    const devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }];
    expect(parseRecord(JSON.stringify({ ...finished, devices }), 'c1')).toMatchObject({ devices });
  });

  it('says in a few words why anything else cannot be used', () => {
    const good = JSON.stringify(finished);
    expect(reason('')).toBe('the file is empty');
    expect(reason(good.slice(0, 40))).toMatch(/^not JSON \(/);
    expect(reason('garbage')).toMatch(/^not JSON \(/);
    expect(reason('{}')).toBe('"id" is missing');
    expect(reason('null')).toBe('not a JSON object (null)');
    expect(reason('[]')).toBe('not a JSON object (an array)');
    expect(reason(JSON.stringify({ ...finished, id: 'c2' }))).toBe('"id" is "c2", not "c1"');
    expect(reason(JSON.stringify({ ...finished, pid: 0 }))).toBe('"pid" is not a positive integer');
    expect(reason(JSON.stringify({ ...finished, cgroup: { ...cgroup, paths: {} } }))).toMatch(/^"cgroup" is not/);
    expect(reason(JSON.stringify({ ...finished, status: 'running' }))).toBe('"status" is "running"');
    expect(reason(JSON.stringify({ ...finished, devices: { path: '/dev/fuse' } }))).toBe('"devices" is not a list of devices');
    expect(reason(JSON.stringify({ ...creating, creator: { pid: 'x' } }))).toBe('"creator" is not a process (pid and startTime)');
  });
});
