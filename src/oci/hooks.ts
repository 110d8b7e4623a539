// OCI lifecycle hooks (runtime-spec 1.3, config.md "POSIX-platform Hooks", runtime.md "Lifecycle"):
// the state hooks get on stdin, their argv, and the phases the container record keeps. Who runs which
// phase is in src/runtime/hooks.ts.
import type { Hook, Hooks, Status } from './types';

export type HookPhase = keyof Hooks;

/** The phases tsrunc runs itself after create, which the container record keeps for start and delete. */
export type LaterHooks = Pick<Hooks, 'poststart' | 'poststop'>;

/** The state a hook gets on stdin (runtime.md "State"), without the pid. */
export interface HookStateBase {
  ociVersion: string;
  id: string;
  status: Status | 'creating';
  bundle: string;
  annotations?: Record<string, string>;
}

/**
 * The state JSON before and after the pid's digits: `{"ociVersion":…,"id":…,"status":…,"pid":` and
 * `,"bundle":…,"annotations":…}`. The helper puts its own pid in between for the hooks it runs in the
 * container: "for hooks executed in the container namespace, it is the pid as seen by the container".
 */
export function hookStateParts(s: HookStateBase): [string, string] {
  const head = JSON.stringify({ ociVersion: s.ociVersion, id: s.id, status: s.status });
  const annotations = s.annotations && Object.keys(s.annotations).length > 0 ? `,"annotations":${JSON.stringify(s.annotations)}` : '';
  return [`${head.slice(0, -1)},"pid":`, `,"bundle":${JSON.stringify(s.bundle)}${annotations}}`];
}

/** The state JSON with the pid as seen by the runtime. */
export function hookState(s: HookStateBase, pid: number): string {
  const [before, after] = hookStateParts(s);
  return `${before}${pid}${after}`;
}

/** args as the hook's argv: args[0] is argv[0]; without args, the path (as runc and crun do). */
export function hookArgv(hook: Hook): string[] {
  return hook.args && hook.args.length > 0 ? hook.args : [hook.path];
}

/** The hooks of the phases tsrunc runs after create, for the container record (undefined when none). */
/**
 * Whether `start` releases the init by opening exec.fifo alone (`wait-start release`): with no
 * startContainer hooks there is nothing for the init to report before its execve, and with no poststart
 * hooks start does not wait for that execve.
 */
export function startsOnOpen(hooks: Hooks | undefined): boolean {
  return !hooks?.startContainer?.length && !hooks?.poststart?.length;
}

export function laterHooks(hooks: Hooks | undefined): LaterHooks | undefined {
  const out: LaterHooks = {};
  if (hooks?.poststart?.length) out.poststart = hooks.poststart;
  if (hooks?.poststop?.length) out.poststop = hooks.poststop;
  return out.poststart || out.poststop ? out : undefined;
}
