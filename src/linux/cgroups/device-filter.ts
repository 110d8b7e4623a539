// Putting a device program (device-program.ts) on a cgroup v2 directory, through the addon's bpf(2)
// calls, and the probe `check` uses to say whether this process can at all.
//
// The program is attached with BPF_F_ALLOW_MULTI, as runc and crun do: programs attached that way run
// in addition to those of the ancestors (an access must pass them all), so a container's program can
// only narrow what its parents allow, a sub-cgroup the container makes can narrow it further, and a
// new program can be attached before the old one is detached. The kernel keeps an attached program
// alive without our fd; it goes when it is detached or the cgroup is removed.

import { closeSync, constants, openSync } from 'node:fs';
import { describeSystemError, errnoOf, RuntimeError } from '../../common/errors';
import { encodeProgram, exit, mov64Imm } from '../bpf-insn';
import { type BpfCalls, native } from '../native';
import type { DeviceProgram } from './device-program';

/** <linux/bpf.h> */
const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
const BPF_CGROUP_DEVICE = 6;
const BPF_F_ALLOW_MULTI = 1 << 1;
/** The program calls no kernel helpers, so no GPL-only one: any license string loads; tsrunc's own. */
const LICENSE = 'Apache-2.0';

const NEEDS = 'bpf() needs CAP_SYS_ADMIN, or CAP_BPF with CAP_NET_ADMIN (Linux 5.8 and later), and a kernel with CONFIG_CGROUP_BPF';

/** A bpf(2) failure as one line: the call and its error, with what the verifier said or what the kernel wants. */
function bpfFailure(err: unknown): string {
  const code = errnoOf(err);
  if (code === undefined) throw err;
  const e = err as Error & { log?: string };
  // Its last words, without the statistics line it ends with ("processed 12 insns (limit …").
  const said = (e.log ?? '').trim().split('\n').filter((l) => l !== '' && !l.startsWith('processed ')).slice(-2).join('; ');
  if (said !== '') return `${e.message}; the verifier said: ${said}`;
  if (code !== 'EPERM') return e.message;
  // The kernel also refuses an attach under a cgroup whose program allows none below it, or next to
  // one attached with other flags.
  const attach = e.message.includes('BPF_PROG_ATTACH')
    ? '; or a program attached to this cgroup or above it without BPF_F_ALLOW_MULTI keeps others out' : '';
  return `${e.message} (${NEEDS}${attach})`;
}

function loadProgram(bpf: BpfCalls, program: Pick<DeviceProgram, 'insns'>): number {
  return bpf.bpfProgLoad(BPF_PROG_TYPE_CGROUP_DEVICE, encodeProgram(program.insns), LICENSE);
}

/** Detaches program `id` from the directory; one that is gone already is fine. */
function detach(bpf: BpfCalls, dirFd: number, id: number): void {
  let fd: number;
  try {
    fd = bpf.bpfProgGetFdById(id);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return;
    throw err;
  }
  try {
    bpf.bpfProgDetach(dirFd, fd, BPF_CGROUP_DEVICE);
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw err;
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes `program` the device program of cgroup directory `dir`: loads it, attaches it, then detaches
 * the device programs attached there before (an update's old one), so that the directory is never
 * without one. Throws a RuntimeError starting with `origin`.
 */
export function attachDeviceProgram(dir: string, program: DeviceProgram, origin: string, bpf: BpfCalls = native()): void {
  let dirFd: number;
  try {
    dirFd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (err) {
    throw new RuntimeError(`${origin}: cannot open ${dir} to attach the device program: ${describeSystemError(err)}`);
  }
  const step = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      throw new RuntimeError(`${origin}: cannot ${what}: ${bpfFailure(err)}`);
    }
  };
  try {
    const before = step(`list the device programs of ${dir}`, () => bpf.bpfProgQuery(dirFd, BPF_CGROUP_DEVICE));
    const progFd = step('load the device program (BPF_PROG_TYPE_CGROUP_DEVICE)', () => loadProgram(bpf, program));
    try {
      step(`attach the device program to ${dir}`, () => bpf.bpfProgAttach(dirFd, progFd, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI));
    } finally {
      closeSync(progFd);
    }
    for (const id of before) step(`detach the earlier device program ${id} from ${dir}`, () => detach(bpf, dirFd, id));
  } finally {
    closeSync(dirFd);
  }
}

/** The ids of the device programs attached to `dir` itself (for tests and diagnostics). */
export function attachedDevicePrograms(dir: string, bpf: BpfCalls = native()): number[] {
  const dirFd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    return bpf.bpfProgQuery(dirFd, BPF_CGROUP_DEVICE);
  } finally {
    closeSync(dirFd);
  }
}

let probed: { why?: string } | undefined;

/**
 * Why this process cannot load a device program, or undefined when it can: it loads (and drops) a
 * program that allows everything. Once per process.
 */
export function deviceProgramUnavailable(bpf: BpfCalls = native()): string | undefined {
  if (probed === undefined) {
    try {
      closeSync(loadProgram(bpf, { insns: [mov64Imm(0, 1), exit()] }));
      probed = {};
    } catch (err) {
      probed = { why: bpfFailure(err) };
    }
  }
  return probed.why;
}
