// Bad input: every case exits 1, says on stderr what is wrong (naming the config field when there is
// one), and leaves nothing behind: no state, no cgroup, no process, no mount. And the JSON log.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Spec } from '../../src/oci/types';
import { TestEnv } from '../support/env';
import { detectCgroupLayout } from '../../src/linux/cgroups/layout';
import { cgroupDirs, childPids, hostMounts, reap, setConfig, specWith } from './helpers';

let env: TestEnv;
let bundle: string;

beforeAll(() => {
  env = new TestEnv('bad');
  bundle = env.bundle('b', specWith(['true']));
});

afterAll(async () => {
  expect(await env.cleanup()).toEqual([]);
});

/** What a failed command may not leave: state for id, its cgroup, a new child process, a mount. */
function leftAfter(id: string | undefined, childrenBefore: number[]): string[] {
  const left: string[] = [];
  const states = env.stateEntries();
  if (states.length > 0) left.push(`state dirs ${states.join(' ')}`);
  const newChildren = childPids().filter((p) => !childrenBefore.includes(p));
  if (newChildren.length > 0) left.push(`processes ${newChildren.join(' ')}`);
  for (const m of hostMounts(env.tmp)) left.push(`mount ${m}`);
  if (id !== undefined) {
    const cg = cgroupDirs(id);
    if (cg) left.push(`cgroup ${cg}`);
    for (const m of hostMounts(id)) left.push(`mount ${m}`);
  }
  return left;
}

/** The message of tsrunc's (logrus-style text) error line on stderr. */
function message(stderr: string): string {
  const m = /level=error msg=("(?:[^"\\]|\\.)*")/.exec(stderr);
  if (!m) throw new Error(`no error record on stderr: ${stderr}`);
  return JSON.parse(m[1]) as string;
}

const NOT_JSON = '{\n  "ociVersion": "1.0.2",\n  "process": {\n    "args": ["true"],,\n    "cwd": "/"\n  }\n}\n';
const TRUNCATED = '{\n  "ociVersion": "1.0.2",\n  "process": {\n    "args": ["true"]\n';

interface BundleCase {
  name: string;
  /** The config to write into the shared bundle; or a bundle path to use as is. */
  config?: Spec | string;
  bundlePath?: () => string;
  stderr: RegExp[];
}

const edit = (f: (s: Spec) => void, args: string[] = ['true']) => specWith(args, f);

/** The test config with `value` (JSON text) under a key of its own at the top. */
const withExtra = (key: string, value: string) => `${JSON.stringify(specWith(['true'])).slice(0, -1)},${JSON.stringify(key)}:${value}}`;
const DEEP = 100_000;
const DEEP_OBJECTS = withExtra('deep', `${'{"a":'.repeat(DEEP)}1${'}'.repeat(DEEP)}`);
const DEEP_ARRAYS = withExtra('x-unknown', `${'['.repeat(DEEP)}${']'.repeat(DEEP)}`);
const TOO_DEEP = /config\.json: arrays and objects nested more than 1000 levels deep at line 1, column \d+$/;

/** A bundle at `name` holding the test config, whose rootfs is a symlink to `target` (the shared bundle's rootfs unless given). */
const linkedRootfs = (name: string, target?: string) => () => {
  const dir = path.join(env.tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  setConfig(dir, specWith(['true']));
  fs.rmSync(path.join(dir, 'rootfs'), { force: true });
  fs.symlinkSync(target ?? path.join(bundle, 'rootfs'), path.join(dir, 'rootfs'));
  return dir;
};

const bundleCases: BundleCase[] = [
  { name: 'a bundle directory that does not exist', bundlePath: () => path.join(env.tmp, 'no-such-bundle'), stderr: [/bundle directory \S*no-such-bundle does not exist/] },
  {
    name: 'a bundle without config.json',
    bundlePath: () => {
      const dir = path.join(env.tmp, 'no-config');
      fs.mkdirSync(path.join(dir, 'rootfs'), { recursive: true });
      return dir;
    },
    stderr: [/config\.json not found in bundle \S*no-config/],
  },
  { name: 'config.json that is not JSON', config: NOT_JSON, stderr: [/config\.json: not valid JSON at line 4, column 22\b/] },
  { name: 'config.json cut short', config: TRUNCATED, stderr: [/config\.json: not valid JSON at line 5, column 1\b/] },
  {
    name: 'process.user.uid a string',
    config: edit((s) => { (s.process!.user as unknown as { uid: string }).uid = 'root'; }),
    stderr: [/process\.user\.uid\b/, /integer/, /"root"/],
  },
  {
    name: 'an unknown namespace type',
    config: edit((s) => { (s.linux!.namespaces![0] as { type: string }).type = 'bogus'; }),
    stderr: [/linux\.namespaces\[0\]\.type\b/, /pid, network, mount, ipc, uts, user, cgroup/, /bogus/],
  },
  {
    name: 'a mount without destination',
    config: edit((s) => { delete (s.mounts![2] as { destination?: string }).destination; }),
    stderr: [/mounts\[2\]\.destination\b/, /required/],
  },
  {
    name: 'a bind mount whose source does not exist',
    config: edit((s) => { s.mounts!.push({ destination: '/x', type: 'bind', source: '/no/such/source', options: ['bind'] }); }),
    stderr: [/mounts\[7\]\.source\b/, /\/no\/such\/source does not exist/],
  },
  { name: 'a missing rootfs', config: edit((s) => { s.root!.path = 'no-rootfs'; }), stderr: [/root\.path\b/, /no-rootfs does not exist/] },
  { name: 'no process', config: edit((s) => { delete s.process; }), stderr: [/\bprocess\b/, /required/] },
  { name: 'empty args', config: edit(() => undefined, []), stderr: [/process\.args\b/] },
  {
    name: 'a program that is not in the rootfs',
    config: edit(() => undefined, ['no-such-program']),
    stderr: [/process\.args\[0\]/, /"no-such-program": executable file not found in \$PATH/],
  },
  {
    name: 'an absolute program path that does not exist',
    config: edit(() => undefined, ['/no/such/program']),
    stderr: [/process\.args\[0\]/, /\/no\/such\/program.*no such file or directory/i],
  },
  {
    name: 'a program that is not executable',
    config: edit(() => undefined, ['/etc/passwd']),
    stderr: [/process\.args\[0\]/, /\/etc\/passwd.*permission denied/i],
  },
  {
    name: 'a cwd that is a file',
    config: edit((s) => { s.process!.cwd = '/etc/passwd'; }),
    stderr: [/process\.cwd\b/, /\/etc\/passwd/, /not a directory/i],
  },
  {
    name: 'a relative cwd',
    config: edit((s) => { s.process!.cwd = 'tmp'; }),
    stderr: [/process\.cwd\b/],
  },
  {
    name: 'a terminal that is not a boolean (terminal refusals: terminal.test.ts)',
    config: edit((s) => { (s.process as unknown as Record<string, unknown>).terminal = 'yes'; }),
    stderr: [/process\.terminal\b/],
  },
  {
    name: 'a hostname without a uts namespace',
    config: edit((s) => { s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'uts'); }),
    stderr: [/\bhostname\b/, /UTS namespace/],
  },
  {
    name: 'no mount namespace',
    config: edit((s) => { s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'mount'); }),
    stderr: [/linux\.namespaces\b/, /mount namespace/],
  },
  {
    name: 'a sysctl that is not namespaced',
    config: edit((s) => { s.linux!.sysctl = { 'vm.swappiness': '10' }; }),
    stderr: [/linux\.sysctl(\.vm\.swappiness|\["vm\.swappiness"\])/, /not namespaced/],
  },
  {
    // Refused, not ignored: the container must not run without the filter it asked for.
    name: 'linux.seccomp with SCMP_ACT_NOTIFY and no agent to answer',
    config: edit((s) => { s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }; }),
    stderr: [/linux\.seccomp\.listenerPath\b/, /linux\.seccomp\.syscalls\[0\] uses SCMP_ACT_NOTIFY/],
  },
  {
    name: 'linux.seccomp that blocks what the runtime needs after installing it',
    config: edit((s) => { s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [] }; }),
    stderr: [/linux\.seccomp\b/, /blocks openat, write, execve/],
  },
  {
    name: 'a hook that does not exist',
    config: edit((s) => { s.hooks = { createRuntime: [{ path: '/bin/true' }, { path: '/no/such/hook' }] }; }),
    stderr: [/hooks\.createRuntime\[1\]\.path\b/, /does not exist/],
  },
  // Strings that cannot be carried to the helper or the kernel (once, create hung on them).
  { name: 'a NUL byte in an argument', config: edit(() => undefined, ['echo', 'a\0b']), stderr: [/^invalid config \S+: process\.args\[1\] \(line \d+, column \d+\): contains a NUL byte/] },
  { name: 'a NUL byte in the environment', config: edit((s) => { s.process!.env!.push('X=a\0b'); }), stderr: [/process\.env\[\d\] \(line \d+, column \d+\): contains a NUL byte/] },
  { name: 'a NUL byte in the hostname', config: edit((s) => { s.hostname = 'h\0'; }), stderr: [/\bhostname \(line \d+, column \d+\): contains a NUL byte/] },
  { name: 'a NUL byte in a mount destination', config: edit((s) => { s.mounts![3].destination = '/dev/shm\0x'; }), stderr: [/mounts\[3\]\.destination \(line \d+, column \d+\): contains a NUL byte/] },
  {
    // The helper's other half dies mid-plan, while the client answers its `hooks` request.
    name: 'a createRuntime hook that kills the container process',
    config: edit((s) => { s.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p' | xargs kill -9`] }] }; }),
    stderr: [/^the container process ended before it was ready$/],
  },
  // Nesting that would blow the stack of whatever reads it.
  { name: 'objects nested 100,000 deep', config: DEEP_OBJECTS, stderr: [TOO_DEEP] },
  { name: 'arrays nested 100,000 deep under an unknown key', config: DEEP_ARRAYS, stderr: [TOO_DEEP] },
  // runc refuses a rootfs that is not its own real path.
  { name: 'a rootfs that is a symlink to /', bundlePath: linkedRootfs('rootfs-to-host-root', '/'), stderr: [/root\.path \(line \d+, column \d+\): rootfs \S+\/rootfs is a symlink \(to \/\)/] },
  { name: 'a rootfs that is a symlink to a rootfs', bundlePath: linkedRootfs('rootfs-to-rootfs'), stderr: [/root\.path \(line \d+, column \d+\): rootfs \S+\/rootfs is a symlink \(to \S+\/b\/rootfs\)/] },
  {
    name: 'a user namespace without mappings',
    config: edit((s) => { s.linux!.namespaces!.push({ type: 'user' }); }),
    stderr: [/linux\.(uidMappings|gidMappings|namespaces)/],
  },
  // runc's words, which runc's tests match.
  { name: 'an empty linux.memoryPolicy', config: edit((s) => { s.linux!.memoryPolicy = {} as never; }), stderr: [/linux\.memoryPolicy\.mode \(line \d+, column \d+\): invalid memory policy mode: is required/] },
  {
    name: 'an unknown memory policy flag',
    config: edit((s) => { s.linux!.memoryPolicy = { mode: 'MPOL_PREFERRED', nodes: '0', flags: ['MPOL_F_RELATIVE_NODES', 'badflag' as never] }; }),
    stderr: [/linux\.memoryPolicy\.flags\[1\] \(line \d+, column \d+\): invalid memory policy flag: /],
  },
  {
    name: 'a memory policy node number too large',
    config: edit((s) => { s.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0-9876543210' }; }),
    stderr: [/linux\.memoryPolicy\.nodes \(line \d+, column \d+\): invalid memory policy nodes "0-9876543210": node 9876543210 is larger than 1023/],
  },
  {
    name: 'nodes for a memory policy mode that takes none',
    config: edit((s) => { s.linux!.memoryPolicy = { mode: 'MPOL_DEFAULT', nodes: '0-7' }; }),
    stderr: [/linux\.memoryPolicy\.nodes \(line \d+, column \d+\): MPOL_DEFAULT: memory policy mode requires 0 nodes but got 8/],
  },
  ...(detectCgroupLayout().mode === 'v2' ? [] : [{
    name: 'unified resources of a controller that is not on cgroup2',
    config: edit((s) => { s.linux!.resources = { unified: { 'memory.min': '131072' } }; }),
    stderr: [/linux\.resources\.unified\["memory\.min"\] \(line \d+, column \d+\): invalid configuration: /],
  }]),
];

describe('bad bundles: exit 1, a clear message, nothing left', () => {
  for (const command of ['create', 'run']) {
    it.each(bundleCases)(`${command}: $name`, (c) => {
      let dir = bundle;
      if (c.bundlePath) dir = c.bundlePath();
      else setConfig(bundle, c.config!);
      const id = env.id('bad');
      const before = childPids();
      const r = env.tsrunc([command, '--bundle', dir, id], { timeout: 10_000 });
      expect(r.status, r.stderr).toBe(1);
      for (const re of c.stderr) expect(message(r.stderr)).toMatch(re);
      expect(r.stdout).toBe('');
      // One record, and no stack trace in it.
      expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\bat \S+:\d+:\d+|RangeError/);
      expect(leftAfter(id, before)).toEqual([]);
    });
  }
});

describe('check and explain refuse what create cannot carry, in the same words', () => {
  const cases = bundleCases.filter((c) => /NUL byte|nested 100,000|symlink/.test(c.name));

  it.each(cases)('explain: $name', (c) => {
    const dir = c.bundlePath ? c.bundlePath() : bundle;
    if (!c.bundlePath) setConfig(bundle, c.config!);
    const r = env.tsrunc(['explain', '--bundle', dir], { timeout: 10_000 });
    expect(r.status, r.stderr).toBe(1);
    for (const re of c.stderr) expect(message(r.stderr)).toMatch(re);
    expect(r.stderr).not.toMatch(/\bat \S+:\d+:\d+|RangeError/);
  });

  it.each(cases)('check: $name', (c) => {
    const dir = c.bundlePath ? c.bundlePath() : bundle;
    if (!c.bundlePath) setConfig(bundle, c.config!);
    const r = env.tsrunc(['check', '--bundle', dir], { timeout: 10_000 });
    expect(r.status, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/NUL byte|nested more than 1000 levels deep|is a symlink/);
    expect(r.stdout + r.stderr).not.toMatch(/\bat \S+:\d+:\d+|RangeError/);
  });
});

describe('bad arguments', () => {
  it('an invalid container id', () => {
    setConfig(bundle, specWith(['true']));
    for (const id of ['../x', 'a/b', '', '.', '..']) {
      const before = childPids();
      const r = env.tsrunc(['create', '--bundle', bundle, id]);
      expect(r.status, id).toBe(1);
      expect(r.stderr).toMatch(/invalid container ID format/);
      expect(fs.existsSync(path.join(env.tmp, 'x'))).toBe(false);
      expect(leftAfter(undefined, before)).toEqual([]);
    }
  });

  it.each(['start', 'kill', 'delete', 'state'])('%s of an unknown id: "container does not exist"', (command) => {
    const r = env.tsrunc([command, env.id('unknown')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/container does not exist/);
  });

  it('a duplicate id is refused; the first container is untouched', async () => {
    setConfig(bundle, specWith(['sleep', '60']));
    const id = env.id('dup');
    env.ok(['create', '--bundle', bundle, id]);
    const first = env.state(id);
    for (const command of ['create', 'run']) {
      const r = env.tsrunc([command, '--bundle', bundle, id]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/container with given ID already exists/);
    }
    expect(env.state(id)).toEqual(first);
    expect(fs.existsSync(path.join(env.root, id, 'exec.fifo'))).toBe(true);
    env.ok(['delete', '--force', id]);
    await reap(first.pid);
  });

  it('a bad signal name or number: "unknown signal", and the container keeps running', async () => {
    setConfig(bundle, specWith(['sleep', '60']));
    const id = env.id('sig');
    env.ok(['run', '--detach', '--bundle', bundle, id]);
    const { pid } = env.state(id);
    for (const sig of ['SIGFOO', 'FOO', 'RTMIN+99']) {
      const r = env.tsrunc(['kill', id, sig]);
      expect(r.status, sig).toBe(1);
      expect(r.stderr).toMatch(/unknown signal/);
      expect(r.stderr).toContain(sig);
    }
    for (const sig of ['0x9', '65', '-1']) {
      const r = env.tsrunc(['kill', id, sig]);
      expect(r.status, sig).toBe(1);
      expect(r.stderr).toMatch(/signal/);
    }
    expect(env.state(id)).toMatchObject({ status: 'running', pid });
    env.ok(['delete', '--force', id]);
    await reap(pid);
  });

  it('a bad --log-format', () => {
    const r = env.tsrunc(['--log-format', 'xml', 'list']);
    expect(r.status).toBe(1);
    expect(message(r.stderr)).toMatch(/--log-format "xml"/);
    expect(r.stdout).toBe('');
  });

  it('an unknown command or flag', () => {
    const a = env.tsrunc(['frobnicate']);
    expect(a.status).not.toBe(0);
    expect(a.stderr).toMatch(/frobnicate/);
    const b = env.tsrunc(['create', '--no-such-flag', env.id('flag')]);
    expect(b.status).not.toBe(0);
    expect(b.stderr).toMatch(/no-such-flag/);
  });
});

describe('--log and --log-format', () => {
  const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

  it('json: one object per line with level, msg and an RFC 3339 time; the error also on stderr', () => {
    const log = path.join(env.tmp, 'json.log');
    setConfig(bundle, edit((s) => { (s.process!.user as unknown as { uid: string }).uid = 'root'; }));
    const r = env.tsrunc(['--log', log, '--log-format', 'json', 'create', '--bundle', bundle, env.id('log')]);
    expect(r.status).toBe(1);
    const lines = fs.readFileSync(log, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0]) as { level: string; msg: string; time: string };
    expect(record.level).toBe('error');
    expect(record.msg).toMatch(/process\.user\.uid/);
    expect(record.time).toMatch(RFC3339);
    expect(Math.abs(Date.parse(record.time) - Date.now())).toBeLessThan(60_000);
    expect(r.stderr).toContain(record.msg);
  });

  it('two failing commands append two records to the same file; nothing is truncated', () => {
    const log = path.join(env.tmp, 'append.log');
    fs.writeFileSync(log, '{"level":"info","msg":"already here","time":"2020-01-01T00:00:00Z"}\n');
    const a = env.tsrunc(['--log', log, '--log-format', 'json', 'state', env.id('first')]);
    setConfig(bundle, specWith(['no-such-program']));
    const b = env.tsrunc(['--log', log, '--log-format', 'json', 'run', '--bundle', bundle, env.id('second')]);
    expect([a.status, b.status]).toEqual([1, 1]);
    const records = fs.readFileSync(log, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string; time: string });
    expect(records.map((x) => x.level)).toEqual(['info', 'error', 'error']);
    expect(records[0].msg).toBe('already here');
    expect(records[1].msg).toMatch(/container does not exist/);
    expect(records[2].msg).toMatch(/executable file not found in \$PATH/);
    for (const x of records) expect(x.time).toMatch(RFC3339);
  });

  it('text: logrus-style lines appended to the file', () => {
    const log = path.join(env.tmp, 'text.log');
    env.tsrunc(['--log', log, 'state', env.id('t1')]);
    env.tsrunc(['--log', log, '--log-format', 'text', 'kill', env.id('t2')]);
    const lines = fs.readFileSync(log, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      const m = /^time="([^"]+)" level=error msg="container does not exist"$/.exec(l);
      expect(m, l).not.toBeNull();
      expect(m![1]).toMatch(RFC3339);
    }
  });
});
