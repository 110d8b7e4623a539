// The error convention (src/common/errors.ts): recognised by name across dist files, one line for the user.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { describeError, errnoOf, HelperError, isHelperError, isMissing, isRuntimeError, RuntimeError } from '../../src/common/errors';

/** What another dist file's copy of HelperError looks like here: a different class of the same name. */
class OtherCopyOfHelperError extends Error {
  constructor(message: string, readonly pid: number | undefined) {
    super(message);
    this.name = 'HelperError';
  }
}

const systemError = (f: () => void): unknown => {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('no error');
};

describe('errors', () => {
  it('a HelperError is a RuntimeError, recognised by name, and the user reads its message', () => {
    for (const err of [new HelperError('tsrunc-init failed', 42), new OtherCopyOfHelperError('tsrunc-init failed', 42)]) {
      expect(isHelperError(err)).toBe(true);
      expect(isRuntimeError(err)).toBe(true);
      expect(describeError(err)).toBe('tsrunc-init failed');
    }
    expect(isHelperError(new RuntimeError('x'))).toBe(false);
    expect(isHelperError(new Error('x'))).toBe(false);
  });

  it('errnoOf and isMissing', () => {
    const enoent = systemError(() => fs.statSync('/no/such/file'));
    const enotdir = systemError(() => fs.statSync(`${process.execPath}/x`));
    expect(errnoOf(enoent)).toBe('ENOENT');
    expect(isMissing(enoent)).toBe(true);
    expect(isMissing(enotdir)).toBe(true);
    expect(isMissing(systemError(() => fs.mkdirSync('/')))).toBe(false);
    expect(errnoOf(new Error('x'))).toBeUndefined();
    expect(errnoOf(undefined)).toBeUndefined();
    expect(describeError(enoent)).toBe('stat /no/such/file: no such file or directory');
    expect(describeError(new Error('boom'))).toBe('internal error: boom');
  });
});
