// Namespaces: which are new, which are joined, and the host ops that set them up.
import type { IdMapping, Namespace, NamespaceType, Spec } from '../oci/types';
import {
  CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWTIME, CLONE_NEWUSER,
  CLONE_NEWUTS,
} from './constants';

export const NAMESPACE_FLAGS: Record<NamespaceType, number> = {
  pid: CLONE_NEWPID, network: CLONE_NEWNET, mount: CLONE_NEWNS, ipc: CLONE_NEWIPC, uts: CLONE_NEWUTS,
  user: CLONE_NEWUSER, cgroup: CLONE_NEWCGROUP, time: CLONE_NEWTIME,
};

/** The order namespaces are joined in: the user namespace first, so the rest are joined with its rights. */
const JOIN_ORDER: NamespaceType[] = ['user', 'ipc', 'uts', 'network', 'pid', 'mount', 'cgroup', 'time'];

export interface NamespaceSet {
  /** Namespace types created new (no path), with the index in linux.namespaces. */
  created: Map<NamespaceType, number>;
  /** Namespaces joined by path, in join order. */
  joined: { ns: Namespace; index: number }[];
}

export function namespaceSet(spec: Spec): NamespaceSet {
  const created = new Map<NamespaceType, number>();
  const joined: { ns: Namespace; index: number }[] = [];
  (spec.linux?.namespaces ?? []).forEach((ns, index) => {
    if (ns.path) joined.push({ ns, index });
    else created.set(ns.type, index);
  });
  joined.sort((a, b) => JOIN_ORDER.indexOf(a.ns.type) - JOIN_ORDER.indexOf(b.ns.type));
  return { created, joined };
}

export function hasNew(set: NamespaceSet, type: NamespaceType): boolean {
  return set.created.has(type);
}

/** Whether the container runs in a user namespace other than the runtime's: a new one, or one it joins. */
export function inUserNamespace(set: NamespaceSet): boolean {
  return hasNew(set, 'user') || set.joined.some((j) => j.ns.type === 'user');
}

/** Flags for clone: every new namespace but time, which only unshare can create. */
export function cloneNamespaceFlags(set: NamespaceSet): number {
  let flags = 0;
  for (const type of set.created.keys()) if (type !== 'time') flags |= NAMESPACE_FLAGS[type];
  return flags;
}

export function idMapContent(mappings: IdMapping[]): string {
  return mappings.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

/** The text /proc/self/timens_offsets takes: "<clock> <secs> <nanosecs>" per line. */
export function timeOffsetsContent(offsets: NonNullable<NonNullable<Spec['linux']>['timeOffsets']>): string {
  return Object.entries(offsets)
    .map(([clock, o]) => `${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}\n`)
    .join('');
}

/**
 * True unless the config has no mount namespace at all: the container then inherits the runtime's
 * (runtime-spec), and its mounts are made there, as runc 1.2+ makes them.
 */
export function hasOwnMountNamespace(spec: Spec): boolean {
  return (spec.linux?.namespaces ?? []).some((n) => n.type === 'mount');
}
