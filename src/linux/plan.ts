// The plan the helper executes (docs/plan-format.md). TypeScript decides; tsrunc-init interprets.

export type HostOpName =
  | 'cloexec-from' | 'join-cgroup' | 'open-ns' | 'setns' | 'unshare' | 'write-file' | 'clone'
  | 'uid-map' | 'gid-map' | 'report-pid' | 'release' | 'console-connect' | 'open-cgroup';

export type ContainerOpName =
  | 'wait-release' | 'setsid' | 'become-root' | 'sethostname' | 'setdomainname' | 'mount'
  | 'open-exec-fifo' | 'mount-in-root' | 'mknod-in-root' | 'symlink-in-root' | 'pivot-root'
  | 'move-root' | 'mask' | 'readonly' | 'remount-ro' | 'write-file' | 'rlimit' | 'umask'
  | 'keep-caps' | 'drop-bounding' | 'setgroups-list' | 'setresgid' | 'setresuid' | 'capset'
  | 'ambient' | 'no-new-privs' | 'seccomp' | 'seccomp-load' | 'chdir' | 'find-exec' | 'ready' | 'wait-start' | 'exec'
  | 'hooks' | 'run-hook' | 'report-start' | 'console' | 'personality' | 'sched-setattr' | 'ioprio';

export interface PlanOp<Name extends string = string> {
  op: Name;
  args: string[];
  /** The config field this op comes from (a JSON path such as "mounts[2]"), for errors and explain. */
  origin?: string;
}

export interface Plan {
  host: PlanOp<HostOpName>[];
  container: PlanOp<ContainerOpName>[];
}

/**
 * The ops every plan starts with, and the ones a head may hold: fds above the preserved ones closed
 * at exec, then the way into the cgroup (src/linux/cgroups: CgroupEntry): a join per hierarchy, or
 * the cgroup2 directory `clone` creates the process in.
 */
export function startOps(preserveFds: number, cgroup: { join: string[]; cloneInto?: string }, origin: string): PlanOp<HostOpName>[] {
  return [
    { op: 'cloexec-from', args: [String(3 + preserveFds)] },
    ...cgroup.join.map((file): PlanOp<HostOpName> => ({ op: 'join-cgroup', args: [file], origin })),
    ...(cgroup.cloneInto !== undefined ? [{ op: 'open-cgroup' as const, args: [cgroup.cloneInto], origin }] : []),
  ];
}

/** The origin of exec's cgroup joins (for errors and explain). */
export const EXEC_CGROUP_ORIGIN = "the container's cgroup";

/** The op at a wire index: host ops first, then container ops (the separator is not counted). */
export function opAt(plan: Plan, index: number): PlanOp | undefined {
  return index < plan.host.length ? plan.host[index] : plan.container[index - plan.host.length];
}

/**
 * One record. A NUL cannot be carried (it ends a field on the wire): validation refuses such input,
 * so one here is a bug, and it throws before anything is sent.
 */
function encodeRecord(parts: Buffer[], op: Pick<PlanOp, 'op' | 'args' | 'origin'>): void {
  for (const field of [op.op, String(op.args.length), ...op.args]) {
    if (field.includes('\0')) {
      throw new Error(`the plan's ${op.op} op${op.origin ? ` (${op.origin})` : ''} has a NUL byte in ${JSON.stringify(field)}`);
    }
    parts.push(Buffer.from(field, 'utf8'), Buffer.alloc(1));
  }
}

function frame(parts: Buffer[]): Buffer {
  const payload = Buffer.concat(parts);
  const header = Buffer.alloc(4);
  header.writeUInt32LE(payload.length, 0);
  return Buffer.concat([header, payload]);
}

/**
 * Length-prefixed wire form: u32 LE length, then NUL-terminated records. With `after`, only what
 * follows a head of that many host ops (the second payload; see encodeHead).
 */
export function encodePlan(plan: Plan, after = 0): Buffer {
  const parts: Buffer[] = [];
  for (const op of plan.host.slice(after)) encodeRecord(parts, op);
  encodeRecord(parts, { op: 'container', args: [] });
  for (const op of plan.container) encodeRecord(parts, op);
  return frame(parts);
}

/**
 * A head: the first host ops of a plan not yet computed, sent ahead so that the helper runs them
 * meanwhile (only ops that touch the helper alone: `cloexec-from`, `join-cgroup`), ended by `more`.
 */
export function encodeHead(head: PlanOp<HostOpName>[]): Buffer {
  const parts: Buffer[] = [];
  for (const op of head) encodeRecord(parts, op);
  encodeRecord(parts, { op: 'more', args: [] });
  return frame(parts);
}
