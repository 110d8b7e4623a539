// Makes the V8 code caches bin/tsrunc loads the bundles with: dist/tsrunc.js.cache and
// dist/bundle-commands.js.cache. It loads both as bin/tsrunc does, runs the commands engines call most
// (state, list, check and explain, which go through create's preparation) so that V8 compiles what they
// run, and saves the compiled code. The core bundle is compiled whole (--no-lazy while it loads): it is
// small, and what create, start and delete run in it cannot be run here without making containers.
// Run by build.mjs with stdout discarded.
import fs from 'node:fs';
import v8 from 'node:v8';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { loadWithCodeCache } = createRequire(import.meta.url)(path.join(root, 'bin/tsrunc'));
const loaded = [];
const load = (file) => {
  const whole = path.basename(file) === 'tsrunc.js';
  // A cache made by an earlier build would be used while loading; V8 rejects it when the bundle
  // changed, but a cache of the same bundle would carry over what it held.
  fs.rmSync(`${file}.cache`, { force: true });
  if (whole) v8.setFlagsFromString('--no-lazy');
  const result = loadWithCodeCache(file);
  // Back to the default, so that the cache is made under the flags bin/tsrunc runs with.
  if (whole) v8.setFlagsFromString('--lazy');
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
  for (const [file, script] of loaded) fs.writeFileSync(`${file}.cache`, script.createCachedData());
} finally {
  fs.rmSync(sample, { recursive: true, force: true });
}
