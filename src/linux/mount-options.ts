// OCI mount options (mount(8) names) to mount(2) flags, propagation and filesystem data; runc's
// recursive ones (rro, rnosuid, …) to mount_setattr(2) attributes, and its extensions (tmpcopyup,
// idmap, ridmap).
import { MOUNT_ATTR, MS } from './constants';

/** An option of the config's list, with its index there (for messages naming mounts[i].options[j]). */
export interface OptionAt {
  name: string;
  index: number;
}

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
  /** mount_setattr(AT_RECURSIVE) attributes to set and clear after the mount (rro, rnosuid, …). */
  attrSet: number;
  attrClr: number;
  /** The recursive options given, in order. */
  attrOptions: OptionAt[];
  /** `tmpcopyup`: the tmpfs gets the files of the directory it covers. */
  tmpcopyup?: OptionAt;
  /** `idmap` or `ridmap` (the last one given). */
  idmap?: OptionAt;
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
/** runc's recursive options: the attribute, and whether the option clears it. */
const RECURSIVE: Record<string, { attr: number; clear: boolean }> = {
  rro: { attr: MOUNT_ATTR.RDONLY, clear: false }, rrw: { attr: MOUNT_ATTR.RDONLY, clear: true },
  rnosuid: { attr: MOUNT_ATTR.NOSUID, clear: false }, rsuid: { attr: MOUNT_ATTR.NOSUID, clear: true },
  rnodev: { attr: MOUNT_ATTR.NODEV, clear: false }, rdev: { attr: MOUNT_ATTR.NODEV, clear: true },
  rnoexec: { attr: MOUNT_ATTR.NOEXEC, clear: false }, rexec: { attr: MOUNT_ATTR.NOEXEC, clear: true },
  rnodiratime: { attr: MOUNT_ATTR.NODIRATIME, clear: false }, rdiratime: { attr: MOUNT_ATTR.NODIRATIME, clear: true },
  rrelatime: { attr: MOUNT_ATTR.RELATIME, clear: false }, rnorelatime: { attr: MOUNT_ATTR.RELATIME, clear: true },
  rnoatime: { attr: MOUNT_ATTR.NOATIME, clear: false }, ratime: { attr: MOUNT_ATTR.NOATIME, clear: true },
  rstrictatime: { attr: MOUNT_ATTR.STRICTATIME, clear: false }, rnostrictatime: { attr: MOUNT_ATTR.STRICTATIME, clear: true },
  rnosymfollow: { attr: MOUNT_ATTR.NOSYMFOLLOW, clear: false }, rsymfollow: { attr: MOUNT_ATTR.NOSYMFOLLOW, clear: true },
};

/** The recursive options that need MOUNT_ATTR_NOSYMFOLLOW (Linux 5.14); the others need mount_setattr (5.12). */
export const NOSYMFOLLOW_OPTIONS: readonly string[] = ['rnosymfollow', 'rsymfollow'];

/** Flags that a bind mount only gets through a remount. */
export const REMOUNT_FLAGS = MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.NOATIME | MS.NODIRATIME
  | MS.RELATIME | MS.STRICTATIME | MS.NOSYMFOLLOW;

export function parseMountOptions(options: readonly string[] = []): ParsedMountOptions {
  const result: ParsedMountOptions = {
    flags: 0, cleared: 0, propagation: 0, data: [], bind: false, recursive: false, attrSet: 0, attrClr: 0, attrOptions: [],
  };
  options.forEach((option, index) => {
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
    } else if (option in RECURSIVE) {
      // As runc: the last of an attribute's options wins; an atime one replaces the whole atime field
      // (MOUNT_ATTR__ATIME cleared), so that one clearing it leaves relatime, mount_setattr's 0.
      const { attr, clear } = RECURSIVE[option];
      if (clear) {
        result.attrClr |= attr;
        result.attrSet &= ~attr;
      } else {
        result.attrSet |= attr;
        result.attrClr &= ~attr;
      }
      if ((attr & MOUNT_ATTR._ATIME) === attr) result.attrClr |= MOUNT_ATTR._ATIME;
      result.attrOptions.push({ name: option, index });
    } else if (option === 'tmpcopyup') {
      result.tmpcopyup = { name: option, index };
    } else if (option === 'idmap' || option === 'ridmap') {
      result.idmap = { name: option, index };
    } else {
      result.data.push(option);
    }
  });
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

const ATTR_NAMES: [number, string][] = [
  [MOUNT_ATTR.RDONLY, 'ro'], [MOUNT_ATTR.NOSUID, 'nosuid'], [MOUNT_ATTR.NODEV, 'nodev'], [MOUNT_ATTR.NOEXEC, 'noexec'],
  [MOUNT_ATTR.NODIRATIME, 'nodiratime'], [MOUNT_ATTR.IDMAP, 'idmap'], [MOUNT_ATTR.NOSYMFOLLOW, 'nosymfollow'],
];
const ATIME_NAMES: Record<number, string> = {
  [MOUNT_ATTR.RELATIME]: 'relatime', [MOUNT_ATTR.NOATIME]: 'noatime', [MOUNT_ATTR.STRICTATIME]: 'strictatime',
};

/** A mount_setattr pair for explain: "set ro|nosuid, clear noexec, atime relatime". */
export function describeMountAttrs(set: number, clr: number): string {
  const names = (attrs: number) => ATTR_NAMES.filter(([bit]) => (attrs & bit) !== 0).map(([, name]) => name).join('|');
  const parts: string[] = [];
  if (names(set)) parts.push(`set ${names(set)}`);
  if (names(clr)) parts.push(`clear ${names(clr)}`);
  if ((clr & MOUNT_ATTR._ATIME) !== 0) parts.push(`atime ${ATIME_NAMES[set & MOUNT_ATTR._ATIME] ?? `0x${(set & MOUNT_ATTR._ATIME).toString(16)}`}`);
  return parts.length > 0 ? parts.join(', ') : 'nothing';
}

/** Every option parseMountOptions honours, from its tables (for `tsrunc features`). */
export function knownMountOptions(): string[] {
  return [
    ...Object.keys(SET), ...Object.keys(CLEAR), ...Object.keys(PROPAGATION), 'bind', 'rbind', ...Object.keys(RECURSIVE),
    'tmpcopyup', 'idmap', 'ridmap',
  ];
}
