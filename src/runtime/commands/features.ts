// `tsrunc features`: what this runtime accepts, as runtime-spec features.md JSON (runc's shape). Every
// list is read off the table the code that honours it uses, so it cannot claim more than is done.
import type { Hooks, NamespaceType } from '../../oci/types';
import { CAPABILITIES } from '../../linux/constants';
import { capabilityName } from '../../linux/capabilities';
import { knownMountOptions } from '../../linux/mount-options';
import { NAMESPACE_FLAGS } from '../../linux/namespaces';
import { MEMORY_POLICY_FLAGS, MEMORY_POLICY_MODES } from '../../linux/memory-policy';
import { SECCOMP_FLAGS, seccompNames } from '../../linux/seccomp';
import { SPEC_VERSION, VERSION } from '../cli/definition';
import { COMMIT, LIBSECCOMP } from '../build-info';
import { print } from '../output';
import type { CommandHandler } from './types';

/** Every hook phase of the spec; a Record so that a phase added to Hooks must be listed here. */
const HOOK_PHASES: Record<keyof Hooks, true> = {
  prestart: true, createRuntime: true, createContainer: true, startContainer: true, poststart: true, poststop: true,
};

/** Flags tsrunc knows but leaves out (WAIT_KILLABLE_RECV needs a notify listener: see seccomp.ts). */
const UNSUPPORTED_SECCOMP_FLAGS: readonly string[] = ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'];

export function features(): object {
  const seccomp = seccompNames();
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: SPEC_VERSION,
    hooks: Object.keys(HOOK_PHASES),
    mountOptions: knownMountOptions(),
    linux: {
      namespaces: Object.keys(NAMESPACE_FLAGS) as NamespaceType[],
      capabilities: CAPABILITIES.map((_, n) => capabilityName(n)),
      cgroup: { v1: true, v2: true, systemd: true, systemdUser: false, rdma: true },
      seccomp: {
        enabled: true,
        actions: seccomp.actions,
        operators: seccomp.operators,
        archs: seccomp.archs,
        knownFlags: [...SECCOMP_FLAGS],
        supportedFlags: SECCOMP_FLAGS.filter((f) => !UNSUPPORTED_SECCOMP_FLAGS.includes(f)),
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: true } },
      memoryPolicy: { modes: Object.keys(MEMORY_POLICY_MODES).sort(), flags: Object.keys(MEMORY_POLICY_FLAGS).sort() },
    },
    annotations: {
      ...(LIBSECCOMP !== undefined ? { 'io.github.seccomp.libseccomp.version': LIBSECCOMP } : {}),
      'tsrunc.commit': COMMIT,
      'tsrunc.version': VERSION,
    },
  };
}

export const featuresCommand: CommandHandler = async () => {
  print(`${JSON.stringify(features(), null, 4)}\n`);
  return 0;
};
