#!/usr/bin/env node
// What the systemd cgroup driver adds to create, on a systemd host (root; scripts/guest/run.sh boots
// one): the sd-bus addon's load, the connection (systemd's private socket, and the system bus), one
// StartTransientUnit with its job waited for, and StopUnit; then `tsrunc create` + `delete` medians with
// and without --systemd-cgroup.
//   node bench/systemd-driver.mjs [--runs N]     (needs busybox-static)
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 10;
const require = createRequire(import.meta.url);
const native = require(path.join(repo, 'build/Release/tsrunc_native.node'));
native.setChildSubreaper();

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) => `median ${median(xs).toFixed(2)} ms (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)}, n=${xs.length})`;

// The addon's load: a process of its own each time, since dlopen happens once per process.
const loads = [];
for (let i = 0; i < runs; i++) {
  const r = spawnSync(process.execPath, ['-e', `const t=process.hrtime.bigint();process.dlopen({exports:{}},${JSON.stringify(path.join(repo, 'build/Release/tsrunc_sdbus.node'))});console.log(Number(process.hrtime.bigint()-t)/1e6)`], { encoding: 'utf8' });
  loads.push(Number(r.stdout));
}
console.log(`load tsrunc_sdbus.node (libsystemd):   ${fmt(loads)}`);

const props = (pid) => [
  ['Description', { sig: 's', value: 'tsrunc bench' }], ['Slice', { sig: 's', value: 'system.slice' }], ['Delegate', { sig: 'b', value: true }],
  ['PIDs', { sig: 'au', value: [pid] }], ['MemoryAccounting', { sig: 'b', value: true }], ['CPUAccounting', { sig: 'b', value: true }],
  ['IOAccounting', { sig: 'b', value: true }], ['TasksAccounting', { sig: 'b', value: true }], ['DefaultDependencies', { sig: 'b', value: false }],
  ['MemoryMax', { sig: 't', value: 67108864n }],
];

for (const [label, address, busClient] of [
  ['systemd private socket', 'unix:path=/run/systemd/private', false],
  ['system bus (dbus-daemon)', 'unix:path=/run/dbus/system_bus_socket', true],
]) {
  const connects = [];
  const starts = [];
  const stops = [];
  for (let i = 0; i < runs; i++) {
    // A fresh process per round: the connection is per process, as in tsrunc.
    const script = `
      const a = { exports: {} }; process.dlopen(a, ${JSON.stringify(path.join(repo, 'build/Release/tsrunc_sdbus.node'))});
      const sd = a.exports; const { spawn } = require('node:child_process');
      const child = spawn('sleep', ['100'], { stdio: 'ignore' });
      const now = () => process.hrtime.bigint(); const d = (t) => Number(now() - t) / 1e6;
      let t = now(); sd.connect(${JSON.stringify(address)}, ${busClient}); const c = d(t);
      const name = 'tsrunc-bench-' + process.pid + '.scope';
      t = now(); const job = sd.callJob('StartTransientUnit', 'ssa(sv)a(sa(sv))', [name, 'replace', (${props.toString()})(child.pid), []], 30000); const s = d(t);
      t = now(); const stop = sd.callJob('StopUnit', 'ss', [name, 'replace'], 30000); const p = d(t);
      child.kill('SIGKILL');
      console.log(JSON.stringify({ c, s, p, start: job.result, stop: stop.result }));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) {
      console.log(`${label}: failed: ${r.stderr.trim().split('\n').filter((l) => /Error|error/.test(l)).slice(0, 3).join(' | ')}`);
      break;
    }
    const o = JSON.parse(r.stdout);
    if (o.start !== 'done' || o.stop !== 'done') console.log(`${label}: job results ${o.start}, ${o.stop}`);
    connects.push(o.c);
    starts.push(o.s);
    stops.push(o.p);
  }
  if (connects.length === 0) continue;
  console.log(`${label}: connect                  ${fmt(connects)}`);
  console.log(`${label}: StartTransientUnit + job ${fmt(starts)}`);
  console.log(`${label}: StopUnit + job           ${fmt(stops)}`);
}

// The driver as create uses it, in one process: its dist file's load, then the manager's create() (the
// addon's load and the connection on first use, StartTransientUnit with the resources, until systemd
// has queued it), settle() (its job's end, the controllers down to the scope), apply() of the same
// resources (the files only) and destroy().
{
  const rows = { load: [], create: [], settle: [], apply: [], destroy: [] };
  for (let i = 0; i < runs; i++) {
    const script = `
      const now = () => process.hrtime.bigint(); const d = (t) => Number(now() - t) / 1e6;
      const { spawn } = require('node:child_process');
      const child = spawn('sleep', ['100'], { stdio: 'ignore' });
      let t = now(); const driver = require(${JSON.stringify(path.join(repo, 'dist/systemd-driver.js'))}); const load = d(t);
      const resources = { memory: { limit: 67108864 }, pids: { limit: 100 } };
      const m = driver.systemdManagerFor({ id: 'bench-' + process.pid, resources });
      t = now(); m.create(child.pid); const create = d(t);
      t = now(); m.settle(); const settle = d(t);
      t = now(); m.apply(resources); const apply = d(t);
      child.kill('SIGKILL');
      t = now(); m.destroy(); const destroy = d(t);
      console.log(JSON.stringify({ load, create, settle, apply, destroy }));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) {
      console.log(`in-process: failed: ${r.stderr.trim().split('\n').filter((l) => /Error|error/.test(l)).slice(0, 3).join(' | ')}`);
      break;
    }
    const o = JSON.parse(r.stdout);
    for (const k of Object.keys(rows)) rows[k].push(o[k]);
  }
  if (rows.load.length > 0) {
    console.log(`in-process: require dist/systemd-driver.js          ${fmt(rows.load)}`);
    console.log(`in-process: create() (addon, connect, queued)      ${fmt(rows.create)}`);
    console.log(`in-process: settle() (the job, controllers)        ${fmt(rows.settle)}`);
    console.log(`in-process: apply() of the same resources          ${fmt(rows.apply)}`);
    console.log(`in-process: destroy() (StopUnit, job, reset)       ${fmt(rows.destroy)}`);
  }
}

// Whole commands.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-bench-sd-'));
const bundle = path.join(tmp, 'b');
fs.mkdirSync(path.join(bundle, 'rootfs/bin'), { recursive: true });
for (const d of ['proc', 'sys', 'dev', 'etc', 'tmp']) fs.mkdirSync(path.join(bundle, 'rootfs', d));
fs.copyFileSync('/bin/busybox', path.join(bundle, 'rootfs/bin/busybox'));
fs.symlinkSync('busybox', path.join(bundle, 'rootfs/bin/true'));
const tsrunc = path.join(repo, 'bin/tsrunc');
spawnSync(tsrunc, ['spec', '--bundle', bundle]);
const cfg = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
cfg.process.args = ['true'];
cfg.process.terminal = false;
cfg.linux.resources = { ...cfg.linux.resources, memory: { limit: 67108864 }, pids: { limit: 100 } };
fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(cfg));
const root = path.join(tmp, 'root');
// stdio to a file: the container init that create leaves would hold a pipe open, and spawnSync wait for it.
const errFile = path.join(tmp, 'stderr');
const timed = (args) => {
  const err = fs.openSync(errFile, 'w');
  const t = process.hrtime.bigint();
  const r = spawnSync(tsrunc, ['--root', root, ...args], { stdio: ['ignore', 'ignore', err], timeout: 60_000 });
  const took = ms(t);
  fs.closeSync(err);
  if (r.status !== 0) throw new Error(`tsrunc ${args.join(' ')}: ${fs.readFileSync(errFile, 'utf8')}`);
  return took;
};
// Interleaved, so that both drivers see the same load.
const variants = [['cgroupfs (v2)', []], ['--systemd-cgroup', ['--systemd-cgroup']]];
const rows = variants.map(() => ({ creates: [], deletes: [] }));
for (let i = 0; i < runs + 1; i++) {
  variants.forEach(([, flags], v) => {
    const id = `bench-${process.pid}-${v}-${i}`;
    const c = timed([...flags, 'create', '--bundle', bundle, id]);
    const d = timed([...flags, 'delete', '--force', id]);
    if (i > 0) {
      rows[v].creates.push(c);
      rows[v].deletes.push(d);
    }
  });
}
variants.forEach(([label], v) => {
  console.log(`tsrunc create ${label.padEnd(18)} ${fmt(rows[v].creates)}`);
  console.log(`tsrunc delete --force ${label.padEnd(10)} ${fmt(rows[v].deletes)}`);
});
fs.rmSync(tmp, { recursive: true, force: true });
