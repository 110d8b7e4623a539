import { defaultSpec } from '../../src/runtime/default-spec';
import type { Spec } from '../../src/oci/types';

/**
 * `tsrunc spec`'s config, which is runc's, as on a host that is not cgroup v2 only, the same on every
 * host: without a cgroup namespace (a test that needs one adds it: withCgroupNamespace), and without what makes runc's default noisy in a test: the
 * terminal (it asks for a pty) and the ambient set (not inheritable, so the kernel cannot raise it and
 * each one is a warning; test/unit/plan-builder.test.ts covers those warnings).
 */
export function baseSpec(): Spec {
  const spec = defaultSpec({ cgroupV2: false });
  spec.process!.terminal = false;
  delete spec.process!.capabilities!.ambient;
  return spec;
}

/** The spec with a cgroup namespace (which baseSpec has only on a cgroup v2 host), as a test that relies on one needs. */
export function withCgroupNamespace(spec: Spec): Spec {
  const namespaces = spec.linux!.namespaces ?? [];
  if (!namespaces.some((ns) => ns.type === 'cgroup')) spec.linux!.namespaces = [...namespaces, { type: 'cgroup' }];
  return spec;
}
