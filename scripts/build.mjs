// Build: generate the standalone validators, then bundle the CLI into dist/tsrunc.js.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
execFileSync(process.execPath, [path.join(root, 'scripts/gen-validators.mjs')], { stdio: 'inherit' });

await build({
  entryPoints: [path.join(root, 'src/runtime/main.ts')],
  outfile: path.join(root, 'dist/tsrunc.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
