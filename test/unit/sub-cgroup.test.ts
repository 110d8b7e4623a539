// exec --cgroup: which cgroup.procs (v1) or directory (v2) an exec'd process enters.
import { describe, expect, it } from 'vitest';
import { subCgroupEntry } from '../../src/linux/cgroups/sub-cgroup';

const V1 = { memory: '/sys/fs/cgroup/memory/c', cpu: '/sys/fs/cgroup/cpu,cpuacct/c', cpuacct: '/sys/fs/cgroup/cpu,cpuacct/c', pids: '/sys/fs/cgroup/pids/c' };
const all = () => true;

describe('exec --cgroup', () => {
  it('v1: a path for every hierarchy, or for the named ones; the others keep the container\'s cgroup', () => {
    expect(subCgroupEntry('v1', V1, ['sub'], all).join).toEqual([
      '/sys/fs/cgroup/memory/c/sub/cgroup.procs', '/sys/fs/cgroup/cpu,cpuacct/c/sub/cgroup.procs', '/sys/fs/cgroup/pids/c/sub/cgroup.procs',
    ]);
    expect(subCgroupEntry('v1', V1, ['memory,pids:a/b', 'cpu:x'], all).join).toEqual([
      '/sys/fs/cgroup/memory/c/a/b/cgroup.procs', '/sys/fs/cgroup/cpu,cpuacct/c/x/cgroup.procs', '/sys/fs/cgroup/pids/c/a/b/cgroup.procs',
    ]);
  });

  it('v2: one path, cloned into', () => {
    expect(subCgroupEntry('v2', { unified: '/sys/fs/cgroup/c' }, ['/w'], all)).toEqual({ join: [], cloneInto: '/sys/fs/cgroup/c/w' });
    expect(() => subCgroupEntry('v2', { unified: '/sys/fs/cgroup/c' }, ['memory:w'], all)).toThrow('--cgroup on cgroup v2: give one sub-cgroup path');
  });

  it('"/" (or a path that comes back to it) is the container\'s own cgroup; a path is read below it', () => {
    const own = ['/sys/fs/cgroup/memory/c/cgroup.procs', '/sys/fs/cgroup/cpu,cpuacct/c/cgroup.procs', '/sys/fs/cgroup/pids/c/cgroup.procs'];
    expect(subCgroupEntry('v1', V1, ['/'], () => false).join).toEqual(own);
    expect(subCgroupEntry('v1', V1, ['a/..'], () => false).join).toEqual(own);
    expect(subCgroupEntry('v1', V1, ['/a/./b/'], all).join[0]).toBe('/sys/fs/cgroup/memory/c/a/b/cgroup.procs');
    expect(subCgroupEntry('v2', { unified: '/sys/fs/cgroup/c' }, ['/'], () => false)).toEqual({ join: [], cloneInto: '/sys/fs/cgroup/c' });
  });

  it('refuses a path out of the container\'s cgroup, unknown hierarchies and sub-cgroups that do not exist, in runc\'s words', () => {
    expect(() => subCgroupEntry('v1', V1, ['..'], all)).toThrow('--cgroup ..: bad sub cgroup path: .. is not a sub cgroup path');
    expect(() => subCgroupEntry('v1', V1, ['memory:a/../../x'], all)).toThrow('bad sub cgroup path: a/../../x is not a sub cgroup path');
    expect(() => subCgroupEntry('v1', V1, ['/..'], all)).toThrow('bad sub cgroup path');
    expect(() => subCgroupEntry('v1', V1, [':x'], all)).toThrow('invalid --cgroup ":x"');
    expect(() => subCgroupEntry('v1', V1, ['blkio:x'], all)).toThrow('--cgroup blkio:x: unknown controller blkio: the container has no blkio hierarchy');
    expect(() => subCgroupEntry('v1', V1, ['nope'], () => false))
      .toThrow("--cgroup nope: the container's cgroup has no sub-cgroup nope: error adding pid to cgroups: open /sys/fs/cgroup/memory/c/nope/cgroup.procs: no such file or directory");
  });
});
