// The systemd driver's managers, made from a config or from a record: a dist file of its own
// (scripts/build.mjs), which host.ts loads only for commands that use the driver.

import { RuntimeError } from '../../../common/errors';
import { type CgroupManagerOptions, managerInit } from '../manager';
import { type CgroupLayout, detectCgroupLayout } from '../layout';
import { systemdBus, systemdRunning, type SystemdBus } from './bus';
import { SystemdCgroupManager, unitDirectory } from './manager';
import { systemdUnitFor } from './unit';

export type SystemdManagerOptions = CgroupManagerOptions & {
  /** How systemd is reached (tests give a fake). */
  bus?: () => SystemdBus;
};

function needV2(layout: CgroupLayout): RuntimeError {
  return new RuntimeError(`--systemd-cgroup: tsrunc's systemd cgroup driver needs cgroup v2 (a cgroup2 file system at /sys/fs/cgroup); this host's cgroups are ${layout.mode}: omit the flag to use the cgroupfs driver`);
}

/**
 * Whether this host can have the driver's containers, before a create looks at its bundle: on a host
 * where systemd is not running, the bus it cannot reach is named (a fake systemd on a bus named by
 * $DBUS_SYSTEM_BUS_ADDRESS passes); then cgroup v2 is needed.
 */
export function checkSystemdHost(layout: CgroupLayout = detectCgroupLayout()): void {
  if (!systemdRunning()) systemdBus();
  if (layout.mode !== 'v2') throw needV2(layout);
}

/** The manager of a container about to be created: cgroup v2 only; the unit from cgroupsPath (unit.ts). */
export function systemdManagerFor(o: SystemdManagerOptions): SystemdCgroupManager {
  const unit = systemdUnitFor(o.id, o.cgroupsPath);
  const layout = o.layout ?? detectCgroupLayout();
  if (layout.mode !== 'v2' || layout.unified === undefined) throw needV2(layout);
  const init = managerInit(o, layout, { unified: unitDirectory(layout.unified, unit) });
  return new SystemdCgroupManager(init, unit.name, o.bus ?? systemdBus, { unit, annotations: o.annotations, resources: o.resources });
}

/** The manager of an existing container, from its record (paths, created, unit). */
export function systemdManagerFromRecord(
  paths: Record<string, string>, created: readonly string[], unit: string | undefined, o: Omit<SystemdManagerOptions, 'id'> = {},
): SystemdCgroupManager {
  if (unit === undefined) throw new RuntimeError('the container\'s record names no systemd unit');
  if (Object.keys(paths).length === 0) throw new RuntimeError('the container has no recorded cgroup paths');
  return new SystemdCgroupManager(managerInit(o, o.layout ?? detectCgroupLayout(), paths, created), unit, o.bus ?? systemdBus);
}
