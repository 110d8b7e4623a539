// The host a warm worker runs a front's command with: the machine's, except that the helper is the one
// the front spawned (so the container's init is the front's child, with the front's cgroup, namespaces,
// rlimits and descriptors, as on the cold path), and the children are reaped by the front.
import type { Host } from '../host';
import type { FrontLink } from './front-link';

/** The host, and the front's helper's socket if no command took it (for the caller to close). */
export function warmHost(base: Host, link: FrontLink, helper: { pid: number; fd: number } | undefined): { host: Host; untakenHelperFd: () => number | undefined } {
  let given = helper;
  const host: Host = {
    ...base,
    spawnHelper: () => {
      if (given === undefined) throw new Error('the front started no helper for this command, or one helper was asked for twice');
      const h = given;
      given = undefined;
      return h;
    },
    waitpid: (pid) => link.waitpid(pid),
    waitpidSync: (pid) => link.waitpidSync(pid),
  };
  return { host, untakenHelperFd: () => given?.fd };
}
