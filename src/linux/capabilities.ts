// Capability sets: names to numbers and masks, filtered by what this host can grant.
import type { Capabilities } from '../oci/types';
import { CAPABILITIES } from './constants';
import type { Problem } from '../runtime/problems';
import { closestMatch } from '../runtime/bundle/schema-problems';

export type CapabilitySet = keyof Capabilities;
export const CAPABILITY_SETS: CapabilitySet[] = ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'];

export function capabilityNumber(name: string): number | undefined {
  const index = CAPABILITIES.indexOf(name.replace(/^CAP_/, ''));
  return index < 0 ? undefined : index;
}

export interface ResolvedCapabilities {
  sets: Record<CapabilitySet, number[]>;
  warnings: Problem[];
}

/**
 * Unknown names and capabilities this host's bounding set lacks are left out with a warning: the spec
 * says a capability that cannot be granted is logged and SHOULD NOT fail the container.
 */
export function resolveCapabilities(caps: Capabilities, hostBounding: bigint, lastCap: number): ResolvedCapabilities {
  const warnings: Problem[] = [];
  const sets = {} as Record<CapabilitySet, number[]>;
  for (const set of CAPABILITY_SETS) {
    sets[set] = [];
    (caps[set] ?? []).forEach((name, i) => {
      const path = `process.capabilities.${set}[${i}]`;
      const n = capabilityNumber(name);
      if (n === undefined || n > lastCap) {
        const known = CAPABILITIES.slice(0, lastCap + 1).map((c) => `CAP_${c}`);
        const close = n === undefined ? closestMatch(name, known) : undefined;
        warnings.push({
          severity: 'warning', path,
          message: n === undefined ? `unknown capability ${JSON.stringify(name)}; ignored` : `${name} is not known to this kernel (its last capability is ${known[known.length - 1]}); ignored`,
          ...(close !== undefined ? { hint: `did you mean '${close}'?` } : {}),
        });
      } else if ((hostBounding & (1n << BigInt(n))) === 0n) {
        warnings.push({
          severity: 'warning', path,
          message: `${name} is not in this host's bounding set and cannot be granted; ignored`,
        });
      } else if (!sets[set].includes(n)) {
        sets[set].push(n);
      }
    });
  }
  return { sets, warnings };
}

export function capabilityMask(numbers: number[]): string {
  const mask = numbers.reduce((m, n) => m | (1n << BigInt(n)), 0n);
  return `0x${mask.toString(16)}`;
}

export function capabilityName(n: number): string {
  return `CAP_${CAPABILITIES[n] ?? n}`;
}
