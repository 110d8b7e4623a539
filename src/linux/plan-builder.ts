// Turns a validated config plus a few host facts into the plan the helper executes. Pure: every fact
// about the host comes in through PlanInput, so this is unit-testable and `explain` shows what runs.
import * as path from 'node:path';
import type { NamespaceType, Spec } from '../oci/types';
import type { Problem } from '../common/errors';
import { startOps, type ContainerOpName, type HostOpName, type Plan, type OpOf } from './plan';
import { op } from './op-schema';
import { CLONE_NEWTIME, CLONE_PARENT, MS, RLIMITS, SIGCHLD } from './constants';
import { cloneNamespaceFlags, hasNew, hasOwnMountNamespace, idMapContent, inUserNamespace, namespaceSet, NAMESPACE_FLAGS, timeOffsetsContent } from './namespaces';
import { bindsDev, CgroupMountInfo, mountOps, MountPlanInput, procMountPoints, SourceKind } from './mounts';
import type { CgroupEntry } from './cgroups';
import { containerDevices, DEFAULT_LINKS, deviceMode } from './devices';
import { capabilityBits, resolveCapabilities } from './capabilities';
import { parseMountOptions } from './mount-options';
import { closestMatch } from '../common/closest-match';
import { blockedNeeds, encodeSeccomp, SeccompFilter, syscallsAfterFilter, translateSeccomp } from './seccomp';
import { hookArgv, HookStateBase, hookStateParts, startsOnOpen } from '../oci/hooks';
import type { Hook } from '../oci/types';
import { cpuAffinityMask, ioprioValue, personalityValue, schedAttr } from './process-attrs';
import { memoryPolicyArgs } from './memory-policy';

export interface HostFacts {
  /** /proc/sys/kernel/cap_last_cap */
  capLastCap: number;
  /** The runtime's own bounding set (CapBnd): what it can grant at most. */
  boundingSet: bigint;
  /** /proc/kcore exists: runc links /dev/core to it. */
  hasKcore: boolean;
  sourceKind: (hostPath: string) => SourceKind;
  /** Mount points of the host's full procfs and sysfs mounts (mountinfo root "/"), for --no-pivot. */
  pseudoFsMounts?: string[];
}

export interface PlanInput {
  spec: Spec;
  /** The container id (for the state hooks get); the state directory's name when not given. */
  id?: string;
  /** Absolute host paths. */
  rootfs: string;
  bundle: string;
  stateDir: string;
  preserveFds: number;
  noPivot: boolean;
  cgroup: CgroupMountInfo & CgroupEntry;
  /** Environment after defaults (HOME) are filled in. */
  env: string[];
  host: HostFacts;
  /** --console-socket (with process.terminal): where the helper sends the pty master. */
  consoleSocket?: string;
  /** --pidfd-socket: where the new process sends a pidfd of itself (as runc). */
  pidfdSocket?: string;
  /** tsrunc relays the pty itself (its own console socket, in the foreground): output flags as runc sets them there, no ONLCR. */
  relaysTerminal?: boolean;
}

export interface PlanResult {
  plan: Plan;
  problems: Problem[];
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const RLIM_INFINITY = 2n ** 64n - 1n;

type HostOp = OpOf<HostOpName>;
type ContainerOp = OpOf<ContainerOpName>;

/** Where the helper looks for process.args[0]: as given when it has a slash, else along PATH. */
export function execCandidates(program: string, env: string[]): string[] {
  if (program.includes('/')) return [program];
  const pathVar = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  return pathVar.split(':').map((dir) => path.posix.join(dir === '' ? '.' : dir, program));
}

/**
 * setns into each namespace (opened already), the user namespace first. With a user namespace among
 * them, as runc: each other one is tried first, while P has the runtime's rights (one the host's user
 * namespace owns may not be joined from the container's), then the user namespace, then those that
 * were refused (one the container's user namespace owns needs its rights).
 */
export function joinOps(joined: { type: NamespaceType; path: string; origin: string }[]): HostOp[] {
  const setns = (j: (typeof joined)[number], attempt?: 'try' | 'pending') =>
    op.setns({ path: j.path, nstype: NAMESPACE_FLAGS[j.type], ...(attempt ? { attempt } : {}) }, j.origin);
  const user = joined.filter((j) => j.type === 'user');
  if (user.length === 0 || user.length === joined.length) return joined.map((j) => setns(j));
  const others = joined.filter((j) => j.type !== 'user');
  return [...others.map((j) => setns(j, 'try')), ...user.map((j) => setns(j)), ...others.map((j) => setns(j, 'pending'))];
}

/** The namespaces joined by path and the time namespace, entered by P before the clone. */
function namespaceOps(input: PlanInput): HostOp[] {
  const { spec } = input;
  const ns = namespaceSet(spec);
  const ops: HostOp[] = [];
  // Opened before the first setns, as exec does (see exec-plan): a joined user namespace takes P's rights.
  for (const { ns: joined, index } of ns.joined) ops.push(op.openNs({ path: joined.path! }, `linux.namespaces[${index}]`));
  ops.push(...joinOps(ns.joined.map(({ ns: joined, index }) => ({ type: joined.type, path: joined.path!, origin: `linux.namespaces[${index}]` }))));
  if (hasNew(ns, 'time')) {
    const origin = `linux.namespaces[${ns.created.get('time')}]`;
    ops.push(op.unshare({ flags: CLONE_NEWTIME }, origin));
    const offsets = spec.linux?.timeOffsets;
    if (offsets && Object.keys(offsets).length > 0) {
      ops.push(op.writeFile({ path: '/proc/self/timens_offsets', content: timeOffsetsContent(offsets) }, 'linux.timeOffsets'));
    }
  }
  return ops;
}

/** process.oomScoreAdj, set by P (where lowering it is allowed) and inherited by the process through clone. */
export function oomScoreAdjOps(oomScoreAdj: number | undefined): HostOp[] {
  if (oomScoreAdj === undefined) return [];
  return [op.writeFile({ path: '/proc/self/oom_score_adj', content: String(oomScoreAdj) }, 'process.oomScoreAdj')];
}

/**
 * The clone into the new namespaces, the id maps of a new user namespace, and the release of C; before
 * the release, the mount sources P opens for C (they may need C's user namespace with its maps).
 */
function cloneOps(input: PlanInput, mountSources: HostOp[]): HostOp[] {
  const { spec } = input;
  const ns = namespaceSet(spec);
  const ops: HostOp[] = [op.clone({ flags: cloneNamespaceFlags(ns) | CLONE_PARENT | SIGCHLD }, 'linux.namespaces')];
  if (hasNew(ns, 'user')) {
    ops.push(op.uidMap({ content: idMapContent(spec.linux?.uidMappings ?? []) }, 'linux.uidMappings'));
    ops.push(op.gidMap({ content: idMapContent(spec.linux?.gidMappings ?? []) }, 'linux.gidMappings'));
  }
  // In a user namespace it joined, P reaches C's mount namespace only through C (see identityOps).
  const viaChild = sendsMountNamespace(spec, mountSources) ? [op.childMntns({}, 'mounts')] : [];
  ops.push(op.reportPid(), ...viaChild, ...mountSources, op.release());
  return ops;
}

/**
 * Whether C sends P its mount namespace for the mount sources P opens: when P has joined a user
 * namespace by path, it has lost the rights over C (not dumpable) that opening /proc/C/ns needs.
 */
function sendsMountNamespace(spec: Spec, mountSources: HostOp[]): boolean {
  return mountSources.length > 0 && usernsOf(spec) === 'joined';
}

/** The container's user namespace as the mounts need to know it. */
function usernsOf(spec: Spec): MountPlanInput['userns'] {
  const ns = namespaceSet(spec);
  if (hasNew(ns, 'user')) {
    return { uidMap: idMapContent(spec.linux?.uidMappings ?? []), gidMap: idMapContent(spec.linux?.gidMappings ?? []) };
  }
  return inUserNamespace(ns) ? 'joined' : undefined;
}

/**
 * What C does first: wait to be released, a session of its own, root in its user namespace, the names.
 * In a user namespace joined by path C is still the runtime's uid, which that namespace may not map:
 * nothing it made there (a directory in /dev's tmpfs) could be owned; root of that namespace it can be.
 */
function identityOps(input: PlanInput, mountSources: HostOp[]): ContainerOp[] {
  const { spec } = input;
  const ns = namespaceSet(spec);
  const ops: ContainerOp[] = [
    ...(sendsMountNamespace(spec, mountSources) ? [op.sendMntns({}, 'mounts')] : []),
    op.waitRelease(), op.setsid(),
  ];
  if (hasNew(ns, 'user')) ops.push(op.becomeRoot({}, 'linux.uidMappings'));
  else if (inUserNamespace(ns)) ops.push(op.becomeRoot({}, 'linux.namespaces'));
  if (spec.hostname !== undefined) ops.push(op.sethostname({ name: spec.hostname }, 'hostname'));
  if (spec.domainname !== undefined) ops.push(op.setdomainname({ name: spec.domainname }, 'domainname'));
  return ops;
}

/** The rootfs before the root change: the mounts, the devices and /dev's links, all made in the rootfs. */
function rootfsOps(input: PlanInput, problems: Problem[]): { ops: ContainerOp[]; afterRoot: ContainerOp[]; hostOps: HostOp[] } {
  const { spec, rootfs } = input;
  const ns = namespaceSet(spec);
  const userns = inUserNamespace(ns);
  const mounts = spec.mounts ?? [];
  const ops: ContainerOp[] = [
    // Nothing done in the container's mount namespace may propagate back to the host. Without one of
    // its own it has the runtime's, whose propagation is not the container's to change (runc changes it).
    ...(hasOwnMountNamespace(spec) ? [op.mount({ source: '', target: '/', fstype: '', flags: MS.REC | MS.SLAVE, data: '' })] : []),
    // The fifo `wait-start` blocks on, taken while the host is in view: the fifo itself, never its directory.
    op.openExecFifo({ path: path.join(input.stateDir, 'exec.fifo') }),
    op.mount({ source: rootfs, target: rootfs, fstype: '', flags: MS.BIND | MS.REC, data: '' }, 'root.path'),
  ];
  const fromMounts = mountOps({
    rootfs, bundle: input.bundle, mounts, cgroup: input.cgroup, sourceKind: input.host.sourceKind, userns: usernsOf(spec),
  });
  problems.push(...fromMounts.problems);
  if (!procMountPoints(mounts).includes('/proc')) {
    problems.push({
      severity: 'error', path: 'mounts',
      message: 'nothing mounts a proc filesystem at /proc: the container needs one (tsrunc reopens exec.fifo through /proc/self/fd to wait for start, as runc does)',
      hint: 'add {"destination": "/proc", "type": "proc", "source": "proc"}',
    });
  }
  ops.push(...fromMounts.ops);

  if (!bindsDev(mounts)) {
    for (const { device, origin } of containerDevices(spec.linux?.devices)) {
      if (userns) {
        // mknod is refused in a user namespace: bind the host's node instead, as runc does.
        ops.push(op.mountInRoot({
          root: rootfs, source: device.path, dest: device.path, fstype: '', flags: MS.BIND, data: '', create: 'file',
          remountFlags: 0, propagation: 0,
        }, origin));
      } else {
        ops.push(op.mknodInRoot({
          root: rootfs, dest: device.path, mode: deviceMode(device), major: device.major ?? 0, minor: device.minor ?? 0,
          uid: device.uid ?? 0, gid: device.gid ?? 0,
        }, origin));
      }
    }
    const links = input.host.hasKcore ? [...DEFAULT_LINKS, { target: '/proc/kcore', path: '/dev/core' }] : DEFAULT_LINKS;
    for (const link of links) ops.push(op.symlinkInRoot({ root: rootfs, target: link.target, linkpath: link.path }, 'default /dev link'));
  }
  return { ops, afterRoot: fromMounts.afterRoot, hostOps: fromMounts.hostOps };
}

/**
 * pivot_root, or with --no-pivot a move of the rootfs onto / and chroot. The old root then stays in the
 * container's mount namespace, and the kernel lets a process in a user namespace mount a new procfs or
 * sysfs (with nothing masked) when the namespace holds a full one: so every full procfs and sysfs
 * outside the rootfs is detached first, or covered where it cannot be, as runc does.
 */
function rootChangeOps(input: PlanInput, problems: Problem[]): ContainerOp[] {
  if (!hasOwnMountNamespace(input.spec)) {
    // The runtime's mount namespace: pivot_root or a move there would change the host's root.
    if (input.noPivot) {
      problems.push({
        severity: 'error', path: '--no-pivot',
        message: 'cannot be used without a mount namespace: the container shares the runtime\'s, where the rootfs is entered with chroot and the host\'s mounts must stay',
        hint: 'drop --no-pivot, or add {"type": "mount"} to linux.namespaces',
      });
    }
    return [op.chroot({ root: input.rootfs }, 'linux.namespaces')];
  }
  if (!input.noPivot) return [op.pivotRoot({ root: input.rootfs }, 'root.path')];
  const inside = (p: string) => p === input.rootfs || p.startsWith(`${input.rootfs}/`);
  return [
    ...(input.host.pseudoFsMounts ?? []).filter((p) => !inside(p)).map((p) => op.hideHostMount({ path: p }, '--no-pivot')),
    op.moveRoot({ root: input.rootfs }, '--no-pivot'),
  ];
}

/**
 * After the root change, in the container's view: the root's propagation, sysctls, masked and
 * read-only paths, a read-only root, and what the mounts left for after the root change.
 */
function afterRootOps(input: PlanInput, fromMounts: ContainerOp[]): ContainerOp[] {
  const { spec } = input;
  const ops: ContainerOp[] = [];
  const propagation = spec.linux?.rootfsPropagation;
  if (propagation) {
    ops.push(op.mount({ source: '', target: '/', fstype: '', flags: parseMountOptions([propagation]).propagation, data: '' }, 'linux.rootfsPropagation'));
  }
  for (const [key, value] of Object.entries(spec.linux?.sysctl ?? {})) {
    ops.push(op.writeFile({ path: `/proc/sys/${key.replace(/\./g, '/')}`, content: value }, `linux.sysctl[${JSON.stringify(key)}]`));
  }
  // A path listed twice is masked once, as runc does.
  const masked = new Set<string>();
  (spec.linux?.maskedPaths ?? []).forEach((p, i) => {
    if (!masked.has(p)) ops.push(op.mask({ path: p }, `linux.maskedPaths[${i}]`));
    masked.add(p);
  });
  (spec.linux?.readonlyPaths ?? []).forEach((p, i) => ops.push(op.readonly({ path: p }, `linux.readonlyPaths[${i}]`)));
  if (spec.root?.readonly) ops.push(op.remountRo({ path: '/' }, 'root.readonly'));
  ops.push(...fromMounts);
  return ops;
}

/**
 * linux.seccomp as ops: `seccomp` compiles the filter while errors can still be reported on the sync
 * fd, `seccomp-load` installs it, and with SCMP_ACT_NOTIFY rules `seccomp-listener` hands the
 * notification fd to tsrunc, which sends it to the agent. As runc: without noNewPrivileges installing
 * needs CAP_SYS_ADMIN, so it goes before the user switch that drops it; with noNewPrivileges it goes
 * after `ready`, before `wait-start` and the startContainer hooks (which run under it), or right before
 * `ready` when the fd must still go over the sync fd. Refused when it surely blocks what the helper does after.
 */
function seccompFilter(input: Pick<PlanInput, 'spec'>, hasCapabilities: boolean, waitsForStart: boolean, problems: Problem[]): SeccompFilter | undefined {
  const seccomp = input.spec.linux?.seccomp;
  if (seccomp === undefined) return undefined;
  const { filter, problems: found } = translateSeccomp(seccomp);
  problems.push(...found);
  if (!filter) return undefined;
  const nnp = input.spec.process?.noNewPrivileges === true;
  const runsHooks = waitsForStart && (input.spec.hooks?.startContainer?.length ?? 0) > 0;
  const blocked = blockedNeeds(filter, syscallsAfterFilter({
    noNewPrivileges: nnp, hasCapabilities, waitsForStart, runsHooks, listener: filter.listener !== undefined,
  }));
  if (blocked.length > 0) {
    const where = nnp
      ? `once it is ready (process.noNewPrivileges is true), before it ${waitsForStart ? `waits for start${runsHooks ? ', runs hooks.startContainer' : ''} and ` : ''}starts the process`
      : `before it switches to process.user (without process.noNewPrivileges that needs CAP_SYS_ADMIN, which the switch drops)${runsHooks ? ' and runs hooks.startContainer under it' : ''}`;
    problems.push({
      severity: 'error', path: 'linux.seccomp',
      message: `the filter blocks ${blocked.join(', ')}, which tsrunc must still call: it installs the filter ${where}`,
      hint: nnp ? `allow ${blocked.join(', ')}` : `allow ${blocked.join(', ')}, or set process.noNewPrivileges so that fewer calls come after the filter`,
    });
    return undefined;
  }
  return filter;
}

/**
 * The process part of the container ops, from rlimits to `exec`, as runc's init does it: limits and
 * attributes, cwd, capabilities and the user switch (seccomp before it without noNewPrivileges),
 * the program found, `ready`, then `start` (what create waits for; nothing for exec), and `exec`.
 * `exec` (the command) reuses it for a process joining a running container.
 */
export function processOps(input: Pick<PlanInput, 'spec' | 'env' | 'host'>, problems: Problem[], start: ContainerOp[], o: { createCwd: boolean }): ContainerOp[] {
  const proc = input.spec.process!;
  // As runc: the process does not keep the runtime's CPU affinity (tsrunc started under taskset, say):
  // every CPU its cgroup's cpuset allows, or process.execCPUAffinity.initial; .final before the program.
  // (No mask words: every CPU.)
  const affinity = proc.execCPUAffinity;
  const affinityOp = (field: 'initial' | 'final'): ContainerOp[] => {
    const list = affinity?.[field];
    if (list === undefined) return [];
    const path = `process.execCPUAffinity.${field}`;
    const mask = cpuAffinityMask(list, path, problems);
    return mask === undefined ? [] : [op.cpuAffinity({ mask }, path)];
  };
  const ops: ContainerOp[] = affinity?.initial !== undefined ? affinityOp('initial') : [op.cpuAffinity({ mask: [] })];
  (proc.rlimits ?? []).forEach((r, i) => {
    const resource = RLIMITS.indexOf(r.type.replace(/^RLIMIT_/, ''));
    if (resource < 0) {
      const close = closestMatch(r.type, RLIMITS.map((n) => `RLIMIT_${n}`));
      problems.push({
        severity: 'error', path: `process.rlimits[${i}].type`, message: `unknown rlimit ${JSON.stringify(r.type)}`,
        ...(close !== undefined ? { hint: `did you mean '${close}'?` } : {}),
      });
      return;
    }
    const limit = (n: number) => (n < 0 ? RLIM_INFINITY : BigInt(n));
    ops.push(op.rlimit({ resource, soft: limit(r.soft), hard: limit(r.hard) }, `process.rlimits[${i}]`));
  });
  ops.push(op.umask({ mask: proc.user.umask ?? 0o022 }, 'process.user.umask'));
  // As runc: before the user switch (a real-time policy, a lower nice value or IOPRIO_CLASS_RT need privileges).
  const persona = personalityValue(input.spec, problems);
  if (persona !== undefined) ops.push(op.personality({ persona }, 'linux.personality'));
  const sched = schedAttr(proc.scheduler, problems);
  if (sched) {
    const { policy, flags, nice, priority, runtime, deadline, period } = sched;
    ops.push(op.schedSetattr({
      policy, flags: BigInt(flags), nice, priority, runtime: BigInt(runtime), deadline: BigInt(deadline), period: BigInt(period),
    }, 'process.scheduler'));
  }
  const ioprio = ioprioValue(proc.ioPriority, problems);
  if (ioprio !== undefined) ops.push(op.ioprio({ value: ioprio }, 'process.ioPriority'));
  const policy = input.spec.linux?.memoryPolicy;
  if (policy !== undefined) {
    const { mode, words } = memoryPolicyArgs(policy);
    ops.push(op.setMempolicy({ mode, nodemask: words }, 'linux.memoryPolicy'));
  }
  // Entered (and verified under the root) before privileges are dropped and before any filter is in
  // force, as runc does: the user then keeps a cwd it could not have entered itself. The init's is
  // made when missing (mode 0755, as root of the container, inside its root), as runc makes it.
  ops.push(op.chdir({ path: proc.cwd, ...(o.createCwd ? { missing: 'create' as const } : {}) }, 'process.cwd'));
  ops.push(...affinityOp('final'));

  const caps = proc.capabilities
    ? resolveCapabilities(proc.capabilities, input.host.boundingSet, input.host.capLastCap)
    : undefined;
  if (caps) {
    problems.push(...caps.warnings);
    const drop: number[] = [];
    for (let n = 0; n <= input.host.capLastCap; n++) if (!caps.sets.bounding.includes(n)) drop.push(n);
    ops.push(op.keepCaps({}, 'process.capabilities'));
    ops.push(op.dropBounding({ caps: drop }, 'process.capabilities.bounding'));
  }
  ops.push(op.setgroupsList({ gids: proc.user.additionalGids ?? [] }, 'process.user.additionalGids'));
  ops.push(op.setresgid({ gid: proc.user.gid }, 'process.user.gid'));
  const seccomp = seccompFilter(input, caps !== undefined, start.length > 0, problems);
  const encoded = seccomp ? encodeSeccomp(seccomp) : undefined;
  if (encoded) problems.push(...encoded.problems);
  const compile = encoded ? [op.seccomp({ items: encoded.items }, 'linux.seccomp')] : [];
  const load: ContainerOp[] = encoded ? [op.seccompLoad({}, 'linux.seccomp')] : [];
  if (encoded && seccomp?.listener) load.push(op.seccompListener({}, 'linux.seccomp.listenerPath'));
  const lateSeccomp = proc.noNewPrivileges === true;
  // The listener's fd goes over the sync fd, which `ready` closes.
  const loadBeforeReady = lateSeccomp && seccomp?.listener !== undefined;
  if (!lateSeccomp) ops.push(...compile, ...load);
  ops.push(op.setresuid({ uid: proc.user.uid }, 'process.user.uid'));
  if (caps) {
    const { effective, permitted, inheritable, ambient } = caps.sets;
    ops.push(op.capset({
      effective: capabilityBits(effective), permitted: capabilityBits(permitted), inheritable: capabilityBits(inheritable),
    }, 'process.capabilities'));
    ops.push(op.ambient({ caps: ambient }, 'process.capabilities.ambient'));
  }
  if (proc.noNewPrivileges) ops.push(op.noNewPrivs({}, 'process.noNewPrivileges'));
  const args = proc.args ?? [];
  ops.push(op.findExec({ candidates: execCandidates(args[0], input.env) }, 'process.args[0]'));
  // With noNewPrivileges the filter is compiled before `ready` and loaded after it, before `start`'s
  // ops (as runc: the startContainer hooks run under it).
  if (lateSeccomp) ops.push(...compile);
  if (loadBeforeReady) ops.push(...load);
  ops.push(op.ready());
  if (lateSeccomp && !loadBeforeReady) ops.push(...load);
  ops.push(...start);
  ops.push(op.exec({ argv: args, env: input.env }, 'process.args'));
  return ops;
}

type HookPhase = 'createContainer' | 'startContainer';

/**
 * A hook the helper runs in the container's namespaces. The state it writes to the hook's stdin is
 * fixed here but for the pid, which the helper fills in as it sees it (the container's view). Without
 * `env`, a createContainer hook gets the helper's environment (tsrunc's), as the runtime-side hooks
 * do, and a startContainer hook the process's environment, as with runc.
 */
function runHookOp(phase: HookPhase, index: number, hook: Hook, state: HookStateBase, defaultEnv?: string[]): ContainerOp {
  const label = `hooks.${phase}[${index}]`;
  const [before, after] = hookStateParts(state);
  return op.runHook({
    label, timeout: hook.timeout ?? 0, stateBeforePid: before, stateAfterPid: after, path: hook.path,
    argv: hookArgv(hook), env: hook.env ?? defaultEnv ?? 'inherit',
  }, label);
}

function hookStateFor(input: PlanInput, status: HookStateBase['status']): HookStateBase {
  return {
    ociVersion: input.spec.ociVersion, id: input.id ?? path.basename(input.stateDir), status, bundle: input.bundle,
    ...(input.spec.annotations ? { annotations: input.spec.annotations } : {}),
  };
}

/**
 * The hooks of the lifecycle (runtime.md) that come right before the root change, once the mounts and
 * devices are made: prestart and createRuntime (run by tsrunc, asked for with `hooks`, in its cwd: the
 * bundle), then the createContainer hooks, run by the helper in the rootfs.
 */
function preRootHookOps(input: PlanInput): ContainerOp[] {
  const hooks = input.spec.hooks ?? {};
  const ops: ContainerOp[] = [];
  for (const phase of ['prestart', 'createRuntime'] as const) {
    if ((hooks[phase]?.length ?? 0) > 0) ops.push(op.hooks({ phase }, `hooks.${phase}`));
  }
  const createContainer = hooks.createContainer ?? [];
  // As runc, which enters the rootfs right before them: a relative path in a hook means the rootfs.
  if (createContainer.length > 0) ops.push(op.chdir({ path: input.rootfs }, 'hooks.createContainer'));
  createContainer.forEach((h, i) => ops.push(runHookOp('createContainer', i, h, hookStateFor(input, 'creating'))));
  return ops;
}

/**
 * What create's init does between `ready` and `exec`: wait for `start`. With startContainer hooks it
 * holds `start` (`wait-start hold`) while it runs them and then tells it to go on (`report-start`), so
 * that start fails when one of them does; with poststart hooks it says "0" (start then waits for the
 * execve); with neither, start's open of exec.fifo is all it waits for (`wait-start release`).
 */
function startOpsOfCreate(input: PlanInput): ContainerOp[] {
  const hooks = input.spec.hooks?.startContainer ?? [];
  if (startsOnOpen(input.spec.hooks)) return [op.waitStart({ mode: 'release' })];
  if (hooks.length === 0) return [op.waitStart()];
  return [
    op.waitStart({ mode: 'hold' }, 'hooks.startContainer'),
    ...hooks.map((h, i) => runHookOp('startContainer', i, h, hookStateFor(input, 'created'), input.env)),
    op.reportStart({}, 'hooks.startContainer'),
  ];
}

/**
 * The terminal of process.terminal, as runc sets it up: P connects to the console socket from the
 * runtime's view, before any setns or root change (`console-connect`, right after the start ops,
 * which may go ahead as a head); C, after the root change and before the user switch, makes a pty in
 * the container's devpts, sizes it (process.consoleSize), gives the slave to process.user.uid (runc's
 * fixStdioPermissions), binds it onto `consolePath` (create: /dev/console; exec: none), sends the
 * master and makes the slave its controlling terminal and stdio (`console`, after a `setsid`). A pty
 * tsrunc relays itself gets ONLCR cleared there, before the process can write, as runc clears it on
 * the pty it relays ("\n" reaches the caller as written).
 */
export function terminalOps(
  proc: { terminal?: boolean; consoleSize?: { height: number; width: number }; user?: { uid: number } },
  socket: string | undefined, consolePath: string, relayed: boolean,
): { host: HostOp[]; container: ContainerOp[] } {
  if (socket === undefined || proc.terminal !== true) return { host: [], container: [] };
  const size = proc.consoleSize;
  return {
    host: [op.consoleConnect({ socket }, '--console-socket')],
    container: [op.console({
      ptmx: '/dev/ptmx', rows: size?.height ?? 0, cols: size?.width ?? 0, uid: proc.user?.uid ?? 0, consolePath,
      onlcr: relayed ? 'clear' : 'keep',
    }, 'process.terminal')],
  };
}

/**
 * --pidfd-socket: P connects to the socket from the runtime's view (as the console socket), and the
 * new process sends a pidfd of itself there once released, with the word runc sends ("standard" for a
 * container's init, "setns" for exec's process).
 */
export function pidfdOps(socket: string | undefined, kind: 'standard' | 'setns'): { host: HostOp[]; container: ContainerOp[] } {
  if (socket === undefined) return { host: [], container: [] };
  return { host: [op.pidfdConnect({ socket }, '--pidfd-socket')], container: [op.sendPidfd({ name: kind }, '--pidfd-socket')] };
}

/** The create plan, phase by phase in the order they run (docs/plan-format.md). */
export function buildCreatePlan(input: PlanInput): PlanResult {
  const problems: Problem[] = [];
  const terminal = terminalOps(input.spec.process ?? {}, input.consoleSocket, '/dev/console', input.relaysTerminal === true);
  const rootfs = rootfsOps(input, problems);
  const pidfd = pidfdOps(input.pidfdSocket, 'standard');
  const host: HostOp[] = [
    ...startOps(input.preserveFds, input.cgroup, 'linux.cgroupsPath'),
    ...terminal.host,
    ...pidfd.host,
    ...namespaceOps(input),
    ...oomScoreAdjOps(input.spec.process?.oomScoreAdj),
    ...cloneOps(input, rootfs.hostOps),
  ];
  const container: ContainerOp[] = [
    ...identityOps(input, rootfs.hostOps),
    ...pidfd.container,
    ...rootfs.ops,
    ...preRootHookOps(input),
    ...rootChangeOps(input, problems),
    ...terminal.container,
    ...afterRootOps(input, rootfs.afterRoot),
    ...processOps(input, problems, startOpsOfCreate(input), { createCwd: true }),
  ];
  return { plan: { host, container }, problems };
}
