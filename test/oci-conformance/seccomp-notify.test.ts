// Seccomp user notification (SCMP_ACT_NOTIFY, linux.seccomp.listenerPath), the -ENOSYS stub and the
// startContainer hooks under the filter, in real containers, as runc does them. The agent is a small C
// program (test/support/seccomp-agent.c, built here with cc): it logs the state JSON it gets, makes a
// notified mkdir "succeed" without making anything, fails chmod with ENOMEDIUM, lets the rest go on.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Seccomp, Spec } from '../../src/oci/types';
import { TestEnv } from '../support/env';
import { childPids, delay, runSpec, setConfig, specWith, waitFor } from './helpers';

let env: TestEnv;
let bundle: string;
let agent: ChildProcess | undefined;
let socket: string;
let agentLog: string;

function build(source: string, out: string, extra: string[] = []): void {
  const r = spawnSync('cc', ['-O', '-o', out, source, ...extra], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cc ${source}: ${r.stderr}`);
}

beforeAll(async () => {
  env = new TestEnv('seccomp-notify');
  bundle = env.bundle('b', specWith(['true']));
  const bin = path.join(env.tmp, 'agent');
  build(path.join(__dirname, '../support/seccomp-agent.c'), bin);
  socket = path.join(env.tmp, 'agent.sock');
  agentLog = path.join(env.tmp, 'agent.log');
  agent = spawn(bin, [socket, agentLog], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !fs.existsSync(socket); i++) await delay(20);
  expect(fs.existsSync(socket)).toBe(true);
});

afterAll(async () => {
  agent?.kill('SIGKILL');
  expect(await env.cleanup()).toEqual([]);
});

const notifying = (names: string[], extra: Partial<Seccomp> = {}): Seccomp => ({
  defaultAction: 'SCMP_ACT_ALLOW', listenerPath: socket, listenerMetadata: 'meta-data',
  architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  syscalls: [{ names, action: 'SCMP_ACT_NOTIFY' }], ...extra,
});

function withSeccomp(args: string[], seccomp: Seccomp, nnp: boolean, edit?: (s: Spec) => void): Spec {
  return specWith(args, (s) => {
    s.process!.noNewPrivileges = nnp;
    s.linux!.seccomp = seccomp;
    edit?.(s);
  });
}

/** The state messages the agent got since `from` lines, parsed. */
function agentMessages(from: number): { json: Record<string, unknown>; fd: string }[] {
  const lines = fs.existsSync(agentLog) ? fs.readFileSync(agentLog, 'utf8').split('\n').filter(Boolean) : [];
  return lines.slice(from).map((l) => {
    const m = /^(.*) fd=(yes|no)$/.exec(l)!;
    return { json: JSON.parse(m[1]) as Record<string, unknown>, fd: m[2] };
  });
}
const agentCount = () => agentMessages(0).length;

for (const nnp of [true, false]) {
  describe(`SCMP_ACT_NOTIFY, noNewPrivileges ${nnp}`, () => {
    it('the agent gets runc\'s state JSON and the fd before the process starts, and its answer is what the process sees', () => {
      const before = agentCount();
      const r = runSpec(env, bundle, withSeccomp(
        ['sh', '-c', 'mkdir /tmp/made && echo mkdir-ok; ls -d /tmp/made 2>/dev/null || echo not-there; touch /tmp/f; chmod 600 /tmp/f || echo chmod-failed; ls /proc/self/fd | wc -l'],
        notifying(['mkdir', 'mkdirat', 'chmod', 'fchmodat']), nnp,
      ));
      expect(r.status, r.stderr).toBe(0);
      // The agent said yes without making it; chmod got the agent's errno.
      expect(r.stdout).toMatch(/^mkdir-ok\nnot-there\nchmod-failed\n/);
      expect(r.stderr).toContain('No medium found');
      // The process has stdio and ls's own directory fd: no notification fd.
      expect(r.stdout.trim().split('\n').pop()).toBe('4');
      const [msg, ...more] = agentMessages(before);
      expect(more).toEqual([]);
      expect(msg.fd).toBe('yes');
      expect(msg.json).toMatchObject({
        ociVersion: '1.3.0', fds: ['seccompFd'], metadata: 'meta-data',
        state: { ociVersion: '1.3.0', status: 'creating', bundle },
      });
      expect(msg.json.pid).toBeGreaterThan(1);
      expect((msg.json.state as { pid: number }).pid).toBe(msg.json.pid);
      expect(Object.keys(msg.json)).toEqual(['ociVersion', 'fds', 'pid', 'metadata', 'state']);
    });

    it('exec: the process exec starts gets its own notification fd, sent with the running state', async () => {
      const id = env.id('exec');
      setConfig(bundle, withSeccomp(['sleep', '60'], notifying(['mkdir', 'mkdirat']), nnp));
      env.ok(['run', '--detach', '--bundle', bundle, id]);
      try {
        // The agent logs the init's message on its own time: counted before the exec's, not as it.
        const ofId = () => agentMessages(0).filter((m) => (m.json.state as { id?: string }).id === id);
        await waitFor('the agent\'s line of the init', () => ofId().length === 1);
        const before = agentCount();
        const r = env.tsrunc(['exec', id, 'sh', '-c', 'mkdir /tmp/e && echo made; ls -d /tmp/e 2>/dev/null || echo not-there']);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toBe('made\nnot-there\n');
        const [msg] = agentMessages(before);
        const state = JSON.parse(env.ok(['state', id]).stdout) as { pid: number };
        expect(msg.json).toMatchObject({ fds: ['seccompFd'], metadata: 'meta-data', state: { id, status: 'running', pid: state.pid } });
        expect(msg.json.pid).not.toBe(state.pid);
      } finally {
        env.tsrunc(['delete', '--force', id]);
      }
    });
  });
}

describe('SCMP_ACT_NOTIFY refused or failing', () => {
  function refused(spec: Spec, pattern: RegExp): void {
    const before = childPids();
    const r = runSpec(env, bundle, spec);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
    expect(childPids().filter((p) => !before.includes(p))).toEqual([]);
    expect(env.stateEntries()).toEqual([]);
  }

  it('no agent at listenerPath: one line naming the field, nothing left behind', () => {
    refused(withSeccomp(['true'], notifying(['mkdir'], { listenerPath: path.join(env.tmp, 'nobody.sock') }), true),
      /linux\.seccomp\.listenerPath\b.*failed to connect with seccomp agent.*no such socket/);
  });

  it('an agent that is gone (its socket left behind): create fails at the connect, nothing left behind', () => {
    const stale = path.join(env.tmp, 'stale.sock');
    const r = spawnSync('python3', ['-c', `import socket; s=socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(stale)})`]);
    expect(r.status).toBe(0);
    refused(withSeccomp(['true'], notifying(['mkdir'], { listenerPath: stale }), false),
      /linux\.seccomp\.listenerPath\b.*failed to connect with seccomp agent specified in the seccomp profile at .*connection refused \(ECONNREFUSED\)/);
  });

  it('NOTIFY without listenerPath, on write, or as the default action', () => {
    refused(withSeccomp(['true'], notifying(['mkdir'], { listenerPath: undefined, listenerMetadata: undefined }), true), /linux\.seccomp\.listenerPath\b.*must name/);
    refused(withSeccomp(['true'], notifying(['write']), true), /linux\.seccomp\.syscalls\[0\]\.names\[0\].*SCMP_ACT_NOTIFY cannot be used for the write syscall/);
    refused(withSeccomp(['true'], { defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: socket }, true), /linux\.seccomp\.defaultAction\b.*SCMP_ACT_NOTIFY cannot be used as default action/);
  });
});

describe('the -ENOSYS stub', () => {
  it('a system call numbered above the profile\'s largest gets ENOSYS, a named denied one the default errno', () => {
    const prog = path.join(env.tmp, 'enosys');
    const src = path.join(env.tmp, 'enosys.c');
    fs.writeFileSync(src, '#include <errno.h>\n#include <stdio.h>\n#include <unistd.h>\n#include <sys/syscall.h>\n'
      + 'int main(void) { long a = syscall(1000); int ea = errno; long b = syscall(SYS_mount, 0, 0, 0, 0, 0); int eb = errno;\n'
      + 'printf("%ld %d %ld %d\\n", a, ea, b, eb); return 0; }\n');
    build(src, prog, ['-static']);
    const names = ['read', 'write', 'exit', 'exit_group', 'execve', 'brk', 'arch_prctl', 'set_tid_address', 'set_robust_list', 'rseq',
      'prlimit64', 'mprotect', 'readlinkat', 'getrandom', 'newfstatat', 'fstat', 'openat', 'close', 'mmap', 'munmap', 'uname', 'ioctl',
      'rt_sigprocmask', 'rt_sigaction', 'sendto', 'access', 'faccessat2', 'setresuid', 'mount'];
    for (const defaultErrnoRet of [1, 13]) {
      const r = runSpec(env, bundle, withSeccomp(['/enosys'], {
        defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet,
        architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
        syscalls: [{ names: names.filter((n) => n !== 'mount'), action: 'SCMP_ACT_ALLOW' }, { names: ['mount'], action: 'SCMP_ACT_ERRNO', errnoRet: defaultErrnoRet }],
      }, true, (s) => {
        s.mounts!.push({ destination: '/enosys', type: 'bind', source: prog, options: ['bind', 'ro'] });
      }));
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(`-1 38 -1 ${defaultErrnoRet}\n`);
    }
  });
});

describe('hooks.startContainer run under the container\'s filter (as runc)', () => {
  for (const nnp of [true, false]) {
    it(`noNewPrivileges ${nnp}: a hook killed by the filter fails start, saying so`, () => {
      const r = runSpec(env, bundle, withSeccomp(['true'], {
        defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_KILL' }],
      }, nnp, (s) => { s.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'mkdir /tmp/hook'] }] }; }));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/hooks\.startContainer\[0\]: error running startContainer hook #0: \/bin\/sh was killed by SIGSYS \(bad system call\) \(with the linux\.seccomp filter in force\)/);
    });
  }
});
