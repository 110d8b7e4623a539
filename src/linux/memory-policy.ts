// linux.memoryPolicy: the NUMA policy set_mempolicy(2) gives the container's processes, read as runc
// reads it (a node list like a CPU list, at most node 1023; a mode that takes no nodes given none, one
// that needs some given at least one), and refused in runc's words ("invalid memory policy ...",
// "memory policy mode requires 0 nodes but got 8"), which runc's tests look for.
import type { Problem } from '../common/errors';
import { idMask, parseIdList } from './id-list';

/** The kernel's mode numbers (uapi/linux/mempolicy.h). */
export const MEMORY_POLICY_MODES: Record<string, number> = {
  MPOL_DEFAULT: 0, MPOL_PREFERRED: 1, MPOL_BIND: 2, MPOL_INTERLEAVE: 3, MPOL_LOCAL: 4, MPOL_PREFERRED_MANY: 5, MPOL_WEIGHTED_INTERLEAVE: 6,
};

/** Mode flags, or-ed into the mode. */
export const MEMORY_POLICY_FLAGS: Record<string, number> = {
  MPOL_F_NUMA_BALANCING: 1 << 13, MPOL_F_RELATIVE_NODES: 1 << 14, MPOL_F_STATIC_NODES: 1 << 15,
};

const NO_NODES = new Set(['MPOL_DEFAULT', 'MPOL_LOCAL']);
const SOME_NODES = new Set(['MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_PREFERRED_MANY', 'MPOL_WEIGHTED_INTERLEAVE']);

/** "0-3,7" → [0, 1, 2, 3, 7]; a string saying what is wrong otherwise. */
export function parseNodes(list: string): number[] | string {
  return parseIdList(list, 'node');
}

interface MemoryPolicyLike {
  mode?: unknown;
  nodes?: unknown;
  flags?: unknown;
}

/** What runc refuses beyond the schema's mode and flag names: the node list, and its length for the mode. */
export function memoryPolicyProblems(policy: MemoryPolicyLike): Problem[] {
  const at = (field: string) => `linux.memoryPolicy.${field}`;
  let count = 0;
  if (typeof policy.nodes === 'string' && policy.nodes !== '') {
    const nodes = parseNodes(policy.nodes);
    if (typeof nodes === 'string') {
      return [{ severity: 'error', path: at('nodes'), message: `invalid memory policy nodes ${JSON.stringify(policy.nodes)}: ${nodes}`, hint: 'give nodes as a list such as 0-3,7' }];
    }
    count = nodes.length;
  }
  const mode = policy.mode;
  if (typeof mode !== 'string') return [];
  if (NO_NODES.has(mode) && count > 0) {
    return [{ severity: 'error', path: at('nodes'), message: `${mode}: memory policy mode requires 0 nodes but got ${count}`, hint: 'leave "nodes" out' }];
  }
  if (SOME_NODES.has(mode) && count === 0) {
    return [{ severity: 'error', path: at('nodes'), message: `${mode}: memory policy mode requires at least one node but got 0`, hint: 'give the nodes, such as "0"' }];
  }
  return [];
}

/** set_mempolicy's arguments: the mode with its flags, and the node mask in words of 64 bits, lowest first (none for no nodes). */
export function memoryPolicyArgs(policy: { mode: string; nodes?: string; flags?: string[] }): { mode: number; words: bigint[] } {
  const flags = (policy.flags ?? []).reduce((all, f) => all | (MEMORY_POLICY_FLAGS[f] ?? 0), 0);
  const nodes = policy.nodes === undefined || policy.nodes === '' ? [] : parseNodes(policy.nodes);
  return { mode: MEMORY_POLICY_MODES[policy.mode] | flags, words: idMask(Array.isArray(nodes) ? nodes : []) };
}
