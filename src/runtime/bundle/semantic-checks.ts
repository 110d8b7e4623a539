// Checks of config.json that a JSON Schema cannot express: rules across fields, rules of the spec
// that only hold on Linux, and what runc refuses before it starts anything. Each Problem names the
// field it is about.
//
// Meant to run on a document that passed the schema (schemaProblems), but it never throws on one
// that did not: every field is looked at only when it has the expected shape. A few rules are also
// in the schema (process.args, process.cwd, hook paths, root); mergeProblems drops the repeats.

import type { Namespace, NamespaceType, Spec } from '../../oci/types';
import type { Problem } from '../../common/errors';
import { closestMatch } from '../../common/closest-match';
import { formatFound, formatPath } from './schema-problems';
import { HOOK_PHASES, SHAPE, type Shape } from './config-shape';
import { memoryPolicyProblems } from '../../linux/memory-policy';

type Path = (string | number)[];

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isAbsolute(p: string): boolean {
  return p.startsWith('/');
}

function error(path: Path, message: string, extra: Partial<Problem> = {}): Problem {
  return { severity: 'error', path: formatPath(path), message, ...extra };
}

function warning(path: Path, message: string, extra: Partial<Problem> = {}): Problem {
  return { severity: 'warning', path: formatPath(path), message, ...extra };
}

// ---------------------------------------------------------------------------------------------
// Namespaces

interface NamespaceEntry {
  index: number;
  type: NamespaceType;
  path?: string;
}

/** The usable entries of linux.namespaces (first one of each type). */
function namespaceTable(spec: Spec): Map<NamespaceType, NamespaceEntry> {
  const table = new Map<NamespaceType, NamespaceEntry>();
  const list: unknown = spec.linux?.namespaces;
  if (!Array.isArray(list)) return table;
  list.forEach((ns: unknown, index) => {
    if (!isObject(ns) || typeof ns.type !== 'string') return;
    const type = ns.type as NamespaceType;
    if (table.has(type)) return;
    const path = typeof ns.path === 'string' && ns.path !== '' ? ns.path : undefined;
    table.set(type, { index, type, ...(path !== undefined ? { path } : {}) });
  });
  return table;
}

const nsPath = (e: NamespaceEntry): Path => ['linux', 'namespaces', e.index];
const addNamespaceHint = (type: NamespaceType) => `add {"type": "${type}"} to linux.namespaces`;

function checkNamespaces(spec: Spec, ns: Map<NamespaceType, NamespaceEntry>, out: Problem[]): void {
  const list: unknown = spec.linux?.namespaces;
  if (Array.isArray(list)) {
    const firstOf = new Map<string, number>();
    list.forEach((entry: unknown, i) => {
      if (!isObject(entry)) return;
      const { type, path } = entry as Partial<Namespace> & Record<string, unknown>;
      if (typeof type === 'string') {
        const first = firstOf.get(type);
        if (first !== undefined) {
          out.push(error(['linux', 'namespaces', i, 'type'], `repeats the ${type} namespace of linux.namespaces[${first}]; each type may appear once`, {
            found: `'${type}'`,
            hint: `remove linux.namespaces[${i}]`,
          }));
        } else {
          firstOf.set(type, i);
        }
      }
      if (typeof path === 'string' && path !== '' && !isAbsolute(path)) {
        out.push(error(['linux', 'namespaces', i, 'path'], 'must be an absolute path (in the runtime mount namespace)', {
          found: JSON.stringify(path),
          hint: `did you mean '/${path.replace(/^\.\/+/, '')}'?`,
        }));
      }
    });
  }

  // Without a mount namespace the container inherits the runtime's (runtime-spec): its mounts are made
  // there, as runc 1.2+ makes them, so nothing may be masked or made read-only for it alone.
  const mount = ns.get('mount');
  if (mount === undefined) {
    for (const field of ['maskedPaths', 'readonlyPaths'] as const) {
      const list = isObject(spec.linux) ? spec.linux[field] : undefined;
      if (Array.isArray(list) && list.length > 0) {
        out.push(error(['linux', field], 'cannot be applied without a mount namespace: the container shares the runtime\'s, and runc refuses this too', {
          hint: `add {"type": "mount"} to linux.namespaces, or make linux.${field} empty`,
        }));
      }
    }
    if (ns.get('user') !== undefined) {
      out.push(error(['linux', 'namespaces'], 'has a user namespace but no mount namespace: root in the new user namespace cannot mount in the runtime\'s mount namespace', {
        expected: 'an entry of type mount',
        hint: addNamespaceHint('mount'),
      }));
    }
  }

  // User namespace and ID mappings.
  const user = ns.get('user');
  const linux = spec.linux;
  const hasMappings = (v: unknown) => Array.isArray(v) && v.length > 0;
  if (user !== undefined && user.path === undefined) {
    for (const field of ['uidMappings', 'gidMappings'] as const) {
      if (!hasMappings(linux?.[field])) {
        out.push(error(['linux', field], `is required: linux.namespaces[${user.index}] creates a new user namespace, which needs a ${field === 'uidMappings' ? 'UID' : 'GID'} mapping`, {
          expected: 'a non-empty array of {containerID, hostID, size}',
          hint: `map the container's root, e.g. [{"containerID": 0, "hostID": 100000, "size": 65536}]`,
        }));
      }
    }
  }
  if (user === undefined) {
    for (const field of ['uidMappings', 'gidMappings'] as const) {
      if (hasMappings(linux?.[field])) {
        out.push(error(['linux', field], 'is set but the container has no user namespace to apply it to', {
          hint: `${addNamespaceHint('user')}, or remove linux.${field}`,
        }));
      }
    }
  }

  // Time namespace offsets can only be written into a namespace the runtime creates.
  const offsets: unknown = linux?.timeOffsets;
  if (isObject(offsets) && Object.keys(offsets).length > 0) {
    const time = ns.get('time');
    if (time === undefined) {
      out.push(error(['linux', 'timeOffsets'], 'needs a new time namespace, and the container has none', { hint: addNamespaceHint('time') }));
    } else if (time.path !== undefined) {
      out.push(error(['linux', 'timeOffsets'], `cannot be applied: linux.namespaces[${time.index}] joins an existing time namespace (${time.path})`, {
        hint: `remove linux.timeOffsets or the path of linux.namespaces[${time.index}]`,
      }));
    }
  }

  // Host and domain name need a UTS namespace of the container's own.
  const uts = ns.get('uts');
  for (const field of ['hostname', 'domainname'] as const) {
    const value = spec[field];
    if (typeof value === 'string' && value !== '' && uts === undefined) {
      out.push(error([field], 'cannot be set without a private UTS namespace', { found: JSON.stringify(value), hint: addNamespaceHint('uts') }));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// sysctl

/** The namespace a sysctl belongs to, or undefined when it is not namespaced. */
export function sysctlNamespace(key: string): NamespaceType | undefined {
  const k = key.replace(/\//g, '.');
  if (/^kernel\.(shm|msg|sem)/.test(k) || k.startsWith('fs.mqueue.')) return 'ipc';
  if (k.startsWith('net.')) return 'network';
  if (k === 'kernel.hostname' || k === 'kernel.domainname') return 'uts';
  return undefined;
}

function checkSysctl(spec: Spec, ns: Map<NamespaceType, NamespaceEntry>, out: Problem[]): void {
  const sysctl: unknown = spec.linux?.sysctl;
  if (!isObject(sysctl)) return;
  for (const key of Object.keys(sysctl)) {
    const path = ['linux', 'sysctl', key];
    const needed = sysctlNamespace(key);
    if (needed === undefined) {
      out.push(error(path, 'is not namespaced: setting it would change the host, so it is refused', {
        hint: 'only net.*, the IPC ones (kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*) and kernel.domainname can be set per container',
      }));
    } else if (!ns.has(needed)) {
      const name = needed === 'network' ? 'network' : needed === 'ipc' ? 'IPC' : 'UTS';
      out.push(error(path, `needs a ${name} namespace of the container's own, and the container has none`, { hint: addNamespaceHint(needed) }));
    } else if (key.replace(/\//g, '.') === 'kernel.hostname' && typeof spec.hostname === 'string' && spec.hostname !== '') {
      out.push(error(path, 'conflicts with the hostname field', { hint: 'set the host name with hostname only' }));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// root, process, mounts, hooks

function checkRootAndProcess(spec: Spec, out: Problem[]): void {
  const root: unknown = spec.root;
  if (root === undefined) {
    out.push(error(['root'], 'is required on Linux', { expected: 'an object with a path, e.g. {"path": "rootfs"}' }));
  } else if (isObject(root) && root.path === '') {
    out.push(error(['root', 'path'], 'must not be empty', { hint: "the conventional value is 'rootfs'" }));
  }

  const proc: unknown = spec.process;
  if (!isObject(proc)) return;
  const args = proc.args;
  if (!Array.isArray(args) || args.length === 0) {
    out.push(error(['process', 'args'], 'must have at least one entry (the program to run)', {
      ...(args !== undefined ? { found: JSON.stringify(args) } : {}),
      expected: 'an array of strings, e.g. ["sh"]',
    }));
  } else if (args[0] === '') {
    out.push(error(['process', 'args', 0], 'must name the program to run, not be empty'));
  }

  if (typeof proc.cwd === 'string' && !isAbsolute(proc.cwd)) {
    out.push(error(['process', 'cwd'], "must be an absolute path (starting with '/')", {
      found: JSON.stringify(proc.cwd),
      ...(/^[A-Za-z]:/.test(proc.cwd) ? {} : { hint: `did you mean '/${proc.cwd.replace(/^\.\/+/, '')}'?` }),
    }));
  }

  if (Array.isArray(proc.env)) {
    proc.env.forEach((entry: unknown, i) => {
      if (typeof entry !== 'string') return;
      const eq = entry.indexOf('=');
      if (eq < 0) out.push(error(['process', 'env', i], 'must have the form NAME=value', { found: JSON.stringify(entry), hint: `did you mean '${entry}='?` }));
      else if (eq === 0) out.push(error(['process', 'env', i], 'has an empty variable name', { found: JSON.stringify(entry) }));
    });
  }

  if (Array.isArray(proc.rlimits)) {
    const firstOf = new Map<string, number>();
    proc.rlimits.forEach((rl: unknown, i) => {
      if (!isObject(rl) || typeof rl.type !== 'string') return;
      const first = firstOf.get(rl.type);
      if (first !== undefined) {
        out.push(error(['process', 'rlimits', i, 'type'], `repeats ${rl.type} of process.rlimits[${first}]; each limit may be set once`, { found: `'${rl.type}'` }));
      } else {
        firstOf.set(rl.type, i);
      }
      if (typeof rl.soft === 'number' && typeof rl.hard === 'number' && rl.soft > rl.hard) {
        out.push(error(['process', 'rlimits', i, 'soft'], `must not exceed the hard limit (${rl.hard})`, { found: String(rl.soft) }));
      }
    });
  }
}

function checkMounts(spec: Spec, ns: Map<NamespaceType, NamespaceEntry>, out: Problem[]): void {
  const mounts: unknown = spec.mounts;
  if (!Array.isArray(mounts)) return;
  mounts.forEach((m: unknown, i) => {
    if (!isObject(m)) return;
    if (typeof m.destination === 'string' && !isAbsolute(m.destination)) {
      out.push(warning(['mounts', i, 'destination'], "is relative; it is taken relative to '/' (relative destinations are deprecated)", {
        found: JSON.stringify(m.destination),
        hint: `write '/${m.destination.replace(/^\.\/+/, '')}'`,
      }));
    }
    const options = Array.isArray(m.options) ? m.options.filter((o): o is string => typeof o === 'string') : [];
    const idmap = options.find((o) => o === 'idmap' || o === 'ridmap');
    const hasMountMappings = Array.isArray(m.uidMappings) || Array.isArray(m.gidMappings);
    if (idmap !== undefined && !hasMountMappings && !ns.has('user')) {
      out.push(error(['mounts', i, 'options'], `has '${idmap}' but neither the mount nor the container (no user namespace) gives a mapping`, {
        hint: 'add uidMappings and gidMappings to the mount, or give the container a user namespace',
      }));
    }
    if (hasMountMappings && idmap === undefined) {
      out.push(warning(['mounts', i, 'options'], "should contain 'idmap' or 'ridmap' when the mount has uidMappings/gidMappings", {
        hint: "add 'idmap' (or 'ridmap' for a recursive bind mount)",
      }));
    }
  });
}


function checkHooks(spec: Spec, out: Problem[]): void {
  const hooks: unknown = spec.hooks;
  if (!isObject(hooks)) return;
  for (const phase of HOOK_PHASES) {
    const list = hooks[phase];
    if (!Array.isArray(list)) continue;
    list.forEach((h: unknown, i) => {
      if (isObject(h) && typeof h.path === 'string' && !isAbsolute(h.path)) {
        out.push(error(['hooks', phase, i, 'path'], "must be an absolute path (starting with '/')", { found: JSON.stringify(h.path) }));
      }
    });
  }
}

const ERRNO_ACTIONS = new Set(['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE']);

function checkSeccomp(spec: Spec, out: Problem[]): void {
  const seccomp: unknown = spec.linux?.seccomp;
  if (!isObject(seccomp)) return;
  if (seccomp.defaultErrnoRet !== undefined && typeof seccomp.defaultAction === 'string' && !ERRNO_ACTIONS.has(seccomp.defaultAction)) {
    out.push(error(['linux', 'seccomp', 'defaultErrnoRet'], `cannot be used with defaultAction ${seccomp.defaultAction}; only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return an errno`));
  }
  if (!Array.isArray(seccomp.syscalls)) return;
  seccomp.syscalls.forEach((sc: unknown, i) => {
    if (isObject(sc) && sc.errnoRet !== undefined && typeof sc.action === 'string' && !ERRNO_ACTIONS.has(sc.action)) {
      out.push(error(['linux', 'seccomp', 'syscalls', i, 'errnoRet'], `cannot be used with action ${sc.action}; only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return an errno`));
    }
  });
}

// ---------------------------------------------------------------------------------------------
// NUL bytes

/**
 * Every string of a document with a NUL byte in it, names of properties included: none can be
 * carried to the helper (a NUL ends a field of the plan) or to the kernel (it ends a C string).
 * `exempt` names top-level keys left out. Iterative, so that it holds at any depth.
 */
export function nulByteProblems(doc: unknown, exempt: string[] = []): Problem[] {
  const out: Problem[] = [];
  const stack: { value: unknown; path: Path }[] = [{ value: doc, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\0')) out.push(error(path, 'contains a NUL byte', { found: formatFound(value) }));
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
    } else if (isObject(value)) {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i];
        if (path.length === 0 && exempt.includes(key)) continue;
        if (key.includes('\0')) out.push(error([...path, key], 'has a name that contains a NUL byte', { found: formatFound(key) }));
        else stack.push({ value: value[key], path: [...path, key] });
      }
    }
  }
  return out;
}

/** Annotations are exempt: they reach nothing but hooks and `state`, as JSON, which escapes them. */
function checkNulBytes(spec: Spec, out: Problem[]): void {
  out.push(...nulByteProblems(spec, ['annotations']));
}

// ---------------------------------------------------------------------------------------------
// Misspelled keys

/** What each known object contains: its keys, and how to walk into its children. */
function checkKeys(value: unknown, shape: Shape, path: Path, out: Problem[]): void {
  if (!isObject(value)) return;
  for (const key of Object.keys(value)) {
    if (shape.keys.includes(key)) continue;
    const close = closestMatch(key, shape.keys);
    // Genuinely unknown keys are allowed by the spec; only likely typos are worth a word.
    if (close !== undefined) {
      out.push(warning([...path, key], `is not a known property and is ignored`, {
        hint: `did you mean '${close}'?`, aboutKey: true,
      }));
    }
  }
  for (const [key, child] of Object.entries(shape.children ?? {})) {
    const v = value[key];
    if ('each' in child) {
      if (Array.isArray(v)) v.forEach((item: unknown, i) => checkKeys(item, child.each, [...path, key, i], out));
    } else if ('values' in child) {
      if (isObject(v)) for (const [k, item] of Object.entries(v)) checkKeys(item, child.values, [...path, key, k], out);
    } else {
      checkKeys(v, child, [...path, key], out);
    }
  }
}

// ---------------------------------------------------------------------------------------------

/** Problems of a (schema-valid) config that the schema cannot see; [] when there are none. */
export function semanticProblems(spec: Spec): Problem[] {
  const out: Problem[] = [];
  if (!isObject(spec)) return out;
  const ns = namespaceTable(spec);
  checkNulBytes(spec, out);
  checkKeys(spec, SHAPE, [], out);
  checkRootAndProcess(spec, out);
  checkMounts(spec, ns, out);
  checkHooks(spec, out);
  checkNamespaces(spec, ns, out);
  checkSysctl(spec, ns, out);
  checkSeccomp(spec, out);
  if (isObject(spec.linux) && isObject(spec.linux.memoryPolicy)) out.push(...memoryPolicyProblems(spec.linux.memoryPolicy));
  return out;
}
