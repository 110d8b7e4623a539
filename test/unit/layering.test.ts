// The layers of src/ import downwards only: src/common (the error convention, small shared helpers) and
// src/oci (the spec's types) below src/linux (plans, cgroups, the addon) below src/runtime (the
// commands). Read from the source text, so a new import that breaks this fails here.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';

const SRC = path.resolve(__dirname, '../../src');

/** What each layer may not import. */
const FORBIDDEN: Record<string, string[]> = {
  common: ['linux', 'runtime'],
  oci: ['linux', 'runtime'],
  linux: ['runtime'],
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|js)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Every module a source text names: static and dynamic imports, `export … from`, require() and `typeof import()`. */
function importedSpecifiers(text: string): string[] {
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) out.push(m[1]);
  return out;
}

/** The top-level folder of src/ a specifier from `file` lands in; undefined for packages and anything outside src/. */
function layerOf(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const rel = path.relative(SRC, path.resolve(path.dirname(file), specifier));
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep)[0];
}

/** "src/linux/x.ts imports ../runtime/y" for each import that goes against the layering. */
function violations(): string[] {
  const out: string[] = [];
  for (const [layer, forbidden] of Object.entries(FORBIDDEN)) {
    for (const file of sourceFiles(path.join(SRC, layer))) {
      for (const spec of importedSpecifiers(fs.readFileSync(file, 'utf8'))) {
        const target = layerOf(file, spec);
        if (target !== undefined && forbidden.includes(target)) out.push(`${path.relative(path.dirname(SRC), file)} imports ${spec}`);
      }
    }
  }
  return out;
}

describe('layering', () => {
  it('finds every form of import', () => {
    const text = [
      "import { a } from '../runtime/a';",
      "import type {\n  B,\n} from \"../runtime/b\";",
      "export { c } from '../runtime/c';",
      "import '../runtime/d';",
      "const e = require('../runtime/e');",
      "type F = typeof import('../runtime/f');",
      "await import('../runtime/g');",
    ].join('\n');
    expect(importedSpecifiers(text)).toEqual(expect.arrayContaining(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((x) => `../runtime/${x}`)));
  });

  it('src/linux imports nothing from src/runtime; src/common and src/oci nothing from either', () => {
    expect(sourceFiles(path.join(SRC, 'linux')).length).toBeGreaterThan(10);
    expect(violations()).toEqual([]);
  });
});
