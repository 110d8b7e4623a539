// Device nodes in the container's /dev, and the device cgroup rules that go with them.
import type { Device, DeviceCgroupRule } from '../oci/types';
import { S_IFBLK, S_IFCHR, S_IFIFO } from './constants';

/** runc's default devices; /dev/ptmx is a link to pts/ptmx (see DEFAULT_LINKS). */
export const DEFAULT_DEVICES: Device[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
];

export const DEFAULT_LINKS: { target: string; path: string }[] = [
  { target: '/proc/self/fd', path: '/dev/fd' },
  { target: '/proc/self/fd/0', path: '/dev/stdin' },
  { target: '/proc/self/fd/1', path: '/dev/stdout' },
  { target: '/proc/self/fd/2', path: '/dev/stderr' },
  { target: 'pts/ptmx', path: '/dev/ptmx' },
];

/** Rules every container gets whatever its config says (runc's allowed list): mknod of anything, the ptys. */
const DEFAULT_ALLOWED: DeviceCgroupRule[] = [
  { allow: true, type: 'c', major: null, minor: null, access: 'm' },
  { allow: true, type: 'b', major: null, minor: null, access: 'm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
  { allow: true, type: 'c', major: 136, minor: null, access: 'rwm' },
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' },
];

/** Config devices first, then the defaults the config does not name. */
export function containerDevices(devices: Device[] = []): { device: Device; origin: string }[] {
  const named = new Set(devices.map((d) => d.path));
  return [
    ...devices.map((device, i) => ({ device, origin: `linux.devices[${i}]` })),
    ...DEFAULT_DEVICES.filter((d) => !named.has(d.path)).map((device) => ({ device, origin: 'default device' })),
  ];
}

export function deviceMode(device: Device): number {
  const type = device.type === 'b' ? S_IFBLK : device.type === 'p' ? S_IFIFO : S_IFCHR;
  return type | ((device.fileMode ?? 0o666) & 0o7777);
}

/**
 * A device cgroup rule with the config field it comes from: the list a container gets mixes the
 * config's rules with defaults, so a rule's index says nothing by itself.
 */
export type SourcedDeviceRule = DeviceCgroupRule & { origin?: string };

export const DEFAULT_RULE_ORIGIN = 'default device rule';

/**
 * The device cgroup rules, as runc makes them: the config's, then runc's allowed list (appended, so no
 * rule of the config takes it away). The allowed list includes the default devices (/dev/null, ...),
 * except one whose path linux.devices names: the config's device takes its place and, as any entry of
 * linux.devices, is allowed only by a rule of linux.resources.devices.
 */
export function deviceCgroupRules(rules: DeviceCgroupRule[] = [], devices: Device[] = []): SourcedDeviceRule[] {
  const named = new Set(devices.map((d) => d.path));
  const defaults: DeviceCgroupRule[] = [
    ...DEFAULT_ALLOWED,
    ...DEFAULT_DEVICES.filter((d) => !named.has(d.path)).map((d): DeviceCgroupRule => ({ allow: true, type: 'c', major: d.major, minor: d.minor, access: 'rwm' })),
  ];
  return [
    ...rules.map((r, i) => ({ ...r, origin: `linux.resources.devices[${i}]` })),
    ...defaults.map((r) => ({ ...r, origin: DEFAULT_RULE_ORIGIN })),
  ];
}
