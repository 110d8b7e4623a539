// Makes dist/bundle-commands.js.cache: loads that bundle as tsrunc does, runs check and explain on a
// sample bundle so that V8 compiles what create runs, and saves the compiled code. Run by build.mjs
// with stdout discarded (check and explain print their reports).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const require = createRequire(path.join(root, 'dist/tsrunc.js'));
const core = require(path.join(root, 'dist/tsrunc.js'));
const file = path.join(root, 'dist/bundle-commands.js');

const sample = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-cache-'));
try {
  fs.mkdirSync(path.join(sample, 'rootfs/bin'), { recursive: true });
  fs.writeFileSync(path.join(sample, 'rootfs/bin/sh'), '#!/bin/sh\n', { mode: 0o755 });
  await core.main(['spec', '--bundle', sample]);
  const { script, exports: commands } = core.loadWithCodeCache(file, require);
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  const stateRoot = path.join(sample, 'state');
  const store = { root: stateRoot, dir: (id) => path.join(stateRoot, id), exists: () => false };
  for (const [name, flags] of [['check', { bundle: sample, json: false }], ['explain', { bundle: sample, json: false, 'preserve-fds': 0 }], ['check', { bundle: sample, json: true }]]) {
    await commands[name]({ store, log, globals: { root: stateRoot }, flags, positionals: ['cache'] });
  }
  fs.writeFileSync(`${file}.cache`, script.createCachedData());
} finally {
  fs.rmSync(sample, { recursive: true, force: true });
}
