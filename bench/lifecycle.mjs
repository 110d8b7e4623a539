#!/usr/bin/env node
// Lifecycle benchmark: per-command medians and peak RSS (create, start, state, exec, kill, delete and
// the whole lifecycle) for tsrunc's cold path (TSRUNC_DAEMON=off), its warm path (a `tsrunc daemon` on
// its root) and, when installed, runc, measured in the same run in a clean environment (no
// NODE_EXTRA_CA_CERTS), beside a bare `node -e 0`; then N lifecycles, P at a time, for each, twice.
//   node bench/lifecycle.mjs [--runs N] [--parallel N,P] [--disk]     (root; needs busybox-static)
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 30;
const cleanEnv = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root' };
const addon = createRequire(import.meta.url)(path.join(repo, 'build/Release/tsrunc_native.node'));
// Container inits are orphaned by create (as under containerd's shim): this process reaps them.
addon.setChildSubreaper();

const which = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();
const runc = which('runc');
const tsrunc = path.join(repo, 'bin/tsrunc');
// [name, binary, environment]
const runtimes = [
  ['cold', tsrunc, { ...cleanEnv, TSRUNC_DAEMON: 'off' }],
  ['warm', tsrunc, { ...cleanEnv, TSRUNC_DAEMON: 'required' }],
  ...(runc ? [['runc', runc, cleanEnv]] : []),
];
const parallelArg = process.argv.includes('--parallel') ? process.argv[process.argv.indexOf('--parallel') + 1] : '100,10';
const [parallelTotal, parallelAtOnce] = parallelArg.split(',').map(Number);

const timeFile = path.join(os.tmpdir(), `tsrunc-bench-time-${process.pid}`);

// The first RSS_ROUNDS rounds run every command under GNU time for its peak RSS only; the timed rounds
// that follow start the commands directly, as an engine does (GNU time's own start would be in every
// figure otherwise, which makes the ratios look better than they are).
const RSS_ROUNDS = 3;
let rssRound = false;

/**
 * Runs argv: its wall time in ms (timed rounds) or its peak RSS in kB (RSS rounds). No pipes: a
 * container inherits the runtime's stdio, and a pipe it holds open would keep spawnSync waiting.
 */
function timed(argv, { check = true, env = cleanEnv } = {}) {
  const start = process.hrtime.bigint();
  const r = rssRound
    ? spawnSync('/usr/bin/time', ['-o', timeFile, '-f', '%M', ...argv], { env, stdio: 'ignore' })
    : spawnSync(argv[0], argv.slice(1), { env, stdio: 'ignore' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (check && r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}`);
  return rssRound ? { rss: Number(fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()) } : { ms };
}

function makeBundle(dir, args) {
  const rootfs = path.join(dir, 'rootfs');
  fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  for (const d of ['proc', 'sys', 'dev', 'tmp', 'etc']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin/busybox'));
  fs.chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
  for (const a of ['true', 'sh', 'sleep']) fs.symlinkSync('busybox', path.join(rootfs, 'bin', a));
  spawnSync(path.join(repo, 'bin/tsrunc'), ['spec', '--bundle', dir], { env: cleanEnv });
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  config.process.args = args;
  // `spec` writes runc's default, which asks for a terminal and an ambient set the kernel cannot raise.
  config.process.terminal = false;
  delete config.process.capabilities.ambient;
  config.ociVersion = '1.0.2'; // runc 1.1 knows specs up to 1.0.2
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-bench-'));
// State roots and bundles on a tmpfs, as on production hosts (/run/runc, /run/containerd): on a disk
// filesystem every create and delete also pays the journal for state.json (--disk to measure that).
const onDisk = process.argv.includes('--disk');
if (!onDisk && spawnSync('mount', ['-t', 'tmpfs', '-o', 'mode=0700', 'tmpfs', tmp]).status !== 0) throw new Error(`cannot mount a tmpfs at ${tmp}`);
const trueBundle = makeBundle(path.join(tmp, 'true'), ['/bin/true']);
const sleepBundle = makeBundle(path.join(tmp, 'sleep'), ['/bin/sleep', '1000']);
const commands = ['create', 'start', 'state', 'exec', 'kill', 'delete', 'lifecycle'];
const results = {}; // results[runtime][command] = { ms: [], rss: [] }

function record(rt, cmd, t) {
  results[rt] ??= {};
  results[rt][cmd] ??= { ms: [], rss: [] };
  if (t.ms !== undefined) results[rt][cmd].ms.push(t.ms);
  if (t.rss !== undefined) results[rt][cmd].rss.push(t.rss);
}

function pidOf(bin, root, id, env) {
  return JSON.parse(spawnSync(bin, ['--root', root, 'state', id], { env, encoding: 'utf8' }).stdout).pid;
}

/** The warm runtime's server, on its root. */
function startServer(root) {
  const server = spawn(tsrunc, ['--root', root, 'daemon', '--idle-workers', '2'], { env: { ...cleanEnv, TSRUNC_DAEMON: 'off' }, stdio: 'ignore' });
  const sock = path.join(root, 'tsrunc@daemon.sock');
  for (let i = 0; i < 2000 && !fs.existsSync(sock); i++) spawnSync('sleep', ['0.01']);
  if (!fs.existsSync(sock)) throw new Error('tsrunc daemon did not start');
  return server;
}

/** RSS in kB of a process and its descendants (the server and its workers). */
function treeRss(pid) {
  const kids = new Map();
  for (const d of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      kids.set(ppid, [...(kids.get(ppid) ?? []), Number(d)]);
    } catch { /* gone */ }
  }
  let total = 0;
  for (const stack = [pid]; stack.length > 0;) {
    const p = stack.pop();
    try {
      total += Number(/^VmRSS:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch { /* gone */ }
    stack.push(...(kids.get(p) ?? []));
  }
  return total;
}

/** N lifecycles (run of /bin/true, then delete), P at a time: wall ms and failures. */
async function parallelLifecycles(bin, root, env, total, atOnce) {
  const once = (i) => new Promise((resolve) => {
    const id = `par-${i}`;
    const child = spawn('sh', ['-c', `"$0" --root "$1" run --bundle "$2" "$3" && "$0" --root "$1" delete --force "$3"`, bin, root, trueBundle, id], { env, stdio: 'ignore' });
    child.once('exit', (code) => resolve(code === 0));
  });
  const start = process.hrtime.bigint();
  let next = 0;
  let failed = 0;
  await Promise.all(Array.from({ length: atOnce }, async () => {
    while (next < total) if (!(await once(next++))) failed++;
  }));
  const left = fs.existsSync(root) ? fs.readdirSync(root).filter((n) => n.startsWith('par-')).length : 0;
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, failed, left };
}

let server;
try {
  server = startServer(path.join(tmp, 'root-warm'));
  for (let i = 0; i < RSS_ROUNDS + runs; i++) {
    rssRound = i < RSS_ROUNDS;
    // Interleave the runtimes so that machine noise hits both alike. The cold path's node processes
    // evict the caches: warm and runc take turns to run right after it (in a fixed order, warm would
    // always pay for that, and runc never).
    const order = i % 2 === 0 ? runtimes : [runtimes[0], ...runtimes.slice(1).reverse()];
    for (const [name, bin, env] of order) {
      const root = path.join(tmp, `root-${name}`);
      const g = ['--root', root];
      // create, start, state, delete of /bin/true, and the lifecycle as a whole.
      const id = `bench-${i}`;
      const create = timed([bin, ...g, 'create', '--bundle', trueBundle, id], { env });
      const pid = pidOf(bin, root, id, env);
      const start = timed([bin, ...g, 'start', id], { env });
      const w0 = process.hrtime.bigint();
      await addon.waitpid(pid);
      const waitMs = Number(process.hrtime.bigint() - w0) / 1e6;
      record(name, 'state', timed([bin, ...g, 'state', id], { env }));
      const del = timed([bin, ...g, 'delete', id], { env });
      for (const [cmd, t] of [['create', create], ['start', start], ['delete', del]]) record(name, cmd, t);
      if (!rssRound) record(name, 'lifecycle', { ms: create.ms + start.ms + waitMs + del.ms });
      // exec of /bin/true in a running container (waiting for it), then kill of the container.
      const sid = `bench-sleep-${i}`;
      spawnSync(bin, [...g, 'run', '--detach', '--bundle', sleepBundle, sid], { env, stdio: 'ignore' });
      const spid = pidOf(bin, root, sid, env);
      record(name, 'exec', timed([bin, ...g, 'exec', sid, '/bin/true'], { env }));
      record(name, 'kill', timed([bin, ...g, 'kill', sid, 'KILL'], { env }));
      await addon.waitpid(spid);
      spawnSync(bin, [...g, 'delete', sid], { env });
    }
    const node = timed([process.execPath, '-e', '0']);
    record('node -e 0', 'node', node);
  }

  const serverRss = treeRss(server.pid);
  // Twice: the first burst finds the server with the workers the sequential rounds needed (it grows its
  // pool meanwhile); the second finds the pool the first one left.
  const parallel = {};
  for (const round of [0, 1]) {
    for (const [name, bin, env] of runtimes) (parallel[name] ??= [])[round] = await parallelLifecycles(bin, path.join(tmp, `root-${name}`), env, parallelTotal, parallelAtOnce);
  }

  const nodeMs = median(results['node -e 0'].node.ms);
  const fmt = (x) => (x === undefined ? '-' : x.toFixed(1));
  const names = runtimes.map(([n]) => n);
  const header = ['command', ...names.map((n) => `${n} ms`), ...(runc ? ['cold/runc', 'warm/runc'] : []), ...names.map((n) => `${n} peak RSS MB`)];
  const rows = commands.map((cmd) => {
    const t = Object.fromEntries(names.map((n) => [n, median(results[n][cmd].ms)]));
    const rss = names.map((n) => (cmd === 'lifecycle' ? '-' : fmt(Math.max(...results[n][cmd].rss) / 1024)));
    return [cmd, ...names.map((n) => fmt(t[n])), ...(runc ? [`${(t.cold / t.runc).toFixed(2)}x`, `${(t.warm / t.runc).toFixed(2)}x`] : []), ...rss];
  });
  rows.push(['node -e 0', fmt(nodeMs), ...names.slice(1).map(() => ''), ...(runc ? ['', ''] : []), fmt(Math.max(...results['node -e 0'].node.rss) / 1024), ...names.slice(1).map(() => '')]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c]).length)));
  const line = (r) => r.map((cell, c) => String(cell).padStart(c === 0 ? 0 : widths[c]).padEnd(c === 0 ? widths[0] : 0)).join('  ');
  console.log(`tsrunc lifecycle benchmark: ${runs} runs each, medians, clean environment (env -i PATH HOME), ${os.cpus().length} cores, node ${process.version}${runc ? `, runc at ${runc}` : ', runc not installed'}, state and bundles on ${onDisk ? 'the disk' : 'a tmpfs'}`);
  console.log('lifecycle = create + start + wait + delete of /bin/true (wall time of those commands); times from direct starts,');
  console.log(`peak RSS from ${RSS_ROUNDS} more rounds under GNU time`);
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  console.log(`warm: the server and its workers held ${(serverRss / 1024).toFixed(1)} MB RSS after the rounds (warm peak RSS above is the front's)`);
  console.log(`${parallelTotal} lifecycles (run /bin/true; delete --force), ${parallelAtOnce} at a time, twice (first burst, second burst):`);
  for (const n of names) console.log(`  ${n.padEnd(5)} ${parallel[n].map((p) => `${fmt(p.ms)} ms, ${p.failed} failed, ${p.left} left`).join('; ')}`);
} finally {
  for (const [name, bin, env] of runtimes) {
    const root = path.join(tmp, `root-${name}`);
    for (const id of fs.existsSync(root) ? fs.readdirSync(root).filter((n) => !n.includes('@')) : []) spawnSync(bin, ['--root', root, 'delete', '--force', id], { env });
  }
  if (server) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  if (!onDisk) spawnSync('umount', [tmp]);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(timeFile, { force: true });
}
