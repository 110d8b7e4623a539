// The cgroup v2 device controller is a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup: the
// kernel runs it on every open and mknod of a device node by a process in the cgroup, with the
// device's type and numbers and the access asked, and refuses the access (EPERM) when it returns 0.
// This module turns the device rules (create's list: the config's, then runc's defaults; the same list
// cgroup v1 gets as devices.allow/deny lines) into that program. Pure.
//
// What the program decides, for a device and the access asked (open for reading and writing asks for
// both at once): for each kind of access, the last rule that names the device and that access decides;
// an access no rule decides is denied. So rules are applied in the listed order, a later one
// overriding an earlier one, as the runtime spec asks and as the v1 files do. Type "a" is any type, a
// missing or negative major/minor any number. Where the v1 kernel behaves otherwise, this follows
// the rules as written: v1 ignores a deny that would punch a hole in a wildcard allow (runc refuses
// it), needs a single rule to cover every access asked at once, and takes an "a" rule as every device
// whatever its numbers and access say.
//
// The program checks the rules last first. The registers after the prologue: r2 the device type
// (BPF_DEVCG_DEV_*), r3 the access asked and not decided yet (BPF_DEVCG_ACC_*), r4 the major, r5 the
// minor; r1 is scratch. Each rule is one block that falls through to the next when the device is not
// the rule's (or, for an allow, while some access asked is still undecided).

import type { Problem } from '../../common/errors';
import type { SourcedDeviceRule } from '../devices';
import { alu32Imm, alu32Reg, type BpfInsn, exit, jumpImm, jumpReg, loadWord, mov64Imm } from '../bpf-insn';

/** <linux/bpf.h> bpf_cgroup_dev_ctx: access_type is (access << 16) | type, then major, then minor. */
export const BPF_DEVCG_ACC_MKNOD = 1;
export const BPF_DEVCG_ACC_READ = 2;
export const BPF_DEVCG_ACC_WRITE = 4;
export const BPF_DEVCG_DEV_BLOCK = 1;
export const BPF_DEVCG_DEV_CHAR = 2;
const ACCESS_BITS: Record<string, number> = { r: BPF_DEVCG_ACC_READ, w: BPF_DEVCG_ACC_WRITE, m: BPF_DEVCG_ACC_MKNOD };
const ALL_ACCESS = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
const TYPE_BITS = { c: BPF_DEVCG_DEV_CHAR, b: BPF_DEVCG_DEV_BLOCK } as const;
const U32_MAX = 0xffffffff;

const R_CTX = 1;
const R_TMP = 1;
const R_TYPE = 2;
const R_ACCESS = 3;
const R_MAJOR = 4;
const R_MINOR = 5;

/** One rule as the program checks it. */
export interface ProgramRule {
  allow: boolean;
  type: 'a' | 'c' | 'b';
  /** Undefined: any number. */
  major?: number;
  minor?: number;
  /** Letters of r, w, m, in that order. */
  access: string;
  /** The config field the rule comes from. */
  origin: string;
}

export interface DeviceProgram {
  /**
   * The rules that can decide, in the listed order (the program checks them last first). Those before
   * the last rule that covers every device and access are left out: that rule overrides them all.
   */
  rules: ProgramRule[];
  /** What an access no rule decides gets: deny, or what the last rule covering everything says (its origin). */
  otherwise: { allow: boolean; origin?: string };
  insns: BpfInsn[];
}

/** "allow c 1:3 rw", "deny a *:* rwm" (the numbers as cgroup v1 writes them). */
export function describeProgramRule(r: Pick<ProgramRule, 'allow' | 'type' | 'major' | 'minor' | 'access'>): string {
  const n = (v: number | undefined) => (v === undefined ? '*' : String(v));
  return `${r.allow ? 'allow' : 'deny '} ${r.type} ${n(r.major)}:${n(r.minor)} ${r.access}`;
}

const accessBits = (access: string): number => [...access].reduce((bits, c) => bits | ACCESS_BITS[c], 0);

/** A rule's major or minor as the program compares it, or a problem when it cannot. */
function deviceNumber(v: number | null | undefined, path: string, problems: Problem[]): number | undefined {
  if (v === undefined || v === null || v < 0) return undefined;
  if (!Number.isInteger(v) || v > U32_MAX) {
    problems.push({
      severity: 'error', path,
      message: `${v} cannot be matched by a cgroup v2 device program: the kernel gives it device numbers of 32 bits (0 to ${U32_MAX})`,
    });
    return undefined;
  }
  return v;
}

function programRule(rule: SourcedDeviceRule, origin: string, problems: Problem[]): ProgramRule {
  const type = rule.type ?? 'a';
  const access = rule.access ?? 'rwm';
  // The planner refuses these before (deviceRuleProblems); this is for any other caller.
  if (!['a', 'c', 'b'].includes(type) || !/^[rwm]+$/.test(access)) throw new Error(`${origin}: not a checked device rule`);
  const major = deviceNumber(rule.major, `${origin}.major`, problems);
  const minor = deviceNumber(rule.minor, `${origin}.minor`, problems);
  return {
    allow: rule.allow, type, access: ['r', 'w', 'm'].filter((c) => access.includes(c)).join(''), origin,
    ...(major !== undefined ? { major } : {}),
    ...(minor !== undefined ? { minor } : {}),
  };
}

const coversEverything = (r: ProgramRule) => r.type === 'a' && r.major === undefined && r.minor === undefined && r.access === 'rwm';

/** An instruction, or a jump to the end of its block, made once the block's length is known. */
type Part = BpfInsn | ((toEnd: number) => BpfInsn);

/** Goes on to the next block unless `reg` holds `value`. */
function unlessEqual(reg: number, value: number): Part[] {
  // A jump's immediate is sign-extended to 64 bits, a loaded u32 is not: numbers from 2^31 up are
  // compared through a register (a 32-bit mov zero-extends).
  if (value <= 0x7fffffff) return [(n) => jumpImm('jne', reg, value, n)];
  return [alu32Imm('mov', R_TMP, value), (n) => jumpReg('jne', reg, R_TMP, n)];
}

function block(r: ProgramRule): BpfInsn[] {
  const parts: Part[] = [];
  if (r.type !== 'a') parts.push(...unlessEqual(R_TYPE, TYPE_BITS[r.type]));
  if (r.major !== undefined) parts.push(...unlessEqual(R_MAJOR, r.major));
  if (r.minor !== undefined) parts.push(...unlessEqual(R_MINOR, r.minor));
  const bits = accessBits(r.access);
  if (r.allow && bits !== ALL_ACCESS) {
    // The access this rule allows is decided; allowed once nothing asked is left undecided.
    parts.push(alu32Imm('and', R_ACCESS, ~bits), (n) => jumpImm('jne', R_ACCESS, 0, n));
  } else if (!r.allow && bits !== ALL_ACCESS) {
    // Denied when any access still undecided is one this rule denies.
    parts.push(alu32Reg('mov', R_TMP, R_ACCESS), alu32Imm('and', R_TMP, bits), (n) => jumpImm('jeq', R_TMP, 0, n));
  }
  parts.push(mov64Imm(0, r.allow ? 1 : 0), exit());
  return parts.map((p, k) => (typeof p === 'function' ? p(parts.length - k - 1) : p));
}

/**
 * The program for `rules`, in the listed order; `base` names the list for rules without an origin
 * (`${base}[i]`). Problems name each field the program cannot express.
 */
export function buildDeviceProgram(rules: readonly SourcedDeviceRule[], base: string): { program?: DeviceProgram; problems: Problem[] } {
  const problems: Problem[] = [];
  const all = rules.map((r, i) => programRule(r, r.origin ?? `${base}[${i}]`, problems));
  if (problems.length > 0) return { problems };
  let from = 0;
  let otherwise: DeviceProgram['otherwise'] = { allow: false };
  for (let i = all.length - 1; i >= 0; i--) {
    if (!coversEverything(all[i])) continue;
    otherwise = { allow: all[i].allow, origin: all[i].origin };
    from = i + 1;
    break;
  }
  const kept = all.slice(from);
  const insns: BpfInsn[] = [];
  if (kept.length > 0) {
    insns.push(
      loadWord(R_TYPE, R_CTX, 0), alu32Imm('and', R_TYPE, 0xffff),
      loadWord(R_ACCESS, R_CTX, 0), alu32Imm('rsh', R_ACCESS, 16),
      loadWord(R_MAJOR, R_CTX, 4),
      loadWord(R_MINOR, R_CTX, 8),
    );
    for (const r of [...kept].reverse()) insns.push(...block(r));
  }
  insns.push(mov64Imm(0, otherwise.allow ? 1 : 0), exit());
  return { program: { rules: kept, otherwise, insns }, problems };
}
