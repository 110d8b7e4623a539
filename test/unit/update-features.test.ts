// update's LinuxResources from --resources and flags; features' lists read off the code's own tables.
import { describe, expect, it } from 'vitest';
import { findCommand } from '../../src/runtime/cli/definition';
import { parseCommandLine } from '../../src/runtime/cli/parse';
import { mergeResources, parseBytes, UPDATE_FLAGS, updateResources } from '../../src/runtime/commands/update';
import { features } from '../../src/runtime/commands/features';
import { parseMountOptions } from '../../src/linux/mount-options';
import { translateSeccomp } from '../../src/linux/seccomp';
import { CAPABILITIES } from '../../src/linux/constants';
import configSchema from '../../schema/config.schema.json';

const flagsOf = (...argv: string[]) => parseCommandLine(['update', ...argv, 'id']).flags;
const noInput = () => {
  throw new Error('no input');
};

describe('update', () => {
  it('reads sizes as runc does (binary units, -1)', () => {
    expect(parseBytes('1024')).toBe(1024);
    expect(parseBytes('512k')).toBe(512 * 1024);
    expect(parseBytes('64m')).toBe(64 * 1024 ** 2);
    expect(parseBytes('1.5G')).toBe(1.5 * 1024 ** 3);
    expect(parseBytes('2gb')).toBe(2 * 1024 ** 3);
    expect(parseBytes('-1')).toBe(-1);
    expect(parseBytes('lots')).toBeUndefined();
  });

  it('every update flag of the CLI definition has a place in LinuxResources', () => {
    const names = findCommand('update')!.flags.map((f) => f.name).filter((n) => n !== 'resources');
    expect(names.sort()).toEqual(Object.keys(UPDATE_FLAGS).sort());
  });

  it('puts flags into their sections, over the --resources document', () => {
    const r = updateResources(
      flagsOf('--resources', 'r.json', '--memory=128m', '--cpu-shares', '512', '--cpu-quota', '-1', '--cpuset-cpus', '0-1', '--pids-limit', '42', '--blkio-weight', '300'),
      () => JSON.stringify({ memory: { limit: 1, swap: 2 }, pids: { limit: 7 } }),
    );
    expect(r).toEqual({
      memory: { limit: 128 * 1024 ** 2, swap: 2 },
      cpu: { shares: 512, quota: -1, cpus: '0-1' },
      pids: { limit: 42 },
      blockIO: { weight: 300 },
    });
  });

  it('names the field of an invalid document, and the flag of a bad value', () => {
    expect(() => updateResources(flagsOf('-r', '-'), () => '{"memory":{"limit":"x"}}')).toThrow(/memory\.limit/);
    expect(() => updateResources(flagsOf('-r', '-'), () => '[1]')).toThrow(/must be a JSON object/);
    expect(() => updateResources(flagsOf('-r', '-'), () => '{')).toThrow(/^the resources on stdin: not valid JSON at line 1, column 2/);
    expect(() => updateResources(flagsOf('-r', '-'), () => '{"cpu":{"cpus":"0\\u0000,1"}}')).toThrow(/cpu\.cpus: contains a NUL byte/);
    expect(() => updateResources(flagsOf('--cpu-period', '-5'), noInput)).toThrow(/--cpu-period: "-5" is not an unsigned integer/);
    expect(() => updateResources(flagsOf('--blkio-weight', '70000'), noInput)).toThrow(/--blkio-weight/);
  });

  it('merges updates section by section', () => {
    expect(mergeResources({ memory: { limit: 1, swap: 2 }, pids: { limit: 3 } }, { memory: { limit: 5 }, cpu: { shares: 9 } }))
      .toEqual({ memory: { limit: 5, swap: 2 }, pids: { limit: 3 }, cpu: { shares: 9 } });
  });
});

describe('features', () => {
  const f = features() as {
    mountOptions: string[];
    linux: { namespaces: string[]; capabilities: string[]; seccomp: { actions: string[]; operators: string[]; archs: string[] } };
  };

  it('lists only mount options the parser honours', () => {
    // Each one is understood, not passed on to the filesystem as data.
    for (const o of f.mountOptions) expect(parseMountOptions([o]).data, o).toEqual([]);
    expect(f.mountOptions).toEqual(expect.arrayContaining(['rro', 'rnosymfollow', 'tmpcopyup', 'idmap', 'ridmap']));
  });

  it('lists seccomp names translateSeccomp accepts; SCMP_ACT_NOTIFY in rules with a listener, never as the default (as runc)', () => {
    for (const action of f.linux.seccomp.actions.filter((a) => a !== 'SCMP_ACT_NOTIFY')) {
      expect(translateSeccomp({ defaultAction: action }).problems.filter((p) => p.severity === 'error'), action).toEqual([]);
    }
    expect(f.linux.seccomp.actions).toContain('SCMP_ACT_NOTIFY');
    expect(translateSeccomp({ defaultAction: 'SCMP_ACT_NOTIFY' }).problems).not.toEqual([]);
    expect(translateSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
    }).problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(f.linux.seccomp.operators).toContain('SCMP_CMP_MASKED_EQ');
    expect(f.linux.seccomp.archs).toContain('SCMP_ARCH_X86_64');
  });

  it('lists the memory policy modes and flags the schema takes and set-mempolicy is given', () => {
    const { memoryPolicy } = (f as unknown as { linux: { memoryPolicy: { modes: string[]; flags: string[] } } }).linux;
    const schema = configSchema.definitions.MemoryPolicy.properties;
    expect(memoryPolicy.modes).toEqual([...schema.mode.enum].sort());
    expect(memoryPolicy.flags).toEqual([...schema.flags.items.enum].sort());
  });

  it('lists every namespace and capability', () => {
    expect(f.linux.namespaces.sort()).toEqual(['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts']);
    expect(f.linux.capabilities).toHaveLength(CAPABILITIES.length);
  });
});
