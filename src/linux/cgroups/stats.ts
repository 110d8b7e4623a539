// A container's resource usage read from its cgroup files, in the shape of runc's `events` data
// (runc's types.Stats: cpu, memory, pids, blkio, hugetlb), for cgroup v1 and v2. Values are bigints:
// limits such as v1's "unlimited" (2^63 - 4096) and v2's "max" (2^64 - 1, as runc reports it) do not
// fit a double. A file that is missing (a controller not mounted, an older kernel) leaves its fields out.
import { posix } from 'node:path';

/** Reads a cgroup file: its text, or undefined when it cannot be read. */
export type ReadFile = (file: string) => string | undefined;

type Num = bigint;
export interface MemoryEntry { limit: Num; usage?: Num; max?: Num; failcnt: Num }
export interface CgroupStats {
  cpu: { usage: { total?: Num; percpu?: Num[]; kernel: Num; user: Num }; throttling: { periods?: Num; throttled_periods?: Num; throttled_time?: Num } };
  memory: { cache?: Num; usage?: MemoryEntry; swap?: MemoryEntry; kernel?: MemoryEntry; kernelTCP?: MemoryEntry; raw?: Record<string, Num> };
  pids: { current?: Num; limit?: Num };
  blkio: { ioServiceBytesRecursive?: BlkioEntry[]; ioServicedRecursive?: BlkioEntry[] };
  hugetlb: Record<string, { usage?: Num; max?: Num; failcnt: Num }>;
}
export interface BlkioEntry { major: Num; minor: Num; op: string; value: Num }

const MAX_U64 = 2n ** 64n - 1n;
/** USER_HZ: cpuacct.stat counts ticks of 1/100 s. */
const NS_PER_TICK = 10_000_000n;

const num = (text: string | undefined): Num | undefined => {
  const t = text?.trim();
  if (t === undefined || t === '') return undefined;
  if (t === 'max') return MAX_U64;
  return /^\d+$/.test(t) ? BigInt(t) : undefined;
};

/** "key value" lines (memory.stat, cpu.stat, memory.events) as a map. */
function keyed(text: string | undefined): Record<string, Num> {
  const out: Record<string, Num> = {};
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = BigInt(v);
  }
  return out;
}

const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** Huge page sizes from the hugetlb files present ("hugetlb.2MB.max" → "2MB"). */
function hugeSizes(files: string[]): string[] {
  return [...new Set(files.map((f) => /^hugetlb\.(\d+[KMG]B)\./.exec(f)?.[1]).filter((s): s is string => s !== undefined))];
}

export function statsV1(paths: Record<string, string>, read: ReadFile, list: (dir: string) => string[]): CgroupStats {
  const at = (key: string, file: string) => (paths[key] === undefined ? undefined : read(posix.join(paths[key], file)));
  const cpuStat = keyed(at('cpu', 'cpu.stat'));
  const ticks = keyed(at('cpuacct', 'cpuacct.stat'));
  const percpu = at('cpuacct', 'cpuacct.usage_percpu')?.trim().split(/\s+/).filter(Boolean).map((v) => BigInt(v));
  const entry = (prefix: string): MemoryEntry | undefined => {
    const limit = num(at('memory', `${prefix}.limit_in_bytes`));
    if (limit === undefined) return undefined;
    return defined({ limit, usage: num(at('memory', `${prefix}.usage_in_bytes`)), max: num(at('memory', `${prefix}.max_usage_in_bytes`)), failcnt: num(at('memory', `${prefix}.failcnt`)) ?? 0n });
  };
  const raw = keyed(at('memory', 'memory.stat'));
  const blkio = (file: string): BlkioEntry[] | undefined => {
    const text = at('blkio', file);
    if (text === undefined) return undefined;
    return text.split('\n').map((l) => /^(\d+):(\d+) (\w+) (\d+)$/.exec(l.trim())).filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ major: BigInt(m[1]), minor: BigInt(m[2]), op: m[3], value: BigInt(m[4]) }));
  };
  const hugetlb: CgroupStats['hugetlb'] = {};
  if (paths.hugetlb !== undefined) {
    for (const size of hugeSizes(list(paths.hugetlb))) {
      hugetlb[size] = defined({ usage: num(at('hugetlb', `hugetlb.${size}.usage_in_bytes`)), max: num(at('hugetlb', `hugetlb.${size}.max_usage_in_bytes`)), failcnt: num(at('hugetlb', `hugetlb.${size}.failcnt`)) ?? 0n });
    }
  }
  return {
    cpu: {
      usage: defined({ total: num(at('cpuacct', 'cpuacct.usage')), percpu, kernel: (ticks.system ?? 0n) * NS_PER_TICK, user: (ticks.user ?? 0n) * NS_PER_TICK }),
      throttling: defined({ periods: cpuStat.nr_periods, throttled_periods: cpuStat.nr_throttled, throttled_time: cpuStat.throttled_time }),
    },
    memory: defined({
      cache: raw.cache, usage: entry('memory'), swap: entry('memory.memsw'), kernel: entry('memory.kmem'), kernelTCP: entry('memory.kmem.tcp'),
      raw: Object.keys(raw).length > 0 ? raw : undefined,
    }),
    pids: defined({ current: num(at('pids', 'pids.current')), limit: num(at('pids', 'pids.max')) }),
    blkio: defined({ ioServiceBytesRecursive: blkio('blkio.throttle.io_service_bytes'), ioServicedRecursive: blkio('blkio.throttle.io_serviced') }),
    hugetlb,
  };
}

export function statsV2(dir: string, read: ReadFile, list: (dir: string) => string[]): CgroupStats {
  const at = (file: string) => read(posix.join(dir, file));
  const cpu = keyed(at('cpu.stat'));
  const us = (v: Num | undefined) => (v === undefined ? undefined : v * 1000n);
  const raw = keyed(at('memory.stat'));
  const events = keyed(at('memory.events'));
  const memLimit = num(at('memory.max'));
  const swapLimit = num(at('memory.swap.max'));
  const io = (at('io.stat') ?? '').split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => /^\d+:\d+$/.test(f[0] ?? ''));
  const ioEntries = (bytes: boolean): BlkioEntry[] => io.flatMap(([dev, ...kv]) => {
    const [major, minor] = dev.split(':').map((n) => BigInt(n));
    const v = Object.fromEntries(kv.map((p) => p.split('=')));
    const [r, w] = bytes ? [v.rbytes, v.wbytes] : [v.rios, v.wios];
    return [{ major, minor, op: 'Read', value: BigInt(r ?? 0) }, { major, minor, op: 'Write', value: BigInt(w ?? 0) }];
  });
  const hugetlb: CgroupStats['hugetlb'] = {};
  for (const size of hugeSizes(list(dir))) {
    hugetlb[size] = defined({ usage: num(at(`hugetlb.${size}.current`)), max: num(at(`hugetlb.${size}.max`)), failcnt: keyed(at(`hugetlb.${size}.events`)).max ?? 0n });
  }
  return {
    cpu: {
      usage: defined({ total: us(cpu.usage_usec), kernel: us(cpu.system_usec) ?? 0n, user: us(cpu.user_usec) ?? 0n }),
      throttling: defined({ periods: cpu.nr_periods, throttled_periods: cpu.nr_throttled, throttled_time: us(cpu.throttled_usec) }),
    },
    memory: defined({
      cache: raw.file,
      usage: memLimit === undefined ? undefined : defined({ limit: memLimit, usage: num(at('memory.current')), max: num(at('memory.peak')), failcnt: events.max ?? 0n }),
      swap: swapLimit === undefined ? undefined : defined({ limit: swapLimit, usage: num(at('memory.swap.current')), failcnt: keyed(at('memory.swap.events')).max ?? 0n }),
      raw: Object.keys(raw).length > 0 ? raw : undefined,
    }),
    pids: defined({ current: num(at('pids.current')), limit: num(at('pids.max')) }),
    blkio: io.length > 0 ? { ioServiceBytesRecursive: ioEntries(true), ioServicedRecursive: ioEntries(false) } : {},
    hugetlb,
  };
}

/** How many times the kernel's OOM killer acted in the cgroup so far (undefined: not known here). */
export function oomKills(driver: 'v1' | 'v2', paths: Record<string, string>, read: ReadFile): Num | undefined {
  const file = driver === 'v2' ? posix.join(paths.unified, 'memory.events') : paths.memory && posix.join(paths.memory, 'memory.oom_control');
  return file === undefined ? undefined : keyed(read(file)).oom_kill;
}

/** JSON with bigints written as the numbers they are. */
export function statsJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `\u0000${v}\u0000` : v)).replace(/"\\u0000(\d+)\\u0000"/g, '$1');
}
