// The plan the helper executes (docs/plan-format.md). TypeScript decides; tsrunc-init interprets.

import { checkArgs, op, type ContainerOpName, type HostOpName, type OpOf, type PlanOp } from './op-schema';

export type { ContainerOpName, HostOpName, OpOf, PlanOp } from './op-schema';

export interface Plan {
  host: OpOf<HostOpName>[];
  container: OpOf<ContainerOpName>[];
}

/**
 * The ops every plan starts with, and the ones a head may hold: fds above the preserved ones closed
 * at exec, then the way into the cgroup (src/linux/cgroups: CgroupEntry): a join per hierarchy, or
 * the cgroup2 directory `clone` creates the process in.
 */
export function startOps(preserveFds: number, cgroup: { join: string[]; cloneInto?: string }, origin: string): OpOf<HostOpName>[] {
  return [
    op.cloexecFrom({ fd: 3 + preserveFds }),
    ...cgroup.join.map((file) => op.joinCgroup({ procsFile: file }, origin)),
    ...(cgroup.cloneInto !== undefined ? [op.openCgroup({ directory: cgroup.cloneInto }, origin)] : []),
  ];
}

/** The origin of exec's cgroup joins (for errors and explain). */
export const EXEC_CGROUP_ORIGIN = "the container's cgroup";

/** The op at a wire index: host ops first, then container ops (the separator is not counted). */
export function opAt(plan: Plan, index: number): OpOf<HostOpName | ContainerOpName> | undefined {
  return index < plan.host.length ? plan.host[index] : plan.container[index - plan.host.length];
}

/**
 * Throws when an op is not what the helper takes (checkArgs): a bug in the plan builder, found before
 * anything is sent. The helper checks the same again before it runs any op.
 */
export function checkPlan(ops: readonly { op: string; args: string[]; origin?: string }[]): void {
  for (const o of ops) {
    const bad = checkArgs(o);
    if (bad !== undefined) throw new Error(`the plan's ${o.op} op${o.origin ? ` (${o.origin})` : ''} is not what the helper takes: ${bad}`);
  }
}

/**
 * One record. A NUL cannot be carried (it ends a field on the wire): validation refuses such input,
 * so one here is a bug, and it throws before anything is sent.
 */
function encodeRecord(parts: Buffer[], op: { op: string; args: string[]; origin?: string }): void {
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
 * meanwhile (only the schema's head ops, which touch the helper alone: HEAD_OPS), ended by `more`.
 */
export function encodeHead(head: PlanOp<HostOpName>[]): Buffer {
  const parts: Buffer[] = [];
  for (const op of head) encodeRecord(parts, op);
  encodeRecord(parts, { op: 'more', args: [] });
  return frame(parts);
}
