// The few eBPF instructions tsrunc's programs need (<linux/bpf.h>, <linux/bpf_common.h>), as numbers:
// builders, the kernel's 8-byte encoding (struct bpf_insn, little-endian as on every architecture
// tsrunc runs on), and a decoder back to the verifier's notation, so that what is loaded can be read
// ("r2 = *(u32 *)(r1 + 0)", "if r2 != 2 goto +5").

export interface BpfInsn {
  /** class | size/op | mode/source. */
  code: number;
  dst: number;
  src: number;
  /** Signed 16 bits: a load's offset, a jump's distance in instructions (from the next one). */
  off: number;
  /** Signed 32 bits. */
  imm: number;
}

// Instruction classes.
const LDX = 0x01;
const ALU = 0x04;
const JMP = 0x05;
const ALU64 = 0x07;
// Load size and mode.
const W = 0x00;
const MEM = 0x60;
// Operand source: the immediate or the source register.
const K = 0x00;
const X = 0x08;

export const ALU_OP = { and: 0x50, rsh: 0x70, mov: 0xb0 } as const;
export const JMP_OP = { ja: 0x00, jeq: 0x10, jne: 0x50, exit: 0x90 } as const;
export type AluOp = keyof typeof ALU_OP;
export type JmpOp = Exclude<keyof typeof JMP_OP, 'ja' | 'exit'>;

const int16 = (n: number): number => (n << 16) >> 16;
const int32 = (n: number): number => n | 0;

function insn(code: number, dst: number, src: number, off: number, imm: number): BpfInsn {
  return { code, dst, src, off: int16(off), imm: int32(imm) };
}

/** dst = *(u32 *)(src + off): the upper 32 bits of dst become 0. */
export const loadWord = (dst: number, src: number, off: number): BpfInsn => insn(LDX | W | MEM, dst, src, off, 0);
/** 32-bit ALU with an immediate (the result is zero-extended to 64 bits). */
export const alu32Imm = (op: AluOp, dst: number, imm: number): BpfInsn => insn(ALU | ALU_OP[op] | K, dst, 0, 0, imm);
/** 32-bit ALU with a register. */
export const alu32Reg = (op: AluOp, dst: number, src: number): BpfInsn => insn(ALU | ALU_OP[op] | X, dst, src, 0, 0);
/** 64-bit dst = imm (sign-extended). */
export const mov64Imm = (dst: number, imm: number): BpfInsn => insn(ALU64 | ALU_OP.mov | K, dst, 0, 0, imm);
/** if (dst op imm) skip `off` instructions; the comparison is on 64 bits, imm sign-extended. */
export const jumpImm = (op: JmpOp, dst: number, imm: number, off: number): BpfInsn => insn(JMP | JMP_OP[op] | K, dst, 0, off, imm);
/** if (dst op src) skip `off` instructions (64-bit comparison). */
export const jumpReg = (op: JmpOp, dst: number, src: number, off: number): BpfInsn => insn(JMP | JMP_OP[op] | X, dst, src, off, 0);
export const exit = (): BpfInsn => insn(JMP | JMP_OP.exit, 0, 0, 0, 0);

export const INSN_SIZE = 8;

/** The program as the kernel reads it (bpf_attr.insns). */
export function encodeProgram(insns: readonly BpfInsn[]): Uint8Array {
  const bytes = new Uint8Array(insns.length * INSN_SIZE);
  const view = new DataView(bytes.buffer);
  insns.forEach((i, n) => {
    const at = n * INSN_SIZE;
    view.setUint8(at, i.code);
    view.setUint8(at + 1, ((i.src & 0xf) << 4) | (i.dst & 0xf));
    view.setInt16(at + 2, i.off, true);
    view.setInt32(at + 4, i.imm, true);
  });
  return bytes;
}

export function decodeProgram(bytes: Uint8Array): BpfInsn[] {
  if (bytes.length % INSN_SIZE !== 0) throw new Error(`a BPF program is a multiple of ${INSN_SIZE} bytes, not ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: BpfInsn[] = [];
  for (let at = 0; at < bytes.length; at += INSN_SIZE) {
    const regs = view.getUint8(at + 1);
    out.push({ code: view.getUint8(at), dst: regs & 0xf, src: regs >> 4, off: view.getInt16(at + 2, true), imm: view.getInt32(at + 4, true) });
  }
  return out;
}

/** Masks read best as unsigned hex, numbers (device numbers, return values) as decimal. */
const mask = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const ALU_SYMBOL: Record<number, string> = { [ALU_OP.and]: '&=', [ALU_OP.rsh]: '>>=', [ALU_OP.mov]: '=' };
const JMP_SYMBOL: Record<number, string> = { [JMP_OP.jeq]: '==', [JMP_OP.jne]: '!=' };

/** One instruction in the verifier's notation; one this module cannot build is shown by its fields. */
export function describeInsn(i: BpfInsn): string {
  const cls = i.code & 0x07;
  const op = i.code & 0xf0;
  const fromReg = (i.code & 0x08) !== 0;
  const jump = i.off >= 0 ? `+${i.off}` : String(i.off);
  if (i.code === (LDX | W | MEM)) return `r${i.dst} = *(u32 *)(r${i.src} ${i.off >= 0 ? '+' : '-'} ${Math.abs(i.off)})`;
  if ((cls === ALU || cls === ALU64) && ALU_SYMBOL[op] !== undefined) {
    const r = cls === ALU ? 'w' : 'r';
    // A 32-bit operation takes its immediate as 32 bits (unsigned reads true), a 64-bit one sign-extends it.
    const imm = op === ALU_OP.and ? mask(i.imm) : String(cls === ALU ? i.imm >>> 0 : i.imm);
    return `${r}${i.dst} ${ALU_SYMBOL[op]} ${fromReg ? `${r}${i.src}` : imm}`;
  }
  if (cls === JMP && op === JMP_OP.exit) return 'exit';
  if (cls === JMP && op === JMP_OP.ja) return `goto ${jump}`;
  if (cls === JMP && JMP_SYMBOL[op] !== undefined) {
    return `if r${i.dst} ${JMP_SYMBOL[op]} ${fromReg ? `r${i.src}` : String(i.imm)} goto ${jump}`;
  }
  return `(code ${mask(i.code)} dst r${i.dst} src r${i.src} off ${i.off} imm ${i.imm})`;
}

/** "  0: r2 = …", one line per instruction, numbered as the verifier numbers them. */
export function listProgram(insns: readonly BpfInsn[]): string[] {
  const width = String(Math.max(0, insns.length - 1)).length;
  return insns.map((i, n) => `${String(n).padStart(width)}: ${describeInsn(i)}`);
}
