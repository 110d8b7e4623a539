// OCI mount options (mount(8) names) to mount(2) flags, propagation and filesystem data.
import { MS } from './constants';

export interface ParsedMountOptions {
  /** Flags for the mount call itself. */
  flags: number;
  /** Flags cleared by an option ("rw", "suid", ...), for the read-only bind remount decision. */
  cleared: number;
  propagation: number;
  /** Options passed through to the filesystem (mode=755, size=65536k, ...). */
  data: string[];
  bind: boolean;
  recursive: boolean;
  /** Options tsrunc recognises but cannot honour yet. */
  unsupported: string[];
}

const SET: Record<string, number> = {
  ro: MS.RDONLY, nosuid: MS.NOSUID, nodev: MS.NODEV, noexec: MS.NOEXEC, sync: MS.SYNCHRONOUS,
  remount: MS.REMOUNT, mand: MS.MANDLOCK, dirsync: MS.DIRSYNC, nosymfollow: MS.NOSYMFOLLOW,
  noatime: MS.NOATIME, nodiratime: MS.NODIRATIME, relatime: MS.RELATIME, strictatime: MS.STRICTATIME,
  silent: MS.SILENT, lazytime: MS.LAZYTIME, iversion: MS.I_VERSION,
};
const CLEAR: Record<string, number> = {
  rw: MS.RDONLY, suid: MS.NOSUID, dev: MS.NODEV, exec: MS.NOEXEC, async: MS.SYNCHRONOUS,
  nomand: MS.MANDLOCK, atime: MS.NOATIME, diratime: MS.NODIRATIME, norelatime: MS.RELATIME,
  nostrictatime: MS.STRICTATIME, loud: MS.SILENT, nolazytime: MS.LAZYTIME, noiversion: MS.I_VERSION,
  symfollow: MS.NOSYMFOLLOW,
};
const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};
const UNSUPPORTED = new Set([
  'tmpcopyup', 'idmap', 'ridmap', 'rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec',
  'rnoatime', 'ratime', 'rrelatime', 'rnorelatime', 'rstrictatime', 'rnostrictatime', 'rnodiratime', 'rdiratime',
  'rnosymfollow', 'rsymfollow',
]);

/** Flags that a bind mount only gets through a remount. */
export const REMOUNT_FLAGS = MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.NOATIME | MS.NODIRATIME
  | MS.RELATIME | MS.STRICTATIME | MS.NOSYMFOLLOW;

export function parseMountOptions(options: readonly string[] = []): ParsedMountOptions {
  const result: ParsedMountOptions = {
    flags: 0, cleared: 0, propagation: 0, data: [], bind: false, recursive: false, unsupported: [],
  };
  for (const option of options) {
    if (option === 'bind' || option === 'rbind') {
      result.bind = true;
      result.recursive ||= option === 'rbind';
    } else if (option in SET) {
      result.flags |= SET[option];
      result.cleared &= ~SET[option];
    } else if (option in CLEAR) {
      result.flags &= ~CLEAR[option];
      result.cleared |= CLEAR[option];
    } else if (option in PROPAGATION) {
      result.propagation = PROPAGATION[option];
    } else if (UNSUPPORTED.has(option)) {
      result.unsupported.push(option);
    } else {
      result.data.push(option);
    }
  }
  return result;
}

const FLAG_NAMES: [number, string][] = [
  [MS.RDONLY, 'ro'], [MS.NOSUID, 'nosuid'], [MS.NODEV, 'nodev'], [MS.NOEXEC, 'noexec'],
  [MS.SYNCHRONOUS, 'sync'], [MS.REMOUNT, 'remount'], [MS.MANDLOCK, 'mand'], [MS.DIRSYNC, 'dirsync'],
  [MS.NOSYMFOLLOW, 'nosymfollow'], [MS.NOATIME, 'noatime'], [MS.NODIRATIME, 'nodiratime'], [MS.BIND, 'bind'],
  [MS.MOVE, 'move'], [MS.REC, 'rec'], [MS.SILENT, 'silent'], [MS.UNBINDABLE, 'unbindable'],
  [MS.PRIVATE, 'private'], [MS.SLAVE, 'slave'], [MS.SHARED, 'shared'], [MS.RELATIME, 'relatime'],
  [MS.I_VERSION, 'iversion'], [MS.STRICTATIME, 'strictatime'], [MS.LAZYTIME, 'lazytime'],
];

/** "nosuid|nodev|noexec" for explain. */
export function describeMountFlags(flags: number): string {
  const names = FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name);
  return names.length > 0 ? names.join('|') : '0';
}

/** Every option parseMountOptions honours, from its tables (for `tsrunc features`). */
export function knownMountOptions(): string[] {
  return [...Object.keys(SET), ...Object.keys(CLEAR), ...Object.keys(PROPAGATION), 'bind', 'rbind'];
}
