// The plan of `tsrunc exec`: a new process in an existing container. Pure, like the create plan: the
// caller reads the container's namespaces and cgroup; this decides the ops. The process part (rlimits,
// user, capabilities, no_new_privs, seccomp, cwd, program) is the create plan's own (processOps), so an
// exec'd process is set up exactly as the container's init was, minus `wait-start`.
//
//   P: cloexec-from, join-cgroup… or open-cgroup, [oom_score_adj], open-ns…, setns… (user first, mount
//      last), clone(CLONE_PARENT), report-pid, release
//   C: [setns cgroup], wait-release, rlimits, umask, capabilities and user, …, chdir, find-exec, ready, exec
//
// On cgroup v2 C is cloned into the container's cgroup (open-cgroup), and joins the container's cgroup
// namespace only then: with the nsdelegate mount option, which systemd always sets, the kernel refuses
// (ENOENT) to move a process into a cgroup from one outside the cgroup namespace it is in, and
// clone3's CLONE_INTO_CGROUP is such a move from P's cgroup. (runc, too, joins the cgroup namespace of an
// exec'd process only once the process is in the container's cgroup.)
//
// After setns into the container's pid namespace P's children are born in it; the mount namespace's
// root is the container's root (its init pivoted), so cwd and the program resolve inside it.
import type { MemoryPolicy, NamespaceType, Personality, Process, Seccomp, Spec } from '../oci/types';
import type { Problem } from '../common/errors';
import { EXEC_CGROUP_ORIGIN, startOps, type ContainerOpName, type HostOpName, type Plan, type OpOf } from './plan';
import { CLONE_PARENT, SIGCHLD } from './constants';
import { NAMESPACE_FLAGS } from './namespaces';
import { HostFacts, joinOps, oomScoreAdjOps, pidfdOps, processOps, terminalOps } from './plan-builder';
import { op } from './op-schema';
import type { CgroupEntry } from './cgroups';

/** A namespace of the container's init that the runtime is not in: joined through its /proc link. */
export interface JoinedNamespace {
  type: NamespaceType;
  /** /proc/<init pid>/ns/<name>. */
  path: string;
}

export interface ExecPlanInput {
  /** The process to start, complete (defaults and flags applied) and validated. */
  process: Process;
  /** Its environment after defaults (HOME). */
  env: string[];
  /** The container's linux.seccomp: every process in the container gets the filter. */
  seccomp?: Seccomp;
  /** The container's linux.personality, which exec'd processes get too (as with runc). */
  personality?: Personality;
  /** The container's linux.memoryPolicy, which exec'd processes get too (as with runc). */
  memoryPolicy?: MemoryPolicy;
  preserveFds: number;
  /** How the process gets into the container's cgroup. */
  cgroup: CgroupEntry;
  /** The container init's namespaces that differ from the runtime's (see EXEC_JOIN_ORDER). */
  namespaces: JoinedNamespace[];
  host: HostFacts;
  /** --console-socket (with process.terminal): where the helper sends the pty master. */
  consoleSocket?: string;
  /** --pidfd-socket: where the new process sends a pidfd of itself (as runc). */
  pidfdSocket?: string;
  /** tsrunc relays the pty itself (its own console socket, in the foreground): output flags as runc sets them there, no ONLCR. */
  relaysTerminal?: boolean;
}

export interface ExecPlanResult {
  plan: Plan;
  problems: Problem[];
}

/**
 * The order the namespaces are joined in. The user namespace first, so the others are joined with
 * the rights it gives. The mount namespace last: the setns op opens /proc/<pid>/ns/<name> when it runs,
 * and once P is in the container's mount namespace, /proc is the container's procfs, where the init
 * does not have the host pid.
 */
export const EXEC_JOIN_ORDER: readonly NamespaceType[] = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount'];

/** Names of the namespace files under /proc/<pid>/ns, by type. */
export const NS_FILES: Readonly<Record<NamespaceType, string>> = {
  user: 'user', ipc: 'ipc', uts: 'uts', network: 'net', pid: 'pid', cgroup: 'cgroup', time: 'time', mount: 'mnt',
};

/** The exec plan, phase by phase in the order they run. */
export function buildExecPlan(input: ExecPlanInput): ExecPlanResult {
  const problems: Problem[] = [];
  const terminal = terminalOps(input.process, input.consoleSocket, '', input.relaysTerminal === true);
  const pidfd = pidfdOps(input.pidfdSocket, 'setns');
  const joined = [...input.namespaces].sort((a, b) => EXEC_JOIN_ORDER.indexOf(a.type) - EXEC_JOIN_ORDER.indexOf(b.type));
  const joinedByChild = (ns: JoinedNamespace) => ns.type === 'cgroup' && input.cgroup.cloneInto !== undefined;
  const setnsOp = (ns: JoinedNamespace) => op.setns({ path: ns.path, nstype: NAMESPACE_FLAGS[ns.type] }, `the container's ${ns.type} namespace`);
  const host: OpOf<HostOpName>[] = [
    ...startOps(input.preserveFds, input.cgroup, EXEC_CGROUP_ORIGIN),
    ...terminal.host,
    ...pidfd.host,
    // Before the setns calls: lowering it needs CAP_SYS_RESOURCE in the host's user namespace, and
    // /proc/self is not P once it is in the container's mount namespace.
    ...oomScoreAdjOps(input.process.oomScoreAdj),
    // Every file opened before the first setns: in the container's user namespace, P may no longer open
    // those of an init that is not dumpable (a created container's).
    ...joined.map((ns) => op.openNs({ path: ns.path }, `the container's ${ns.type} namespace`)),
    ...joinOps(joined.filter((ns) => !joinedByChild(ns)).map((ns) => ({ type: ns.type, path: ns.path, origin: `the container's ${ns.type} namespace` }))),
    op.clone({ flags: CLONE_PARENT | SIGCHLD }), op.reportPid(), op.release(),
  ];

  // processOps reads the process, linux.seccomp, linux.personality and linux.memoryPolicy from a spec: this one has nothing else.
  const spec: Spec = {
    ociVersion: '',
    process: input.process,
    linux: {
      ...(input.seccomp !== undefined ? { seccomp: input.seccomp } : {}),
      ...(input.personality !== undefined ? { personality: input.personality } : {}),
      ...(input.memoryPolicy !== undefined ? { memoryPolicy: input.memoryPolicy } : {}),
    },
  };
  const container: OpOf<ContainerOpName>[] = [
    // With the fd P opened (open-ns): C's /proc is the container's.
    ...joined.filter(joinedByChild).map(setnsOp),
    op.waitRelease(),
    ...pidfd.container,
    // A session of its own (runc's init always makes one), so the pty can be its controlling terminal.
    ...(terminal.container.length > 0 ? [op.setsid({}, 'process.terminal'), ...terminal.container] : []),
    // runc makes a missing cwd for the init only: an exec'd process's must exist.
    ...processOps({ spec, env: input.env, host: input.host }, problems, [], { createCwd: false }),
  ];
  return { plan: { host, container }, problems };
}
