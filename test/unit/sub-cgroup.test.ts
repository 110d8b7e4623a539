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

  it('refuses "..", unknown hierarchies and sub-cgroups that do not exist', () => {
    expect(() => subCgroupEntry('v1', V1, ['../other'], all)).toThrow('invalid --cgroup "../other"');
    expect(() => subCgroupEntry('v1', V1, ['blkio:x'], all)).toThrow('--cgroup blkio:x: the container has no blkio hierarchy');
    expect(() => subCgroupEntry('v1', V1, ['nope'], () => false)).toThrow("--cgroup nope: the container's cgroup has no sub-cgroup nope (/sys/fs/cgroup/memory/c/nope)");
  });
});
