import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blkioWeightToIoWeight, cpuSharesToWeight, swapToV2 } from '../../src/linux/cgroups/convert';
import { ALL_FEATURES, type Feature } from '../../src/linux/cgroups/features';
import { detectCgroupLayout } from '../../src/linux/cgroups/layout';
import { type CgroupManager, cgroupManagerFor, type CgroupWrite } from '../../src/linux/cgroups/manager';
import { notAppliedText } from '../../src/linux/cgroups/resource-writes';
import type { Resources } from '../../src/oci/types';
import { RuntimeError } from '../../src/common/errors';

// Pure: every manager here describes a host on paper (layout, controllers, page sizes, optional files),
// so nothing is read from this machine's /sys.
const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');
const noBfq = ALL_FEATURES.filter((f) => !f.includes('bfq'));

function manager(kind: 'v1' | 'v2' | 'hybrid', features: readonly Feature[] = noBfq): CgroupManager {
  const layout = detectCgroupLayout(fixture(`${kind}-mountinfo.txt`));
  return cgroupManagerFor({
    id: 'c1',
    cgroupsPath: '/tsrunc/c1',
    layout,
    unifiedControllers: kind === 'v2' ? ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc'] : ['hugetlb'],
    hugePageSizes: ['2MB', '1GB'],
    features,
  });
}

const rich: Resources = {
  memory: { limit: 536870912, reservation: 268435456, swap: 1073741824, kernelTCP: 1048576, swappiness: 10, disableOOMKiller: true },
  cpu: {
    shares: 1024, quota: 50000, period: 100000, burst: 10000, realtimeRuntime: 10000, realtimePeriod: 1000000,
    cpus: '0-1', mems: '0', idle: 0,
  },
  pids: { limit: 100 },
  blockIO: {
    weight: 500,
    leafWeight: 300,
    weightDevice: [{ major: 8, minor: 0, weight: 600, leafWeight: 200 }],
    throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
    throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 300 }],
  },
  hugepageLimits: [{ pageSize: '2MB', limit: 209715200 }],
  network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 500 }] },
  devices: [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    { allow: true, type: 'c', major: 136, access: 'rwm' },
  ],
};

const short = (ws: CgroupWrite[], root: string): [string, string, string][] =>
  ws.map((w) => [w.file.slice(root.length + 1), w.value, w.origin]);

describe('resourceWrites, cgroup v1', () => {
  it('maps a rich config to exact files, values, origins and order', () => {
    const m = manager('v1');
    const M = 'linux.resources.memory';
    const C = 'linux.resources.cpu';
    const B = 'linux.resources.blockIO';
    expect(short(m.resourceWrites(rich), '/sys/fs/cgroup')).toEqual([
      ['memory/tsrunc/c1/memory.memsw.limit_in_bytes', '-1', `${M}.swap`],
      ['memory/tsrunc/c1/memory.limit_in_bytes', '536870912', `${M}.limit`],
      ['memory/tsrunc/c1/memory.memsw.limit_in_bytes', '1073741824', `${M}.swap`],
      ['memory/tsrunc/c1/memory.soft_limit_in_bytes', '268435456', `${M}.reservation`],
      ['memory/tsrunc/c1/memory.kmem.tcp.limit_in_bytes', '1048576', `${M}.kernelTCP`],
      ['memory/tsrunc/c1/memory.swappiness', '10', `${M}.swappiness`],
      ['memory/tsrunc/c1/memory.oom_control', '1', `${M}.disableOOMKiller`],
      ['cpu,cpuacct/tsrunc/c1/cpu.shares', '1024', `${C}.shares`],
      ['cpu,cpuacct/tsrunc/c1/cpu.cfs_quota_us', '-1', `${C}.quota`],
      ['cpu,cpuacct/tsrunc/c1/cpu.cfs_period_us', '100000', `${C}.period`],
      ['cpu,cpuacct/tsrunc/c1/cpu.cfs_burst_us', '10000', `${C}.burst`],
      ['cpu,cpuacct/tsrunc/c1/cpu.cfs_quota_us', '50000', `${C}.quota`],
      ['cpu,cpuacct/tsrunc/c1/cpu.rt_period_us', '1000000', `${C}.realtimePeriod`],
      ['cpu,cpuacct/tsrunc/c1/cpu.rt_runtime_us', '10000', `${C}.realtimeRuntime`],
      ['cpu,cpuacct/tsrunc/c1/cpu.idle', '0', `${C}.idle`],
      ['cpuset/tsrunc/c1/cpuset.cpus', '0-1', `${C}.cpus`],
      ['cpuset/tsrunc/c1/cpuset.mems', '0', `${C}.mems`],
      ['pids/tsrunc/c1/pids.max', '100', 'linux.resources.pids.limit'],
      ['blkio/tsrunc/c1/blkio.weight', '500', `${B}.weight`],
      ['blkio/tsrunc/c1/blkio.leaf_weight', '300', `${B}.leafWeight`],
      ['blkio/tsrunc/c1/blkio.weight_device', '8:0 600', `${B}.weightDevice[0].weight`],
      ['blkio/tsrunc/c1/blkio.leaf_weight_device', '8:0 200', `${B}.weightDevice[0].leafWeight`],
      ['blkio/tsrunc/c1/blkio.throttle.read_bps_device', '8:0 1048576', `${B}.throttleReadBpsDevice[0]`],
      ['blkio/tsrunc/c1/blkio.throttle.write_iops_device', '8:16 300', `${B}.throttleWriteIOPSDevice[0]`],
      ['hugetlb/tsrunc/c1/hugetlb.2MB.limit_in_bytes', '209715200', 'linux.resources.hugepageLimits[0]'],
      ['hugetlb/tsrunc/c1/hugetlb.2MB.rsvd.limit_in_bytes', '209715200', 'linux.resources.hugepageLimits[0]'],
      ['net_cls,net_prio/tsrunc/c1/net_cls.classid', '1048577', 'linux.resources.network.classID'],
      ['net_cls,net_prio/tsrunc/c1/net_prio.ifpriomap', 'eth0 500', 'linux.resources.network.priorities[0]'],
      ['devices/tsrunc/c1/devices.deny', 'a', 'linux.resources.devices'],
      ['devices/tsrunc/c1/devices.deny', 'a *:* rwm', 'linux.resources.devices[0]'],
      ['devices/tsrunc/c1/devices.allow', 'c 1:3 rwm', 'linux.resources.devices[1]'],
      ['devices/tsrunc/c1/devices.allow', 'c 136:* rwm', 'linux.resources.devices[2]'],
    ]);
    expect(m.unsupported(rich)).toEqual([]);
  });

  it('missing optional files: skipped and reported by unsupported(), not written', () => {
    const m = manager('v1', []);
    const { realtimeRuntime: _a, realtimePeriod: _b, idle: _c, ...cpu } = rich.cpu!;
    const r: Resources = { ...rich, cpu };
    const files = m.resourceWrites(r).map((w) => w.file.split('/').pop());
    expect(files).not.toContain('memory.memsw.limit_in_bytes');
    expect(files).not.toContain('cpu.cfs_burst_us');
    expect(files).not.toContain('blkio.weight');
    expect(files).not.toContain('hugetlb.2MB.rsvd.limit_in_bytes');
    expect(files).toContain('memory.limit_in_bytes');
    const u = m.unsupported(r).map((s) => s.path);
    expect(u).toEqual(expect.arrayContaining([
      'linux.resources.memory.swap', 'linux.resources.memory.kernelTCP', 'linux.resources.cpu.burst',
      'linux.resources.blockIO.weight', 'linux.resources.blockIO.leafWeight',
      'linux.resources.blockIO.weightDevice[0].weight', 'linux.resources.blockIO.weightDevice[0].leafWeight',
    ]));
    // cpu.rt_runtime_us and cpu.idle missing are errors, as runc's failing writes are.
    expect(() => m.resourceWrites({ cpu: { idle: 1 } })).toThrow(/linux\.resources\.cpu\.idle/);
    expect(() => m.resourceWrites({ cpu: { realtimeRuntime: 5 } })).toThrow(/CONFIG_RT_GROUP_SCHED/);
  });

  it('prefers BFQ weight files when the kernel has them', () => {
    const ws = manager('v1', ALL_FEATURES).resourceWrites({ blockIO: { weight: 100, weightDevice: [{ major: 8, minor: 0, weight: 50 }] } });
    expect(ws.map((w) => [w.file.split('/').pop(), w.value])).toEqual([['blkio.bfq.weight', '100'], ['blkio.bfq.weight_device', '8:0 50']]);
  });

  it('memory: unlimited limit also lifts memsw; swap alone; swap below limit is an error; 0 means unset', () => {
    const m = manager('v1');
    const w = (r: Resources): string[] => m.resourceWrites(r).map((x) => `${x.file.split('/').pop()}=${x.value}`);
    expect(w({ memory: { limit: -1 } })).toEqual(['memory.memsw.limit_in_bytes=-1', 'memory.limit_in_bytes=-1']);
    expect(w({ memory: { swap: 1000 } })).toEqual(['memory.memsw.limit_in_bytes=1000']);
    expect(w({ memory: { limit: 4096, swap: -1 } })).toEqual(['memory.memsw.limit_in_bytes=-1', 'memory.limit_in_bytes=4096']);
    expect(w({ memory: { limit: 0, reservation: 0, swap: 0 } })).toEqual([]);
    expect(() => m.resourceWrites({ memory: { limit: 4096, swap: 2048 } })).toThrow(/below the memory limit/);
    expect(() => m.resourceWrites({ memory: { swappiness: 101 } })).toThrow(/swappiness/);
  });

  it('pids: -1 is max, 0 is no limit (nothing written, as runc and crun read it), other values as given', () => {
    const m = manager('v1');
    const v = (limit: number): string | undefined => m.resourceWrites({ pids: { limit } })[0]?.value;
    expect([v(-1), v(-5), v(0), v(42)]).toEqual(['max', 'max', undefined, '42']);
  });

  it('cpu: quota alone needs no reset; shares outside 2..262144 are refused', () => {
    const m = manager('v1');
    expect(m.resourceWrites({ cpu: { quota: 20000 } }).map((w) => w.value)).toEqual(['20000']);
    expect(() => m.resourceWrites({ cpu: { shares: 1 } })).toThrow(/2\.\.262144/);
    expect(() => m.resourceWrites({ cpu: { quota: 1000, burst: 2000 } })).toThrow(/burst 2000 is larger than quota 1000/);
  });

  it('devices: type defaults to a, unset numbers to *, bad rules are refused', () => {
    const ws = manager('v1').resourceWrites({ devices: [{ allow: true }, { allow: false, type: 'b', major: 8, minor: null, access: 'w' }] });
    expect(ws.map((w) => `${w.file.split('/').pop()} ${w.value}`)).toEqual([
      'devices.deny a', 'devices.allow a *:* rwm', 'devices.deny b 8:* w',
    ]);
    expect(() => manager('v1').resourceWrites({ devices: [{ allow: true, access: '' }] })).toThrow(/devices\[0\]: access is empty/);
    expect(() => manager('v1').resourceWrites({ devices: [{ allow: true }, { allow: true, type: 'x' as 'a', access: 'rwx' }] })).toThrow(
      'linux.resources.devices[1]: type "x" is not one of a, c, b',
    );
  });

  it('devices: letters other than r, w and m are ignored, as runc ignores them, with a reason to warn', () => {
    const rules = [
      { allow: false, access: 'rwm' }, { allow: false, type: 'c' as const, major: 1, minor: 11, access: 'rwa' },
      { allow: true, type: 'c' as const, major: 1, minor: 5, access: 'xyx' }, { allow: true, type: 'b' as const, major: 8, access: 'mwrw' },
      { allow: true, type: 'a' as const, access: 'q' },
    ];
    for (const kind of ['v1', 'v2'] as const) {
      const m = manager(kind);
      expect(m.unsupported({ devices: rules }).map(notAppliedText)).toEqual([
        'linux.resources.devices[1].access: the letters "a" of access "rwa" are ignored, as runc ignores every letter but r, w and m; the rule is about "rw"',
        'linux.resources.devices[2].access: the letters "xy" of access "xyx" are ignored, as runc ignores every letter but r, w and m; the rule is left with no access and does nothing',
        'linux.resources.devices[4].access: the letters "q" of access "q" are ignored, as runc ignores every letter but r, w and m; a rule of type a is about every device and access anyway',
      ]);
    }
    // v1: each kept rule as the kernel takes it, the one with nothing left out, origins unchanged.
    expect(manager('v1').resourceWrites({ devices: rules }).map((w) => `${w.value} ${w.origin}`)).toEqual([
      'a linux.resources.devices', 'a *:* rwm linux.resources.devices[0]', 'c 1:11 rw linux.resources.devices[1]',
      'b 8:* rwm linux.resources.devices[3]', 'a *:* rwm linux.resources.devices[4]',
    ]);
    // v2: the program is built from the same rules.
    const program = manager('v2', ALL_FEATURES).deviceProgram({ devices: rules.slice(0, 2) });
    expect(program?.program.rules.map((r) => `${r.allow ? 'allow' : 'deny'} ${r.access} ${r.origin}`)).toEqual(['deny rw linux.resources.devices[1]']);
  });

  it('unified and unknown page sizes are errors on pure v1', () => {
    const m = manager('v1');
    expect(() => m.resourceWrites({ unified: { 'memory.high': '1' } })).toThrow(/linux\.resources\.unified: invalid configuration: cannot use unified on cgroup v1/);
    expect(() => m.resourceWrites({ hugepageLimits: [{ pageSize: '4MB', limit: 1 }] })).toThrow(/"4MB" is not supported \(this kernel has 2MB, 1GB\)/);
  });

  it('rdma', () => {
    const ws = manager('v1').resourceWrites({ rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } } });
    expect(ws).toEqual([{ file: '/sys/fs/cgroup/rdma/tsrunc/c1/rdma.max', value: 'mlx5_1 hca_handle=3 hca_object=10000', origin: 'linux.resources.rdma["mlx5_1"]' }]);
  });
});

describe('resourceWrites, hybrid (this machine kind)', () => {
  it('v1 controllers on v1, hugetlb on the cgroup2 hierarchy as <size>.max', () => {
    const m = manager('hybrid');
    expect(m.driver).toBe('v1');
    const ws = m.resourceWrites({ memory: { limit: 1 << 26 }, hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }], unified: { 'hugetlb.1GB.max': '0' } });
    expect(ws.map((w) => [w.file, w.value])).toEqual([
      ['/sys/fs/cgroup/memory/tsrunc/c1/memory.limit_in_bytes', '67108864'],
      ['/sys/fs/cgroup/unified/tsrunc/c1/hugetlb.2MB.max', '4194304'],
      ['/sys/fs/cgroup/unified/tsrunc/c1/hugetlb.2MB.rsvd.max', '4194304'],
      ['/sys/fs/cgroup/unified/tsrunc/c1/hugetlb.1GB.max', '0'],
    ]);
  });

  it('controllers mounted nowhere are RuntimeErrors naming the field and the controller', () => {
    const m = manager('hybrid');
    const err = (r: Resources): RuntimeError => {
      try {
        m.resourceWrites(r);
      } catch (e) {
        return e as RuntimeError;
      }
      throw new Error('no error');
    };
    const e = err({ network: { classID: 1 }, rdma: { d: { hcaHandles: 1 } }, unified: { 'memory.high': '1' } });
    expect(e).toBeInstanceOf(RuntimeError);
    expect(e.problems.map((p) => p.path)).toEqual([
      'linux.resources.network.classID', 'linux.resources.rdma', 'linux.resources.unified["memory.high"]',
    ]);
    expect(e.message).toMatch(/linux\.resources\.network\.classID: the net_cls controller is not available here: no cgroup v1 hierarchy for it is mounted/);
    expect(e.message).toMatch(/offers only: hugetlb/);
  });

  it('unified keys must be plain file names', () => {
    const m = manager('hybrid');
    expect(() => m.resourceWrites({ unified: { '../memory.max': '1' } })).toThrow(/not a plain cgroup file name/);
    expect(() => m.resourceWrites({ unified: { 'a/b': '1' } })).toThrow(/not a plain cgroup file name/);
    expect(() => m.resourceWrites({ unified: { '..': '1' } })).toThrow(/not a plain cgroup file name/);
  });
});

describe('resourceWrites, cgroup v2', () => {
  const { network: _n, ...richV2 } = rich;

  it('maps a rich config to exact files and values', () => {
    const m = manager('v2');
    expect(m.driver).toBe('v2');
    expect(m.paths).toEqual({ unified: '/sys/fs/cgroup/tsrunc/c1' });
    expect(short(m.resourceWrites({ ...richV2, unified: { 'memory.high': '400000000' } }), '/sys/fs/cgroup/tsrunc/c1')).toEqual([
      ['memory.swap.max', '536870912', 'linux.resources.memory.swap'],
      ['memory.max', '536870912', 'linux.resources.memory.limit'],
      ['memory.low', '268435456', 'linux.resources.memory.reservation'],
      ['cpu.weight', '39', 'linux.resources.cpu.shares'],
      ['cpu.max', '50000 100000', 'linux.resources.cpu.quota'],
      ['cpu.max.burst', '10000', 'linux.resources.cpu.burst'],
      ['cpu.idle', '0', 'linux.resources.cpu.idle'],
      ['cpuset.cpus', '0-1', 'linux.resources.cpu.cpus'],
      ['cpuset.mems', '0', 'linux.resources.cpu.mems'],
      ['pids.max', '100', 'linux.resources.pids.limit'],
      ['io.weight', 'default 4950', 'linux.resources.blockIO.weight'],
      ['io.max', '8:0 rbps=1048576', 'linux.resources.blockIO.throttleReadBpsDevice[0]'],
      ['io.max', '8:16 wiops=300', 'linux.resources.blockIO.throttleWriteIOPSDevice[0]'],
      ['hugetlb.2MB.max', '209715200', 'linux.resources.hugepageLimits[0]'],
      ['hugetlb.2MB.rsvd.max', '209715200', 'linux.resources.hugepageLimits[0]'],
      ['memory.high', '400000000', 'linux.resources.unified["memory.high"]'],
    ]);
  });

  it('v1-only knobs are reported by unsupported(), never silently dropped', () => {
    const u = manager('v2').unsupported(richV2).map(notAppliedText);
    expect(u).toEqual([
      'linux.resources.memory.kernelTCP: cgroup v2 has no separate kernel TCP memory limit',
      'linux.resources.memory.swappiness: cgroup v2 has no per-cgroup swappiness',
      'linux.resources.memory.disableOOMKiller: cgroup v2 has no switch to disable the OOM killer',
      'linux.resources.cpu.realtimeRuntime: cgroup v2 has no realtime group scheduling interface',
      'linux.resources.cpu.realtimePeriod: cgroup v2 has no realtime group scheduling interface',
      'linux.resources.blockIO.leafWeight: cgroup v2 has no leaf weight',
      'linux.resources.blockIO.weightDevice[0].weight: io.bfq.weight does not exist (per-device weights need the BFQ I/O scheduler)',
      'linux.resources.blockIO.weightDevice[0].leafWeight: cgroup v2 has no leaf weight',
    ]);
  });

  it('with BFQ, weights go to io.bfq.weight unscaled, per-device ones too (as runc)', () => {
    const m = manager('v2', ALL_FEATURES);
    expect(m.resourceWrites({ blockIO: { weight: 500, weightDevice: [{ major: 8, minor: 0, weight: 600 }] } }).map((w) => [basename(w.file), w.value])).toEqual([
      ['io.bfq.weight', 'default 500'], ['io.bfq.weight', '8:0 600'],
    ]);
  });

  it('device rules become the device program of the container directory, no file writes', () => {
    const m = manager('v2');
    expect(m.resourceWrites({ devices: rich.devices })).toEqual([]);
    const planned = m.deviceProgram({ devices: rich.devices })!;
    expect(planned.dir).toBe('/sys/fs/cgroup/tsrunc/c1');
    expect(planned.origin).toBe('linux.resources.devices');
    // The first rule denies everything: it is what no later rule decides, not a rule of its own.
    expect(planned.program.otherwise).toEqual({ allow: false, origin: 'linux.resources.devices[0]' });
    expect(planned.program.rules.map((r) => [r.allow, r.type, r.major, r.minor, r.access, r.origin])).toEqual([
      [true, 'c', 1, 3, 'rwm', 'linux.resources.devices[1]'],
      [true, 'c', 136, undefined, 'rwm', 'linux.resources.devices[2]'],
    ]);
    expect(manager('v1').deviceProgram({ devices: rich.devices })).toBeUndefined();
    expect(manager('hybrid').deviceProgram({ devices: rich.devices })).toBeUndefined();
  });

  it('a device rule the program cannot express, or a process that cannot load one, is an error naming the field', () => {
    const m = manager('v2');
    expect(() => m.deviceProgram({ devices: [{ allow: true, type: 'c', major: 2 ** 32, minor: 1, access: 'r' }] }))
      .toThrow('linux.resources.devices[0].major: 4294967296 cannot be matched by a cgroup v2 device program: the kernel gives it device numbers of 32 bits (0 to 4294967295)');
    const sourced = [{ allow: true, type: 'b' as const, major: 8, minor: 2 ** 40, access: 'rwm', origin: 'linux.devices[3]' }];
    expect(() => m.deviceProgram({ devices: sourced })).toThrow(/^linux\.devices\[3\]\.minor: 1099511627776 cannot be matched/);
    const noBpf = manager('v2', noBfq.filter((f) => f !== 'v2:device-program'));
    expect(() => noBpf.deviceProgram({ devices: rich.devices }))
      .toThrow('linux.resources.devices: cgroup v2 enforces device rules with an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE), and this process cannot load one');
    // Other settings need no program: a config without device rules never asks.
    expect(noBpf.resourceWrites({ pids: { limit: 1 } })).toHaveLength(1);
  });

  it('network is an error on v2 (no net_cls/net_prio there)', () => {
    expect(() => manager('v2').resourceWrites({ network: { classID: 1 } })).toThrow(/network\.classID: the net_cls controller is not available here: .*cgroup v2 has no such controller/);
  });

  it('cpu.max: "max" for -1 or missing quota, default period 100000', () => {
    const m = manager('v2');
    const v = (cpu: Resources['cpu']): string => m.resourceWrites({ cpu })[0].value;
    expect(v({ quota: -1 })).toBe('max 100000');
    expect(v({ period: 50000 })).toBe('max 50000');
    expect(v({ quota: 25000 })).toBe('25000 100000');
  });

  it('memory.swap.max: swap - limit, "max" for -1, errors for impossible pairs', () => {
    const m = manager('v2');
    const w = (memory: Resources['memory']): string[] => m.resourceWrites({ memory }).map((x) => `${x.file.split('/').pop()}=${x.value}`);
    expect(w({ limit: 1000, swap: -1 })).toEqual(['memory.swap.max=max', 'memory.max=1000']);
    expect(w({ limit: -1 })).toEqual(['memory.swap.max=max', 'memory.max=max']);
    expect(w({ limit: 1000, swap: 1000 })).toEqual(['memory.swap.max=0', 'memory.max=1000']);
    expect(() => m.resourceWrites({ memory: { swap: 2000 } })).toThrow(/needs a memory limit/);
  });

  it('a controller the cgroup2 root does not offer is a RuntimeError', () => {
    const layout = detectCgroupLayout(fixture('v2-mountinfo.txt'));
    const m = cgroupManagerFor({ id: 'c', cgroupsPath: '/c', layout, unifiedControllers: ['pids'], hugePageSizes: [], features: [] });
    expect(() => m.resourceWrites({ memory: { limit: 1 << 20 } })).toThrow(
      'linux.resources.memory: the memory controller is not available here: the cgroup2 hierarchy at /sys/fs/cgroup offers only: pids',
    );
    expect(m.resourceWrites({ pids: { limit: 5 } })).toHaveLength(1);
  });
});

describe('conversions', () => {
  it('cpu shares → weight (linear, 1 + (shares-2)*9999/262142)', () => {
    expect([2, 512, 1024, 2048, 262144].map(cpuSharesToWeight)).toEqual([1, 20, 39, 79, 10000]);
    expect(cpuSharesToWeight(1)).toBe(1);
    expect(cpuSharesToWeight(1_000_000)).toBe(10000);
  });

  it('blkio weight → io.weight', () => {
    expect([10, 500, 1000].map(blkioWeightToIoWeight)).toEqual([1, 4950, 10000]);
  });

  it('swap (memory+swap) → memory.swap.max', () => {
    expect(swapToV2(undefined, undefined)).toBeUndefined();
    expect(swapToV2(-1, 100)).toBe('max');
    expect(swapToV2(0, -1)).toBe('max');
    expect(swapToV2(300, 100)).toBe('200');
    expect(swapToV2(300, -1)).toBe('300');
    expect(() => swapToV2(50, 100)).toThrow(/at least the memory limit/);
    expect(() => swapToV2(50, 0)).toThrow(RuntimeError);
  });
});
