// Turns a validated config plus a few host facts into the plan the helper executes. Pure: every fact
// about the host comes in through PlanInput, so this is unit-testable and `explain` shows what runs.
import * as path from 'node:path';
import type { Spec } from '../oci/types';
import type { Problem } from '../common/errors';
import { startOps, type ContainerOpName, type HostOpName, type Plan, type PlanOp } from './plan';
import { CLONE_NEWTIME, CLONE_PARENT, MS, RLIMITS, SIGCHLD } from './constants';
import { cloneNamespaceFlags, hasNew, idMapContent, namespaceSet, NAMESPACE_FLAGS, timeOffsetsContent } from './namespaces';
import { bindsDev, CgroupMountInfo, mountOps, procMountPoints, SourceKind } from './mounts';
import type { CgroupEntry } from './cgroups';
import { containerDevices, DEFAULT_LINKS, deviceMode } from './devices';
import { capabilityMask, resolveCapabilities } from './capabilities';
import { parseMountOptions } from './mount-options';
import { closestMatch } from '../common/closest-match';
import { blockedNeeds, encodeSeccomp, SeccompFilter, syscallsAfterFilter, translateSeccomp } from './seccomp';
import { hookArgv, HookStateBase, hookStateParts } from '../oci/hooks';
import type { Hook } from '../oci/types';
import { ioprioValue, personalityValue, schedAttr } from './process-attrs';

export interface HostFacts {
  /** /proc/sys/kernel/cap_last_cap */
  capLastCap: number;
  /** The runtime's own bounding set (CapBnd): what it can grant at most. */
  boundingSet: bigint;
  /** /proc/kcore exists: runc links /dev/core to it. */
  hasKcore: boolean;
  sourceKind: (hostPath: string) => SourceKind;
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
}

export interface PlanResult {
  plan: Plan;
  problems: Problem[];
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const RLIM_INFINITY = '18446744073709551615';

type HostOp = PlanOp<HostOpName>;
type ContainerOp = PlanOp<ContainerOpName>;

function op<N extends string>(name: N, args: (string | number)[] = [], origin?: string): PlanOp<N> {
  return origin === undefined ? { op: name, args: args.map(String) } : { op: name, args: args.map(String), origin };
}

/** Where the helper looks for process.args[0]: as given when it has a slash, else along PATH. */
export function execCandidates(program: string, env: string[]): string[] {
  if (program.includes('/')) return [program];
  const pathVar = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  return pathVar.split(':').map((dir) => path.posix.join(dir === '' ? '.' : dir, program));
}

function hostOps(input: PlanInput): HostOp[] {
  const { spec } = input;
  const ns = namespaceSet(spec);
  const ops: HostOp[] = startOps(input.preserveFds, input.cgroup, 'linux.cgroupsPath');
  // Opened before the first setns, as exec does (see exec-plan): a joined user namespace takes P's rights.
  for (const { ns: joined, index } of ns.joined) ops.push(op('open-ns', [joined.path!], `linux.namespaces[${index}]`));
  for (const { ns: joined, index } of ns.joined) {
    ops.push(op('setns', [joined.path!, NAMESPACE_FLAGS[joined.type]], `linux.namespaces[${index}]`));
  }
  if (hasNew(ns, 'time')) {
    const origin = `linux.namespaces[${ns.created.get('time')}]`;
    ops.push(op('unshare', [CLONE_NEWTIME], origin));
    const offsets = spec.linux?.timeOffsets;
    if (offsets && Object.keys(offsets).length > 0) {
      ops.push(op('write-file', ['/proc/self/timens_offsets', timeOffsetsContent(offsets)], 'linux.timeOffsets'));
    }
  }
  // Set on the host side, where lowering it is allowed, and inherited by the container through clone.
  const oomScoreAdj = spec.process?.oomScoreAdj;
  if (oomScoreAdj !== undefined) {
    ops.push(op('write-file', ['/proc/self/oom_score_adj', oomScoreAdj], 'process.oomScoreAdj'));
  }
  ops.push(op('clone', [cloneNamespaceFlags(ns) | CLONE_PARENT | SIGCHLD], 'linux.namespaces'));
  if (hasNew(ns, 'user')) {
    ops.push(op('uid-map', [idMapContent(spec.linux?.uidMappings ?? [])], 'linux.uidMappings'));
    ops.push(op('gid-map', [idMapContent(spec.linux?.gidMappings ?? [])], 'linux.gidMappings'));
  }
  ops.push(op('report-pid'), op('release'));
  return ops;
}

function rootfsOps(input: PlanInput, problems: Problem[]): ContainerOp[] {
  const { spec, rootfs } = input;
  const ns = namespaceSet(spec);
  const userns = hasNew(ns, 'user');
  const mounts = spec.mounts ?? [];
  const ops: ContainerOp[] = [
    // Nothing done in the container's mount namespace may propagate back to the host.
    op('mount', ['', '/', '', MS.REC | MS.SLAVE, '']),
    // The fifo `wait-start` blocks on, taken while the host is in view: the fifo itself, never its directory.
    op('open-exec-fifo', [path.join(input.stateDir, 'exec.fifo')]),
    op('mount', [rootfs, rootfs, '', MS.BIND | MS.REC, ''], 'root.path'),
  ];
  const fromMounts = mountOps({ rootfs, bundle: input.bundle, mounts, cgroup: input.cgroup, sourceKind: input.host.sourceKind });
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
        ops.push(op('mount-in-root', [rootfs, device.path, device.path, '', MS.BIND, '', 'file', 0, 0], origin));
      } else {
        ops.push(op('mknod-in-root', [
          rootfs, device.path, deviceMode(device), device.major ?? 0, device.minor ?? 0, device.uid ?? 0, device.gid ?? 0,
        ], origin));
      }
    }
    const links = input.host.hasKcore ? [...DEFAULT_LINKS, { target: '/proc/kcore', path: '/dev/core' }] : DEFAULT_LINKS;
    for (const link of links) ops.push(op('symlink-in-root', [rootfs, link.target, link.path], 'default /dev link'));
  }

  ops.push(input.noPivot ? op('move-root', [rootfs], '--no-pivot') : op('pivot-root', [rootfs], 'root.path'));
  const propagation = spec.linux?.rootfsPropagation;
  if (propagation) {
    ops.push(op('mount', ['', '/', '', parseMountOptions([propagation]).propagation, ''], 'linux.rootfsPropagation'));
  }
  for (const [key, value] of Object.entries(spec.linux?.sysctl ?? {})) {
    ops.push(op('write-file', [`/proc/sys/${key.replace(/\./g, '/')}`, value], `linux.sysctl[${JSON.stringify(key)}]`));
  }
  (spec.linux?.maskedPaths ?? []).forEach((p, i) => ops.push(op('mask', [p], `linux.maskedPaths[${i}]`)));
  (spec.linux?.readonlyPaths ?? []).forEach((p, i) => ops.push(op('readonly', [p], `linux.readonlyPaths[${i}]`)));
  if (spec.root?.readonly) ops.push(op('remount-ro', ['/'], 'root.readonly'));
  ops.push(...fromMounts.afterRoot);
  return ops;
}

/**
 * linux.seccomp as two ops: `seccomp` compiles the filter while errors can still be reported on the
 * sync fd, `seccomp-load` installs it. With noNewPrivileges it is installed as late as possible, right
 * before the execve; without, installing needs CAP_SYS_ADMIN, so it goes before the user switch that
 * drops it (runc does both the same way). Refused when it surely blocks what the helper does after.
 */
function seccompFilter(input: Pick<PlanInput, 'spec'>, hasCapabilities: boolean, problems: Problem[]): SeccompFilter | undefined {
  const seccomp = input.spec.linux?.seccomp;
  if (seccomp === undefined) return undefined;
  const { filter, problems: found } = translateSeccomp(seccomp);
  problems.push(...found);
  if (!filter) return undefined;
  const nnp = input.spec.process?.noNewPrivileges === true;
  // Without noNewPrivileges the startContainer hooks run under the filter (they come after `wait-start`).
  const hooksUnderFilter = !nnp && (input.spec.hooks?.startContainer?.length ?? 0) > 0;
  const blocked = blockedNeeds(filter, syscallsAfterFilter(nnp ? 'before-exec' : 'before-setresuid', hasCapabilities, hooksUnderFilter));
  if (blocked.length > 0) {
    const where = nnp
      ? 'right before it starts the process (process.noNewPrivileges is true)'
      : `before it switches to process.user (without process.noNewPrivileges that needs CAP_SYS_ADMIN, which the switch drops)${hooksUnderFilter ? ' and runs hooks.startContainer under it' : ''}`;
    problems.push({
      severity: 'error', path: 'linux.seccomp',
      message: `the filter blocks ${blocked.join(', ')}, which tsrunc must still call: it installs the filter ${where}`,
      hint: nnp ? `allow ${blocked.join(', ')}` : `allow ${blocked.join(', ')}, or set process.noNewPrivileges so that only execve must be allowed`,
    });
    return undefined;
  }
  return filter;
}

/**
 * The process part of the container ops, from rlimits to `exec`. `exec` (the command) reuses it for a
 * process joining a running container, without `wait-start`.
 */
export function processOps(
  input: Pick<PlanInput, 'spec' | 'env' | 'host'>, problems: Problem[], opts: { waitStart: boolean } = { waitStart: true },
): ContainerOp[] {
  const proc = input.spec.process!;
  const ops: ContainerOp[] = [];
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
    const limit = (n: number) => (n < 0 ? RLIM_INFINITY : BigInt(n).toString());
    ops.push(op('rlimit', [resource, limit(r.soft), limit(r.hard)], `process.rlimits[${i}]`));
  });
  ops.push(op('umask', [proc.user.umask ?? 0o022], 'process.user.umask'));
  // As runc: before the user switch (a real-time policy, a lower nice value or IOPRIO_CLASS_RT need privileges).
  const persona = personalityValue(input.spec, problems);
  if (persona !== undefined) ops.push(op('personality', [persona], 'linux.personality'));
  const sched = schedAttr(proc.scheduler, problems);
  if (sched) {
    const { policy, flags, nice, priority, runtime, deadline, period } = sched;
    ops.push(op('sched-setattr', [policy, flags, nice, priority, runtime, deadline, period], 'process.scheduler'));
  }
  const ioprio = ioprioValue(proc.ioPriority, problems);
  if (ioprio !== undefined) ops.push(op('ioprio', [ioprio], 'process.ioPriority'));
  // Entered (and verified under the root) before privileges are dropped and before any filter is in
  // force, as runc does: the user then keeps a cwd it could not have entered itself.
  ops.push(op('chdir', [proc.cwd], 'process.cwd'));

  const caps = proc.capabilities
    ? resolveCapabilities(proc.capabilities, input.host.boundingSet, input.host.capLastCap)
    : undefined;
  if (caps) {
    problems.push(...caps.warnings);
    const drop: number[] = [];
    for (let n = 0; n <= input.host.capLastCap; n++) if (!caps.sets.bounding.includes(n)) drop.push(n);
    ops.push(op('keep-caps', [], 'process.capabilities'));
    ops.push(op('drop-bounding', drop, 'process.capabilities.bounding'));
  }
  ops.push(op('setgroups-list', proc.user.additionalGids ?? [], 'process.user.additionalGids'));
  ops.push(op('setresgid', [proc.user.gid], 'process.user.gid'));
  const seccomp = seccompFilter(input, caps !== undefined, problems);
  const seccompOps = seccomp ? [op('seccomp', encodeSeccomp(seccomp), 'linux.seccomp'), op('seccomp-load', [], 'linux.seccomp')] : [];
  const lateSeccomp = proc.noNewPrivileges === true;
  if (!lateSeccomp) ops.push(...seccompOps);
  ops.push(op('setresuid', [proc.user.uid], 'process.user.uid'));
  if (caps) {
    const { effective, permitted, inheritable, ambient } = caps.sets;
    ops.push(op('capset', [capabilityMask(effective), capabilityMask(permitted), capabilityMask(inheritable)], 'process.capabilities'));
    ops.push(op('ambient', ambient, 'process.capabilities.ambient'));
  }
  if (proc.noNewPrivileges) ops.push(op('no-new-privs', [], 'process.noNewPrivileges'));
  const args = proc.args ?? [];
  ops.push(op('find-exec', execCandidates(args[0], input.env), 'process.args[0]'));
  if (lateSeccomp && seccompOps.length > 0) ops.push(seccompOps[0]);
  ops.push(op('ready'));
  if (opts.waitStart) ops.push(op('wait-start'));
  if (lateSeccomp && seccompOps.length > 0) ops.push(seccompOps[1]);
  ops.push(op('exec', [args.length, ...args, ...input.env], 'process.args'));
  return ops;
}

/**
 * A hook the helper runs in the container's namespaces. The state it writes to the hook's stdin is
 * fixed here but for the pid, which the helper fills in as it sees it (the container's view). Without
 * `env`, a createContainer hook gets the helper's environment (tsrunc's), as the runtime-side hooks
 * do, and a startContainer hook the process's environment, as with runc.
 */
function runHookOp(phase: 'createContainer' | 'startContainer', index: number, hook: Hook, state: HookStateBase, defaultEnv?: string[]): ContainerOp {
  const label = `hooks.${phase}[${index}]`;
  const argv = hookArgv(hook);
  const env = hook.env ?? defaultEnv;
  const [before, after] = hookStateParts(state);
  return op('run-hook', [
    label, hook.timeout ?? 0, before, after, hook.path, argv.length, ...argv, ...(env ? [env.length, ...env] : ['inherit']),
  ], label);
}

/**
 * The hooks' ops, placed by the lifecycle (runtime.md): prestart, createRuntime (run by tsrunc, asked
 * for with `hooks`) and createContainer once the mounts and devices are made, right before the root
 * change; startContainer after `start` opened exec.fifo (`wait-start hold`) and before it is told to go
 * on (`report-start`), so that start fails when one of them does.
 */
function placeHooks(input: PlanInput, container: ContainerOp[]): void {
  const hooks = input.spec.hooks;
  if (!hooks) return;
  const state = (status: HookStateBase['status']): HookStateBase => ({
    ociVersion: input.spec.ociVersion, id: input.id ?? path.basename(input.stateDir), status, bundle: input.bundle,
    ...(input.spec.annotations ? { annotations: input.spec.annotations } : {}),
  });
  const beforeRoot: ContainerOp[] = [];
  for (const phase of ['prestart', 'createRuntime'] as const) {
    if ((hooks[phase]?.length ?? 0) > 0) beforeRoot.push(op('hooks', [phase], `hooks.${phase}`));
  }
  (hooks.createContainer ?? []).forEach((h, i) => beforeRoot.push(runHookOp('createContainer', i, h, state('creating'))));
  const rootAt = container.findIndex((o) => o.op === 'pivot-root' || o.op === 'move-root');
  if (rootAt < 0) throw new Error('plan builder: no root change to place the hooks before');
  container.splice(rootAt, 0, ...beforeRoot);

  const start = hooks.startContainer ?? [];
  const waitAt = container.findIndex((o) => o.op === 'wait-start');
  if (start.length > 0 && waitAt >= 0) {
    container.splice(waitAt, 1,
      op('wait-start', ['hold'], 'hooks.startContainer'),
      ...start.map((h, i) => runHookOp('startContainer', i, h, state('created'), input.env)),
      op('report-start', [], 'hooks.startContainer'));
  }
}

/**
 * The terminal of process.terminal, as runc sets it up: P connects to the console socket from the
 * runtime's view, before any setns or root change (`console-connect`, placed right after
 * the start ops, `cloexec-from` and the cgroup joins, which may go ahead as a head); C, after the root change and before the user switch, makes a pty in the
 * container's devpts, sizes it (process.consoleSize), gives the slave to process.user.uid (runc's
 * fixStdioPermissions), binds it onto `consolePath` (create: /dev/console), sends the master and makes
 * the slave its controlling terminal and stdio (`console`, after a `setsid`).
 */
/** Where the ops after startOps begin. */
export function afterStartOps(host: HostOp[]): number {
  const at = host.findIndex((o) => o.op !== 'cloexec-from' && o.op !== 'join-cgroup' && o.op !== 'open-cgroup');
  return at < 0 ? host.length : at;
}

export function consoleOps(
  proc: { consoleSize?: { height: number; width: number }; user?: { uid: number } }, socket: string, consolePath: string,
): { host: HostOp; container: ContainerOp } {
  const size = proc.consoleSize;
  return {
    host: op('console-connect', [socket], '--console-socket'),
    container: op('console', ['/dev/ptmx', size?.height ?? 0, size?.width ?? 0, proc.user?.uid ?? 0, consolePath], 'process.terminal'),
  };
}

export function buildCreatePlan(input: PlanInput): PlanResult {
  const problems: Problem[] = [];
  const ns = namespaceSet(input.spec);
  const container: ContainerOp[] = [op('wait-release'), op('setsid')];
  if (hasNew(ns, 'user')) container.push(op('become-root', [], 'linux.uidMappings'));
  if (input.spec.hostname !== undefined) container.push(op('sethostname', [input.spec.hostname], 'hostname'));
  if (input.spec.domainname !== undefined) container.push(op('setdomainname', [input.spec.domainname], 'domainname'));
  container.push(...rootfsOps(input, problems));
  container.push(...processOps(input, problems));
  placeHooks(input, container);
  const host = hostOps(input);
  if (input.consoleSocket !== undefined && input.spec.process?.terminal === true) {
    const c = consoleOps(input.spec.process, input.consoleSocket, '/dev/console');
    host.splice(afterStartOps(host), 0, c.host);
    const rootAt = container.findIndex((o) => o.op === 'pivot-root' || o.op === 'move-root');
    container.splice(rootAt + 1, 0, c.container);
  }
  return { plan: { host, container }, problems };
}
