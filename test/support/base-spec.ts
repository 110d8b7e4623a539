import { defaultSpec } from '../../src/runtime/default-spec';
import type { Spec } from '../../src/oci/types';

/**
 * `tsrunc spec`'s config, which is runc's, without what makes runc's default noisy in a test: the
 * terminal (it asks for a pty) and the ambient set (not inheritable, so the kernel cannot raise it and
 * each one is a warning; test/unit/plan-builder.test.ts covers those warnings).
 */
export function baseSpec(): Spec {
  const spec = defaultSpec();
  spec.process!.terminal = false;
  delete spec.process!.capabilities!.ambient;
  return spec;
}
