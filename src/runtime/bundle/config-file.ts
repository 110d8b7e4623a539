// Finding and reading a bundle's config.json, without parsing it (create's head start reads it in the
// core dist file, before the validators are loaded; load.ts parses what it read).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errnoOf, isMissing, RuntimeError } from '../../common/errors';

export interface ConfigFile {
  dir: string;
  configPath: string;
  source: string;
}

export function readConfigFile(bundleDir: string): ConfigFile {
  const dir = path.resolve(bundleDir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (err) {
    if (!isMissing(err)) throw err;
    throw new RuntimeError(`bundle directory ${dir} does not exist (--bundle)`);
  }
  if (!stat.isDirectory()) throw new RuntimeError(`bundle ${dir} is not a directory (--bundle)`);
  const configPath = path.join(dir, 'config.json');
  try {
    return { dir, configPath, source: fs.readFileSync(configPath, 'utf8') };
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') throw new RuntimeError(`config.json not found in bundle ${dir}`);
    throw new RuntimeError(`cannot read ${configPath}: ${(err as Error).message}`);
  }
}
