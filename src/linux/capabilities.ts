// Capability sets: names to numbers and masks, filtered by what this host can grant.
import type { Capabilities } from '../oci/types';
import { CAPABILITIES } from './constants';
import type { Problem } from '../common/errors';
import { closestMatch } from '../common/closest-match';

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
  // The kernel raises an ambient capability only when it is permitted and inheritable; runc warns about
  // the others and goes on (`runc spec` makes CAP_AUDIT_WRITE ambient but not inheritable), as spec 1.3 says.
  (caps.ambient ?? []).forEach((name, i) => {
    const n = capabilityNumber(name);
    if (n === undefined || !sets.ambient.includes(n)) return;
    const missing = (['permitted', 'inheritable'] as const).filter((s) => !sets[s].includes(n));
    if (missing.length === 0) return;
    sets.ambient = sets.ambient.filter((a) => a !== n);
    warnings.push({
      severity: 'warning', path: `process.capabilities.ambient[${i}]`,
      // runc's words first ("can't raise ambient capability X: "), which its tests look for.
      message: `can't raise ambient capability ${name}: ${name} is ambient but not ${missing.join(' and not ')}, so it is left out of the ambient set`,
      hint: `add ${name} to process.capabilities.${missing.join(' and ')}, or remove it from ambient`,
    });
  });
  return { sets, warnings };
}

export function capabilityBits(numbers: number[]): bigint {
  return numbers.reduce((m, n) => m | (1n << BigInt(n)), 0n);
}

export function capabilityName(n: number): string {
  return `CAP_${CAPABILITIES[n] ?? n}`;
}
