// Lifecycle hooks (runtime-spec 1.3: config.md "POSIX-platform Hooks", runtime.md "Lifecycle"): the
// order of the six phases, the namespaces each runs in, the state each gets on stdin, args and env,
// timeouts, and what a failing hook does to create, start and delete. Every hook is one shell script
// that appends a line to a log file the host and the container both reach.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hook, Hooks, Spec } from '../../src/oci/types';
import { TestEnv } from '../support/env';
import { SPEC_VERSION } from '../../src/runtime/cli/definition';
import { leftoversOf, reap, setConfig, specWith, waitFor } from './helpers';

let env: TestEnv;
let bundle: string;
/** The log folder on the host; bound at /hooklog in the container. */
let logDir: string;
/** The hook script on the host (and a copy at /hook.sh in the rootfs, for startContainer). */
let hostHook: string;

// hook.sh NAME LOG [ARG...]: appends NAME|mount ns|hostname|$HOOKVAR|args|cmdline of the state's pid|state
const SCRIPT = `#!/bin/sh
name=$1; log=$2; shift 2
state=$(cat)
pid=$(echo "$state" | sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p')
cmd=$(tr '\\0' ' ' < /proc/$pid/cmdline 2>/dev/null)
echo "$name|$(readlink /proc/self/ns/mnt)|$(hostname)|$HOOKVAR|$*|$cmd|$state" >> "$log"
`;

beforeAll(() => {
  env = new TestEnv('hooks');
  bundle = env.bundle('b', specWith(['true']));
  logDir = path.join(env.tmp, 'hooklog');
  fs.mkdirSync(logDir);
  hostHook = path.join(env.tmp, 'hook.sh');
  fs.writeFileSync(hostHook, SCRIPT, { mode: 0o755 });
  fs.writeFileSync(path.join(bundle, 'rootfs/hook.sh'), SCRIPT, { mode: 0o755 });
});

afterAll(async () => {
  expect(await env.cleanup()).toEqual([]);
});

interface Line {
  name: string;
  mntns: string;
  hostname: string;
  hookvar: string;
  args: string;
  /** The command line of the state's pid when the hook ran. */
  cmdline: string;
  state: { ociVersion: string; id: string; status: string; pid: number; bundle: string; annotations?: Record<string, string> };
}

function readLog(log: string): Line[] {
  if (!fs.existsSync(log)) return [];
  return fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => {
    const f = l.split('|');
    if (f[0] === 'program') return { name: 'program' } as Line;
    return { name: f[0], mntns: f[1], hostname: f[2], hookvar: f[3], args: f[4], cmdline: f[5].trim(), state: JSON.parse(f.slice(6).join('|')) };
  });
}

let logSeq = 0;
/** A fresh log file: its host path and its path in the container. */
function newLog(): { host: string; inside: string } {
  const name = `log-${logSeq++}`;
  return { host: path.join(logDir, name), inside: `/hooklog/${name}` };
}

/** A host-side hook appending `name` to the log, with extra args and HOOKVAR=<name>. */
function hook(name: string, log: string, extra: Partial<Hook> & { args?: string[] } = {}): Hook {
  return { path: hostHook, env: [`HOOKVAR=${name}`, 'PATH=/usr/bin:/bin'], ...extra, args: ['hook.sh', name, log, ...(extra.args ?? [])] };
}

/** A hook that fails: it writes to stderr and exits 3. */
const failing = (what: string): Hook => ({ path: '/bin/sh', args: ['sh', '-c', `echo ${what} went wrong >&2; exit 3`] });

function configWith(hooks: Hooks, args: string[] = ['true'], edit?: (s: Spec) => void): Spec {
  return specWith(args, (s) => {
    s.hostname = 'hooked';
    s.annotations = { 'org.example.key': 'value' };
    s.mounts!.push({ destination: '/hooklog', type: 'bind', source: logDir, options: ['rbind'] });
    s.hooks = hooks;
    edit?.(s);
  });
}

/** The message of tsrunc's error line on stderr. */
function errorMessage(stderr: string): string {
  const m = /level=error msg=("(?:[^"\\]|\\.)*")/.exec(stderr);
  if (!m) throw new Error(`no error record on stderr: ${stderr}`);
  return JSON.parse(m[1]) as string;
}

describe('hooks', () => {
  it('run in the order of the lifecycle, each in its namespace, with the state on stdin', async () => {
    const log = newLog();
    const id = env.id('order');
    setConfig(bundle, configWith({
      poststop: [hook('poststop', log.host)],
      poststart: [hook('poststart', log.host)],
      startContainer: [{ path: '/hook.sh', args: ['hook.sh', 'startContainer', log.inside, 'x y'] }],
      createContainer: [hook('createContainer', log.host)],
      createRuntime: [hook('createRuntime', log.host, { args: ['one', 'two'], timeout: 10 })],
      prestart: [hook('prestart', log.host)],
    }, ['sh', '-c', `echo program >> ${log.inside}; exec sleep 30`]));

    env.ok(['create', '--bundle', bundle, id]);
    const pid = env.state(id).pid;
    expect(readLog(log.host).map((l) => l.name)).toEqual(['prestart', 'createRuntime', 'createContainer']);
    env.ok(['start', id]);
    // poststart ran before start returned; the program's own line may come before or after it.
    const started = readLog(log.host).map((l) => l.name);
    expect(started.slice(0, 4)).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer']);
    expect(started).toContain('poststart');
    await waitFor('the program', () => readLog(log.host).some((l) => l.name === 'program'));
    env.ok(['kill', id, 'KILL']);
    await reap(pid);
    env.ok(['delete', id]);

    const lines = readLog(log.host);
    const by = (name: string) => lines.find((l) => l.name === name)!;
    expect(lines.map((l) => l.name).sort()).toEqual(['createContainer', 'createRuntime', 'poststart', 'poststop', 'prestart', 'program', 'startContainer']);
    expect(lines[lines.length - 1].name).toBe('poststop');

    const hostMnt = fs.readlinkSync('/proc/self/ns/mnt');
    const hostName = fs.readFileSync('/proc/sys/kernel/hostname', 'utf8').trim();
    for (const name of ['prestart', 'createRuntime', 'poststart', 'poststop']) {
      expect([name, by(name).mntns, by(name).hostname]).toEqual([name, hostMnt, hostName]);
    }
    for (const name of ['createContainer', 'startContainer']) {
      expect(by(name).mntns, name).not.toBe(hostMnt);
      expect(by(name).hostname, name).toBe('hooked');
    }

    // The state: the runtime's view of the pid outside, the container's inside (its own pid namespace).
    const expected: Record<string, [string, number]> = {
      prestart: ['creating', pid], createRuntime: ['creating', pid], createContainer: ['creating', 1],
      startContainer: ['created', 1], poststart: ['running', pid], poststop: ['stopped', 0],
    };
    for (const [name, [status, statePid]] of Object.entries(expected)) {
      expect(by(name).state, name).toEqual({
        ociVersion: SPEC_VERSION, id, status, pid: statePid, bundle, annotations: { 'org.example.key': 'value' },
      });
    }
    // poststart runs once the program is executed: the state's pid is the program, no longer tsrunc-init.
    expect([`sh -c echo program >> ${log.inside}; exec sleep 30`, 'sleep 30']).toContain(by('poststart').cmdline);
    expect(by('createRuntime').cmdline).toMatch(/tsrunc-init/);

    // args and env as given; startContainer without env gets the process's environment.
    expect(by('createRuntime').args).toBe('one two');
    expect(by('startContainer').args).toBe('x y');
    expect(by('createRuntime').hookvar).toBe('createRuntime');
    expect(by('createContainer').hookvar).toBe('createContainer');
    expect(by('poststop').hookvar).toBe('poststop');
    expect(by('startContainer').hookvar).toBe('');
    expect(leftoversOf(env, id, { bundle, pid })).toEqual([]);
  });

  it('a failing createRuntime hook fails create, names the hook, leaves nothing; poststop hooks still run', () => {
    const log = newLog();
    const id = env.id('crfail');
    setConfig(bundle, configWith({
      createRuntime: [hook('createRuntime', log.host), failing('createRuntime')],
      createContainer: [hook('createContainer', log.host)],
      poststop: [hook('poststop', log.host)],
    }));
    const r = env.tsrunc(['create', '--bundle', bundle, id]);
    expect(r.status).toBe(1);
    expect(errorMessage(r.stderr)).toBe('hooks.createRuntime[1]: error running createRuntime hook #1: /bin/sh exited with status 3: createRuntime went wrong');
    expect(readLog(log.host).map((l) => [l.name, l.state.status])).toEqual([['createRuntime', 'creating'], ['poststop', 'stopped']]);
    expect(leftoversOf(env, id, { bundle })).toEqual([]);
  });

  it('a failing createContainer hook fails create, names the hook, leaves nothing', () => {
    const log = newLog();
    const id = env.id('ccfail');
    setConfig(bundle, configWith({
      createContainer: [failing('createContainer'), hook('createContainer', log.host)],
    }));
    const r = env.tsrunc(['create', '--bundle', bundle, id]);
    expect(r.status).toBe(1);
    expect(errorMessage(r.stderr)).toBe('hooks.createContainer[0]: error running createContainer hook #0: /bin/sh exited with status 3: createContainer went wrong');
    expect(readLog(log.host)).toEqual([]);
    expect(leftoversOf(env, id, { bundle })).toEqual([]);
  });

  it('a timeout kills the hook and fails create, in tsrunc (createRuntime) and in the helper (createContainer)', () => {
    for (const phase of ['createRuntime', 'createContainer'] as const) {
      const id = env.id('timeout');
      setConfig(bundle, configWith({ [phase]: [{ path: '/bin/sleep', args: ['sleep', '20'], timeout: 1 }] }));
      const t0 = Date.now();
      const r = env.tsrunc(['create', '--bundle', bundle, id]);
      expect(Date.now() - t0, phase).toBeLessThan(8_000);
      expect(r.status, phase).toBe(1);
      expect(errorMessage(r.stderr)).toBe(`hooks.${phase}[0]: error running ${phase} hook #0: /bin/sleep timed out after 1 s and was killed`);
      expect(leftoversOf(env, id, { bundle })).toEqual([]);
    }
  });

  it('a hook that cannot be executed fails create with the reason', () => {
    const id = env.id('noexec');
    // Passes the checks create makes (it exists and is executable) but is no program.
    const notProgram = path.join(env.tmp, 'not-a-program');
    fs.writeFileSync(notProgram, '\x7fELF garbage', { mode: 0o755 });
    setConfig(bundle, configWith({ createContainer: [{ path: notProgram }] }));
    const r = env.tsrunc(['create', '--bundle', bundle, id]);
    expect(r.status).toBe(1);
    expect(errorMessage(r.stderr)).toMatch(/^hooks\.createContainer\[0\]: error running createContainer hook #0: exec \S+not-a-program: Exec format error$/);
    expect(leftoversOf(env, id, { bundle })).toEqual([]);
  });

  it('a failing startContainer hook fails start; the program never runs; delete clears it', async () => {
    const log = newLog();
    const id = env.id('scfail');
    setConfig(bundle, configWith({
      startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo startContainer went wrong >&2; exit 3'] }],
      poststart: [hook('poststart', log.host)],
    }, ['sh', '-c', `echo program >> ${log.inside}`]));
    env.ok(['create', '--bundle', bundle, id]);
    const pid = env.state(id).pid;
    const r = env.tsrunc(['start', id]);
    expect(r.status).toBe(1);
    expect(errorMessage(r.stderr)).toBe('hooks.startContainer[0]: error running startContainer hook #0: /bin/sh exited with status 3: startContainer went wrong');
    await reap(pid);
    expect(env.state(id).status).toBe('stopped');
    expect(readLog(log.host)).toEqual([]);
    env.ok(['delete', id]);
    expect(leftoversOf(env, id, { bundle, pid })).toEqual([]);
  });

  it('a failing poststart hook fails start and stops the container (runtime-spec 1.3)', async () => {
    const log = newLog();
    const id = env.id('psfail');
    setConfig(bundle, configWith({
      poststart: [failing('poststart'), hook('poststart', log.host)],
      poststop: [hook('poststop', log.host)],
    }, ['sleep', '30']));
    env.ok(['create', '--bundle', bundle, id]);
    const pid = env.state(id).pid;
    const r = env.tsrunc(['start', id]);
    expect(r.status).toBe(1);
    expect(errorMessage(r.stderr)).toBe('hooks.poststart[0]: error running poststart hook #0: /bin/sh exited with status 3: poststart went wrong');
    await reap(pid);
    expect(env.state(id).status).toBe('stopped');
    env.ok(['delete', id]);
    expect(readLog(log.host).map((l) => l.name)).toEqual(['poststop']);
    expect(leftoversOf(env, id, { bundle, pid })).toEqual([]);
  });

  it('a failing poststop hook is a warning: the next ones run, delete exits 0 and leaves nothing', async () => {
    const log = newLog();
    const id = env.id('pstop');
    setConfig(bundle, configWith({
      poststop: [hook('poststop-1', log.host), failing('poststop'), { path: '/bin/sleep', args: ['sleep', '20'], timeout: 1 }, hook('poststop-4', log.host)],
    }));
    const runLog = path.join(env.tmp, `${id}.log`);
    const r = env.tsrunc(['--log', runLog, 'run', '--bundle', bundle, id]);
    expect(r.status).toBe(0);
    // Warnings go to the log, not to the stderr the container may share.
    expect(r.stderr).toBe('');
    const warnings = fs.readFileSync(runLog, 'utf8');
    expect(warnings).toMatch(/level=warn msg="hooks\.poststop\[1\]: error running poststop hook #1: \/bin\/sh exited with status 3: poststop went wrong"/);
    expect(warnings).toMatch(/level=warn msg="hooks\.poststop\[2\]: error running poststop hook #2: \/bin\/sleep timed out after 1 s and was killed"/);
    expect(readLog(log.host).map((l) => l.name)).toEqual(['poststop-1', 'poststop-4']);
    expect(leftoversOf(env, id, { bundle })).toEqual([]);
  });
});

describe('the working directory of hooks', () => {
  const pwdHooks = (log: string): Hooks => Object.fromEntries(
    (['prestart', 'createRuntime', 'poststart', 'poststop'] as const).map((phase) => [phase, [{ path: '/bin/sh', args: ['sh', '-c', `echo ${phase} $(pwd) >> ${log}`] }]]),
  );
  const read = (log: string) => Object.fromEntries(fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' ')));

  it("is runc's: the bundle for what create and run run, the caller's for start's and delete's", async () => {
    const log = path.join(logDir, 'pwd-run.log');
    setConfig(bundle, specWith(['true'], (s) => { s.hooks = pwdHooks(log); }));
    env.ok(['run', '--bundle', bundle, env.id('hpwd')]);
    expect(read(log)).toEqual({ prestart: bundle, createRuntime: bundle, poststart: bundle, poststop: bundle });

    const split = path.join(logDir, 'pwd-split.log');
    setConfig(bundle, specWith(['true'], (s) => { s.hooks = pwdHooks(split); }));
    const id = env.id('hpwd2');
    env.ok(['create', '--bundle', bundle, id]);
    const { pid } = env.state(id);
    env.ok(['start', id]);
    await waitFor(`${id} to stop`, () => env.state(id).status === 'stopped');
    env.ok(['delete', id]);
    await reap(pid);
    expect(read(split)).toEqual({ prestart: bundle, createRuntime: bundle, poststart: process.cwd(), poststop: process.cwd() });
    expect(leftoversOf(env, id, { bundle })).toEqual([]);
  });

  it("is runc's in the container's namespaces: the rootfs for createContainer (a relative path is in it), process.cwd for startContainer", () => {
    const rootfs = path.join(bundle, 'rootfs');
    const log = path.join(logDir, 'pwd-container.log');
    const startLog = path.join(rootfs, 'pwd-start.log');
    fs.rmSync(startLog, { force: true });
    try {
      setConfig(bundle, specWith(['true'], (s) => {
        s.process!.cwd = '/etc';
        s.hooks = {
          createContainer: [{ path: '/bin/sh', args: ['sh', '-c', `echo createContainer $(pwd) >> ${log}; test -f ./hook.sh`] }],
          startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo startContainer $(pwd) >> /pwd-start.log'] }],
        };
      }));
      env.ok(['run', '--bundle', bundle, env.id('hpwd3')]);
      expect(read(log)).toEqual({ createContainer: rootfs });
      expect(read(startLog)).toEqual({ startContainer: '/etc' });
    } finally {
      fs.rmSync(startLog, { force: true });
    }
  });
});
