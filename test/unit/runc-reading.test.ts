// The config as runc reads it: keys matched case-insensitively (the last of a name wins), an empty
// namespace path read as none; each a warning naming the spec's spelling.
import { describe, expect, it } from 'vitest';
import { readAsRunc } from '../../src/runtime/bundle/runc-reading';

describe('reading a config as runc does', () => {
  it('folds keys of known objects, not of maps; the last key of a name wins', () => {
    const config = JSON.parse('{"Process": {"Args": ["a"], "cwd": "/"}, "annotations": {"Key": "v"}, "linux": {"Namespaces": [{"Type": "pid"}], "sysctl": {"Net.x": "1"}}, "HOSTNAME": "one", "hostname": "two"}');
    const warnings = readAsRunc(config);
    expect(config).toEqual({
      process: { args: ['a'], cwd: '/' }, annotations: { Key: 'v' }, linux: { namespaces: [{ type: 'pid' }], sysctl: { 'Net.x': '1' } }, hostname: 'two',
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
