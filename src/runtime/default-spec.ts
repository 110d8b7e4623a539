// The config.json `tsrunc spec` writes: runc's, so that what a runc user (or runc's own test suite) does
// with it works unchanged, with one difference a container cannot notice: the ociVersion is the
// runtime-spec version tsrunc implements. Like runc's, it has a cgroup namespace only on a cgroup v2
// host: on v1 (or hybrid) the container's /sys/fs/cgroup is then the host's hierarchies, bound from
// the container's cgroups, and /proc/self/cgroup shows their host paths.
import type { Mount, Spec } from '../oci/types';
import { SPEC_VERSION } from './cli/definition';

/** The host's cgroups, as far as the default config depends on them. */
export interface SpecHost {
  /** The host is cgroup v2 only (runc: /sys/fs/cgroup is cgroup2). */
  cgroupV2: boolean;
}

export function defaultSpec(host: SpecHost): Spec {
  const caps = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
  return {
    ociVersion: SPEC_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps], ambient: [...caps] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'runc',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      {
        destination: '/dev/pts', type: 'devpts', source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, ...(host.cgroupV2 ? [{ type: 'cgroup' as const }] : [])],
      maskedPaths: [
        '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/**
 * `spec --rootless`: what runc writes for a user without privileges: a user namespace mapping root to
 * the caller (uid and gid), no network namespace, no cgroup settings, devpts without gid=5 and sysfs
 * bound from the host's (a user namespace may not mount a new sysfs without its own network namespace).
 */
export function rootlessSpec(host: SpecHost, uid: number, gid: number): Spec {
  const spec = defaultSpec(host);
  const linux = spec.linux!;
  linux.namespaces = [...linux.namespaces!.filter((ns) => ns.type !== 'network'), { type: 'user' }];
  linux.uidMappings = [{ containerID: 0, hostID: uid, size: 1 }];
  linux.gidMappings = [{ containerID: 0, hostID: gid, size: 1 }];
  delete linux.resources;
  spec.mounts = spec.mounts!.map((m): Mount => {
    if (m.type === 'devpts') return { ...m, options: m.options!.filter((o) => o !== 'gid=5') };
    if (m.type === 'sysfs') return { destination: m.destination, type: 'none', source: '/sys', options: ['rbind', ...m.options!] };
    return m;
  });
  return spec;
}
