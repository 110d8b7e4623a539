// Build: generate the standalone validators, then build tsrunc's dist files (esbuild bundles) for a fast
// start. dist/tsrunc.js, the core, holds what every command needs; what only some commands need is in
// dist files of its own, loaded on first use:
//   dist/lazy-commands.js    create, run, check, explain, exec, update, features, ps's table
//                            (validators, plan builder, helper client)
//   dist/help.js             yargs, for --help
//   dist/pino.js             pino, for the first log record written
//   dist/hook-runner.js      running hooks (child_process), for containers that have hooks
//   dist/head-start.js       create's and exec's head starts (helper client, op schema), for those commands
//   dist/systemd-driver.js   the systemd cgroup driver (--systemd-cgroup, and containers it made)
//   dist/daemon.js           the warm server and its workers (child_process, net), for `daemon`
// and a V8 code cache for tsrunc.js, lazy-commands.js and head-start.js (make-code-cache.mjs).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
execFileSync(process.execPath, [path.join(root, 'scripts/gen-validators.mjs')], { stdio: 'inherit' });

/** Imports of these modules become a require of their own dist file next to the importer's. */
const LAZY = [
  { filter: /^\.\/commands\/lazy-commands$/, out: 'lazy-commands.js', entry: 'src/runtime/commands/lazy-commands.ts' },
  { filter: /^\.\/cli\/help$/, out: 'help.js', entry: 'src/runtime/cli/help.ts' },
  { filter: /^pino$/, out: 'pino.js', entry: 'scripts/pino-entry.cjs' },
  { filter: /^\.\/hook-runner$/, out: 'hook-runner.js', entry: 'src/runtime/hook-runner.ts' },
  { filter: /^\.\/head-start$/, out: 'head-start.js', entry: 'src/runtime/head-start.ts' },
  { filter: /^\.\.\/linux\/cgroups\/systemd\/driver$/, out: 'systemd-driver.js', entry: 'src/linux/cgroups/systemd/driver.ts' },
  { filter: /^\.\/commands\/daemon$/, out: 'daemon.js', entry: 'src/runtime/commands/daemon.ts' },
];

/** Every lazy module but the one being built becomes external. */
const lazyChunks = (self) => ({
  name: 'lazy-chunks',
  setup(b) {
    for (const { filter, out } of LAZY.filter((l) => l !== self)) {
      b.onResolve({ filter }, () => ({ path: `./${out}`, external: true }));
    }
  },
});

/**
 * Each node built-in module once per dist file. esbuild turns `import * as fs from 'node:fs'` into
 * `__toESM(require('node:fs'))` in every file that has it, and each of those copies every property of
 * the module (fs has about a hundred): ~0.4 ms of every start for the core dist file alone. Going through
 * one ESM module per built-in (`export * from 'node:fs'`) makes that copy once.
 */
const builtinsOnce = {
  name: 'builtins-once',
  setup(b) {
    // Only imports: a require() where a built-in is used stays as it is (loaded when it runs).
    b.onResolve({ filter: /^node:/ }, (args) => (args.namespace === 'builtin-once' || args.kind !== 'import-statement'
      ? { path: args.path, external: true }
      : { path: args.path, namespace: 'builtin-once' }));
    b.onLoad({ filter: /.*/, namespace: 'builtin-once' }, (args) => ({ contents: `export * from ${JSON.stringify(args.path)};`, loader: 'js' }));
  },
};

/** Build-time facts (src/runtime/build-info.ts): `tsrunc --version` and `features` print them. */
const probe = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return '';
  }
};
const define = {
  __TSRUNC_COMMIT__: JSON.stringify(probe('git', ['describe', '--always', '--dirty'])),
  __TSRUNC_LIBSECCOMP__: JSON.stringify(probe('pkg-config', ['--modversion', 'libseccomp'])),
};

const buildDistFile = (entry, out, self) => build({
  entryPoints: [path.join(root, entry)], outfile: path.join(root, 'dist', out), plugins: [lazyChunks(self), builtinsOnce],
  bundle: true, platform: 'node', format: 'cjs', target: 'node20', legalComments: 'none', logLevel: 'warning',
  minifySyntax: true, minifyWhitespace: true,
  define,
});

await buildDistFile('src/runtime/main.ts', 'tsrunc.js');
for (const lazy of LAZY) await buildDistFile(lazy.entry, lazy.out, lazy);
// The warm-up runs commands that fail on purpose (unknown ids): their messages are noise here.
execFileSync(process.execPath, [path.join(root, 'scripts/make-code-cache.mjs')], { stdio: ['ignore', 'ignore', 'pipe'] });
