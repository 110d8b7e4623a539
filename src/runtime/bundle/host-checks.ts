// What a schema cannot know: whether this host, and this rootfs, can do what a (valid) config asks.
// The program and cwd are looked up in the rootfs the way the helper will (symlinks followed inside
// the rootfs, never out of it), user ids against the user namespace's mappings, names (capabilities,
// syscalls, sysctls, filesystem types) against what this kernel has, hooks and namespace files on the
// host. Each check is pure: facts about the host come in through HostCheckFacts, which
// gatherHostCheckFacts reads once. Problems the plan builder already reports (a missing bind source,
// an unknown rlimit, a capability this host cannot grant) and the namespace rules of semantic-checks
// (sysctl vs namespaces) are not repeated here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Hook, IdMapping, Spec } from '../../oci/types';
import type { Problem } from '../../common/errors';
import type { Plan } from '../../linux/plan';
import { execCandidates } from '../../linux/plan-builder';
import { capabilityNumber, resolveCapabilities } from '../../linux/capabilities';
import { hasNew, namespaceSet } from '../../linux/namespaces';
import { bindsDev, procMountPoints } from '../../linux/mounts';
import { NOSYMFOLLOW_OPTIONS, parseMountOptions } from '../../linux/mount-options';
import { closestMatch } from '../../common/closest-match';
import { formatPath } from './schema-problems';

// ---------------------------------------------------------------------------------------------
// The filesystem, as the checks see it

export interface FsEntry {
  type: 'file' | 'dir' | 'symlink' | 'socket' | 'other';
  /** Permission bits (st_mode & 07777). */
  mode: number;
}

/** Read-only access to host paths; tests pass a fake one. */
export interface FsView {
  lstat(p: string): FsEntry | undefined;
  /** Follows symlinks (on the host: for host paths only). */
  stat(p: string): FsEntry | undefined;
  readlink(p: string): string | undefined;
  readdir(p: string): string[] | undefined;
  readFile(p: string): string | undefined;
  /** Why stat(p) fails: an errno code such as ENOENT or EACCES; undefined when it does not. */
  statError(p: string): string | undefined;
}

function entryOf(st: fs.Stats | undefined): FsEntry | undefined {
  if (st === undefined) return undefined;
  const type = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSocket() ? 'socket' : 'other';
  return { type, mode: st.mode & 0o7777 };
}

function attempt<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    // The checks ask what is there: what cannot be read is not there for them (statError says why,
    // where a message needs it).
    return undefined;
  }
}

export const realFs: FsView = {
  lstat: (p) => entryOf(attempt(() => fs.lstatSync(p, { throwIfNoEntry: false }))),
  stat: (p) => entryOf(attempt(() => fs.statSync(p, { throwIfNoEntry: false }))),
  readlink: (p) => attempt(() => fs.readlinkSync(p)),
  readdir: (p) => attempt(() => fs.readdirSync(p)),
  readFile: (p) => attempt(() => fs.readFileSync(p, 'utf8')),
  statError: (p) => {
    try {
      fs.statSync(p);
      return undefined;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code ?? 'EIO';
    }
  },
};

/** "does not exist", or why it cannot be looked at. */
function whyMissing(fsv: FsView, p: string): string {
  const code = fsv.statError(p) ?? 'ENOENT';
  return code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be accessed (permission denied)' : `cannot be looked at (${code})`;
}

// ---------------------------------------------------------------------------------------------
// Paths inside the rootfs

export type Resolution =
  /** `path`: the container path with every symlink resolved; `hostPath`: where that is on the host. */
  | { status: 'found'; path: string; hostPath: string; entry: FsEntry; via: string[] }
  /** `path`: the first component that does not exist. */
  | { status: 'missing'; path: string; via: string[] }
  /** `path`: a component that is used as a directory and is not one. */
  | { status: 'not-dir'; path: string; via: string[] }
  | { status: 'loop'; path: string; via: string[] }
  /** `path`: a mount point on the way; what is below it is not in the rootfs, so cannot be told. */
  | { status: 'covered'; path: string; via: string[] };

const MAX_SYMLINKS = 40;

/**
 * Resolves `p` (absolute in the container; a relative one is taken from `cwd`) inside `root`, one
 * component at a time: a symlink's target is read and followed from the rootfs's root when absolute,
 * from its directory when relative, and ".." stops at the root, as openat2(RESOLVE_IN_ROOT) and the
 * container's own view do. A symlink to /bin/busybox means root/bin/busybox, never the host's.
 * `covered(p)` says a container path is a mount point, where resolution stops.
 */
export function resolveInRoot(
  root: string,
  p: string,
  opts: { fs?: FsView; cwd?: string; covered?: (containerPath: string) => boolean } = {},
): Resolution {
  const fsv = opts.fs ?? realFs;
  const start = p.startsWith('/') ? p : `${opts.cwd ?? '/'}/${p}`;
  const pending = start.split('/').filter((c) => c !== '').reverse();
  let parts: string[] = [];
  const via: string[] = [];
  let links = 0;
  let entry = fsv.lstat(root);
  const current = () => `/${parts.join('/')}`;
  if (entry === undefined) return { status: 'missing', path: '/', via };
  while (pending.length > 0) {
    const comp = pending.pop()!;
    if (comp === '.') continue;
    if (comp === '..') {
      parts.pop();
      entry = fsv.lstat(path.join(root, ...parts));
      continue;
    }
    parts.push(comp);
    const here = current();
    if (opts.covered?.(here)) return { status: 'covered', path: here, via };
    const hostPath = path.join(root, ...parts);
    entry = fsv.lstat(hostPath);
    if (entry === undefined) return { status: 'missing', path: here, via };
    if (entry.type === 'symlink') {
      if (++links > MAX_SYMLINKS) return { status: 'loop', path: here, via };
      const target = fsv.readlink(hostPath) ?? '';
      via.push(`${here} -> ${target}`);
      parts.pop();
      if (target.startsWith('/')) parts = [];
      const more = target.split('/').filter((c) => c !== '');
      for (let i = more.length - 1; i >= 0; i--) pending.push(more[i]);
      entry = fsv.lstat(path.join(root, ...parts));
      continue;
    }
    if (pending.length > 0 && entry.type !== 'dir') {
      // A later component may still be "..", which the kernel refuses the same way.
      return { status: 'not-dir', path: here, via };
    }
  }
  if (entry === undefined) return { status: 'missing', path: current(), via };
  return { status: 'found', path: current(), hostPath: path.join(root, ...parts), entry, via };
}

// ---------------------------------------------------------------------------------------------
// Facts

/** System call names known on this host. */
export interface SyscallTable {
  has(name: string): boolean;
  /** All names, when the source lists them (for "did you mean"). */
  names?: readonly string[];
  /** Where the names come from, for messages. */
  source: string;
}

export interface HostCheckFacts {
  fs: FsView;
  /** SCMP_ARCH_* names whose system calls this machine runs, native first. */
  architectures: string[];
  /** Undefined when this host has no syscall table (then the names are not checked). */
  syscalls?: SyscallTable;
  capLastCap: number;
  boundingSet: bigint;
  /** /proc/sys/fs/nr_open: the largest RLIMIT_NOFILE. */
  nrOpen?: number;
  /** Filesystem types of /proc/filesystems. */
  filesystems?: string[];
  /** The kernel can load modules (/lib/modules/<release> exists), so a filesystem type may still appear. */
  canLoadModules: boolean;
  /** /proc/sys/kernel/osrelease, and its version, for the features that need a newer kernel. */
  kernel?: { release: string; version: [number, number] };
}

const ARCHITECTURES: Record<string, string[]> = {
  x64: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  ia32: ['SCMP_ARCH_X86'],
  arm64: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
  arm: ['SCMP_ARCH_ARM'],
  ppc64: ['SCMP_ARCH_PPC64LE', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC'],
  s390x: ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390'],
  riscv64: ['SCMP_ARCH_RISCV64'],
  loong64: ['SCMP_ARCH_LOONGARCH64'],
  mips64el: ['SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_MIPSEL'],
};

const UNISTD_HEADERS: Record<string, string[]> = {
  x64: ['x86_64-linux-gnu/asm/unistd_64.h', 'x86_64-linux-gnu/asm/unistd_32.h', 'x86_64-linux-gnu/asm/unistd_x32.h',
    'asm/unistd_64.h', 'asm/unistd_32.h', 'asm/unistd_x32.h'],
  ia32: ['i386-linux-gnu/asm/unistd_32.h', 'asm/unistd_32.h'],
};

/** The syscall names of <asm/unistd_*.h>, read at run time; else scmp_sys_resolver; else undefined. */
export function loadSyscallTable(fsv: FsView = realFs, arch: string = process.arch): SyscallTable | undefined {
  const names = new Set<string>();
  const read: string[] = [];
  for (const rel of UNISTD_HEADERS[arch] ?? []) {
    const file = `/usr/include/${rel}`;
    const text = fsv.readFile(file);
    if (text === undefined) continue;
    read.push(file);
    for (const m of text.matchAll(/^#define\s+__NR_(\w+)\s+/gm)) names.add(m[1]);
  }
  if (names.size > 0) return { has: (n) => names.has(n), names: [...names].sort(), source: read.join(', ') };
  const resolver = ['/usr/bin/scmp_sys_resolver', '/usr/local/bin/scmp_sys_resolver', '/bin/scmp_sys_resolver'].find((f) => fsv.stat(f)?.type === 'file');
  if (resolver === undefined) return undefined;
  const cache = new Map<string, boolean>();
  return {
    source: resolver,
    has: (n) => {
      if (!cache.has(n)) {
        // Loaded here, not at the top: child_process costs every create a few ms to load.
        const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
        const r = spawnSync(resolver, [n], { encoding: 'utf8', timeout: 5000 });
        cache.set(n, r.status === 0 && /^\d+\s*$/.test(r.stdout));
      }
      return cache.get(n)!;
    },
  };
}

/** Reads what the checks need to know about this host. The syscall table only when there is a filter. */
export function gatherHostCheckFacts(spec: Spec, host: { capLastCap: number; boundingSet: bigint }, fsv: FsView = realFs): HostCheckFacts {
  const nrOpen = Number(fsv.readFile('/proc/sys/fs/nr_open')?.trim());
  const filesystems = fsv.readFile('/proc/filesystems')?.split('\n').map((l) => l.split('\t').pop()!.trim()).filter(Boolean);
  const release = fsv.readFile('/proc/sys/kernel/osrelease')?.trim();
  return {
    fs: fsv,
    architectures: ARCHITECTURES[process.arch] ?? [],
    ...(spec.linux?.seccomp !== undefined ? { syscalls: loadSyscallTable(fsv) } : {}),
    capLastCap: host.capLastCap,
    boundingSet: host.boundingSet,
    ...(Number.isInteger(nrOpen) && nrOpen > 0 ? { nrOpen } : {}),
    ...(filesystems !== undefined ? { filesystems } : {}),
    canLoadModules: release !== undefined && fsv.stat(`/lib/modules/${release}`)?.type === 'dir',
    ...(release !== undefined ? { kernel: { release, version: kernelVersion(release) } } : {}),
  };
}

/** "6.1.0-13-amd64" → [6, 1]. */
export function kernelVersion(release: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

// ---------------------------------------------------------------------------------------------
// The checks

export interface HostCheckInput {
  spec: Spec;
  /** The rootfs on the host; undefined when it is missing (the rootfs checks are then skipped). */
  rootfs?: string;
  bundle: string;
  /** The plan create would run, when it could be built: the program's candidates come from it. */
  plan?: Plan;
  /** The process environment after defaults (HOME), as the plan has it. */
  env: string[];
  /** The config failed the schema: a check that trips over a malformed field is skipped, not fatal. */
  tolerant?: boolean;
}

type Out = Problem[];

const error = (out: Out, path: string, message: string, extra: Partial<Problem> = {}) => out.push({ severity: 'error', path, message, ...extra });
const warning = (out: Out, path: string, message: string, extra: Partial<Problem> = {}) => out.push({ severity: 'warning', path, message, ...extra });

const octal = (mode: number) => `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
const isExecutable = (e: FsEntry) => e.type === 'file' && (e.mode & 0o111) !== 0;

/** Container paths that a mount of the config covers: the rootfs has nothing to say below them. */
function mountPoints(spec: Spec): Set<string> {
  const points = new Set<string>();
  for (const m of spec.mounts ?? []) {
    if (typeof m.destination === 'string') points.add(path.posix.resolve('/', m.destination));
  }
  return points;
}

function describeVia(via: string[]): Partial<Problem> {
  return via.length > 0 ? { found: `${via.join(', ')} (symlinks resolved inside the rootfs)` } : {};
}

function checkProgram(input: HostCheckInput, facts: HostCheckFacts, out: Out): void {
  const { spec, rootfs } = input;
  const args = spec.process?.args;
  if (rootfs === undefined || !Array.isArray(args) || typeof args[0] !== 'string' || args[0] === '') return;
  const program = args[0];
  const fromPlan = [...(input.plan?.container ?? [])].find((o) => o.op === 'find-exec')?.args;
  const candidates = fromPlan ?? execCandidates(program, input.env);
  const cwd = spec.process?.cwd ?? '/';
  const points = mountPoints(spec);
  let last: { errno: 'ENOENT' | 'EACCES' | 'ENOTDIR' | 'ELOOP'; detail?: string; via: string[] } | undefined;
  for (const candidate of candidates) {
    const r = resolveInRoot(rootfs, candidate, { fs: facts.fs, cwd, covered: (p) => points.has(p) });
    if (r.status === 'covered') return; // under a mount: only the running container can tell
    if (r.status === 'found') {
      if (isExecutable(r.entry)) return;
      const what = r.entry.type === 'dir' ? 'a directory' : r.entry.type === 'file' ? `not executable (mode ${octal(r.entry.mode)})` : 'not a regular file';
      last = { errno: 'EACCES', detail: `${r.path} is ${what}`, via: r.via };
    } else if (r.status === 'not-dir') {
      last = { errno: 'ENOTDIR', detail: `${r.path} is not a directory`, via: r.via };
    } else if (r.status === 'loop') {
      last = { errno: 'ELOOP', detail: `too many symlinks at ${r.path}`, via: r.via };
    } else {
      last = { errno: 'ENOENT', detail: r.path === candidate ? undefined : `${r.path} does not exist in the rootfs`, via: r.via };
    }
  }
  if (last === undefined) return;
  const searched = candidates.length > 1;
  const text: Record<string, string> = {
    ENOENT: 'no such file or directory (ENOENT)', EACCES: 'permission denied (EACCES)',
    ENOTDIR: 'not a directory (ENOTDIR)', ELOOP: 'too many levels of symbolic links (ELOOP)',
  };
  if (searched && last.errno === 'ENOENT') {
    const dirs = [...new Set(candidates.map((c) => path.posix.dirname(c)))].join(':');
    error(out, 'process.args[0]', `exec: ${JSON.stringify(program)}: executable file not found in $PATH`, {
      expected: `an executable file named ${program} in the rootfs, in one of ${dirs} (the container's PATH)`,
      hint: `install ${program} in the rootfs ${rootfs}, or give the full path of the program`,
    });
    return;
  }
  error(out, 'process.args[0]', `exec: ${JSON.stringify(searched ? path.posix.basename(candidates[candidates.length - 1]) : program)}: ${text[last.errno]}`, {
    ...describeVia(last.via),
    ...(last.detail !== undefined ? { expected: 'an executable regular file', hint: last.detail } : { hint: `the rootfs ${rootfs} has no ${program}` }),
  });
}

/** Entries of /proc/<pid> and /proc/<pid>/task/<tid> that are magic links, and directories of them. */
const PROC_MAGIC_LINKS = new Set(['cwd', 'root', 'exe']);
const PROC_MAGIC_LINK_DIRS = new Set(['fd', 'map_files', 'ns']);

/**
 * The /proc magic link `p` (absolute, in the container) goes through, such as /proc/self/fd/4,
 * /proc/1/cwd or /proc/thread-self/root, for procfs mounted at `procDirs`; undefined when none. The
 * components are taken as the kernel walks them: a ".." after a magic link goes on from its target.
 */
export function procMagicLink(p: string, procDirs: readonly string[]): string | undefined {
  const prefixes = procDirs.map((d) => path.posix.resolve('/', d).split('/').filter(Boolean));
  const walked: string[] = [];
  for (const comp of p.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp === '..') walked.pop();
    else walked.push(comp);
    for (const prefix of prefixes) {
      if (walked.length <= prefix.length || prefix.some((c, i) => walked[i] !== c)) continue;
      const rest = walked.slice(prefix.length);
      const task = rest[0] === 'thread-self' ? 1 : rest[0] === 'self' || /^\d+$/.test(rest[0])
        ? (rest[1] === 'task' && /^\d+$/.test(rest[2] ?? '') ? 3 : 1) : 0;
      if (task === 0) continue;
      const entry = rest[task];
      if (PROC_MAGIC_LINKS.has(entry) || (PROC_MAGIC_LINK_DIRS.has(entry) && rest.length > task + 1)) return `/${walked.join('/')}`;
    }
  }
  return undefined;
}

/**
 * A process.cwd through a /proc magic link can only lead outside the container's root (to an fd the
 * runtime holds, say): refused, as the helper would refuse it at its chdir.
 */
export function cwdMagicLinkProblem(cwd: unknown, procDirs: readonly string[]): Problem | undefined {
  if (typeof cwd !== 'string' || !cwd.startsWith('/')) return undefined;
  const link = procMagicLink(cwd, procDirs);
  if (link === undefined) return undefined;
  return {
    severity: 'error', path: 'process.cwd',
    message: `${JSON.stringify(cwd)} goes through the /proc magic link ${link}, which can lead outside the container's root`,
    hint: "use a directory of the container's own filesystem",
  };
}

function checkCwd(input: HostCheckInput, facts: HostCheckFacts, out: Out): void {
  const { spec, rootfs } = input;
  const cwd = spec.process?.cwd;
  const magic = cwdMagicLinkProblem(cwd, procMountPoints(spec.mounts ?? []));
  if (magic !== undefined) {
    out.push(magic);
    return;
  }
  if (rootfs === undefined || typeof cwd !== 'string' || !cwd.startsWith('/')) return;
  const points = mountPoints(spec);
  const r = resolveInRoot(rootfs, cwd, { fs: facts.fs, covered: (p) => points.has(p) });
  const fail = (why: string, detail: string, via: string[]) =>
    error(out, 'process.cwd', `cannot change to directory ${cwd}: ${why}`, { ...describeVia(via), hint: detail });
  // A missing cwd is made by the init, as runc makes it (plan-builder.ts processOps).
  if (r.status === 'not-dir') fail('not a directory (ENOTDIR)', `${r.path} is not a directory`, r.via);
  else if (r.status === 'loop') fail('too many levels of symbolic links (ELOOP)', `at ${r.path}`, r.via);
  else if (r.status === 'found' && r.entry.type !== 'dir') fail('not a directory (ENOTDIR)', `${r.path} is not a directory`, r.via);
}

function mapped(id: number, mappings: readonly IdMapping[]): boolean {
  return mappings.some((m) => id >= m.containerID && id < m.containerID + m.size);
}

/** Mappings of a joined user namespace, from /proc/<pid>/uid_map when the path is /proc/<pid>/ns/user. */
function joinedMappings(nsPath: string, file: 'uid_map' | 'gid_map', fsv: FsView): IdMapping[] | undefined {
  const m = /^\/proc\/(\d+|self|thread-self)\/ns\/user$/.exec(nsPath);
  if (!m) return undefined;
  const text = fsv.readFile(`/proc/${m[1]}/${file}`);
  if (text === undefined) return undefined;
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => {
    const [containerID, hostID, size] = l.trim().split(/\s+/).map(Number);
    return { containerID, hostID, size };
  });
}

function checkIdMappings(spec: Spec, facts: HostCheckFacts, out: Out): void {
  const user = spec.process?.user;
  if (user === undefined) return;
  const entry = (spec.linux?.namespaces ?? []).find((n) => n.type === 'user');
  if (entry === undefined) return;
  const source = entry.path ? `the user namespace ${entry.path}` : 'linux.uidMappings';
  const uids = entry.path ? joinedMappings(entry.path, 'uid_map', facts.fs) : spec.linux?.uidMappings;
  const gids = entry.path ? joinedMappings(entry.path, 'gid_map', facts.fs) : spec.linux?.gidMappings;
  const gidSource = entry.path ? `the user namespace ${entry.path}` : 'linux.gidMappings';
  const ranges = (ms: readonly IdMapping[]) => ms.map((m) => `${m.containerID}-${m.containerID + m.size - 1}`).join(', ');
  if (uids !== undefined && uids.length > 0 && typeof user.uid === 'number' && !mapped(user.uid, uids)) {
    error(out, 'process.user.uid', `uid ${user.uid} is not mapped by ${source}, so the process cannot become it`, {
      expected: `a uid in ${ranges(uids)}`,
      hint: `add a mapping for container uid ${user.uid}, or run as a mapped uid`,
    });
  }
  if (gids !== undefined && gids.length > 0) {
    if (typeof user.gid === 'number' && !mapped(user.gid, gids)) {
      error(out, 'process.user.gid', `gid ${user.gid} is not mapped by ${gidSource}, so the process cannot become it`, {
        expected: `a gid in ${ranges(gids)}`,
        hint: `add a mapping for container gid ${user.gid}`,
      });
    }
    (user.additionalGids ?? []).forEach((gid, i) => {
      if (typeof gid === 'number' && !mapped(gid, gids)) {
        error(out, `process.user.additionalGids[${i}]`, `gid ${gid} is not mapped by ${gidSource}; setgroups would fail`, {
          expected: `a gid in ${ranges(gids)}`,
        });
      }
    });
  }
}

const NS_FILE_TYPES: Record<string, string> = {
  pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time',
};

function checkNamespacePaths(spec: Spec, facts: HostCheckFacts, out: Out): void {
  (spec.linux?.namespaces ?? []).forEach((ns, i) => {
    if (typeof ns.path !== 'string' || !ns.path.startsWith('/')) return;
    const at = `linux.namespaces[${i}].path`;
    const e = facts.fs.stat(ns.path);
    if (e === undefined) {
      const why = whyMissing(facts.fs, ns.path);
      error(out, at, `${ns.path} ${why}, so there is no ${ns.type} namespace to join`, {
        hint: why === 'does not exist'
          ? 'the process that owned it may have exited; give the path of a live namespace (/proc/<pid>/ns/..., or a bind-mounted one)'
          : 'tsrunc must be able to open the namespace file',
      });
      return;
    }
    // /proc/<pid>/ns/<x> links read "net:[4026531840]": the kind of namespace it is.
    const link = facts.fs.readlink(ns.path);
    const kind = link !== undefined ? /^(\w+):\[\d+\]$/.exec(link)?.[1] : undefined;
    const want = NS_FILE_TYPES[ns.type];
    if (kind !== undefined && want !== undefined && kind !== want) {
      error(out, at, `${ns.path} is a ${kind} namespace, not a ${want} one`, { found: link, hint: `use .../ns/${want}` });
    }
  });
}

function checkCapabilities(spec: Spec, facts: HostCheckFacts, out: Out): void {
  const caps = spec.process?.capabilities;
  if (caps === undefined) return;
  // The same resolution as the plan (its warnings are the plan's to report): what capset will get.
  const { sets } = resolveCapabilities(caps, facts.boundingSet, facts.capLastCap);
  const has = (set: keyof typeof sets, n: number) => sets[set].includes(n);
  (caps.effective ?? []).forEach((name, i) => {
    const n = capabilityNumber(name);
    if (n === undefined || !has('effective', n) || has('permitted', n)) return;
    error(out, `process.capabilities.effective[${i}]`, `${name} is effective but not permitted; the kernel refuses an effective capability outside the permitted set (capset: EPERM)`, {
      hint: `add ${name} to process.capabilities.permitted, or remove it from effective`,
    });
  });
}

function checkRlimits(spec: Spec, facts: HostCheckFacts, out: Out): void {
  (spec.process?.rlimits ?? []).forEach((rl, i) => {
    if (rl.type !== 'RLIMIT_NOFILE' || facts.nrOpen === undefined) return;
    for (const field of ['hard', 'soft'] as const) {
      const v = rl[field];
      // -1 and 2^64-1 mean unlimited, which setrlimit refuses for NOFILE the same way.
      if (typeof v === 'number' && (v < 0 || v > facts.nrOpen)) {
        error(out, `process.rlimits[${i}].${field}`, `is above this host's limit on open files (fs.nr_open = ${facts.nrOpen}); setrlimit would fail with EPERM`, {
          found: String(v),
          expected: `at most ${facts.nrOpen}`,
        });
        return;
      }
    }
  });
}

/**
 * The agent's socket of SCMP_ACT_NOTIFY rules (the path itself seccomp.ts checks): it must be there
 * before create, which connects to it. runc's words start the message, which engines look for.
 */
function checkListenerPath(seccomp: NonNullable<NonNullable<Spec['linux']>['seccomp']>, fsv: FsView, out: Out): void {
  const listenerPath = seccomp.listenerPath;
  const notifies = (seccomp.syscalls ?? []).some((r) => r.action === 'SCMP_ACT_NOTIFY' && (r.names ?? []).length > 0);
  if (!notifies || listenerPath === undefined || !listenerPath.startsWith('/')) return;
  const entry = fsv.stat(listenerPath);
  const why = entry === undefined
    ? (fsv.statError(listenerPath) === 'ENOENT' || fsv.statError(listenerPath) === undefined ? 'there is no such socket' : `cannot reach it (${fsv.statError(listenerPath)})`)
    : entry.type !== 'socket' ? `it is a ${entry.type === 'dir' ? 'directory' : entry.type === 'file' ? 'file' : 'special file'}, not a socket` : undefined;
  if (why !== undefined) {
    error(out, 'linux.seccomp.listenerPath', `failed to connect with seccomp agent specified in the seccomp profile: ${why} at ${listenerPath}`, {
      hint: 'start the seccomp agent (it listens on this unix socket) before create',
    });
  }
}

/** Names that differ only in a version suffix (openat → openat2, clone → clone3) are different calls. */
const stem = (name: string) => name.replace(/\d+$/, '');

function checkSeccomp(spec: Spec, facts: HostCheckFacts, out: Out): void {
  const seccomp = spec.linux?.seccomp;
  if (seccomp === undefined) return;
  (seccomp.architectures ?? []).forEach((arch, i) => {
    if (facts.architectures.length > 0 && !facts.architectures.includes(arch)) {
      warning(out, `linux.seccomp.architectures[${i}]`, `${arch} is not an architecture this ${process.arch} host runs; its rules never apply here`, {
        expected: `one of: ${facts.architectures.join(', ')}`,
      });
    }
  });
  checkListenerPath(seccomp, facts.fs, out);
  const table = facts.syscalls;
  if (table === undefined) {
    if ((seccomp.syscalls ?? []).length > 0) {
      warning(out, 'linux.seccomp.syscalls', 'system call names were not checked: this host has neither scmp_sys_resolver nor <asm/unistd.h>');
    }
    return;
  }
  (seccomp.syscalls ?? []).forEach((rule, i) => {
    (rule.names ?? []).forEach((name, k) => {
      if (typeof name !== 'string' || name === '' || !/^[A-Za-z0-9_]+$/.test(name) || table.has(name)) return;
      const at = `linux.seccomp.syscalls[${i}].names[${k}]`;
      const close = table.names ? closestMatch(name, table.names, { maxDistance: 2 }) : undefined;
      const hint = close !== undefined ? { hint: `did you mean '${close}'?` } : {};
      // One letter off a known call (and not a versioned variant of it) is a typo; anything else may be
      // a call of another architecture or a newer kernel, which the filter ignores.
      const typo = close !== undefined && stem(close) !== stem(name) && closestMatch(name, [close], { maxDistance: 1 }) === close;
      if (typo) {
        error(out, at, `${JSON.stringify(name)} is not a system call (not in ${table.source})`, hint);
      } else {
        warning(out, at, `${JSON.stringify(name)} is not a system call this host knows (not in ${table.source}); the rule cannot match it`, hint);
      }
    });
  });
}

const HOST_SIDE_PHASES = ['prestart', 'createRuntime', 'createContainer', 'poststart', 'poststop'] as const;

function checkHooks(input: HostCheckInput, facts: HostCheckFacts, out: Out): void {
  const hooks = input.spec.hooks;
  if (hooks === undefined) return;
  const check = (phase: string, list: Hook[] | undefined, inContainer: boolean) => {
    (list ?? []).forEach((hook, i) => {
      if (typeof hook?.path !== 'string' || !hook.path.startsWith('/')) return;
      const at = `hooks.${phase}[${i}].path`;
      let e: FsEntry | undefined;
      let where = 'on the host';
      if (inContainer) {
        if (input.rootfs === undefined) return;
        where = 'in the rootfs (startContainer hooks run in the container)';
        const points = mountPoints(input.spec);
        const r = resolveInRoot(input.rootfs, hook.path, { fs: facts.fs, covered: (p) => points.has(p) });
        if (r.status === 'covered') return;
        e = r.status === 'found' ? r.entry : undefined;
      } else {
        e = facts.fs.stat(hook.path);
      }
      if (e === undefined) error(out, at, `${hook.path} ${inContainer ? 'does not exist' : whyMissing(facts.fs, hook.path)} ${where}`);
      else if (!isExecutable(e)) {
        error(out, at, `${hook.path} is not executable`, {
          found: e.type === 'file' ? `a file with mode ${octal(e.mode)}` : `a ${e.type === 'dir' ? 'directory' : 'special file'}`,
          ...(e.type === 'file' ? { hint: `chmod +x ${hook.path}` } : {}),
        });
      }
    });
  };
  for (const phase of HOST_SIDE_PHASES) check(phase, hooks[phase], false);
  check('startContainer', hooks.startContainer, true);
}

/** Interface-specific sysctls can name an interface the container will have and the host does not. */
const PER_INTERFACE = /^net\.(ipv4|ipv6)\.(conf|neigh)\.([^.]+)\./;

function checkSysctls(spec: Spec, facts: HostCheckFacts, out: Out): void {
  for (const key of Object.keys(spec.linux?.sysctl ?? {})) {
    const m = PER_INTERFACE.exec(key.replace(/\//g, '.'));
    if (m && !['all', 'default', 'lo'].includes(m[3])) continue;
    const file = `/proc/sys/${key.replace(/\./g, '/')}`;
    if (facts.fs.stat(file) !== undefined) continue;
    // The deepest directory that exists, for a suggestion.
    const parts = file.split('/');
    let dir = parts.slice(0, -1).join('/');
    while (dir.length > '/proc/sys'.length && facts.fs.stat(dir) === undefined) dir = path.posix.dirname(dir);
    const missing = file.slice(dir.length + 1).split('/')[0];
    const close = closestMatch(missing, facts.fs.readdir(dir) ?? []);
    const prefix = dir.slice('/proc/sys/'.length).replace(/\//g, '.');
    error(out, formatPath(['linux', 'sysctl', key]), `is not a sysctl of this kernel (${file} does not exist)`, {
      ...(close !== undefined ? { hint: `did you mean '${prefix === '' ? close : `${prefix}.${close}`}'?` } : {}),
    });
  }
}

function checkDevices(spec: Spec, facts: HostCheckFacts, out: Out): void {
  const devices = spec.linux?.devices ?? [];
  if (devices.length === 0) return;
  const userns = hasNew(namespaceSet(spec), 'user');
  const bound = bindsDev(spec.mounts ?? []);
  const first = new Map<string, number>();
  devices.forEach((d, i) => {
    const at = `linux.devices[${i}]`;
    if (typeof d.path !== 'string') return;
    if (!d.path.startsWith('/')) {
      error(out, `${at}.path`, "must be an absolute path in the container (starting with '/dev/')", { found: JSON.stringify(d.path), hint: `did you mean '/${d.path.replace(/^\.\/+/, '')}'?` });
      return;
    }
    const normal = path.posix.normalize(d.path);
    const before = first.get(normal);
    if (before !== undefined) {
      error(out, `${at}.path`, `repeats the device path of linux.devices[${before}]; the second would replace the first`, { found: JSON.stringify(d.path) });
      return;
    }
    first.set(normal, i);
    for (const field of ['major', 'minor'] as const) {
      const v = d[field];
      if (d.type !== 'p' && typeof v === 'number' && v < 0) error(out, `${at}.${field}`, 'must not be negative', { found: String(v) });
    }
    if (userns && !bound && facts.fs.stat(normal) === undefined) {
      error(out, `${at}.path`, `with a new user namespace the device is bind-mounted from the host's ${normal} (mknod is not allowed there), and this host has no ${normal}`);
    }
  });
  if (bound) {
    warning(out, 'linux.devices', 'is not used: /dev is bind-mounted from the host, so tsrunc creates no device nodes');
  }
}

function checkMountTypes(spec: Spec, facts: HostCheckFacts, out: Out): void {
  const known = facts.filesystems;
  if (known === undefined || known.length === 0) return;
  (spec.mounts ?? []).forEach((m, i) => {
    const type = m.type;
    if (typeof type !== 'string' || type === '' || type === 'bind' || type === 'none') return;
    if (parseMountOptions(m.options).bind) return;
    const base = type.startsWith('fuse.') ? 'fuse' : type;
    if (known.includes(base)) return;
    const close = closestMatch(type, known);
    const at = `mounts[${i}].type`;
    const hint = close !== undefined ? { hint: `did you mean '${close}'?` } : {};
    if (close !== undefined || !facts.canLoadModules) {
      error(out, at, `${JSON.stringify(type)} is not a filesystem type of this kernel (not in /proc/filesystems)`, hint);
    } else {
      warning(out, at, `${JSON.stringify(type)} is not in /proc/filesystems; the mount fails unless a kernel module provides it`);
    }
  });
}

/** procfs and sysfs go on an ordinary directory of the rootfs (as runc): never through a symlink there. */
function checkProcSysMountPoints(input: HostCheckInput, facts: HostCheckFacts, out: Out): void {
  const { spec, rootfs } = input;
  if (rootfs === undefined) return;
  (spec.mounts ?? []).forEach((m, i) => {
    if ((m.type !== 'proc' && m.type !== 'sysfs') || typeof m.destination !== 'string') return;
    const dest = path.posix.resolve('/', m.destination);
    if (dest === '/') return;
    const parent = resolveInRoot(rootfs, path.posix.dirname(dest), { fs: facts.fs });
    if (parent.status !== 'found') return;
    const entry = facts.fs.lstat(path.join(parent.hostPath, path.posix.basename(dest)));
    if (entry === undefined || entry.type === 'dir') return;
    const what = entry.type === 'symlink' ? 'a symlink' : 'not a directory';
    error(out, `mounts[${i}].destination`, `${dest} in the rootfs is ${what}; filesystem ${JSON.stringify(m.type)} must be mounted on ordinary directory`, {
      hint: `make ${path.join(rootfs, dest)} a directory`,
    });
  });
}

/** What a mount option of runc's needs of the kernel. */
const MOUNT_SETATTR: [number, number] = [5, 12];
const ATTR_NOSYMFOLLOW: [number, number] = [5, 14];
const atLeast = (v: [number, number], need: [number, number]) => v[0] > need[0] || (v[0] === need[0] && v[1] >= need[1]);

/** Recursive attributes and id-mapped mounts need mount_setattr(2): an older kernel is refused here, naming the option. */
function checkMountFeatures(spec: Spec, facts: HostCheckFacts, out: Out): void {
  const kernel = facts.kernel;
  if (kernel === undefined) return;
  const refuse = (at: string, what: string, need: [number, number]) => {
    if (!atLeast(kernel.version, need)) {
      error(out, at, `${what}, which needs Linux ${need.join('.')} or later; this kernel is ${kernel.release}`);
    }
  };
  (spec.mounts ?? []).forEach((m, i) => {
    const opts = parseMountOptions(m.options);
    for (const o of opts.attrOptions) {
      const nosymfollow = NOSYMFOLLOW_OPTIONS.includes(o.name);
      refuse(`mounts[${i}].options[${o.index}]`, `${o.name} is applied with mount_setattr(2)${nosymfollow ? ' and MOUNT_ATTR_NOSYMFOLLOW' : ''}`,
        nosymfollow ? ATTR_NOSYMFOLLOW : MOUNT_SETATTR);
    }
    const mapped = m.uidMappings !== undefined || m.gidMappings !== undefined;
    if (opts.idmap !== undefined || mapped) {
      const at = opts.idmap ? `mounts[${i}].options[${opts.idmap.index}]` : `mounts[${i}].${m.uidMappings !== undefined ? 'uidMappings' : 'gidMappings'}`;
      refuse(at, 'an id-mapped mount is made with mount_setattr(2) MOUNT_ATTR_IDMAP', MOUNT_SETATTR);
    }
  });
}

/** Every problem this host and rootfs find with a config (meant for a schema-valid one; see `tolerant`). */
export function hostProblems(input: HostCheckInput, facts: HostCheckFacts): Problem[] {
  const out: Problem[] = [];
  const checks: ((out: Out) => void)[] = [
    (o) => checkProgram(input, facts, o),
    (o) => checkCwd(input, facts, o),
    (o) => checkIdMappings(input.spec, facts, o),
    (o) => checkNamespacePaths(input.spec, facts, o),
    (o) => checkCapabilities(input.spec, facts, o),
    (o) => checkRlimits(input.spec, facts, o),
    (o) => checkSeccomp(input.spec, facts, o),
    (o) => checkHooks(input, facts, o),
    (o) => checkSysctls(input.spec, facts, o),
    (o) => checkDevices(input.spec, facts, o),
    (o) => checkMountTypes(input.spec, facts, o),
    (o) => checkMountFeatures(input.spec, facts, o),
    (o) => checkProcSysMountPoints(input, facts, o),
  ];
  for (const check of checks) {
    const found: Problem[] = [];
    try {
      check(found);
    } catch (err) {
      // A document the schema refused may trip a check over a malformed field: the schema's problem
      // already says what is wrong there. In a valid document it is a bug.
      if (!input.tolerant) throw err;
      continue;
    }
    out.push(...found);
  }
  return out;
}
