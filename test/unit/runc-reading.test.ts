// The config as runc reads it: keys matched case-insensitively (the last of a name wins), an empty
// namespace path read as none; each a warning naming the spec's spelling.
import { describe, expect, it } from 'vitest';
import { readAsRunc, readProcessAsRunc } from '../../src/runtime/bundle/runc-reading';

describe('reading a config as runc does', () => {
  it('folds keys of known objects, not of maps; the last key of a name wins', () => {
    const config = JSON.parse('{"Process": {"Args": ["a"], "cwd": "/", "user": {"uid": 0, "gid": 0}}, "annotations": {"Key": "v"}, "linux": {"Namespaces": [{"Type": "pid"}], "sysctl": {"Net.x": "1"}}, "HOSTNAME": "one", "hostname": "two"}');
    const warnings = readAsRunc(config);
    expect(config).toEqual({
      process: { args: ['a'], cwd: '/', user: { uid: 0, gid: 0 } }, annotations: { Key: 'v' }, linux: { namespaces: [{ type: 'pid' }], sysctl: { 'Net.x': '1' } }, hostname: 'two',
    });
    expect(warnings.map((w) => [w.path, w.message])).toEqual([
      ['Process', 'is read as "process", as runc reads it (its JSON keys match case-insensitively)'],
      ['HOSTNAME', 'is read as "hostname", as runc reads it (its JSON keys match case-insensitively), but a later key of the same name wins'],
      ['Process.Args', 'is read as "args", as runc reads it (its JSON keys match case-insensitively)'],
      ['linux.Namespaces', 'is read as "namespaces", as runc reads it (its JSON keys match case-insensitively)'],
      ['linux.Namespaces[0].Type', 'is read as "type", as runc reads it (its JSON keys match case-insensitively)'],
    ]);
    expect(warnings.every((w) => w.severity === 'warning')).toBe(true);
  });

  it('reads a namespace path of "" as none', () => {
    const config = { linux: { namespaces: [{ type: 'pid', path: '' }, { type: 'ipc', path: '/proc/1/ns/ipc' }] } };
    expect(readAsRunc(config).map((w) => w.path)).toEqual(['linux.namespaces[0].path']);
    expect(config.linux.namespaces).toEqual([{ type: 'pid' }, { type: 'ipc', path: '/proc/1/ns/ipc' }]);
  });
});

describe('fields runc reads as their zero value', () => {
  it('a null of a known key is read as not given; array items and map values are left alone', () => {
    const config = { linux: { timeOffsets: null, namespaces: [{ type: 'time', path: null }], sysctl: { 'a.b': null } }, mounts: [null] };
    const warnings = readAsRunc(config);
    expect(config).toEqual({ linux: { namespaces: [{ type: 'time' }], sysctl: { 'a.b': null } }, mounts: [null] });
    expect(warnings.map((w) => [w.path, w.message])).toEqual([
      ['linux.timeOffsets', 'is null: read as not given, as runc reads it'],
      ['linux.namespaces[0].path', 'is null: read as not given, as runc reads it'],
    ]);
  });

  it('process.user, its uid and gid and ioPriority.priority are 0 when left out', () => {
    const config = { process: { user: { uid: 1000 }, ioPriority: { class: 'IOPRIO_CLASS_BE' } } };
    expect(readAsRunc(config).map((w) => [w.path, w.severity])).toEqual([
      ['process.user.gid', 'warning'], ['process.ioPriority.priority', 'warning'],
    ]);
    expect(config.process).toEqual({ user: { uid: 1000, gid: 0 }, ioPriority: { class: 'IOPRIO_CLASS_BE', priority: 0 } });
    const noUser: { process: Record<string, unknown> } = { process: { args: ['sh'] } };
    expect(readAsRunc(noUser).map((w) => w.path)).toEqual(['process.user']);
    expect(noUser.process.user).toEqual({ uid: 0, gid: 0 });
    const userNull: { process: Record<string, unknown> } = { process: { user: null } };
    expect(readAsRunc(userNull).map((w) => w.path)).toEqual(['process.user', 'process.user']);
    expect(userNull.process.user).toEqual({ uid: 0, gid: 0 });
  });

  it('a config without process gets none (create requires it; check without a process is fine)', () => {
    const config = { linux: {} };
    expect(readAsRunc(config)).toEqual([]);
    expect(config).toEqual({ linux: {} });
  });

  it('an exec process file is read the same way', () => {
    const process = { Args: ['sh'], ioPriority: { class: 'IOPRIO_CLASS_IDLE' } };
    expect(readProcessAsRunc(process).map((w) => w.path)).toEqual(['process.Args', 'process.user', 'process.ioPriority.priority']);
    expect(process).toEqual({ args: ['sh'], user: { uid: 0, gid: 0 }, ioPriority: { class: 'IOPRIO_CLASS_IDLE', priority: 0 } });
  });
});
