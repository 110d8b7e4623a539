// Who runs the OCI lifecycle hooks (their state and argv are in src/oci/hooks.ts). The hooks that run
// in the runtime namespace (prestart and createRuntime during create, when the helper asks at its
// `hooks` op; poststart in start; poststop in delete) are run by hook-runner.ts, a dist file of its own
// that create, start and delete load only when there are hooks to run (withHookRunner): those are
// engine paths. createContainer and startContainer run in the container's namespaces, so the helper
// runs them (`run-hook` ops), with the state made by hookStateParts.

/** Calls fn with the hook runner, loaded on first use (dist/hook-runner.js). */
export function withHookRunner<T>(fn: (runner: typeof import('./hook-runner')) => T): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return fn(require('./hook-runner') as typeof import('./hook-runner'));
}
