// JSON documents read from the user (config.json, exec --process, update --resources): nesting past the
// limit is one clear error with its position, at any depth, never a stack overflow; NUL bytes in a
// process are refused naming the field.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_NESTING, parseConfig } from '../../src/runtime/bundle/load';
import { processProblems, readProcessFile } from '../../src/runtime/exec';
import { updateResources } from '../../src/runtime/commands/update';
import { isRuntimeError, type RuntimeError } from '../../src/common/errors';

const arrays = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const objects = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

function parseError(source: string): RuntimeError {
  try {
    parseConfig('/b/config.json', source);
  } catch (err) {
    if (isRuntimeError(err)) return err;
    throw err;
  }
  throw new Error('parsed');
}

describe('nesting', () => {
  it(`${MAX_NESTING} levels are read; one more is refused with the file, the line and column, and the limit`, () => {
    expect(MAX_NESTING).toBe(1000);
    expect(() => parseConfig('c', arrays(MAX_NESTING))).not.toThrow();
    expect(() => parseConfig('c', objects(MAX_NESTING))).not.toThrow();
    const err = parseError(`{\n  "x":\n    ${arrays(MAX_NESTING)}}`);
    expect(err.message).toBe('/b/config.json: arrays and objects nested more than 1000 levels deep at line 3, column 1004');
    expect(err.problems).toEqual([{ severity: 'error', path: '', message: 'arrays and objects nested more than 1000 levels deep', line: 3, column: 1004 }]);
  });

  it('100,000 levels of arrays or objects: the same one error, no stack overflow', () => {
    expect(parseError(arrays(100_000)).message).toMatch(/nested more than 1000 levels deep at line 1, column 1001$/);
    expect(parseError(`{"x":${objects(100_000)}}`).message).toMatch(/nested more than 1000 levels deep at line 1, column 5001$/);
  });

  it('brackets inside strings do not count, escaped quotes included', () => {
    const text = JSON.stringify({ a: '['.repeat(5000), b: `\\"${'{'.repeat(5000)}` });
    expect(parseConfig('c', text)).toEqual(JSON.parse(text));
  });

  it('exec --process and update --resources are held to it too', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-test-json-'));
    try {
      const file = path.join(dir, 'process.json');
      fs.writeFileSync(file, `{"args":["true"],"cwd":"/","x":${arrays(100_000)}}`);
      expect(() => readProcessFile(file)).toThrow(/process\.json: arrays and objects nested more than 1000 levels deep at line 1, column \d+$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const flags = { resources: '-' };
    expect(() => updateResources(flags, () => `{"memory":{"limit":${arrays(100_000)}}}`)).toThrow(/^the resources on stdin: arrays and objects nested more than 1000 levels deep/);
  });
});

describe('NUL bytes in an exec process', () => {
  it('refused naming the field (args, env, cwd)', () => {
    const problems = processProblems({ args: ['echo', 'a\0'], env: ['A=\0'], cwd: '/\0', user: { uid: 0, gid: 0 } });
    expect(problems.filter((p) => p.severity === 'error').map((p) => `${p.path}: ${p.message}`)).toEqual(expect.arrayContaining([
      'process.args[1]: contains a NUL byte', 'process.env[0]: contains a NUL byte', 'process.cwd: contains a NUL byte',
    ]));
  });
});
