// The systemd driver without systemd: unit names and slice expansion (runc's rules), GVariant text and
// the annotation rules, the resource properties read off the v2 write plan, and the manager's calls
// against a fake bus on a cgroup "mount" in a temporary directory.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemdManagerFor as cgroupManagerFor, systemdManagerFromRecord } from '../../src/linux/cgroups/systemd/driver';
import { ALL_FEATURES } from '../../src/linux/cgroups/features';
import { expandSlice, systemdUnitFor } from '../../src/linux/cgroups/systemd/unit';
import { parseGVariant } from '../../src/linux/cgroups/systemd/gvariant';
import { annotationProperties, rangeToBits, resourceProperties, roundCpuMax, unitProperties } from '../../src/linux/cgroups/systemd/properties';
import { formatDbusValue, UINT64_MAX, type UnitProperty } from '../../src/linux/cgroups/systemd/dbus-value';
import type { SystemdBus } from '../../src/linux/cgroups/systemd/bus';
import { busAddresses, type SdbusAddon, systemdBusOver } from '../../src/linux/cgroups/systemd/bus';
import type { CgroupWrite } from '../../src/linux/cgroups/resource-writes';
import { parseRecord } from '../../src/runtime/state-record';

describe('unit names (runc: ExpandSlice, getUnitName, CreateCgroupConfig)', () => {
  it('expands a slice name into its cgroup path', () => {
    expect(expandSlice('system.slice')).toBe('/system.slice');
    expect(expandSlice('a-b.slice')).toBe('/a.slice/a-b.slice');
    expect(expandSlice('test-a-b.slice')).toBe('/test.slice/test-a.slice/test-a-b.slice');
    expect(expandSlice('-.slice')).toBe('/');
    for (const bad of ['a--b.slice', '-a.slice', 'a-.slice', '.slice', 'a/b.slice', 'foo', 'foo.scope']) expect(expandSlice(bad)).toBeUndefined();
  });

  it('defaults to :runc:<id>, a scope in system.slice', () => {
    expect(systemdUnitFor('c1', undefined)).toEqual({
      name: 'runc-c1.scope', type: 'scope', slice: 'system.slice', cgroup: '/system.slice/runc-c1.scope', description: 'libcontainer container c1',
    });
    expect(systemdUnitFor('c1', '').name).toBe('runc-c1.scope');
  });

  it('reads slice:prefix:name', () => {
    expect(systemdUnitFor('x', 'system.slice:docker:1234')).toMatchObject({ name: 'docker-1234.scope', slice: 'system.slice', cgroup: '/system.slice/docker-1234.scope' });
    expect(systemdUnitFor('x', 'machine-pod1.slice:libpod:abc')).toMatchObject({ cgroup: '/machine.slice/machine-pod1.slice/libpod-abc.scope' });
    expect(systemdUnitFor('x', ':crio:abc')).toMatchObject({ slice: 'system.slice', name: 'crio-abc.scope' });
    expect(systemdUnitFor('x', '-.slice:p:n')).toMatchObject({ cgroup: '/p-n.scope', slice: '-.slice' });
    expect(systemdUnitFor('x', 'system.slice::n').name).toBe('-n.scope');
  });

  it('makes a slice unit of a name ending in .slice (the prefix ignored), placed with Wants=', () => {
    const u = systemdUnitFor('x', 'kubepods.slice:ignored:kubepods-burstable.slice');
    expect(u).toMatchObject({ name: 'kubepods-burstable.slice', type: 'slice', slice: 'kubepods.slice', cgroup: '/kubepods.slice/kubepods-burstable.slice' });
    expect(unitProperties(u, 42).map((p) => p.name)).toEqual(['Description', 'Wants', 'MemoryAccounting', 'CPUAccounting', 'IOAccounting', 'TasksAccounting', 'DefaultDependencies']);
  });

  it('refuses malformed values with one line naming linux.cgroupsPath', () => {
    const cases: [string, RegExp][] = [
      ['a:b', /is not in the systemd driver's "slice:prefix:name" form/],
      ['a:b:c:d', /"slice:prefix:name" form/],
      ['/sys/fs/cgroup/x', /"slice:prefix:name" form/],
      ['foo:p:n', /the slice "foo", which is not a systemd slice name/],
      ['a--b.slice:p:n', /not a systemd slice name/],
      ['a/b.slice:p:n', /not a systemd slice name/],
      ['system.slice:p:', /empty name/],
      ['system.slice:p:a+b', /"\+", which systemd does not allow|has "\+"/],
      ['system.slice:p:a b', /has " "/],
      ['system.slice:p:mine.slice', /does not place directly in "system.slice".*"system-mine.slice"/],
      [`system.slice:p:${'x'.repeat(250)}`, /at most 255/],
    ];
    for (const [path, message] of cases) {
      expect(() => systemdUnitFor('x', path), path).toThrow(message);
      expect(() => systemdUnitFor('x', path), path).toThrow(/^linux\.cgroupsPath: /);
    }
    expect(() => systemdUnitFor('a+b', undefined)).toThrow(/":runc:a\+b" makes the unit name "runc-a\+b.scope"/);
  });
});

describe('GVariant text (the annotation values)', () => {
  it('reads typed and untyped values', () => {
    expect(parseGVariant('uint64 123456789')).toEqual({ sig: 't', value: 123456789n });
    expect(parseGVariant("'inactive-or-failed'")).toEqual({ sig: 's', value: 'inactive-or-failed' });
    expect(parseGVariant('"it\\\'s"')).toEqual({ sig: 's', value: "it's" });
    expect(parseGVariant('true')).toEqual({ sig: 'b', value: true });
    expect(parseGVariant('5')).toEqual({ sig: 'i', value: 5 });
    expect(parseGVariant('-1.5')).toEqual({ sig: 'd', value: -1.5 });
    expect(parseGVariant('[1, 2.5]')).toEqual({ sig: 'ad', value: [1, 2.5] });
    expect(parseGVariant("['a', 'b']")).toEqual({ sig: 'as', value: ['a', 'b'] });
    expect(parseGVariant('@as []')).toEqual({ sig: 'as', value: [] });
    expect(parseGVariant('[uint32 1, 2]')).toEqual({ sig: 'au', value: [1, 2] });
    expect(parseGVariant('<int32 5>')).toEqual({ sig: 'v', value: { sig: 'i', value: 5 } });
    expect(parseGVariant("{'a': 1, 'b': 2}")).toEqual({ sig: 'a{si}', value: [['a', 1], ['b', 2]] });
    expect(parseGVariant("[('/dev/null', 'rwm')]")).toEqual({ sig: 'a(ss)', value: [['/dev/null', 'rwm']] });
    expect(parseGVariant("b'ab'").sig).toBe('ay');
    expect(parseGVariant('byte 0xff')).toEqual({ sig: 'y', value: 255 });
    expect(parseGVariant("objectpath '/a/b'")).toEqual({ sig: 'o', value: '/a/b' });
  });

  it('refuses what is not a D-Bus value', () => {
    for (const bad of ['', 'just 1', 'nothing', '[]', "[1, 'a']", 'byte 256', 'uint64 -1', "'open", 'yes', '1 2', "objectpath 'a'", '()', 'handle 1']) {
      expect(() => parseGVariant(bad), bad).toThrow();
    }
  });

  it('prints values back as GVariant text (explain)', () => {
    expect(formatDbusValue('t', UINT64_MAX)).toBe('uint64 18446744073709551615');
    expect(formatDbusValue('as', [])).toBe('@as []');
    expect(formatDbusValue('ay', Uint8Array.from([7]))).toBe('[byte 0x07]');
    expect(formatDbusValue('a(sv)', [['x', { sig: 'b', value: true }]])).toBe("[('x', <true>)]");
  });
});

describe('org.systemd.property.<Name> annotations (runc: initSystemdProps)', () => {
  it('become properties; a Sec name after a lowercase letter becomes USec in microseconds', () => {
    const { properties, problems } = annotationProperties({
      'org.systemd.property.TimeoutStopSec': 'uint64 123',
      'org.systemd.property.CollectMode': "'inactive-or-failed'",
      'org.systemd.property.RuntimeMaxSec': '1.5',
      'org.systemd.property.TimeoutStopUSec': 'uint64 5',
      'org.opencontainers.image.title': 'ignored',
    });
    expect(problems).toEqual([]);
    expect(properties.map(({ name, sig, value }) => [name, sig, value])).toEqual([
      ['TimeoutStopUSec', 't', 123_000_000n],
      ['CollectMode', 's', 'inactive-or-failed'],
      ['RuntimeMaxUSec', 't', 1_500_000n],
      ['TimeoutStopUSec', 't', 5n],
    ]);
    expect(properties[0].origin).toBe('annotations["org.systemd.property.TimeoutStopSec"]');
  });

  it('refuses bad names and values, naming the annotation', () => {
    const { problems } = annotationProperties({
      'org.systemd.property.ab': '1',
      'org.systemd.property.Foo1': '1',
      'org.systemd.property.Wants': '[unclosed',
      'org.systemd.property.TimeoutStopSec': "'ten'",
      'org.systemd.property.RuntimeMaxSec': '-1',
    });
    expect(problems.map((p) => [p.path, p.message.split(':')[0]])).toEqual([
      ['annotations["org.systemd.property.ab"]', '"ab" is not a systemd property name for the systemd cgroup driver'],
      ['annotations["org.systemd.property.Foo1"]', '"Foo1" is not a systemd property name for the systemd cgroup driver'],
      ['annotations["org.systemd.property.Wants"]', '"[unclosed" is not a value in GVariant text format (unexpected \"unclosed\" at offset 1), e.g. "uint64 123", "\'text\'", "true"'],
      ['annotations["org.systemd.property.TimeoutStopSec"]', 'TimeoutStopSec takes seconds (it is sent as TimeoutStopUSec)'],
      ['annotations["org.systemd.property.RuntimeMaxSec"]', 'RuntimeMaxSec takes seconds'],
    ]);
  });
});

describe('resource properties from the v2 write plan (runc: genV2ResourcesProperties, unifiedResToSystemdProps)', () => {
  const dir = '/sys/fs/cgroup/system.slice/runc-c1.scope';
  const w = (file: string, value: string, origin = 'linux.resources'): CgroupWrite => ({ file: `${dir}/${file}`, value, origin });
  const props = (writes: CgroupWrite[], version?: number) => resourceProperties(writes, dir, version).map(({ name, value }) => [name, value]);

  it('maps the files systemd has properties for, the last write of a file winning', () => {
    expect(props([
      w('memory.max', '67108864'), w('memory.low', 'max'), w('memory.swap.max', '0'), w('cpu.weight', '20'),
      w('pids.max', '0'), w('io.weight', 'default 500'), w('io.weight', '8:0 100'), w('cpuset.cpus', '0-2,7'), w('cpuset.mems', '0'),
      w('memory.high', '1000'), w('memory.max', '1048576'), w('hugetlb.2MB.max', '0'), w('cpu.max.burst', '10'),
    ])).toEqual([
      ['MemoryMax', 1048576n], ['MemoryLow', UINT64_MAX], ['MemorySwapMax', 0n], ['CPUWeight', 20n], ['TasksMax', 1n],
      ['AllowedCPUs', Uint8Array.from([0x87])], ['AllowedMemoryNodes', Uint8Array.from([1])], ['MemoryHigh', 1000n],
    ]);
    // io.weight's per-device line came last: it is not a default weight, so no IOWeight.
    expect(props([w('io.weight', 'default 500')])).toEqual([['IOWeight', 500n]]);
  });

  it('rounds the CPU quota up to whole percent, as systemd keeps it, and writes the same to cpu.max', () => {
    expect(roundCpuMax('12345 100000')).toEqual({ value: '13000 100000', perSec: 130000n, period: 100000n });
    expect(roundCpuMax('50000 100000')).toEqual({ value: '50000 100000', perSec: 500000n, period: 100000n });
    expect(roundCpuMax('max 50000')).toEqual({ value: 'max 50000', perSec: UINT64_MAX, period: 50000n });
    expect(props([w('cpu.max', '12345 100000')])).toEqual([['CPUQuotaPeriodUSec', 100000n], ['CPUQuotaPerSecUSec', 130000n]]);
  });

  it('leaves out what the systemd version does not have (runc\'s gates)', () => {
    const writes = [w('cpu.max', '50000 100000'), w('cpuset.cpus', '1'), w('cpu.weight', '5'), w('cpu.idle', '1')];
    expect(props(writes).map(([n, v]) => `${n}=${v}`)).toEqual(['CPUQuotaPeriodUSec=100000', 'CPUQuotaPerSecUSec=500000', 'AllowedCPUs=2', 'CPUWeight=0']);
    expect(props(writes, 251).map(([n]) => n)).toEqual(['CPUQuotaPeriodUSec', 'CPUQuotaPerSecUSec', 'AllowedCPUs', 'CPUWeight']);
    expect(props(writes, 243).map(([n]) => n)).toEqual(['CPUQuotaPeriodUSec', 'CPUQuotaPerSecUSec', 'CPUWeight']);
    expect(props(writes, 241).map(([n]) => n)).toEqual(['CPUQuotaPerSecUSec', 'CPUWeight']);
  });

  it('encodes CPU lists as systemd bitmasks (byte 0 = CPUs 0-7)', () => {
    expect(rangeToBits('0')).toEqual(Uint8Array.from([1]));
    expect(rangeToBits('8')).toEqual(Uint8Array.from([0, 1]));
    expect(rangeToBits('0-3, 9,,')).toEqual(Uint8Array.from([0x0f, 0x02]));
    for (const bad of ['', ',', '3-1', 'a', '1-']) expect(rangeToBits(bad), bad).toBeUndefined();
  });
});

describe('the manager, against a fake bus', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  type Call = [string, string, ...unknown[]];
  function fakeBus(calls: Call[], version = 252): () => SystemdBus {
    return () => ({
      startTransientUnit: (name, properties) => {
        calls.push(['start', name, properties]);
        return {
          wait: () => {
            calls.push(['wait', name]);
            // systemd makes the unit's directory, with the files the writes go to.
            const unitDir = join(root!, 'system.slice', name);
            mkdirSync(unitDir, { recursive: true });
            for (const f of ['memory.max', 'cpu.max', 'cpu.weight', 'pids.max', 'cgroup.procs']) writeFileSync(join(unitDir, f), '');
          },
        };
      },
      setUnitProperties: (name, runtime, properties) => void calls.push(['set', name, runtime, properties]),
      stopUnit: (name) => {
        calls.push(['stop', name]);
        rmSync(join(root!, 'system.slice', name), { recursive: true, force: true });
      },
      version: () => {
        calls.push(['version', '']);
        return version;
      },
    });
  }

  function manager(calls: Call[], resources = { memory: { limit: 1 << 26 }, cpu: { quota: 12345, period: 100000 } }) {
    root = mkdtempSync(join(tmpdir(), 'tsrunc-sd-'));
    return cgroupManagerFor({
      id: 'c1', bus: fakeBus(calls), resources,
      annotations: { 'org.systemd.property.CollectMode': "'inactive-or-failed'" },
      layout: { mode: 'v2', unified: root, v1: {} },
      unifiedControllers: ['cpu', 'memory', 'pids'], hugePageSizes: [], features: ALL_FEATURES,
    });
  }

  const names = (p: unknown) => (p as UnitProperty[]).map((x) => x.name);

  it('starts the scope with the pid and everything as properties; apply of the same resources only writes the files', () => {
    const calls: Call[] = [];
    const cg = manager(calls);
    expect(cg.driver).toBe('systemd');
    expect(cg.unit).toBe('runc-c1.scope');
    expect(cg.paths).toEqual({ unified: join(root!, 'system.slice/runc-c1.scope') });
    expect(cg.plannedDirs()).toEqual([]);
    cg.create(4242);
    expect(calls.map((c) => c[0])).toEqual(['version', 'start']);
    cg.settle!();
    cg.settle!();
    expect(calls.map((c) => c[0])).toEqual(['version', 'start', 'wait']);
    const props = calls[1][2] as UnitProperty[];
    expect(names(props)).toEqual([
      'Description', 'Slice', 'Delegate', 'PIDs', 'MemoryAccounting', 'CPUAccounting', 'IOAccounting', 'TasksAccounting', 'DefaultDependencies',
      'CollectMode', 'MemoryMax', 'CPUQuotaPeriodUSec', 'CPUQuotaPerSecUSec',
    ]);
    expect(props.find((p) => p.name === 'PIDs')).toMatchObject({ sig: 'au', value: [4242] });
    expect(cg.entry()).toEqual({ join: [], cloneInto: cg.paths.unified });
    const resources = { memory: { limit: 1 << 26 }, cpu: { quota: 12345, period: 100000 } };
    expect(cg.resourceWrites(resources).map((w) => `${w.file.slice(root!.length)}=${w.value}`)).toEqual([
      '/system.slice/runc-c1.scope/memory.max=67108864', '/system.slice/runc-c1.scope/cpu.max=13000 100000',
    ]);
    cg.apply(resources);
    expect(calls.map((c) => c[0])).toEqual(['version', 'start', 'wait']);
    cg.apply({ memory: { limit: 1 << 27 } });
    expect(calls[3]).toEqual(['set', 'runc-c1.scope', true, [expect.objectContaining({ name: 'MemoryMax', value: BigInt(1 << 27) })]]);
    cg.destroy();
    expect(calls[4]).toEqual(['stop', 'runc-c1.scope']);
  });

  it('is found again from its record, and stops its unit on delete', () => {
    const calls: Call[] = [];
    const cg = manager(calls, {} as never);
    cg.create(1);
    cg.settle!();
    const again = systemdManagerFromRecord(cg.paths, cg.created, cg.unit, {
      bus: fakeBus(calls), layout: { mode: 'v2', unified: root!, v1: {} }, unifiedControllers: [], hugePageSizes: [], features: ALL_FEATURES,
    });
    expect(again.entry()).toEqual(cg.entry());
    again.destroy();
    expect(calls.map((c) => c[0])).toEqual(['start', 'wait', 'stop']);
  });

  it('refuses annotations it cannot send, naming them', () => {
    expect(() => cgroupManagerFor({
      id: 'c1', bus: fakeBus([]), annotations: { 'org.systemd.property.X1': '1' }, layout: { mode: 'v2', unified: '/sys/fs/cgroup', v1: {} },
    })).toThrow(/^annotations\["org.systemd.property.X1"\]: /);
  });

  it('needs cgroup v2', () => {
    expect(() => cgroupManagerFor({ id: 'c1', bus: fakeBus([]), layout: { mode: 'hybrid', unified: '/sys/fs/cgroup/unified', v1: { memory: '/m' } } }))
      .toThrow(/needs cgroup v2 .* this host's cgroups are hybrid/);
  });
});

describe('the record of a systemd container', () => {
  const base = { id: 'c1', bundle: '/b', created: 'now', owner: 'root', status: 'creating', creator: { pid: 1, startTime: '1' } };
  it('keeps the unit, and is corrupt without it', () => {
    const cgroup = { driver: 'systemd', paths: { unified: '/sys/fs/cgroup/system.slice/runc-c1.scope' }, created: [], unit: 'runc-c1.scope' };
    expect(parseRecord(JSON.stringify({ ...base, cgroup }), 'c1')).toMatchObject({ cgroup });
    expect(() => parseRecord(JSON.stringify({ ...base, cgroup: { ...cgroup, unit: undefined } }), 'c1')).toThrow(/unit for systemd/);
  });
});

describe('where the bus is', () => {
  it('takes $DBUS_SYSTEM_BUS_ADDRESS, else systemd\'s private socket (root) and the system bus', () => {
    expect(busAddresses({ DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/x' }, true)).toEqual([['unix:path=/x', true]]);
    expect(busAddresses({}, false)).toEqual([['unix:path=/run/dbus/system_bus_socket', true]]);
  });
});

describe('the calls, over a fake addon', () => {
  const dbusError = (dbusName: string, message: string) => Object.assign(new Error(message), { dbusName, code: 'EIO' });
  function addon(script: Record<string, (args: unknown[]) => unknown>, calls: string[]): SdbusAddon {
    const answer = (member: string, args: unknown[]) => {
      calls.push(member);
      const f = script[member];
      if (!f) throw new Error(`unexpected ${member}`);
      return f(args);
    };
    const jobs = new Map<string, string>();
    return {
      connect: () => undefined,
      call: (member, _sig, args) => answer(member, args) as string | undefined,
      callJob: (member, _sig, args) => answer(member, args) as { job: string; result: string },
      queueJob: (member, _sig, args) => {
        const { job, result } = answer(member, args) as { job: string; result: string };
        jobs.set(job, result);
        return job;
      },
      waitJob: (job) => jobs.get(job)!,
      managerProperty: (name) => answer(`Get ${name}`, []) as string,
    };
  }

  it('sends StartTransientUnit with the properties as a(sv), and waits for "done"', () => {
    const calls: string[] = [];
    let sent: unknown[] = [];
    const bus = systemdBusOver(addon({ StartTransientUnit: (args) => { sent = args; return { job: '/j/1', result: 'done' }; } }, calls));
    bus.startTransientUnit('runc-c1.scope', [{ name: 'Delegate', sig: 'b', value: true, origin: 'x' }]).wait();
    expect(sent).toEqual(['runc-c1.scope', 'replace', [['Delegate', { sig: 'b', value: true }]], []]);
  });

  it('resets a leftover unit of the same name and tries once more (runc)', () => {
    const calls: string[] = [];
    let n = 0;
    const bus = systemdBusOver(addon({
      StartTransientUnit: () => {
        if (n++ === 0) throw dbusError('org.freedesktop.systemd1.UnitExists', 'StartTransientUnit: Unit runc-c1.scope was already loaded or has a fragment file.');
        return { job: '/j/2', result: 'done' };
      },
      ResetFailedUnit: () => undefined,
    }, calls));
    bus.startTransientUnit('runc-c1.scope', []).wait();
    expect(calls).toEqual(['StartTransientUnit', 'ResetFailedUnit', 'StartTransientUnit']);
  });

  it('says what went wrong: a unit in use, a refusal, a failed job', () => {
    const exists = () => { throw dbusError('org.freedesktop.systemd1.UnitExists', 'StartTransientUnit: exists'); };
    expect(() => systemdBusOver(addon({ StartTransientUnit: exists, ResetFailedUnit: () => undefined }, [])).startTransientUnit('u.scope', []))
      .toThrow('systemd cgroup driver: the unit u.scope exists already and is in use');
    const refused = () => { throw dbusError('org.freedesktop.DBus.Error.InvalidArgs', 'StartTransientUnit: Cannot set property Bogus, or unknown property.'); };
    expect(() => systemdBusOver(addon({ StartTransientUnit: refused }, [])).startTransientUnit('u.scope', []))
      .toThrow('systemd cgroup driver: systemd refused to start the unit u.scope: Cannot set property Bogus, or unknown property.');
    const calls: string[] = [];
    const queued = systemdBusOver(addon({ StartTransientUnit: () => ({ job: '/j', result: 'failed' }), ResetFailedUnit: () => undefined }, calls)).startTransientUnit('u.scope', []);
    expect(() => queued.wait())
      .toThrow('systemd cgroup driver: the unit u.scope did not start: its job ended "failed"');
    expect(calls).toEqual(['StartTransientUnit', 'ResetFailedUnit']);
  });

  it('takes a unit that is not loaded as stopped; reads the version once', () => {
    const calls: string[] = [];
    const bus = systemdBusOver(addon({
      StopUnit: () => { throw dbusError('org.freedesktop.systemd1.NoSuchUnit', 'StopUnit: Unit u.scope not loaded.'); },
      'Get Version': () => '252.39-1~deb12u2',
    }, calls));
    bus.stopUnit('u.scope');
    expect(bus.version()).toBe(252);
    expect(bus.version()).toBe(252);
    expect(calls).toEqual(['StopUnit', 'Get Version']);
  });
});
