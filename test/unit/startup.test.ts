// Guards the start-up design (README, "Speed"): the core dist file every command loads stays free of what
// only some commands need, and the V8 code caches made at build time are accepted by this node.
// (Speed itself is measured by bench/lifecycle.mjs, not by tests.)
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { wrap } from 'node:module';
import { Script } from 'node:vm';
import { spawnSync } from 'node:child_process';
import { packageRoot } from '../../src/linux/native';

const dist = path.join(packageRoot(), 'dist');
const read = (name: string) => fs.readFileSync(path.join(dist, name), 'utf8');

describe('start-up dist files', () => {
  it('the core dist file requires only node built-ins and the lazy dist files', () => {
    const requires = [...read('tsrunc.js').matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    const allowed = new Set(['./help.js', './pino.js', './hook-runner.js', './systemd-driver.js', 'node:fs', 'node:path', 'node:os',
      // Loaded by node's own bootstrap already, so free to require.
      'node:util']);
    expect(requires.filter((r) => !allowed.has(r))).toEqual([]);
  });

  it('yargs, pino, the validators and child_process stay out of the core dist file', () => {
    const core = read('tsrunc.js').replace('require("./help.js")', '').replace('require("./pino.js")', '');
    // y18n comes with yargs, sonic-boom with pino; validateConfig is the generated validator.
    const found = ['y18n', 'sonic-boom', 'validateConfig', 'child_process', 'jsonc'].filter((name) => core.includes(name));
    expect(found).toEqual([]);
  });

  it('the dist files are ASCII: bin/tsrunc reads them as latin1', () => {
    for (const name of ['tsrunc.js', 'lazy-commands.js', 'help.js', 'pino.js', 'hook-runner.js', 'systemd-driver.js']) {
      expect({ name, nonAscii: /[^\x00-\x7f]/.test(read(name)) }).toEqual({ name, nonAscii: false });
    }
  });

  it('the code caches match this node and these dist files', () => {
    for (const name of ['tsrunc.js', 'lazy-commands.js', 'systemd-driver.js']) {
      const file = path.join(dist, name);
      const script = new Script(wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData: fs.readFileSync(`${file}.cache`) });
      expect({ name, rejected: script.cachedDataRejected }).toEqual({ name, rejected: false });
    }
  });

  it('loading a dist file loads none of the stream, net, tty or child_process modules', () => {
    // They cost a few ms of every start; commands that need them require them where they use them.
    for (const name of ['tsrunc.js', 'lazy-commands.js']) {
      const script = `const { loadWithCodeCache } = require(${JSON.stringify(path.join(packageRoot(), 'bin', 'tsrunc-node'))});
        loadWithCodeCache(${JSON.stringify(path.join(dist, name))});
        console.log(JSON.stringify(process.moduleLoadList.filter((m) => /^NativeModule (net|stream|tty|child_process)$/.test(m))));`;
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
      expect({ name, loaded: JSON.parse(r.stdout) }).toEqual({ name, loaded: [] });
    }
  });
});
