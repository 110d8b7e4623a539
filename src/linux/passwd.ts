// Reads the container's /etc/passwd from the host side, refusing a file that resolves out of the rootfs.
import * as fs from 'node:fs';
import * as path from 'node:path';

export function homeDir(rootfs: string, uid: number): string | undefined {
  let text: string;
  try {
    const file = fs.realpathSync(path.join(rootfs, 'etc/passwd'));
    if (!file.startsWith(`${rootfs}/`)) return undefined;
    text = fs.readFileSync(file, 'utf8');
  } catch {
    // No passwd file to be read in the rootfs (none, a dangling or looping link): no home from it.
    return undefined;
  }
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 6 && Number(fields[2]) === uid && fields[2] !== '') return fields[5] || '/';
  }
  return undefined;
}
