// Loads one of tsrunc's bundles with the V8 code cache made for it at build time
// (scripts/make-code-cache.mjs), so the functions create runs are not compiled again at every start.
// A cache that does not match (another node, another build) is ignored by V8.
import * as fs from 'node:fs';
import { wrap } from 'node:module';
import * as path from 'node:path';
import { Script } from 'node:vm';

export function cachePath(file: string): string {
  return `${file}.cache`;
}

/** Compiles a CommonJS file as require would, with its code cache; returns the Script and its exports. */
export function loadWithCodeCache(file: string, req: NodeJS.Require): { script: Script; exports: unknown } {
  const source = fs.readFileSync(file, 'utf8');
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cachePath(file));
  } catch {
    // No cache: compile as usual.
  }
  const script = new Script(wrap(source), { filename: file, cachedData });
  const module = { exports: {} as unknown };
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  fn.call(module.exports, module.exports, req, module, file, path.dirname(file));
  return { script, exports: module.exports };
}
