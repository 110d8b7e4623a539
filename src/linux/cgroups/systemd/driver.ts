// The systemd driver's managers, made from a config or from a record: a dist file of its own
// (scripts/build.mjs), loaded only by commands that use the driver.

import { RuntimeError } from '../../../common/errors';
import type { ManagerInit } from '../base';
import type { CgroupLayout } from '../layout';
import type { Resources } from '../../../oci/types';
import { systemdBus, systemdRunning, type SystemdBus } from './bus';
import { SystemdCgroupManager, unitDirectory } from './manager';
import { systemdUnitFor } from './unit';

export interface SystemdManagerOptions {
  id: string;
  cgroupsPath?: string;
  annotations?: Record<string, string>;
  resources?: Resources;
  bus?: () => SystemdBus;
}

function needV2(layout: CgroupLayout): RuntimeError {
  return new RuntimeError(`--systemd-cgroup: tsrunc's systemd cgroup driver needs cgroup v2 (a cgroup2 file system at /sys/fs/cgroup); this host's cgroups are ${layout.mode}: omit the flag to use the cgroupfs driver`);
}

/**
 * Whether this host can have the driver's containers, before a create looks at its bundle: on a host
 * where systemd is not running, the bus it cannot reach is named (a fake systemd on a bus named by
 * $DBUS_SYSTEM_BUS_ADDRESS passes); then cgroup v2 is needed.
 */
export function checkSystemdHost(layout: CgroupLayout): void {
  if (!systemdRunning()) systemdBus();
  if (layout.mode !== 'v2') throw needV2(layout);
}

/** The manager of a container about to be created: cgroup v2 only; the unit from cgroupsPath (unit.ts). */
export function systemdManagerFor(o: SystemdManagerOptions, layout: CgroupLayout, init: (paths: Record<string, string>) => ManagerInit): SystemdCgroupManager {
  const unit = systemdUnitFor(o.id, o.cgroupsPath);
  if (layout.mode !== 'v2' || layout.unified === undefined) throw needV2(layout);
  return new SystemdCgroupManager(init({ unified: unitDirectory(layout.unified, unit) }), unit.name, o.bus ?? systemdBus, {
    unit, annotations: o.annotations, resources: o.resources,
  });
}

/** The manager of an existing container, from its record. */
export function systemdManagerFromRecord(init: ManagerInit, unit: string | undefined, bus?: () => SystemdBus): SystemdCgroupManager {
  if (unit === undefined) throw new RuntimeError('the container\'s record names no systemd unit');
  return new SystemdCgroupManager(init, unit, bus ?? systemdBus);
}
