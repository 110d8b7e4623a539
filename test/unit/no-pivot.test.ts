// --no-pivot: the host's full procfs and sysfs mounts outside the rootfs are hidden before the move,
// so that a user namespace made inside the container cannot mount a procfs the masks do not cover.
import { describe, expect, it } from 'vitest';
import { fullPseudoFsMounts } from '../../src/runtime/create';
import { buildCreatePlan } from '../../src/linux/plan-builder';
import { baseSpec } from '../support/base-spec';

const MOUNTINFO = [
  '22 1 0:21 / /proc rw,nosuid - proc proc rw',
  '23 1 0:22 / /sys rw,nosuid - sysfs sysfs rw',
  '24 22 0:23 / /proc/sys/fs/binfmt_misc rw - binfmt_misc binfmt_misc rw',
  '25 1 0:21 /sys /mnt/part rw - proc proc rw',
  '26 1 0:24 / /b/rootfs/proc rw - proc proc rw',
  '27 1 0:25 / /with\\040space rw - sysfs sysfs rw',
].join('\n');

describe('--no-pivot', () => {
  it('finds the full procfs and sysfs mounts (root "/"), unescaping their mount points', () => {
    expect(fullPseudoFsMounts(MOUNTINFO)).toEqual(['/proc', '/sys', '/b/rootfs/proc', '/with space']);
  });

  it('hides those outside the rootfs right before move-root; pivot_root needs none of it', () => {
    const host = { capLastCap: 40, boundingSet: 0x1fffeffffffn, hasKcore: true, sourceKind: () => 'dir' as const, pseudoFsMounts: fullPseudoFsMounts(MOUNTINFO) };
    const input = {
      spec: baseSpec(), id: 'c', rootfs: '/b/rootfs', bundle: '/b', stateDir: '/run/tsrunc/c', preserveFds: 0, noPivot: true,
      cgroup: { driver: 'v1' as const, newCgroupNamespace: true, hierarchies: [], join: [] }, env: [], host,
    };
    const ops = buildCreatePlan(input).plan.container.map((o) => [o.op, ...o.args].join(' '));
    const at = ops.indexOf('move-root /b/rootfs');
    expect(ops.slice(at - 3, at)).toEqual(['hide-host-mount /proc', 'hide-host-mount /sys', 'hide-host-mount /with space']);
    expect(buildCreatePlan({ ...input, noPivot: false }).plan.container.some((o) => o.op === 'hide-host-mount')).toBe(false);
  });
});
