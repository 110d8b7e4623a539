// schemaProblems: the path, message, found/expected and hint of typical mistakes.

import { describe, expect, test } from 'vitest';
import type { AjvErrorObject } from '../../src/generated/validators';
import { formatFound, formatPath, mergeProblems, schemaErrorsToProblems, schemaProblems } from '../../src/runtime/bundle/schema-problems';
import { closestMatch, levenshtein } from '../../src/common/closest-match';
import { formatProblem, type Problem } from '../../src/common/errors';

function config(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ociVersion: '1.2.0',
    root: { path: 'rootfs' },
    process: { user: { uid: 0, gid: 0 }, args: ['sh'], cwd: '/' },
    linux: { namespaces: [{ type: 'mount' }] },
    ...extra,
  };
}

function only(spec: unknown): Problem {
  const problems = schemaProblems(spec);
  expect(problems.map(formatProblem)).toHaveLength(1);
  return problems[0];
}

describe('typical mistakes', () => {
  test('a valid config has no problems', () => {
    expect(schemaProblems(config())).toEqual([]);
  });

  test('namespace type misspelled', () => {
    const p = only(config({ linux: { namespaces: [{ type: 'mount' }, { type: 'pid' }, { type: 'netwrok' }] } }));
    expect(p).toEqual({
      severity: 'error',
      path: 'linux.namespaces[2].type',
      message: 'must be one of: pid, network, mount, ipc, uts, user, cgroup, time',
      found: '"netwrok"',
      hint: "did you mean 'network'?",
    });
  });

  test('an abbreviated or differently cased enum value', () => {
    expect(only(config({ linux: { namespaces: [{ type: 'mount' }, { type: 'net' }] } })).hint).toBe("did you mean 'network'?");
    expect(only(config({ linux: { namespaces: [{ type: 'MOUNT' }] } })).hint).toBe("did you mean 'mount'?");
    expect(only(config({ linux: { seccomp: { defaultAction: 'SCMP_ACT_ALOW' } } })).hint).toBe("did you mean 'SCMP_ACT_ALLOW'?");
    expect(only(config({ linux: { seccomp: { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['x86_64'] } } })).hint).toBe("did you mean 'SCMP_ARCH_X86_64'?");
  });

  test('no hint for a value far from every allowed one', () => {
    const p = only(config({ linux: { seccomp: { defaultAction: 'deny' } } }));
    expect(p.path).toBe('linux.seccomp.defaultAction');
    expect(p.hint).toBeUndefined();
  });

  test('a mount without destination', () => {
    const p = only(config({ mounts: [{ destination: '/proc', type: 'proc' }, { source: 'tmpfs', type: 'tmpfs' }] }));
    expect(p).toMatchObject({ path: 'mounts[1].destination', message: 'is required', expected: 'a string' });
  });

  test('missing properties name their own path; problems come in document order', () => {
    const problems = schemaProblems(config({ process: { user: {}, args: ['sh'] } }));
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ['process.user.uid', 'is required'],
      ['process.user.gid', 'is required'],
      ['process.cwd', 'is required'],
    ]);
    expect(problems[0].expected).toBe('an unsigned 32-bit integer (0 to 4294967295)');
  });

  test('a negative uid', () => {
    expect(only(config({ process: { user: { uid: -1, gid: 0 }, args: ['sh'], cwd: '/' } }))).toEqual({
      severity: 'error',
      path: 'process.user.uid',
      message: 'must be an unsigned 32-bit integer (0 to 4294967295)',
      found: '-1',
    });
  });

  test('a number written as a string', () => {
    const p = only(config({ process: { user: { uid: '1000', gid: 0 }, args: ['sh'], cwd: '/' } }));
    expect(p).toMatchObject({
      path: 'process.user.uid',
      message: 'must be an integer',
      found: '"1000" (a string)',
      expected: 'an unsigned 32-bit integer (0 to 4294967295)',
    });
  });

  test('env entries that are not strings', () => {
    const p = only(config({ process: { user: { uid: 0, gid: 0 }, args: ['sh'], cwd: '/', env: ['A=1', 7] } }));
    expect(p).toMatchObject({ path: 'process.env[1]', message: 'must be a string', found: '7 (an integer)' });
  });

  test('ociVersion that is not SemVer gets a corrected suggestion', () => {
    expect(only(config({ ociVersion: '1.0' }))).toMatchObject({ path: 'ociVersion', message: 'must be a SemVer 2.0 version such as 1.2.0', hint: "did you mean '1.0.0'?" });
    expect(only(config({ ociVersion: 'v1.1.0' })).hint).toBe("did you mean '1.1.0'?");
    expect(only(config({ ociVersion: 'latest' })).hint).toBeUndefined();
  });

  test('relative paths where absolute ones are required', () => {
    expect(only(config({ process: { user: { uid: 0, gid: 0 }, args: ['sh'], cwd: 'srv' } }))).toMatchObject({
      path: 'process.cwd', message: "must be an absolute path (starting with '/')", found: '"srv"', hint: "did you mean '/srv'?",
    });
    expect(only(config({ hooks: { prestart: [{ path: './hook.sh' }] } }))).toMatchObject({ path: 'hooks.prestart[0].path', hint: "did you mean '/hook.sh'?" });
  });

  test('an rlimit without its prefix', () => {
    expect(only(config({ process: { user: { uid: 0, gid: 0 }, args: ['sh'], cwd: '/', rlimits: [{ type: 'nofile', soft: 1, hard: 1 }] } }))).toMatchObject({
      path: 'process.rlimits[0].type', message: 'must be a resource name such as RLIMIT_NOFILE', hint: "did you mean 'RLIMIT_NOFILE'?",
    });
  });

  test('empty process.args', () => {
    expect(only(config({ process: { user: { uid: 0, gid: 0 }, args: [], cwd: '/' } }))).toMatchObject({ path: 'process.args', message: 'must have at least one entry', found: '[]' });
  });

  test('keys that are not identifiers are quoted', () => {
    expect(only(config({ annotations: { 'com.example/key': 1 } })).path).toBe('annotations["com.example/key"]');
    expect(only(config({ linux: { namespaces: [{ type: 'mount' }], resources: { rdma: { 'mlx5-1': {} } } } })).path).toBe('linux.resources.rdma["mlx5-1"]');
  });

  test('idmapped mount with only one mapping', () => {
    const p = only(config({ mounts: [{ destination: '/d', source: '/s', options: ['bind', 'idmap'], gidMappings: [{ containerID: 0, hostID: 1, size: 1 }] }] }));
    expect(p).toMatchObject({ path: 'mounts[0].uidMappings', message: 'is required when gidMappings is set' });
  });

  test('anyOf noise becomes one problem', () => {
    const problems = schemaProblems(config({ linux: { namespaces: [{ type: 'mount' }], resources: { blockIO: { weightDevice: [{ major: 8, minor: 0 }] } } } }));
    expect(problems).toEqual([{
      severity: 'error',
      path: 'linux.resources.blockIO.weightDevice[0]',
      message: 'must set at least one of: weight, leafWeight',
      expected: 'weight and/or leafWeight',
    }]);
  });

  test('the same mistake found by two rules is reported once', () => {
    // process is checked by its own definition and by the POSIX requirements: one problem.
    expect(schemaProblems(config({ process: 'sh' })).map(formatProblem)).toEqual([
      'process: must be an object; found "sh" (a string)',
    ]);
  });

  test('a value of the wrong type is shown, cut when long', () => {
    const p = only(config({ hostname: ['a'.repeat(100)] }));
    expect(p.path).toBe('hostname');
    expect(p.found!.length).toBeLessThanOrEqual(80);
    expect(p.found).toContain('…');
  });

  test('the whole document', () => {
    expect(schemaProblems('{}')).toEqual([{ severity: 'error', path: '', message: 'must be an object', found: '"{}" (a string)' }]);
    expect(schemaProblems(config({ ociVersion: undefined })).map((p) => p.path)).toEqual(['ociVersion']);
  });

  test('unknown properties are not schema problems', () => {
    expect(schemaProblems(config({ namespace: [], vendor: { any: 1 } }))).toEqual([]);
  });

  test('a Windows config is not held to POSIX requirements', () => {
    expect(schemaProblems({ ociVersion: '1.0.0', process: { cwd: 'C:\\', user: { username: 'u' } }, windows: { layerFolders: ['C:\\l'] } })).toEqual([]);
  });
});

describe('alternatives (generic anyOf/oneOf handling)', () => {
  const err = (e: Partial<AjvErrorObject>): AjvErrorObject => ({ instancePath: '', schemaPath: '#', keyword: 'x', params: {}, ...e });

  test('branches failing on type become "must be X or Y"', () => {
    const data = { a: true };
    const problems = schemaErrorsToProblems([
      err({ instancePath: '/a', schemaPath: '#/properties/a/anyOf/0/type', keyword: 'type', params: { type: 'string' } }),
      err({ instancePath: '/a', schemaPath: '#/properties/a/anyOf/1/type', keyword: 'type', params: { type: 'integer' } }),
      err({ instancePath: '/a', schemaPath: '#/properties/a/anyOf', keyword: 'anyOf' }),
    ], data);
    expect(problems).toEqual([{ severity: 'error', path: 'a', message: 'must be a string or an integer', found: 'true (a boolean)' }]);
  });

  test('the branch whose type matched gives the errors', () => {
    const data = { a: { b: -1 } };
    const problems = schemaErrorsToProblems([
      err({ instancePath: '/a', schemaPath: '#/properties/a/oneOf/0/type', keyword: 'type', params: { type: 'string' } }),
      err({ instancePath: '/a/b', schemaPath: '#/properties/a/oneOf/1/properties/b/minimum', keyword: 'minimum', params: { limit: 0, comparison: '>=' } }),
      err({ instancePath: '/a', schemaPath: '#/properties/a/oneOf', keyword: 'oneOf', params: { passingSchemas: null } }),
    ], data);
    expect(problems).toEqual([{ severity: 'error', path: 'a.b', message: 'must be at least 0', found: '-1' }]);
  });

  test('if errors are dropped', () => {
    expect(schemaErrorsToProblems([err({ keyword: 'if', params: { failingKeyword: 'then' } })], {})).toEqual([]);
  });
});

describe('helpers', () => {
  test('levenshtein', () => {
    expect(levenshtein('', '')).toBe(0);
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('namespace', 'namespaces')).toBe(1);
    expect(levenshtein('abc', '')).toBe(3);
  });

  test('closestMatch', () => {
    const ns = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'];
    expect(closestMatch('netwrok', ns)).toBe('network');
    expect(closestMatch('usr', ns)).toBe('user');
    expect(closestMatch('net', ns)).toBeUndefined();
    expect(closestMatch('net', ns, { prefix: true })).toBe('network');
    expect(closestMatch('banana', ns)).toBeUndefined();
    expect(closestMatch('x', ['c', 'b', 'u', 'p'])).toBeUndefined();
    expect(closestMatch('pid', ns)).toBeUndefined(); // already allowed
    expect(closestMatch('SCMP_CMP_EQUAL', ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_MASKED_EQ'], { prefix: true })).toBe('SCMP_CMP_EQ');
    expect(closestMatch('IOPRIO_CLASS_NONE', ['IOPRIO_CLASS_RT', 'IOPRIO_CLASS_BE', 'IOPRIO_CLASS_IDLE'])).toBeUndefined();
  });

  test('formatPath', () => {
    expect(formatPath([])).toBe('');
    expect(formatPath(['linux', 'namespaces', 2, 'type'])).toBe('linux.namespaces[2].type');
    expect(formatPath(['mounts', 0])).toBe('mounts[0]');
    expect(formatPath(['linux', 'sysctl', 'net.ipv4.ip_forward'])).toBe('linux.sysctl["net.ipv4.ip_forward"]');
    expect(formatPath(['annotations', '0'])).toBe('annotations["0"]');
  });

  test('formatFound', () => {
    expect(formatFound('a')).toBe('"a"');
    expect(formatFound(undefined)).toBe('nothing');
    expect(formatFound('x'.repeat(100), 10)).toBe('"xxxxxxxx…');
  });

  test('mergeProblems drops repeats and errors already reported at a path', () => {
    const schema: Problem[] = [{ severity: 'error', path: 'process.args', message: 'must have at least one entry' }];
    const semantic: Problem[] = [
      { severity: 'error', path: 'process.args', message: 'must have at least one entry (the program to run)' },
      { severity: 'warning', path: 'process.args', message: 'something else' },
      { severity: 'error', path: 'root.path', message: 'must not be empty' },
      { severity: 'error', path: 'root.path', message: 'must not be empty' },
    ];
    expect(mergeProblems(schema, semantic).map((p) => `${p.severity} ${p.path}: ${p.message}`)).toEqual([
      'error process.args: must have at least one entry',
      'warning process.args: something else',
      'error root.path: must not be empty',
    ]);
  });
});
