#!/usr/bin/env node
// Lifecycle benchmark: per-command medians and peak RSS (create, start, state, exec, kill, delete and
// the whole lifecycle) for tsrunc and, when installed, runc, measured in the same run in a clean
// environment (no NODE_EXTRA_CA_CERTS), beside a bare `node -e 0`.
//   node bench/lifecycle.mjs [--runs N]        (root; needs busybox-static)
import { spawnSync } from 'node:child_process';
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
const runtimes = [['tsrunc', path.join(repo, 'bin/tsrunc')], ...(runc ? [['runc', runc]] : [])];

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
function timed(argv, { check = true } = {}) {
  const start = process.hrtime.bigint();
  const r = rssRound
    ? spawnSync('/usr/bin/time', ['-o', timeFile, '-f', '%M', ...argv], { env: cleanEnv, stdio: 'ignore' })
    : spawnSync(argv[0], argv.slice(1), { env: cleanEnv, stdio: 'ignore' });
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

function pidOf(bin, root, id) {
  return JSON.parse(spawnSync(bin, ['--root', root, 'state', id], { env: cleanEnv, encoding: 'utf8' }).stdout).pid;
}

try {
  for (let i = 0; i < RSS_ROUNDS + runs; i++) {
    rssRound = i < RSS_ROUNDS;
    // Interleave the runtimes so that machine noise hits both alike.
    for (const [name, bin] of runtimes) {
      const root = path.join(tmp, `root-${name}`);
      const g = ['--root', root];
      // create, start, state, delete of /bin/true, and the lifecycle as a whole.
      const id = `bench-${i}`;
      const create = timed([bin, ...g, 'create', '--bundle', trueBundle, id]);
      const pid = pidOf(bin, root, id);
      const start = timed([bin, ...g, 'start', id]);
      const w0 = process.hrtime.bigint();
      await addon.waitpid(pid);
      const waitMs = Number(process.hrtime.bigint() - w0) / 1e6;
      record(name, 'state', timed([bin, ...g, 'state', id]));
      const del = timed([bin, ...g, 'delete', id]);
      for (const [cmd, t] of [['create', create], ['start', start], ['delete', del]]) record(name, cmd, t);
      if (!rssRound) record(name, 'lifecycle', { ms: create.ms + start.ms + waitMs + del.ms });
      // exec of /bin/true in a running container (waiting for it), then kill of the container.
      const sid = `bench-sleep-${i}`;
      spawnSync(bin, [...g, 'run', '--detach', '--bundle', sleepBundle, sid], { env: cleanEnv, stdio: 'ignore' });
      const spid = pidOf(bin, root, sid);
      record(name, 'exec', timed([bin, ...g, 'exec', sid, '/bin/true']));
      record(name, 'kill', timed([bin, ...g, 'kill', sid, 'KILL']));
      await addon.waitpid(spid);
      spawnSync(bin, [...g, 'delete', sid], { env: cleanEnv });
    }
    const node = timed([process.execPath, '-e', '0']);
    record('node -e 0', 'node', node);
  }

  const nodeMs = median(results['node -e 0'].node.ms);
  const fmt = (x) => (x === undefined ? '-' : x.toFixed(1));
  const header = ['command', 'tsrunc ms', ...(runc ? ['runc ms', 'tsrunc/runc'] : []), 'tsrunc/node', 'tsrunc peak RSS MB', ...(runc ? ['runc peak RSS MB'] : [])];
  const rows = commands.map((cmd) => {
    const t = median(results.tsrunc[cmd].ms);
    const r = runc ? median(results.runc[cmd].ms) : undefined;
    const rssT = Math.max(...results.tsrunc[cmd].rss) / 1024;
    const rssR = runc ? Math.max(...results.runc[cmd].rss) / 1024 : undefined;
    return [cmd, fmt(t), ...(runc ? [fmt(r), `${(t / r).toFixed(2)}x`] : []), `${(t / nodeMs).toFixed(2)}x`,
      cmd === 'lifecycle' ? '-' : fmt(rssT), ...(runc ? [cmd === 'lifecycle' ? '-' : fmt(rssR)] : [])];
  });
  rows.push(['node -e 0', fmt(nodeMs), ...(runc ? ['', ''] : []), '1.00x', fmt(Math.max(...results['node -e 0'].node.rss) / 1024), ...(runc ? [''] : [])]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c]).length)));
  const line = (r) => r.map((cell, c) => String(cell).padStart(c === 0 ? 0 : widths[c]).padEnd(c === 0 ? widths[0] : 0)).join('  ');
  console.log(`tsrunc lifecycle benchmark: ${runs} runs each, medians, clean environment (env -i PATH HOME), ${os.cpus().length} cores, node ${process.version}${runc ? `, runc at ${runc}` : ', runc not installed'}`);
  console.log('lifecycle = create + start + wait + delete of /bin/true (wall time of those commands); times from direct starts,');
  console.log(`peak RSS from ${RSS_ROUNDS} more rounds under GNU time`);
  console.log(line(header));
  for (const r of rows) console.log(line(r));
} finally {
  for (const [name, bin] of runtimes) {
    const root = path.join(tmp, `root-${name}`);
    for (const id of fs.existsSync(root) ? fs.readdirSync(root) : []) spawnSync(bin, ['--root', root, 'delete', '--force', id]);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(timeFile, { force: true });
}
