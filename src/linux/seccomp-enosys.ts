// The -ENOSYS stub runc puts before a seccomp filter whose default denies: a system call numbered
// above the largest one the profile names (per architecture) is newer than the profile, and gets
// ENOSYS instead of the default's errno or kill, so that a C library falls back to an older call
// (clone3 → clone, openat2 → openat) as it does on an older kernel. The stub is classic BPF made here
// and sent to the helper as `prefix` items, which it puts in front of libseccomp's program unchanged:
// every jump of the stub is forward and lands inside it or on the program's first instruction, and the
// program reloads what it reads, so neither needs to know of the other.

/** One struct sock_filter. */
export interface ClassicInsn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** An architecture in the filter and the largest system call number the profile names on it. */
export interface ArchMax {
  /** libseccomp's name: "x86_64", "x32", "s390x", … */
  name: string;
  /** seccomp_arch_resolve_name's token: the AUDIT_ARCH_* value, but for x32. */
  token: number;
  /** The largest number libseccomp gives for one of the profile's names on it; 0 when none resolves. */
  max: number;
}

const LD_W_ABS = 0x20;
const JMP_JA = 0x05;
const JMP_JEQ_K = 0x15;
const JMP_JGT_K = 0x25;
const JMP_JSET_K = 0x45;
const RET_K = 0x06;

/** struct seccomp_data: nr at 0, arch at 4. */
const NR = 0;
const ARCH = 4;
const SECCOMP_RET_ERRNO = 0x00050000;
const ENOSYS = 38;
/** x32 system calls are x86-64's AUDIT_ARCH with this bit set in the number. */
const X32_BIT = 0x40000000;
const AUDIT_ARCH_X86_64 = 0xc000003e;
/** s390's setup(2): the kernel leaves a number it does not know there (a multiplexing leftover). */
const S390_SETUP = 0;

/** A jump target: the next instruction, the ENOSYS return, the filter's first instruction, or a label. */
type Target = 'next' | 'enosys' | 'filter' | string;
interface Pending {
  code: number;
  k: number;
  jt?: Target;
  jf?: Target;
  label?: string;
}

/** The default actions that let an unknown call run (or leave it to a tracer): no stub then, as runc. */
export function needsEnosysStub(defaultAction: string, defaultErrno: number): boolean {
  if (defaultAction === 'allow' || defaultAction === 'log' || defaultAction === 'trace') return false;
  return !(defaultAction === 'errno' && defaultErrno === ENOSYS);
}

/** The checks of one AUDIT_ARCH, after its number is loaded. */
function archChecks(group: ArchMax[], id: number): Pending[] {
  const byName = new Map(group.map((a) => [a.name, a.max]));
  const above = (max: number, label?: string): Pending => ({ code: JMP_JGT_K, k: max, jt: 'enosys', jf: 'filter', ...(label ? { label } : {}) });
  if (group[0].token === AUDIT_ARCH_X86_64 || byName.has('x32')) {
    const x64 = byName.get('x86_64') ?? 0;
    const x32 = byName.get('x32') ?? 0;
    if (x64 > 0 && x32 > 0) {
      const l32 = `x32-${id}`;
      return [{ code: JMP_JSET_K, k: X32_BIT, jt: l32, jf: 'next' }, above(x64), above(x32, l32)];
    }
    if (x64 > 0) return [{ code: JMP_JSET_K, k: X32_BIT, jt: 'filter', jf: 'next' }, above(x64)];
    return [{ code: JMP_JSET_K, k: X32_BIT, jt: 'next', jf: 'filter' }, above(x32)];
  }
  const checks: Pending[] = [];
  if (group[0].name === 's390' || group[0].name === 's390x') checks.push({ code: JMP_JEQ_K, k: S390_SETUP, jt: 'enosys', jf: 'next' });
  checks.push(above(group[0].max));
  return checks;
}

/** AUDIT_ARCH_* of an architecture: its token, but x32's (libseccomp's own value) is x86-64's. */
function auditArch(a: ArchMax): number {
  return a.name === 'x32' ? AUDIT_ARCH_X86_64 : a.token >>> 0;
}

/**
 * The stub for these architectures (native one included), empty when no architecture has a name:
 * load the arch; for each AUDIT_ARCH with a largest number, jump into its checks (load nr, numbers
 * above the largest → ENOSYS, else the filter); any other arch goes to the filter, which refuses it.
 */
export function enosysStub(archs: ArchMax[]): ClassicInsn[] {
  const groups = new Map<number, ArchMax[]>();
  for (const a of archs) {
    if (a.max <= 0) continue;
    const key = auditArch(a);
    if (!groups.has(key)) groups.set(key, []);
    if (!groups.get(key)!.some((b) => b.name === a.name)) groups.get(key)!.push(a);
  }
  if (groups.size === 0) return [];
  const code: Pending[] = [{ code: LD_W_ABS, k: ARCH }];
  let id = 0;
  for (const [audit, group] of groups) {
    // Every group's checks end in a jump: another arch goes on to the next group's test.
    code.push({ code: JMP_JEQ_K, k: audit, jt: 'next', jf: `arch-${id + 1}`, label: `arch-${id}` });
    code.push({ code: LD_W_ABS, k: NR });
    code.push(...archChecks(group, id));
    id++;
  }
  code.push({ code: JMP_JA, k: 0, jt: 'filter', label: `arch-${id}` });
  code.push({ code: RET_K, k: (SECCOMP_RET_ERRNO | ENOSYS) >>> 0, label: 'enosys' });
  return assemble(code);
}

/** Resolves the targets into offsets from the next instruction (the filter is right after the stub). */
function assemble(code: Pending[]): ClassicInsn[] {
  const labels = new Map<string, number>();
  code.forEach((p, i) => { if (p.label) labels.set(p.label, i); });
  const at = (t: Target | undefined, i: number): number => {
    if (t === undefined || t === 'next') return 0;
    const dest = t === 'filter' ? code.length : labels.get(t);
    if (dest === undefined || dest <= i) throw new Error(`seccomp -ENOSYS stub: bad jump to ${t}`);
    return dest - i - 1;
  };
  return code.map((p, i) => {
    if (p.code === JMP_JA) return { code: JMP_JA, jt: 0, jf: 0, k: at(p.jt, i) };
    const jt = at(p.jt, i);
    const jf = at(p.jf, i);
    if (jt > 255 || jf > 255) throw new Error('seccomp -ENOSYS stub: a jump longer than 255 instructions');
    return { code: p.code, jt, jf, k: p.k >>> 0 };
  });
}
