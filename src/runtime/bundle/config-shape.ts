// The keys each object of config.json may have (runtime-spec 1.3), as a tree: what check warns about
// when a key is likely a typo (semantic-checks.ts) and what keys runc's case-insensitive JSON decoding
// folds (runc-reading.ts).

export const HOOK_PHASES = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;

/** The keys of an object of the config, and the shapes of its children (arrays: each; maps: values). */
export interface Shape {
  keys: readonly string[];
  children?: Record<string, Shape | { each: Shape } | { values: Shape }>;
}

const idMapping: Shape = { keys: ['containerID', 'hostID', 'size'] };
const hook: Shape = { keys: ['path', 'args', 'env', 'timeout'] };
const throttle: Shape = { keys: ['major', 'minor', 'rate'] };

export const SHAPE: Shape = {
  keys: ['ociVersion', 'process', 'root', 'hostname', 'domainname', 'mounts', 'hooks', 'annotations', 'linux', 'solaris', 'windows', 'vm', 'zos', 'freebsd'],
  children: {
    root: { keys: ['path', 'readonly'] },
    process: {
      keys: ['terminal', 'consoleSize', 'user', 'args', 'commandLine', 'env', 'cwd', 'capabilities', 'rlimits', 'noNewPrivileges',
        'apparmorProfile', 'oomScoreAdj', 'scheduler', 'selinuxLabel', 'ioPriority', 'execCPUAffinity'],
      children: {
        consoleSize: { keys: ['height', 'width'] },
        user: { keys: ['uid', 'gid', 'umask', 'additionalGids', 'username'] },
        capabilities: { keys: ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] },
        rlimits: { each: { keys: ['type', 'soft', 'hard'] } },
        scheduler: { keys: ['policy', 'nice', 'priority', 'flags', 'runtime', 'deadline', 'period'] },
        ioPriority: { keys: ['class', 'priority'] },
        execCPUAffinity: { keys: ['initial', 'final'] },
      },
    },
    mounts: { each: { keys: ['destination', 'source', 'type', 'options', 'uidMappings', 'gidMappings'], children: { uidMappings: { each: idMapping }, gidMappings: { each: idMapping } } } },
    hooks: {
      keys: HOOK_PHASES,
      children: Object.fromEntries(HOOK_PHASES.map((p) => [p, { each: hook }])),
    },
    linux: {
      keys: ['namespaces', 'uidMappings', 'gidMappings', 'timeOffsets', 'devices', 'netDevices', 'cgroupsPath', 'resources',
        'rootfsPropagation', 'seccomp', 'sysctl', 'maskedPaths', 'readonlyPaths', 'mountLabel', 'intelRdt', 'memoryPolicy', 'personality'],
      children: {
        namespaces: { each: { keys: ['type', 'path'] } },
        uidMappings: { each: idMapping },
        gidMappings: { each: idMapping },
        timeOffsets: { keys: ['monotonic', 'boottime'], children: { monotonic: { keys: ['secs', 'nanosecs'] }, boottime: { keys: ['secs', 'nanosecs'] } } },
        devices: { each: { keys: ['type', 'path', 'major', 'minor', 'fileMode', 'uid', 'gid'] } },
        netDevices: { values: { keys: ['name'] } },
        resources: {
          keys: ['devices', 'memory', 'cpu', 'pids', 'blockIO', 'hugepageLimits', 'network', 'rdma', 'unified'],
          children: {
            devices: { each: { keys: ['allow', 'type', 'major', 'minor', 'access'] } },
            memory: { keys: ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP', 'swappiness', 'disableOOMKiller', 'useHierarchy', 'checkBeforeUpdate'] },
            cpu: { keys: ['shares', 'quota', 'burst', 'period', 'realtimeRuntime', 'realtimePeriod', 'cpus', 'mems', 'idle'] },
            pids: { keys: ['limit'] },
            blockIO: {
              keys: ['weight', 'leafWeight', 'weightDevice', 'throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'],
              children: {
                weightDevice: { each: { keys: ['major', 'minor', 'weight', 'leafWeight'] } },
                throttleReadBpsDevice: { each: throttle },
                throttleWriteBpsDevice: { each: throttle },
                throttleReadIOPSDevice: { each: throttle },
                throttleWriteIOPSDevice: { each: throttle },
              },
            },
            hugepageLimits: { each: { keys: ['pageSize', 'limit'] } },
            network: { keys: ['classID', 'priorities'], children: { priorities: { each: { keys: ['name', 'priority'] } } } },
            rdma: { values: { keys: ['hcaHandles', 'hcaObjects'] } },
          },
        },
        seccomp: {
          keys: ['defaultAction', 'defaultErrnoRet', 'architectures', 'flags', 'listenerPath', 'listenerMetadata', 'syscalls'],
          children: {
            syscalls: { each: { keys: ['names', 'action', 'errnoRet', 'args'], children: { args: { each: { keys: ['index', 'value', 'valueTwo', 'op'] } } } } },
          },
        },
        intelRdt: { keys: ['closID', 'l3CacheSchema', 'memBwSchema', 'schemata', 'enableMonitoring', 'enableCMT', 'enableMBM'] },
        memoryPolicy: { keys: ['mode', 'nodes', 'flags'] },
        personality: { keys: ['domain', 'flags'] },
      },
    },
  },
};

