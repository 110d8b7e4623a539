// The cgroup layer's public surface.

export { cgroupManagerFor, cgroupManagerFromPaths } from './manager';
export { notAppliedText } from './resource-writes';
export type { NotApplied } from './resource-writes';
export type { CgroupDriver, CgroupEntry, CgroupManager, CgroupManagerOptions, CgroupWrite } from './manager';
export type { SystemdUnitPlan } from './systemd/manager';
export { formatDbusValue } from './systemd/dbus-value';
export type { UnitProperty } from './systemd/dbus-value';
export { detectCgroupLayout, unifiedControllers, cgroupControllers, parseProcCgroup, hugePageSizes, UNIFIED } from './layout';
export type { CgroupLayout, CgroupMode } from './layout';
export { cpuSharesToWeight, swapToV2, blkioWeightToIoWeight } from './convert';
