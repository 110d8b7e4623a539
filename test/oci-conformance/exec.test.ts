// exec, ps, pause and resume through bin/tsrunc with real busybox containers: the exec'd process is in
// the container's namespaces, cgroup and rootfs, with the process of --process or of the config plus
// the flags; exit statuses and errors are runc's; the argv containerd's shim and conmon use works; ps
// lists the cgroup; pause freezes and resume thaws; delete --force of a paused container leaves nothing.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Process, Spec } from '../../src/oci/types';
import { native } from '../../src/linux/native';
import { TestEnv, TSRUNC } from '../support/env';
import { withCgroupNamespace } from '../support/base-spec';
import { delay, leftoversOf, reap, setConfig, specWith, waitFor } from './helpers';

let env: TestEnv;
let bundle: string;

beforeAll(() => {
  env = new TestEnv('exec');
  bundle = env.bundle('b', specWith(['true']));
});

/** Every detached exec'd process: this test process (the subreaper) must reap them, see deleteAndCheck. */
const detached = new Set<number>();

afterAll(async () => {
  // Whatever a failed test left: reaped while cleanup's delete --force waits for the inits.
  const reaping = [...detached].map((p) => native().waitpid(p).catch(() => undefined));
  const leftovers = await env.cleanup();
  await Promise.all(reaping);
  expect(leftovers).toEqual([]);
});

const FOREVER = 'while :; do sleep 0.1; done';
/** Counts up in /tmp/count, ten times a second. */
const COUNTER = 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.1; done';
const NS = ['pid', 'net', 'ipc', 'uts', 'mnt', 'cgroup', 'user'];

/** A detached container running `sh -c script`, with a hostname; its id and init pid. */
function runDetached(script: string, edit?: (s: Spec) => void): { id: string; pid: number } {
  setConfig(bundle, specWith(['sh', '-c', script], (s) => {
    s.hostname = 'exec-host';
    s.process!.env = ['PATH=/usr/bin:/bin', 'FROM_CONFIG=yes'];
    edit?.(s);
  }));
  const id = env.id('c');
  env.ok(['run', '--detach', '--bundle', bundle, id]);
  const st = env.state(id);
  expect(st.status).toBe('running');
  return { id, pid: st.pid };
}

async function deleteAndCheck(id: string, pid: number, execPids: number[] = []): Promise<void> {
  // Detached exec'd processes were left to this test process (the subreaper), as they are to the shim.
  // They must be reaped while delete waits: an init that is pid 1 of its namespace finishes exiting
  // only once every process of the namespace is reaped (waitpid runs on the thread pool meanwhile).
  const reaping = execPids.map((p) => native().waitpid(p).catch(() => undefined));
  env.ok(['delete', '--force', id]);
  await Promise.all(reaping);
  for (const p of execPids) detached.delete(p);
  await reap(pid);
  expect(leftoversOf(env, id, { bundle, pid })).toEqual([]);
  for (const p of execPids) expect(fs.existsSync(`/proc/${p}`), `exec'd process ${p}`).toBe(false);
}

/** Writes a process JSON file and returns its path. */
function processFile(proc: Partial<Process> | string): string {
  const file = path.join(env.tmp, `process-${Math.random().toString(16).slice(2)}.json`);
  fs.writeFileSync(file, typeof proc === 'string' ? proc : JSON.stringify(proc, null, 2));
  return file;
}

const rootfsFile = (p: string) => path.join(bundle, 'rootfs', p);

describe('exec', () => {
  it('runs in the container\'s namespaces, rootfs and hostname, with the config\'s env', async () => {
    const { id, pid } = runDetached(FOREVER, withCgroupNamespace);
    fs.writeFileSync(rootfsFile('marker'), 'in the rootfs\n');
    const r = env.ok(['exec', id, 'sh', '-c', `${NS.map((n) => `readlink /proc/self/ns/${n}`).join('; ')}; hostname; cat /marker; echo "$FROM_CONFIG $HOME"; pwd; id -u`]);
    const lines = r.stdout.trim().split('\n');
    NS.forEach((n, i) => expect(lines[i], n).toBe(fs.readlinkSync(`/proc/${pid}/ns/${n}`)));
    // And not the host's (but for the user namespace, which the container shares).
    for (const n of NS.filter((x) => x !== 'user')) expect(fs.readlinkSync(`/proc/${pid}/ns/${n}`)).not.toBe(fs.readlinkSync(`/proc/self/ns/${n}`));
    expect(lines.slice(NS.length)).toEqual(['exec-host', 'in the rootfs', 'yes /root', '/', '0']);
    await deleteAndCheck(id, pid);
  });

  it('is in the container\'s pid namespace and cgroup (namespace)', async () => {
    const { id, pid } = runDetached(FOREVER, withCgroupNamespace);
    const r = env.ok(['exec', id, 'sh', '-c', 'echo $$; cat /proc/1/cmdline | tr "\\0" " "; echo; cat /proc/self/cgroup']);
    const [innerPid, initCmd, ...cgroups] = r.stdout.trim().split('\n');
    expect(Number(innerPid)).toBeGreaterThan(1);
    expect(initCmd.trim()).toBe(`sh -c ${FOREVER}`);
    // In its own cgroup namespace the container's cgroup is the root.
    expect(cgroups.length).toBeGreaterThan(0);
    for (const line of cgroups) expect(line).toMatch(/:\/$/);
    await deleteAndCheck(id, pid);
  });

  it('without a cgroup namespace (tsrunc spec on a host that is not cgroup v2 only), is in the container\'s cgroups as the host names them', async () => {
    const { id, pid } = runDetached(FOREVER);
    const r = env.ok(['exec', id, 'cat', '/proc/self/cgroup']);
    expect(r.stdout).toBe(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
    expect(r.stdout).toMatch(new RegExp(`/${id}$`, 'm'));
    await deleteAndCheck(id, pid);
  });

  it('takes cwd, env, user and groups from flags', async () => {
    const { id, pid } = runDetached(FOREVER);
    const r = env.ok(['exec', '--cwd', '/tmp', '--env', 'FOO=bar', '-e', 'FROM_CONFIG=overridden', '--user', '1000:1000',
      '--additional-gids', '5', '-g', '7', id, 'sh', '-c', 'pwd; echo "$FOO $FROM_CONFIG $HOME"; id -u; id -g; id -G; env | grep -c FROM_CONFIG']);
    expect(r.stdout.trim().split('\n')).toEqual(['/tmp', 'bar overridden /home/user', '1000', '1000', '1000 5 7', '1']);
    await deleteAndCheck(id, pid);
  });

  it('--cap adds a capability; --no-new-privs sets no_new_privs', async () => {
    const { id, pid } = runDetached(FOREVER, (s) => { s.process!.noNewPrivileges = false; });
    const caps = (out: string) => BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(out)![1]}`);
    const plain = env.ok(['exec', id, 'cat', '/proc/self/status']).stdout;
    const CAP_SYS_ADMIN = 21n;
    expect(caps(plain) & (1n << CAP_SYS_ADMIN)).toBe(0n);
    expect(plain).toMatch(/NoNewPrivs:\s*0/);
    const more = env.ok(['exec', '--cap', 'CAP_SYS_ADMIN', '--no-new-privs', id, 'cat', '/proc/self/status']).stdout;
    expect(caps(more) & (1n << CAP_SYS_ADMIN)).toBe(1n << CAP_SYS_ADMIN);
    expect(more).toMatch(/NoNewPrivs:\s*1/);
    await deleteAndCheck(id, pid);
  });

  it('takes args, env, cwd and user from --process, ignoring the config\'s', async () => {
    const { id, pid } = runDetached(FOREVER);
    const file = processFile({
      args: ['sh', '-c', 'pwd; echo "$ONLY ${FROM_CONFIG:-unset} $HOME"; id -u; id -g'],
      env: ['PATH=/bin', 'ONLY=process', 'HOME=/somewhere'],
      cwd: '/etc',
      user: { uid: 65534, gid: 65534 },
    });
    const r = env.ok(['exec', '--process', file, id]);
    expect(r.stdout.trim().split('\n')).toEqual(['/etc', 'process unset /somewhere', '65534', '65534']);
    // No user: root, as runc reads it.
    const rootless = env.ok(['exec', '--process', processFile({ args: ['sh', '-c', 'id -u; id -g'], cwd: '/' }), id]);
    expect(rootless.stdout).toBe('0\n0\n');
    // Read as runc reads it: "Args" is args, an ioPriority without priority has 0 (runc's ioprio.bats).
    const folded = env.ok(['exec', '--process', processFile('{"Args": ["ionice"], "cwd": "/", "ioPriority": {"class": "IOPRIO_CLASS_BE"}}'), id]);
    expect(folded.stdout.trim()).toBe('best-effort: prio 0');
    await deleteAndCheck(id, pid);
  });

  it('--cgroup runs the process in an existing sub-cgroup of the container\'s; a missing one is refused', async () => {
    const { id, pid } = runDetached(FOREVER);
    const rec = JSON.parse(fs.readFileSync(path.join(env.root, id, 'state.json'), 'utf8')) as { cgroup: { driver: string; paths: Record<string, string> } };
    const dir = rec.cgroup.driver === 'v2' ? rec.cgroup.paths.unified : rec.cgroup.paths.memory;
    const sub = path.join(dir, 'worker');
    fs.mkdirSync(sub);
    try {
      const spec = rec.cgroup.driver === 'v2' ? 'worker' : 'memory:worker';
      const out = env.ok(['exec', '--cgroup', spec, id, 'cat', '/proc/self/cgroup']).stdout;
      // Without a cgroup namespace, named by its host path.
      expect(out).toMatch(rec.cgroup.driver === 'v2' ? /^0::\/(\S+\/)?worker$/m : /:memory:\/(\S+\/)?worker$/m);
      const missing = env.tsrunc(['exec', '--cgroup', 'nope', id, 'true']);
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toContain("--cgroup nope: the container's cgroup has no sub-cgroup nope");
    } finally {
      fs.rmdirSync(sub);
    }
    await deleteAndCheck(id, pid);
  });

  it('linux.memoryPolicy is the init\'s and every exec\'d process\'s NUMA policy (set_mempolicy), as runc sets it', async () => {
    const { id, pid } = runDetached(FOREVER, (s) => { s.linux!.memoryPolicy = { mode: 'MPOL_INTERLEAVE', nodes: '0' }; });
    const policy = (numaMaps: string) => numaMaps.split('\n')[0].split(' ')[1];
    expect(policy(fs.readFileSync(`/proc/${pid}/numa_maps`, 'utf8'))).toBe('interleave:0');
    expect(policy(env.ok(['exec', id, 'cat', '/proc/self/numa_maps']).stdout)).toBe('interleave:0');
    await deleteAndCheck(id, pid);
  });

  it('passes the exit status through, 128+N for signal N', async () => {
    const { id, pid } = runDetached(FOREVER);
    expect(env.tsrunc(['exec', id, 'sh', '-c', 'exit 7']).status).toBe(7);
    expect(env.tsrunc(['exec', id, 'true']).status).toBe(0);
    expect(env.tsrunc(['exec', id, 'sh', '-c', 'kill -9 $$']).status).toBe(137);
    await deleteAndCheck(id, pid);
  });

  it('forwards signals to the process', async () => {
    const { id, pid } = runDetached(FOREVER);
    const started = rootfsFile('tmp/exec-started');
    const child = spawn(TSRUNC, ['--root', env.root, 'exec', id, 'sh', '-c', `trap "exit 3" TERM; touch /tmp/exec-started; ${FOREVER}`], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor('the exec\'d process to start', () => fs.existsSync(started));
    child.kill('SIGTERM');
    expect(await exited).toBe(3);
    await deleteAndCheck(id, pid);
  });

  it('a missing program: runc\'s "executable file not found in $PATH", exit 255', async () => {
    const { id, pid } = runDetached('exec sleep 1000');
    const r = env.tsrunc(['exec', id, 'no-such-program']);
    expect(r.status).toBe(255);
    expect(r.stderr).toMatch(/exec failed: .*\\?"no-such-program\\?": executable file not found in \$PATH/);
    const abs = env.tsrunc(['exec', id, '/no/such/program']);
    expect(abs.status).toBe(255);
    expect(abs.stderr).toMatch(/\/no\/such\/program.*no such file or directory/i);
    const cwd = env.tsrunc(['exec', '--cwd', '/no/such/dir', id, 'true']);
    expect(cwd.status).toBe(255);
    expect(cwd.stderr).toMatch(/\/no\/such\/dir/);
    // Nothing was left running in the container.
    expect(JSON.parse(env.ok(['ps', '--format', 'json', id]).stdout)).toEqual([pid]);
    await deleteAndCheck(id, pid);
  });

  it('refuses a bad process file with every problem, and empty args, terminals', async () => {
    const { id, pid } = runDetached(FOREVER);
    const bad = processFile('{\n  "args": [],\n  "cwd": "tmp",\n  "user": {"uid": "root", "gid": 0}\n}\n');
    const r = env.tsrunc(['exec', '--process', bad, id]);
    expect(r.status).toBe(255);
    expect(r.stderr).toMatch(/process\.args \(line 2, column \d+\)/);
    expect(r.stderr).toMatch(/process\.cwd \(line 3, column \d+\)/);
    expect(r.stderr).toMatch(/process\.user\.uid \(line 4, column \d+\)/);
    const notJson = env.tsrunc(['exec', '--process', processFile('{"args": ["sh",]}'), id]);
    expect(notJson.status).toBe(255);
    expect(notJson.stderr).toMatch(/not valid JSON at line 1/);
    const empty = env.tsrunc(['exec', id]);
    expect(empty.status).toBe(255);
    expect(empty.stderr).toMatch(/exec args cannot be empty/);
    // A detached terminal needs a console socket (runc's checkTerminal; more in terminal.test.ts).
    const tty = env.tsrunc(['exec', '--detach', '--tty', id, 'sh']);
    expect(tty.status).toBe(255);
    expect(tty.stderr).toMatch(/cannot allocate tty/);
    const terminal = env.tsrunc(['exec', '--detach', '--process', processFile({ args: ['sh'], cwd: '/', terminal: true, user: { uid: 0, gid: 0 } }), id]);
    expect(terminal.status).toBe(255);
    expect(terminal.stderr).toMatch(/process\.terminal is true/);
    const missing = env.tsrunc(['exec', env.id('missing'), 'true']);
    expect(missing.status).toBe(255);
    expect(missing.stderr).toMatch(/container does not exist/);
    await deleteAndCheck(id, pid);
  });

  it('--detach --pid-file: the pid is a process in the container\'s cgroup, listed by ps', async () => {
    const { id, pid } = runDetached(FOREVER);
    const pidFile = path.join(env.tmp, `${id}.exec.pid`);
    env.ok(['exec', '--detach', '--pid-file', pidFile, id, 'sh', '-c', `echo $$ > /tmp/exec-pid; ${FOREVER}`]);
    const text = fs.readFileSync(pidFile, 'utf8');
    expect(text).toMatch(/^\d+$/); // no newline
    const execPid = Number(text);
    detached.add(execPid);
    expect(fs.readFileSync(`/proc/${execPid}/cgroup`, 'utf8')).toContain(id);
    expect(fs.readlinkSync(`/proc/${execPid}/ns/pid`)).toBe(fs.readlinkSync(`/proc/${pid}/ns/pid`));
    const inner = await waitFor('the pid seen inside', () => fs.existsSync(rootfsFile('tmp/exec-pid')) && fs.readFileSync(rootfsFile('tmp/exec-pid'), 'utf8').trim());
    expect(Number(inner)).toBeGreaterThan(1);
    const pids = JSON.parse(env.ok(['ps', '--format', 'json', id]).stdout) as number[];
    expect(pids).toContain(pid);
    expect(pids).toContain(execPid);
    await deleteAndCheck(id, pid, [execPid]);
  });

  it('the argv of containerd\'s shim and of conmon', async () => {
    const { id, pid } = runDetached(FOREVER);
    const log = path.join(env.tmp, `${id}.log.json`);
    const proc = { args: ['sh', '-c', `echo shim > /tmp/shim; ${FOREVER}`], env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 }, terminal: false };
    const shimPid = path.join(env.tmp, `${id}.shim.pid`);
    env.ok(['--log', log, '--log-format', 'json', 'exec', '--process', processFile(proc), '--detach', '--pid-file', shimPid, id]);
    const conmonPid = path.join(env.tmp, `${id}.conmon.pid`);
    env.ok(['--log-format=json', '--log', log, 'exec', '--pid-file', conmonPid, '--process', processFile({ ...proc, args: ['sleep', '1000'] }), '--detach', id]);
    const pids = [Number(fs.readFileSync(shimPid, 'utf8')), Number(fs.readFileSync(conmonPid, 'utf8'))];
    pids.forEach((p) => detached.add(p));
    await waitFor('/tmp/shim', () => fs.existsSync(rootfsFile('tmp/shim')));
    expect(JSON.parse(env.ok(['--log', log, '--log-format', 'json', 'ps', '--format', 'json', id]).stdout)).toEqual(expect.arrayContaining([pid, ...pids]));
    // A failure is a JSON record in the log, as the shim reads it.
    const bad = env.tsrunc(['--log', log, '--log-format', 'json', 'exec', '--process', processFile({ ...proc, args: ['nope'] }), '--detach', '--pid-file', path.join(env.tmp, 'x.pid'), id]);
    expect(bad.status).toBe(255);
    const records = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(records.at(-1)).toMatchObject({ level: 'error', msg: expect.stringMatching(/^exec failed: .*executable file not found in \$PATH/) });
    expect(fs.existsSync(path.join(env.tmp, 'x.pid'))).toBe(false);
    await deleteAndCheck(id, pid, pids);
  });

  it('--preserve-fds passes extra fds; without it the process has only stdio', async () => {
    const { id, pid } = runDetached(FOREVER);
    const file = path.join(env.tmp, `${id}.fd3`);
    const fd = fs.openSync(file, 'w');
    try {
      env.ok(['exec', '--preserve-fds', '1', id, 'sh', '-c', 'echo through fd 3 >&3'], { extraFds: [fd] });
    } finally {
      fs.closeSync(fd);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('through fd 3\n');
    // Without it, fd 3 is closed in the process.
    const out = path.join(env.tmp, `${id}.fd3b`);
    const fd2 = fs.openSync(out, 'w');
    try {
      expect(env.tsrunc(['exec', id, 'sh', '-c', 'echo no >&3'], { extraFds: [fd2] }).status).not.toBe(0);
    } finally {
      fs.closeSync(fd2);
    }
    expect(fs.readFileSync(out, 'utf8')).toBe('');
    // The exec'd process has stdio and nothing else, whatever the runtime inherited.
    const extra = fs.openSync(path.join(env.tmp, `${id}.extra`), 'w');
    try {
      const listed = env.ok(['exec', id, 'sh', '-c', 'for f in /proc/$$/fd/*; do [ -e "$f" ] && echo "${f##*/}"; done; true'], { extraFds: [extra, extra] });
      expect(listed.stdout.trim().split('\n')).toEqual(['0', '1', '2']);
    } finally {
      fs.closeSync(extra);
    }
    await deleteAndCheck(id, pid);
  });

  it('works in a created container; a stopped container is refused', async () => {
    setConfig(bundle, specWith(['sh', '-c', 'exit 0']));
    const id = env.id('created');
    env.ok(['create', '--bundle', bundle, id]);
    const { pid } = env.state(id);
    expect(env.ok(['exec', id, 'sh', '-c', 'echo $$']).stdout.trim()).not.toBe('1');
    expect(env.state(id).status).toBe('created');
    env.ok(['start', id]);
    await waitFor('the container to stop', () => env.state(id).status === 'stopped');
    const r = env.tsrunc(['exec', id, 'true']);
    expect(r.status).toBe(255);
    expect(r.stderr).toMatch(/cannot exec in a stopped container/);
    await deleteAndCheck(id, pid);
  });

  it('a container with a user namespace and a seccomp filter: the exec\'d process gets both', async () => {
    fs.chmodSync(env.tmp, 0o755);
    const { id, pid } = runDetached(FOREVER, (s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 0, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 0, size: 65536 }];
      s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] };
    });
    const r = env.ok(['exec', id, 'sh', '-c', 'readlink /proc/self/ns/user; mkdir /tmp/not-allowed 2>/dev/null; echo $?; grep Seccomp: /proc/self/status']);
    expect(r.stdout.trim().split('\n')).toEqual([fs.readlinkSync(`/proc/${pid}/ns/user`), '1', expect.stringMatching(/Seccomp:\s*2/)]);
    expect(fs.readlinkSync(`/proc/${pid}/ns/user`)).not.toBe(fs.readlinkSync('/proc/self/ns/user'));
    await deleteAndCheck(id, pid);
  });

  it.skipIf(process.arch !== 'x64')('a container with linux.personality LINUX32: the exec\'d process gets it too (uname -m)', async () => {
    const { id, pid } = runDetached(FOREVER, (s) => {
      s.linux!.personality = { domain: 'LINUX32' };
    });
    expect(env.ok(['exec', id, 'uname', '-m']).stdout.trim()).toBe('i686');
    await deleteAndCheck(id, pid);
  });
});

describe('ps', () => {
  it('json lists the host pids in the cgroup; table keeps ps -ef rows of those pids', async () => {
    const { id, pid } = runDetached('exec sleep 2000');
    const pidFile = path.join(env.tmp, `${id}.exec.pid`);
    env.ok(['exec', '--detach', '--pid-file', pidFile, id, 'sleep', '1000']);
    const execPid = Number(fs.readFileSync(pidFile, 'utf8'));
    detached.add(execPid);
    const pids = JSON.parse(env.ok(['ps', '--format', 'json', id]).stdout) as number[];
    expect(pids).toEqual(expect.arrayContaining([pid, execPid]));
    const table = env.ok(['ps', id]).stdout.trim().split('\n');
    expect(table[0]).toMatch(/^UID\s+PID\s+PPID/);
    const rows = table.slice(1).map((l) => Number(l.trim().split(/\s+/)[1]));
    expect(rows).toEqual(expect.arrayContaining([pid, execPid]));
    for (const p of rows) expect(pids).toContain(p);
    expect(table.some((l) => /sleep 1000/.test(l))).toBe(true);
    // ps arguments after the id go to ps.
    const custom = env.ok(['ps', id, '-o', 'pid,comm', '-p', String(execPid)]).stdout.trim().split('\n');
    expect(custom[0].trim()).toBe('PID COMMAND');
    expect(custom.slice(1).map((l) => l.trim())).toEqual([`${execPid} sleep`]);
    const bad = env.tsrunc(['ps', '--format', 'yaml', id]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/invalid format option/);
    await deleteAndCheck(id, pid, [execPid]);
  });

  it('of a stopped container: an empty list (null, as runc prints it)', async () => {
    setConfig(bundle, specWith(['true']));
    const id = env.id('ps-stopped');
    env.ok(['run', '--detach', '--bundle', bundle, id]);
    const { pid } = env.state(id);
    await waitFor('the container to stop', () => env.state(id).status === 'stopped');
    expect(env.ok(['ps', '--format', 'json', id]).stdout).toBe('null\n');
    await deleteAndCheck(id, pid);
  });
});

describe('pause and resume', () => {
  const count = () => Number(fs.readFileSync(rootfsFile('tmp/count'), 'utf8').trim() || 0);

  it('pause freezes every process (state paused); resume lets them go on (state running)', async () => {
    const { id, pid } = runDetached(COUNTER);
    await waitFor('the counter', () => fs.existsSync(rootfsFile('tmp/count')) && count() > 0);
    env.ok(['pause', id]);
    expect(env.state(id).status).toBe('paused');
    expect(JSON.parse(env.ok(['list', '--format', 'json']).stdout).find((s: { id: string }) => s.id === id).status).toBe('paused');
    const frozenAt = count();
    await delay(500);
    expect(count()).toBe(frozenAt);
    // Paused: pause again, start and exec are refused; kill still works after resume.
    const again = env.tsrunc(['pause', id]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/container not running/);
    const start = env.tsrunc(['start', id]);
    expect(start.status).toBe(1);
    expect(start.stderr).toMatch(/paused/);
    const exec = env.tsrunc(['exec', id, 'true']);
    expect(exec.status).toBe(255);
    expect(exec.stderr).toMatch(/cannot exec in a paused container/);
    // --ignore-paused with a process that is refused: refused at once (nothing joined the frozen cgroup).
    const badProcess = path.join(env.tmp, 'bad-process.json');
    fs.writeFileSync(badProcess, JSON.stringify({ args: [], cwd: 'relative' }));
    const ignored = env.tsrunc(['exec', '--ignore-paused', '--process', badProcess, id], { timeout: 5_000 });
    expect(ignored.status).toBe(255);
    expect(ignored.stderr).toMatch(/invalid process/);

    env.ok(['resume', id]);
    expect(env.state(id).status).toBe('running');
    await waitFor('the counter to go on', () => count() > frozenAt + 2);
    const notPaused = env.tsrunc(['resume', id]);
    expect(notPaused.status).toBe(1);
    expect(notPaused.stderr).toMatch(/container not paused/);
    await deleteAndCheck(id, pid);
  });

  it('a created container can be paused and resumed, and is created again', async () => {
    setConfig(bundle, specWith(['true']));
    const id = env.id('pause-created');
    env.ok(['create', '--bundle', bundle, id]);
    const { pid } = env.state(id);
    env.ok(['pause', id]);
    expect(env.state(id).status).toBe('paused');
    env.ok(['resume', id]);
    expect(env.state(id).status).toBe('created');
    await deleteAndCheck(id, pid);
  });

  it('pause and resume of a stopped or unknown container fail like runc', async () => {
    setConfig(bundle, specWith(['true']));
    const id = env.id('pause-stopped');
    env.ok(['run', '--detach', '--bundle', bundle, id]);
    const { pid } = env.state(id);
    await waitFor('the container to stop', () => env.state(id).status === 'stopped');
    const p = env.tsrunc(['pause', id]);
    expect(p.status).toBe(1);
    expect(p.stderr).toMatch(/container not running/);
    const r = env.tsrunc(['resume', id]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/container not paused/);
    const unknown = env.tsrunc(['pause', env.id('unknown')]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/container does not exist/);
    await deleteAndCheck(id, pid);
  });

  it('delete --force of a paused container (with an exec\'d process) leaves nothing', async () => {
    const { id, pid } = runDetached(COUNTER);
    const pidFile = path.join(env.tmp, `${id}.exec.pid`);
    env.ok(['exec', '--detach', '--pid-file', pidFile, id, 'sleep', '1000']);
    const execPid = Number(fs.readFileSync(pidFile, 'utf8'));
    detached.add(execPid);
    env.ok(['pause', id]);
    const plain = env.tsrunc(['delete', id]);
    expect(plain.status).toBe(1);
    expect(env.state(id).status).toBe('paused');
    await deleteAndCheck(id, pid, [execPid]);
  });
});
