import { describe, expect, it } from 'vitest';
import { locatePath, parsePath, sortByPosition, withPositions } from '../../src/runtime/bundle/locate';
import { formatPath } from '../../src/runtime/bundle/schema-problems';
import type { Problem } from '../../src/common/errors';

const TEXT = `{
  "ociVersion": "1.0.2",
  "process": {
    "args": ["sh", "-c"],
    "cwd": "/"
  },
  "linux": {
    "namespaces": [
      { "type": "pid" },
      { "type": "net" }
    ],
    "sysctl": { "net.ipv4.ip_forward": "1" }
  },
  "mounts": [ { "type": "tmpfs" } ],
  "hostnme": "x"
}
`;

const at = (path: string, key = false) => {
  const l = locatePath(TEXT, path, key)!;
  return [l.line, l.column];
};

describe('parsePath', () => {
  it('reads what formatPath writes', () => {
    for (const segs of [['linux', 'namespaces', 2, 'type'], ['linux', 'sysctl', 'net.ipv4.ip_forward'], ['a b', 0, 'c"d'], []] as (string | number)[][]) {
      expect(parsePath(formatPath(segs))).toEqual(segs);
    }
  });

  it('stops at what is not path syntax', () => {
    expect(parsePath('default device')).toEqual(['default']);
    expect(parsePath('mounts[x]')).toEqual(['mounts']);
  });
});

describe('locatePath', () => {
  it('points at values', () => {
    expect(at('linux.namespaces[1].type')).toEqual([10, 17]);
    expect(at('process.args[1]')).toEqual([4, 20]);
    expect(at('linux.namespaces')).toEqual([8, 19]);
    expect(at('linux.sysctl["net.ipv4.ip_forward"]')).toEqual([12, 40]);
  });

  it('points at the key when asked (unknown properties)', () => {
    expect(at('hostnme', true)).toEqual([15, 3]);
    expect(at('linux.sysctl["net.ipv4.ip_forward"]', true)).toEqual([12, 17]);
  });

  it('a missing path points at the key of its deepest ancestor that is there', () => {
    expect(at('process.user.uid')).toEqual([3, 3]);
    expect(at('mounts[0].destination')).toEqual([14, 15]);
    expect(at('root')).toEqual([1, 1]);
    expect(locatePath(TEXT, 'process.user')!.exact).toBe(false);
    expect(locatePath(TEXT, 'process.cwd')!.exact).toBe(true);
  });

  it('finds a key as runc reads it: exactly, else case-insensitively (the last such key)', () => {
    const folded = '{\n  "Process": {\n    "User": {},\n    "user": {"UID": 0, "Uid": 1}\n  },\n  "linux": {"sysctl": {"A": "1", "a": "2"}}\n}';
    const pos = (path: string, key = false) => {
      const l = locatePath(folded, path, key)!;
      return [l.line, l.column, l.exact];
    };
    expect(pos('process.user.gid')).toEqual([4, 5, false]);
    expect(pos('process.user.uid', true)).toEqual([4, 24, true]);
    expect(pos('process.args')).toEqual([2, 3, false]);
    expect(pos('linux.sysctl.A')).toEqual([6, 29, true]);
  });

  it('undefined for text that is no JSON at all', () => {
    expect(locatePath('', 'a')).toBeUndefined();
  });
});

describe('withPositions and sortByPosition', () => {
  it('fills line and column (keeping a position a problem has), then sorts in document order', () => {
    const problems: Problem[] = [
      { severity: 'warning', path: 'hostnme', message: 'is not a known property and is ignored', aboutKey: true },
      { severity: 'error', path: 'linux.namespaces[1].type', message: 'must be one of …' },
      { severity: 'error', path: '', message: 'kept', line: 2, column: 5 },
      { severity: 'error', path: 'root', message: 'is required on Linux' },
    ];
    const sorted = sortByPosition(withPositions(TEXT, problems));
    expect(sorted.map((p) => [p.path, p.line, p.column])).toEqual([
      ['root', 1, 1], ['', 2, 5], ['linux.namespaces[1].type', 10, 17], ['hostnme', 15, 3],
    ]);
    expect(problems[0].line).toBeUndefined();
  });
});
