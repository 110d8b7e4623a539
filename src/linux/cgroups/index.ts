// The cgroup layer's public surface.

export { cgroupManagerFor, cgroupManagerFromPaths, cgroupVersion } from './manager';
export { notAppliedText } from './resource-writes';
export type { NotApplied } from './resource-writes';
export type { CgroupDriver, CgroupEntry, CgroupManager, CgroupManagerOptions, CgroupWrite, PlannedDeviceProgram } from './manager';
export { describeProgramRule } from './device-program';
export type { DeviceProgram, ProgramRule } from './device-program';
export type { SystemdUnitPlan } from './systemd/manager';
export { formatDbusValue } from './systemd/dbus-value';
export type { UnitProperty } from './systemd/dbus-value';
export { detectCgroupLayout, unifiedControllers, cgroupControllers, parseProcCgroup, hugePageSizes, UNIFIED } from './layout';
export type { CgroupLayout, CgroupMode } from './layout';
export { cpuSharesToWeight, swapToV2, blkioWeightToIoWeight } from './convert';
