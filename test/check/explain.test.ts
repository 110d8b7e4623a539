// explain prints the plan create runs: for the default spec and for a rich config, `explain --json`
// encoded is byte for byte what the helper of a real `create` received (tsrunc-init writes what it
// read to $TSRUNC_INIT_PLAN_DUMP). And explain creates nothing.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Spec } from '../../src/oci/types';
import { baseSpec } from '../support/base-spec';
import { encodePlan, type Plan } from '../../src/linux/plan';
import { TestEnv, TSRUNC } from '../support/env';
import { native } from '../../src/linux/native';
import { leftoversOf, reap, setConfig } from '../oci-conformance/helpers';

let env: TestEnv;
let bundle: string;
let netnsHolder: ChildProcess;

/** A config that uses most of what the plan can say. */
function richSpec(netnsPath: string, dataDir: string): Spec {
  const spec = baseSpec();
  spec.hostname = 'rich';
  spec.process!.args = ['sh', '-c', 'echo hello'];
  spec.process!.cwd = '/tmp';
  spec.process!.env = ['PATH=/bin:/usr/bin', 'GREETING=hello world'];
  spec.process!.user = { uid: 1000, gid: 1000, additionalGids: [5], umask: 0o027 };
  spec.process!.rlimits = [
    { type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 },
    { type: 'RLIMIT_NPROC', soft: 512, hard: 512 },
  ];
  spec.process!.capabilities = {
    bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW'],
    effective: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
    permitted: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
    inheritable: ['CAP_NET_BIND_SERVICE'],
    ambient: ['CAP_NET_BIND_SERVICE'],
  };
  spec.root = { path: 'rootfs', readonly: true };
  spec.mounts = [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/data', type: 'bind', source: dataDir, options: ['rbind', 'ro', 'nosuid', 'nodev'] },
    { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=1m', 'mode=1777'] },
  ];
  spec.linux = {
    namespaces: [
      { type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'user' },
      { type: 'network', path: netnsPath },
    ],
    uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    sysctl: { 'kernel.msgmax': '16384' },
    resources: {
      devices: [{ allow: false, access: 'rwm' }],
      memory: { limit: 64 * 1024 * 1024 },
      pids: { limit: 100 },
    },
    maskedPaths: ['/proc/kcore', '/proc/keys', '/sys/firmware'],
    readonlyPaths: ['/proc/bus', '/proc/sys'],
  };
  return spec;
}

interface ExplainJson {
  id: string;
  bundle: string;
  plan: Plan;
  cgroup: { driver: string; paths: Record<string, string>; writes: { file: string; value: string; origin: string }[]; unsupported: string[] };
  warnings: unknown[];
}

beforeAll(() => {
  env = new TestEnv('explain');
  // The state dir must be reachable for the container's root of a user namespace (a mapped uid).
  fs.chmodSync(env.tmp, 0o755);
  bundle = env.bundle('b', baseSpec());
  // A network namespace to join: this test's own (held by a child, so /proc/<pid>/ns/net stays).
  netnsHolder = spawn('sleep', ['600'], { stdio: 'ignore' });
});

afterAll(async () => {
  netnsHolder.kill('SIGKILL');
  expect(await env.cleanup()).toEqual([]);
});

/** explain --json, then a real create with the dump on: the helper's input must be the explained plan. */
async function explainEqualsCreate(spec: Spec, flags: string[] = []): Promise<ExplainJson> {
  setConfig(bundle, spec);
  const id = env.id('plan');
  const explained = env.tsrunc(['explain', '--json', ...flags, '--bundle', bundle, id]);
  expect(explained.status, explained.stderr).toBe(0);
  expect(fs.existsSync(path.join(env.root, id)), 'explain made no state').toBe(false);
  expect(leftoversOf(env, id, { bundle }), 'explain made nothing').toEqual([]);
  const data = JSON.parse(explained.stdout) as ExplainJson;
  const dump = path.join(env.tmp, `${id}.plan`);
  const created = env.tsrunc(['create', ...flags, '--bundle', bundle, id], { env: { TSRUNC_INIT_PLAN_DUMP: dump } });
  expect(created.status, created.stderr).toBe(0);
  const pid = env.state(id).pid;
  try {
    const received = fs.readFileSync(dump);
    expect((fs.statSync(dump).mode & 0o777).toString(8)).toBe('600');
    const sent = encodePlan(data.plan).subarray(4);
    // Readable when it fails: the records, then the bytes.
    expect(received.toString('utf8').split('\0')).toEqual(sent.toString('utf8').split('\0'));
    expect(Buffer.compare(received, sent)).toBe(0);
  } finally {
    env.ok(['delete', '--force', id]);
    await reap(pid);
  }
  expect(leftoversOf(env, id, { bundle, pid })).toEqual([]);
  return data;
}

describe('the plan explain prints is the plan the helper receives', () => {
  it('the default spec', async () => {
    const data = await explainEqualsCreate(baseSpec());
    expect(data.plan.container.map((o) => o.op)).toContain('pivot-root');
    expect(data.cgroup.writes.length).toBeGreaterThan(0);
  });

  it('a rich config: user namespace, joined netns, binds, tmpfs data, sysctls, rlimits, caps, resources', async () => {
    const data = path.join(env.tmp, 'data');
    fs.mkdirSync(data, { recursive: true });
    // Mount points the container's root (an unprivileged host uid) could not make in the root-owned rootfs.
    for (const dir of ['data', 'scratch']) fs.mkdirSync(path.join(bundle, 'rootfs', dir), { recursive: true });
    const spec = richSpec(`/proc/${netnsHolder.pid}/ns/net`, data);
    const explained = await explainEqualsCreate(spec);
    const ops = [...explained.plan.host, ...explained.plan.container].map((o) => o.op);
    for (const op of ['setns', 'uid-map', 'gid-map', 'become-root', 'sethostname', 'rlimit', 'capset', 'ambient', 'write-file', 'mask', 'readonly']) {
      expect(ops).toContain(op);
    }
    const files = explained.cgroup.writes.map((w) => path.basename(w.file));
    expect(files).toContain('pids.max');
    expect(files.some((f) => f === 'memory.limit_in_bytes' || f === 'memory.max')).toBe(true);
  });
});

describe('explain with --console-socket', () => {
  it('a process.terminal: the console ops are in the plan the helper receives, and in a Terminal section', async () => {
    const socket = path.join(env.tmp, 'console.sock');
    const listenFd = native().listenUnix(socket, 4);
    try {
      const spec = baseSpec();
      spec.process!.terminal = true;
      spec.process!.consoleSize = { height: 30, width: 90 };
      const data = await explainEqualsCreate(spec, ['--console-socket', socket]);
      expect(data.plan.host.map((o) => o.op)).toContain('console-connect');
      expect(data.plan.container.map((o) => o.op)).toContain('console');
      // The master create sent.
      fs.closeSync(native().receiveFd(listenFd, 5_000).fd);
      const text = env.ok(['explain', '--console-socket', socket, '--bundle', bundle]).stdout;
      expect(text).toMatch(/\nTerminal\n {2}console socket: .*console\.sock \(connected before any setns\) {2}\[--console-socket\]\n {2}pty from \/dev\/ptmx, 30 rows x 90 columns, slave owned by uid 0, bound on \/dev\/console/);
      // Without a socket create (which detaches) would refuse a terminal: a warning, the plan still shown.
      const without = env.ok(['explain', '--bundle', bundle]).stdout;
      expect(without).toMatch(/create would refuse this: cannot allocate tty if tsrunc will detach without setting console socket/);
      expect(without).not.toMatch(/\nTerminal\n/);
    } finally {
      fs.closeSync(listenFd);
      fs.rmSync(socket, { force: true });
    }
  });
});

describe('explain', () => {
  it('text: sections in order, derived from the plan; no colour when stdout is not a terminal', () => {
    setConfig(bundle, baseSpec());
    const r = env.tsrunc(['explain', '--bundle', bundle]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/\x1b\[/);
    const headings = ['Namespaces', 'User and group ID maps', 'Cgroup', 'Mounts', 'Devices', 'Root', 'Sysctls', 'Masked paths',
      'Read-only paths', 'Rlimits', 'Capabilities', 'Seccomp', 'Hooks', 'User', 'Process', 'Plan:'];
    const at = headings.map((h) => r.stdout.indexOf(h === 'Plan:' ? '\nPlan:' : `\n${h}\n`));
    expect(at.every((i) => i > 0), JSON.stringify(at)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(r.stdout).toMatch(/new {2}pid, network, mount, ipc, uts  \[linux.namespaces\]/);
    expect(r.stdout).toMatch(/shm → \/dev\/shm \(in root\) {2}type tmpfs {2}flags nosuid\|nodev\|noexec {2}data "mode=1777,size=65536k"/);
    expect(r.stdout).toMatch(/RLIMIT_NOFILE {2}soft 1024 {2}hard 1024/);
    expect(r.stdout).toMatch(/bounding: {4}CAP_KILL CAP_NET_BIND_SERVICE CAP_AUDIT_WRITE/);
    // The init takes exec.fifo alone, never the state directory (a way out to the host).
    expect(r.stdout).toMatch(/waits for start on: \S+\/exec\.fifo \(the fifo alone, taken before the root change\)/);
    expect(r.stdout).toMatch(/ctr {2}open-exec-fifo "\S+\/exec\.fifo"/);
    expect(r.stdout).not.toMatch(/open-state-dir/);
    expect(fs.readdirSync(env.root).filter((n) => n === 'container')).toEqual([]);
  });

  it('colour on a terminal, none with NO_COLOR', () => {
    setConfig(bundle, baseSpec());
    const cmd = `${TSRUNC} --root ${env.root} explain --bundle ${bundle}`;
    const tty = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '' } });
    expect(tty.status, tty.stderr).toBe(0);
    expect(tty.stdout).toMatch(/\x1b\[1mNamespaces\x1b\[0m/);
    const plain = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(plain.stdout).not.toMatch(/\x1b\[/);
  });

  it('refuses a broken bundle as create does: exit 1, the problems on stderr, nothing on stdout', () => {
    const spec = baseSpec();
    spec.process!.args = ['no-such-program'];
    setConfig(bundle, spec);
    const r = env.tsrunc(['explain', '--json', '--bundle', bundle]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/process\.args\[0\] \(line \d+, column \d+\): exec: \\"no-such-program\\": executable file not found/);
  });
});
