// linux.seccomp in real containers: the filter is in force inside, its actions, errnos and argument
// filters do what they say, it is installed late enough that the runtime's own setup is not filtered
// (with and without noNewPrivileges), and a profile that cannot work is refused at create naming the
// field, leaving nothing behind.
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Seccomp, SeccompSyscall, Spec } from '../../src/oci/types';
import { TestEnv } from '../support/env';
import { childPids, output, runSpec, specWith, setConfig } from './helpers';

let env: TestEnv;
let bundle: string;

beforeAll(() => {
  env = new TestEnv('seccomp');
  bundle = env.bundle('b', specWith(['true']));
});

afterAll(async () => {
  expect(await env.cleanup()).toEqual([]);
});

const SIGSYS = 31;
const EPERM_TEXT = 'Operation not permitted';

function withFilter(args: string[], seccomp: Seccomp, noNewPrivileges: boolean, edit?: (s: Spec) => void): Spec {
  return specWith(args, (s) => {
    s.process!.noNewPrivileges = noNewPrivileges;
    s.linux!.seccomp = seccomp;
    edit?.(s);
  });
}

const deny = (names: string[], extra: Partial<SeccompSyscall> = {}): SeccompSyscall =>
  ({ names, action: 'SCMP_ACT_ERRNO', ...extra });

/**
 * A profile in the style of runc's and Docker's defaults: everything in the x86-64 system call table
 * is allowed but a deny list, the rest fails with EPERM.
 */
const SYSCALL_TABLE = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h';
const DENIED = [
  'mount', 'umount2', 'pivot_root', 'reboot', 'kexec_load', 'kexec_file_load', 'init_module', 'finit_module',
  'delete_module', 'swapon', 'swapoff', 'acct', 'syslog', 'symlink', 'symlinkat',
];

function defaultLikeProfile(): Seccomp {
  const names = [...fs.readFileSync(SYSCALL_TABLE, 'utf8').matchAll(/^#define __NR_(\w+)\s+\d+/gm)].map((m) => m[1]);
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [{ names: names.filter((n) => !DENIED.includes(n)), action: 'SCMP_ACT_ALLOW' }],
  };
}

for (const nnp of [true, false]) {
  describe(`seccomp, noNewPrivileges ${nnp}`, () => {
    it('the filter is in force inside; a denied mkdir fails with EPERM while the rest works', () => {
      const r = runSpec(env, bundle, withFilter(
        ['sh', '-c', 'grep -E "^Seccomp(_filters)?:" /proc/self/status; mkdir /tmp/x && echo made; touch /tmp/f && echo touched; ls -d /tmp/x'],
        { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [deny(['mkdir', 'mkdirat'], { errnoRet: 1 })] }, nnp,
      ));
      expect(r.stdout).toMatch(/^Seccomp:\s+2$/m);
      expect(r.stdout).toMatch(/^Seccomp_filters:\s+1$/m);
      expect(r.stdout).toContain('touched');
      expect(r.stdout).not.toContain('made');
      expect(r.stderr).toContain(`mkdir: can't create directory '/tmp/x': ${EPERM_TEXT}`);
      expect(r.status).toBe(1); // ls of what mkdir did not make
    });

    it('a name libseccomp does not know is left out silently; the rest of its rule is in force (rules reach the helper as numbers)', () => {
      const r = runSpec(env, bundle, withFilter(
        ['sh', '-c', 'mkdir /tmp/x || echo refused'],
        { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'], syscalls: [deny(['tsrunc_no_such_call', 'mkdir', 'mkdirat', 'socketcall'], { errnoRet: 1 })] }, nnp,
      ));
      expect(r.stdout).toBe('refused\n');
      expect(r.stderr).not.toMatch(/tsrunc|warning/);
      expect(r.status).toBe(0);
    });

    it('the errno of a rule is returned as given', () => {
      const r = runSpec(env, bundle, withFilter(
        ['sh', '-c', 'mkdir /tmp/x'],
        { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [deny(['mkdir', 'mkdirat'], { errnoRet: 28 })] }, nnp,
      ));
      expect(r.stderr).toContain('No space left on device');
    });

    it('denying getcwd does not break the setup (the cwd is entered and verified before the filter); pwd inside gets the errno', () => {
      const r = runSpec(env, bundle, withFilter(
        ['sh', '-c', 'echo started; /bin/pwd; echo pwd=$?'],
        { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [deny(['getcwd'])] }, nnp, (s) => { s.process!.cwd = '/tmp'; },
      ));
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe('started\npwd=1\n');
      expect(r.stderr).toContain(`getcwd: ${EPERM_TEXT}`);
    });

    it.each(['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP'])('%s on a system call kills the process with SIGSYS', (action) => {
      const r = runSpec(env, bundle, withFilter(
        ['mkdir', '/tmp/x'], { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action }] }, nnp,
      ));
      expect(r.status, r.stderr).toBe(128 + SIGSYS);
    });

    it('argument filters: chmod is denied only for the mode the rule names, and for a masked mode', () => {
      const script = 'touch /tmp/f; for m in 777 755 707 750; do chmod $m /tmp/f && echo "$m ok"; done; stat -c %a /tmp/f';
      const r = runSpec(env, bundle, withFilter(['sh', '-c', script], {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          // chmod(path, mode) and fchmodat(dirfd, path, mode): mode 0777 exactly…
          deny(['chmod'], { args: [{ index: 1, value: 0o777, op: 'SCMP_CMP_EQ' }] }),
          deny(['fchmodat', 'fchmodat2'], { args: [{ index: 2, value: 0o777, op: 'SCMP_CMP_EQ' }] }),
          // …and any mode that gives others everything: (mode & 07) == 07.
          deny(['chmod'], { args: [{ index: 1, value: 0o7, valueTwo: 0o7, op: 'SCMP_CMP_MASKED_EQ' }] }),
          deny(['fchmodat', 'fchmodat2'], { args: [{ index: 2, value: 0o7, valueTwo: 0o7, op: 'SCMP_CMP_MASKED_EQ' }] }),
          // A name libseccomp does not know is skipped, as runc does.
          deny(['tsrunc_no_such_syscall']),
        ],
      }, nnp));
      expect(r.stdout).toBe('755 ok\n750 ok\n750\n');
      expect(r.stderr.match(new RegExp(EPERM_TEXT, 'g'))).toHaveLength(2);
    });

    it('a default-deny profile like runc\'s (an allow list, x86 and x32 too) runs busybox sh', () => {
      const r = runSpec(env, bundle, withFilter(
        ['sh', '-c', 'echo hello; ls / >/dev/null && echo listed; cat /proc/self/status | grep "^Seccomp:"; (sleep 0; echo sub) & wait; ln -s /x /tmp/link; echo ln=$?'],
        defaultLikeProfile(), nnp,
      ));
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^hello\nlisted\nSeccomp:\s+2\nsub\nln=1\n$/);
      expect(r.stderr).toContain(EPERM_TEXT);
    });

    it('flags are passed to the kernel; WAIT_KILLABLE_RECV is left out with a warning', () => {
      setConfig(bundle, withFilter(['sh', '-c', 'mkdir /tmp/x'], {
        defaultAction: 'SCMP_ACT_ALLOW',
        flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
        syscalls: [deny(['mkdir', 'mkdirat'])],
      }, nnp));
      const id = env.id('flags');
      const log = `${env.tmp}/${id}.log`;
      const r = env.tsrunc(['--log', log, 'run', '--bundle', bundle, id]);
      expect(r.status).toBe(1);
      // The container's own stderr only; the warning is in the log.
      expect(r.stderr).toContain(EPERM_TEXT);
      expect(r.stderr).not.toContain('level=warn');
      expect(fs.readFileSync(log, 'utf8')).toMatch(/linux\.seccomp\.flags\[3\].*WAIT_KILLABLE_RECV.*ignored/);
    });
  });
}

describe('seccomp profiles that cannot work are refused at create', () => {
  function refused(spec: Spec, ...patterns: RegExp[]): void {
    const before = childPids();
    const r = runSpec(env, bundle, spec);
    expect(r.status).toBe(1);
    for (const re of patterns) expect(r.stderr).toMatch(re);
    expect(childPids().filter((p) => !before.includes(p))).toEqual([]);
    expect(env.stateEntries()).toEqual([]);
  }

  it('a profile that blocks execve, with noNewPrivileges', () => {
    refused(withFilter(['true'], { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['execve'], action: 'SCMP_ACT_KILL' }] }, true),
      /linux\.seccomp\b.*blocks execve/);
  });

  it('a default-deny profile without what the setup needs after it, without noNewPrivileges', () => {
    refused(withFilter(['true'], { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['execve', 'setresuid'], action: 'SCMP_ACT_ALLOW' }] }, false),
      /linux\.seccomp\b.*blocks capset, prctl, newfstatat/, /noNewPrivileges/);
  });

  it('SCMP_ACT_NOTIFY without a listenerPath, naming the field', () => {
    refused(withFilter(['true'], { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }, true),
      /linux\.seccomp\.listenerPath\b.*must name the seccomp agent's unix socket/);
  });

  it('an architecture the installed libseccomp does not know is refused at create, naming the field', () => {
    // SuperH (big-endian) came with libseccomp 2.6.
    const r = runSpec(env, bundle, withFilter(['true'], { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_SHEB'] }, true));
    if (r.status !== 0) {
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/linux\.seccomp\.architectures\b.*SCMP_ARCH_SHEB is unknown to the installed libseccomp \d/);
    }
    expect(env.stateEntries()).toEqual([]);
  });
});

describe('no seccomp', () => {
  it('without linux.seccomp the process is not filtered', () => {
    expect(output(env, bundle, specWith(['grep', '^Seccomp:', '/proc/self/status']))).toMatch(/^Seccomp:\s+0$/m);
  });
});
