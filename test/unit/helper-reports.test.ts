// The helper reports data (how a hook ended, an op's errno, whether the seccomp filter is in force);
// TypeScript words it, the same way for the hooks tsrunc runs itself.
import { describe, expect, it } from 'vitest';
import { hookFailure } from '../../src/runtime/hook-outcome';
import { opAt, type Plan } from '../../src/linux/plan';
import { fallbackText, fifoFailureText, hookReportText, parseHookReport, withFilterNote } from '../../src/runtime/helper-reports';

describe('hook outcomes', () => {
  const label = 'hooks.prestart[0]';
  it('words each way a hook fails, with the end of its output on one line', () => {
    expect(hookFailure(label, '/x', { kind: 'exited', status: 0, output: 'fine' })).toBeUndefined();
    expect(hookFailure(label, '/x', { kind: 'exited', status: 2, output: ' went\n  wrong \n' })).toBe('hooks.prestart[0]: error running prestart hook #0: /x exited with status 2: went wrong');
    expect(hookFailure(label, '/x', { kind: 'exited', status: 2, output: '' })).toBe('hooks.prestart[0]: error running prestart hook #0: /x exited with status 2');
    expect(hookFailure(label, '/x', { kind: 'signaled', signal: 9, output: 'bye' })).toBe('hooks.prestart[0]: error running prestart hook #0: /x was killed by SIGKILL: bye');
    expect(hookFailure(label, '/x', { kind: 'timed-out', seconds: 3, output: '' })).toBe('hooks.prestart[0]: error running prestart hook #0: /x timed out after 3 s and was killed');
    expect(hookFailure(label, '/x', { kind: 'exec-failed', errno: 8 })).toBe('hooks.prestart[0]: error running prestart hook #0: exec /x: Exec format error');
    expect(hookFailure(label, '/x', { kind: 'exec-failed', errno: 2 })).toBe('hooks.prestart[0]: error running prestart hook #0: exec /x: No such file or directory');
  });
});

describe('the helper\'s reports', () => {
  it('reads a hook report, unescaping its fields', () => {
    const report = parseHookReport('hook 7 exited 3 hooks.createContainer[0] /opt/my%20hooks/x%25 it%0A%20went%20wrong%0A');
    expect(report).toEqual({
      index: 7, label: 'hooks.createContainer[0]', path: '/opt/my hooks/x%', outcome: { kind: 'exited', status: 3, output: 'it\n went wrong\n' },
    });
    expect(hookReportText(report!)).toBe('hooks.createContainer[0]: error running createContainer hook #0: /opt/my hooks/x% exited with status 3: it went wrong');
    expect(parseHookReport('hook 7 exited')).toBeUndefined();
    expect(parseHookReport('hook x exited 3 l p')).toBeUndefined();
    expect(parseHookReport('hook 7 vanished 3 l p ')).toBeUndefined();
    expect(parseHookReport('hook 7 exited 3 l p out put')).toBeUndefined();
  });

  it('words what start reads from exec.fifo, with the filter note when the helper says the filter is in force', () => {
    expect(fifoFailureText('0 hook 9 signaled 15 hooks.startContainer[1] /bin/sh ')).toBe('hooks.startContainer[1]: error running startContainer hook #1: /bin/sh was killed by SIGTERM');
    // start trims what it read: an empty output loses its separator.
    expect(fifoFailureText('0 hook 82 exited 1 hooks.startContainer[1] /bin/false')).toBe('hooks.startContainer[1]: error running startContainer hook #1: /bin/false exited with status 1');
    expect(fifoFailureText('1 hook 9 exec-failed 13 hooks.startContainer[0] /h '))
      .toBe('hooks.startContainer[0]: error running startContainer hook #0: exec /h: Permission denied (with the linux.seccomp filter in force)');
    expect(fifoFailureText('0 error 9 24 memfd_create tsrunc-hook-state')).toBe('memfd_create tsrunc-hook-state: too many open files (EMFILE)');
    expect(fifoFailureText('1 error 9 0 something')).toBe('something (with the linux.seccomp filter in force)');
    expect(fifoFailureText('not a report')).toBe('not a report');
    expect(withFilterNote('x', false)).toBe('x');
  });
});

describe('fallbacks', () => {
  const plan: Plan = {
    host: [{ op: 'open-cgroup', args: ['/sys/fs/cgroup/c'] }, { op: 'clone', args: ['0'], origin: 'linux.namespaces' }],
    container: [{ op: 'console', args: ['/dev/ptmx', '0', '0', '', '/dev/console'], origin: 'process.terminal' }],
  };
  const at = (index: number) => opAt(plan, index);
  it('says what the helper did instead, for the debug log', () => {
    expect(fallbackText(at, 'fallback 1 join-cgroup-and-clone 38')).toBe(
      'tsrunc-init: op 1 (clone, linux.namespaces): clone3 with CLONE_INTO_CGROUP failed, so the helper joined the cgroup (cgroup.procs) and cloned from there (function not implemented (ENOSYS))');
    expect(fallbackText(at, 'fallback 2 pty-slave-by-path 25')).toMatch(/^tsrunc-init: op 2 \(console, process\.terminal\): TIOCGPTPEER failed, so the pty slave was opened by its \/dev\/pts path \(.*\(ENOTTY\)\)$/);
    expect(fallbackText(at, 'fallback -1 memfd-without-exec 22')).toMatch(/^tsrunc-init: before the plan: memfd_create refused MFD_EXEC/);
    expect(fallbackText(at, 'fallback 1 something-new 1')).toBe('tsrunc-init: op 1 (clone, linux.namespaces): fell back: something-new (operation not permitted (EPERM))');
    expect(fallbackText(at, 'fallback x')).toBeUndefined();
  });
});
