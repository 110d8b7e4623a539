// The helper reports data (how a hook ended, an op's errno, whether the seccomp filter is in force);
// TypeScript words it, the same way for the hooks tsrunc runs itself.
import { describe, expect, it } from 'vitest';
import { hookFailure } from '../../src/runtime/hook-outcome';
import { fifoFailureText, hookReportText, parseHookReport, withFilterNote } from '../../src/runtime/helper-reports';

describe('hook outcomes', () => {
  const label = 'hooks.prestart[0]';
  it('words each way a hook fails, with the end of its output on one line', () => {
    expect(hookFailure(label, '/x', { kind: 'exited', status: 0, output: 'fine' })).toBeUndefined();
    expect(hookFailure(label, '/x', { kind: 'exited', status: 2, output: ' went\n  wrong \n' })).toBe('hooks.prestart[0]: /x exited with status 2: went wrong');
    expect(hookFailure(label, '/x', { kind: 'exited', status: 2, output: '' })).toBe('hooks.prestart[0]: /x exited with status 2');
    expect(hookFailure(label, '/x', { kind: 'signaled', signal: 9, output: 'bye' })).toBe('hooks.prestart[0]: /x was killed by SIGKILL: bye');
    expect(hookFailure(label, '/x', { kind: 'timed-out', seconds: 3, output: '' })).toBe('hooks.prestart[0]: /x timed out after 3 s and was killed');
    expect(hookFailure(label, '/x', { kind: 'exec-failed', errno: 8 })).toBe('hooks.prestart[0]: exec /x: Exec format error');
    expect(hookFailure(label, '/x', { kind: 'exec-failed', errno: 2 })).toBe('hooks.prestart[0]: exec /x: No such file or directory');
  });
});

describe('the helper\'s reports', () => {
  it('reads a hook report, unescaping its fields', () => {
    const report = parseHookReport('hook 7 exited 3 hooks.createContainer[0] /opt/my%20hooks/x%25 it%0A%20went%20wrong%0A');
    expect(report).toEqual({
      index: 7, label: 'hooks.createContainer[0]', path: '/opt/my hooks/x%', outcome: { kind: 'exited', status: 3, output: 'it\n went wrong\n' },
    });
    expect(hookReportText(report!)).toBe('hooks.createContainer[0]: /opt/my hooks/x% exited with status 3: it went wrong');
    expect(parseHookReport('hook 7 exited')).toBeUndefined();
    expect(parseHookReport('hook x exited 3 l p')).toBeUndefined();
    expect(parseHookReport('hook 7 vanished 3 l p ')).toBeUndefined();
    expect(parseHookReport('hook 7 exited 3 l p out put')).toBeUndefined();
  });

  it('words what start reads from exec.fifo, with the filter note when the helper says the filter is in force', () => {
    expect(fifoFailureText('0 hook 9 signaled 15 hooks.startContainer[1] /bin/sh ')).toBe('hooks.startContainer[1]: /bin/sh was killed by SIGTERM');
    expect(fifoFailureText('1 hook 9 exec-failed 13 hooks.startContainer[0] /h '))
      .toBe('hooks.startContainer[0]: exec /h: Permission denied (with the linux.seccomp filter in force)');
    expect(fifoFailureText('0 error 9 24 memfd_create tsrunc-hook-state')).toBe('memfd_create tsrunc-hook-state: too many open files (EMFILE)');
    expect(fifoFailureText('1 error 9 0 something')).toBe('something (with the linux.seccomp filter in force)');
    expect(fifoFailureText('not a report')).toBe('not a report');
    expect(withFilterNote('x', false)).toBe('x');
  });
});
