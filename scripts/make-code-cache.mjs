// Makes the V8 code caches bin/tsrunc loads the dist files with: dist/tsrunc.js.cache,
// dist/lazy-commands.js.cache, dist/head-start.js.cache and dist/systemd-driver.js.cache. It loads them as bin/tsrunc does, runs the commands engines call most
// (state, list, check and explain, which go through create's preparation) so that V8 compiles what they
// run, and saves the compiled code. (Compiling the core dist file whole, --no-lazy, was measured: its
// cache grows from 80 to 180 KB, which costs every command ~0.9 ms, more than create gains.)
// Run by build.mjs with stdout discarded.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { loadWithCodeCache } = createRequire(import.meta.url)(path.join(root, 'bin/tsrunc-node'));
const loaded = [];
const load = (file) => {
  // A cache made by an earlier build would be used while loading; V8 rejects it when the dist file
  // changed, but a cache of the same file would carry over what it held.
  fs.rmSync(`${file}.cache`, { force: true });
  const result = loadWithCodeCache(file);
  loaded.push([file, result.script]);
  return result;
};

const sample = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-cache-'));
try {
  const { main } = load(path.join(root, 'dist/tsrunc.js')).exports;
  fs.mkdirSync(path.join(sample, 'rootfs/bin'), { recursive: true });
  fs.writeFileSync(path.join(sample, 'rootfs/bin/sh'), '#!/bin/sh\n', { mode: 0o755 });
  const g = ['--root', path.join(sample, 'state')];
  for (const argv of [['spec', '--bundle', sample], [...g, 'state', 'none'], [...g, 'list'], [...g, 'kill', 'none', 'KILL'],
    [...g, 'delete', 'none'], [...g, 'check', '--bundle', sample], [...g, 'explain', '--bundle', sample], [...g, 'check', '--json', '--bundle', sample]]) {
    await main(argv, load);
  }
  // No warm-up command takes a head start (that would start a helper); its cache holds the top level.
  const headStart = path.join(root, 'dist/head-start.js');
  if (!loaded.some(([file]) => file === headStart)) load(headStart);
  // Nor the systemd driver (no systemd here, as a rule): a create's planning of a unit, on paper and
  // with a bus that answers nothing, so that V8 compiles what create runs of it.
  const systemdDriver = path.join(root, 'dist/systemd-driver.js');
  if (!loaded.some(([file]) => file === systemdDriver)) {
    const driver = load(systemdDriver).exports;
    const bus = () => ({ startTransientUnit: () => ({ wait: () => undefined }), setUnitProperties: () => undefined, stopUnit: () => undefined, version: () => 252 });
    const cg = driver.systemdManagerFor({
      id: 'cache', cgroupsPath: 'system.slice:tsrunc:cache', layout: { mode: 'v2', unified: path.join(sample, 'cgroup'), v1: {} },
      unifiedControllers: ['cpu', 'cpuset', 'io', 'memory', 'pids'], hugePageSizes: [], features: [], bus,
      annotations: { 'org.systemd.property.TimeoutStopSec': 'uint64 5' },
      resources: { memory: { limit: 1 << 26 }, cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0' }, pids: { limit: 10 } },
    });
    cg.unitPlan();
    cg.create(1);
  }
  for (const [file, script] of loaded) fs.writeFileSync(`${file}.cache`, script.createCachedData());
} finally {
  fs.rmSync(sample, { recursive: true, force: true });
}
