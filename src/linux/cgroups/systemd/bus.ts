// systemd's D-Bus API as the systemd driver uses it (org.freedesktop.systemd1.Manager), over the sd-bus
// addon (native/sdbus/sdbus.cc), which is loaded only here. What is called and with what is decided in
// this file; the addon only encodes, sends and waits.
//
// Where: $DBUS_SYSTEM_BUS_ADDRESS when set; else, for root, systemd's own socket /run/systemd/private
// (a direct connection, as systemctl makes: no broker in between), then the system bus at
// /run/dbus/system_bus_socket (runc's go-systemd tries the two the other way round).

import { existsSync, lstatSync } from 'node:fs';
import * as path from 'node:path';
import { RuntimeError } from '../../../common/errors';
import { packageRoot } from '../../native';
import type { DbusValue, UnitProperty } from './dbus-value';

/** A job systemd has queued: wait() returns when it has ended "done", and throws a RuntimeError otherwise. */
export interface QueuedJob {
  wait(): void;
}

export interface SystemdBus {
  /**
   * StartTransientUnit(name, "replace", properties, []): returns once systemd has queued the start (a
   * RuntimeError when it refuses), so that its job can go on while the caller does other work.
   */
  startTransientUnit(name: string, properties: UnitProperty[]): QueuedJob;
  /** SetUnitProperties(name, runtime, properties). */
  setUnitProperties(name: string, runtime: boolean, properties: UnitProperty[]): void;
  /** StopUnit(name, "replace") and its job's end, then ResetFailedUnit; a unit that is not loaded is stopped already. */
  stopUnit(name: string): void;
  /** The Manager's Version as a number (252 for "252.38-1~deb12u1"); undefined when it cannot be read. */
  version(): number | undefined;
}

/** The addon's calls (native/sdbus/sdbus.cc). */
export interface SdbusAddon {
  connect(address: string, busClient: boolean): void;
  call(member: string, signature: string, args: DbusValue[], timeoutMs: number): string | undefined;
  callJob(member: string, signature: string, args: DbusValue[], timeoutMs: number): { job: string; result: string };
  queueJob(member: string, signature: string, args: DbusValue[], timeoutMs: number): string;
  waitJob(job: string, timeoutMs: number): string;
  managerProperty(name: string, timeoutMs: number): string | bigint | undefined;
}

/** runc waits 30 s for a job, and so does tsrunc. */
export const JOB_TIMEOUT_MS = 30_000;
const CALL_TIMEOUT_MS = 25_000;

export const SYSTEM_BUS_SOCKET = '/run/dbus/system_bus_socket';
export const SYSTEMD_PRIVATE_SOCKET = '/run/systemd/private';

type BusError = Error & { code?: string; dbusName?: string };

/** sd_booted(3)'s test, as runc's IsRunningSystemd: /run/systemd/system is a directory. */
export function systemdRunning(): boolean {
  try {
    return lstatSync('/run/systemd/system').isDirectory();
  } catch {
    // Not there (or not to be looked at): systemd is not this host's init.
    return false;
  }
}

/** The addresses to try, in order: [address, whether it is a bus (a broker) rather than a direct peer]. */
export function busAddresses(env: NodeJS.ProcessEnv = process.env, root = process.geteuid?.() === 0): [string, boolean][] {
  const fromEnv = env.DBUS_SYSTEM_BUS_ADDRESS;
  if (fromEnv !== undefined && fromEnv !== '') return [[fromEnv, true]];
  const out: [string, boolean][] = [];
  if (root && existsSync(SYSTEMD_PRIVATE_SOCKET)) out.push([`unix:path=${SYSTEMD_PRIVATE_SOCKET}`, false]);
  out.push([`unix:path=${SYSTEM_BUS_SOCKET}`, true]);
  return out;
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** "unix:path=/run/dbus/system_bus_socket" → "the system bus at /run/dbus/system_bus_socket". */
function describeAddress(address: string): string {
  const p = /^unix:path=([^,;]+)/.exec(address)?.[1];
  if (p === SYSTEMD_PRIVATE_SOCKET) return `systemd at ${p}`;
  return `the system bus at ${p ?? address}`;
}

/** What connecting failed with, in the driver's words. */
export function connectError(address: string, err: BusError): RuntimeError {
  const why = lowerFirst(err.message.replace(/^connect: /, ''));
  const hint = systemdRunning() ? '' : ' (systemd is not running on this host: /run/systemd/system does not exist)';
  return new RuntimeError(`systemd cgroup driver: cannot connect to ${describeAddress(address)}: ${why}${hint}`);
}

let addon: SdbusAddon | undefined;

function loadAddon(): SdbusAddon {
  if (addon === undefined) {
    const mod = { exports: {} as SdbusAddon };
    process.dlopen(mod, path.join(packageRoot(), 'build', 'Release', 'tsrunc_sdbus.node'));
    addon = mod.exports;
  }
  return addon;
}

const asArgs = (props: UnitProperty[]): DbusValue[] => props.map((p) => [p.name, { sig: p.sig, value: p.value }]);

const failedText = (err: BusError) => err.message.replace(/^[A-Za-z]+: /, '');

class SdBus implements SystemdBus {
  private cachedVersion: number | undefined | null = null;

  constructor(private readonly a: SdbusAddon) {}

  startTransientUnit(name: string, properties: UnitProperty[]): QueuedJob {
    const args = [name, 'replace', asArgs(properties), []];
    const queue = () => this.a.queueJob('StartTransientUnit', 'ssa(sv)a(sa(sv))', args, CALL_TIMEOUT_MS);
    let job: string;
    try {
      job = queue();
    } catch (err) {
      const e = err as BusError;
      if (e.dbusName !== 'org.freedesktop.systemd1.UnitExists') throw this.refused(name, e);
      // A unit of that name is left from before (failed, say): have systemd forget it, and try once more (runc too).
      this.resetFailed(name);
      try {
        job = queue();
      } catch (again) {
        const e2 = again as BusError;
        if (e2.dbusName === 'org.freedesktop.systemd1.UnitExists') {
          throw new RuntimeError(`systemd cgroup driver: the unit ${name} exists already and is in use (another container's, or one not deleted); use another linux.cgroupsPath or delete that one`);
        }
        throw this.refused(name, e2);
      }
    }
    return {
      wait: () => {
        let result: string;
        try {
          result = this.a.waitJob(job, JOB_TIMEOUT_MS);
        } catch (err) {
          this.resetFailed(name);
          throw this.refused(name, err as BusError);
        }
        if (result !== 'done') {
          this.resetFailed(name);
          throw new RuntimeError(`systemd cgroup driver: the unit ${name} did not start: its job ended "${result}" (see the journal: journalctl -u ${name})`);
        }
      },
    };
  }

  private refused(name: string, e: BusError): RuntimeError {
    if (e.code === 'ETIMEDOUT') return new RuntimeError(`systemd cgroup driver: systemd did not start the unit ${name} within ${JOB_TIMEOUT_MS / 1000} s`);
    return new RuntimeError(`systemd cgroup driver: systemd refused to start the unit ${name}: ${failedText(e)}`);
  }

  setUnitProperties(name: string, runtime: boolean, properties: UnitProperty[]): void {
    try {
      this.a.call('SetUnitProperties', 'sba(sv)', [name, runtime, asArgs(properties)], CALL_TIMEOUT_MS);
    } catch (err) {
      throw new RuntimeError(`systemd cgroup driver: systemd refused to set properties of the unit ${name}: ${failedText(err as BusError)}`);
    }
  }

  stopUnit(name: string): void {
    try {
      const job = this.a.callJob('StopUnit', 'ss', [name, 'replace'], JOB_TIMEOUT_MS);
      if (job.result !== 'done') {
        this.resetFailed(name);
        throw new RuntimeError(`systemd cgroup driver: the unit ${name} did not stop: its job ended "${job.result}"`);
      }
    } catch (err) {
      const e = err as BusError;
      if (e.dbusName === 'org.freedesktop.systemd1.NoSuchUnit') return;
      if (e instanceof RuntimeError) throw e;
      throw new RuntimeError(`systemd cgroup driver: cannot stop the unit ${name}: ${failedText(e)}`);
    }
    // A scope whose processes were killed may be left "failed": have systemd forget it (runc too).
    this.resetFailed(name);
  }

  private resetFailed(name: string): void {
    try {
      this.a.call('ResetFailedUnit', 's', [name], CALL_TIMEOUT_MS);
    } catch {
      // Not loaded (gone already) or not failed: nothing to forget.
    }
  }

  version(): number | undefined {
    if (this.cachedVersion !== null) return this.cachedVersion;
    let v: string | bigint | undefined;
    try {
      v = this.a.managerProperty('Version', CALL_TIMEOUT_MS);
    } catch {
      // An old or odd systemd: treated as new enough (the file writes follow in any case).
      v = undefined;
    }
    const n = typeof v === 'string' ? Number(/^\D*(\d+)/.exec(v)?.[1]) : undefined;
    return (this.cachedVersion = n !== undefined && Number.isInteger(n) ? n : undefined);
  }
}

/** The driver's calls over an addon (tests give a fake one). */
export function systemdBusOver(a: SdbusAddon): SystemdBus {
  return new SdBus(a);
}

let connected: SystemdBus | undefined;

/** The one connection of this process to systemd, made on first use; a RuntimeError naming the bus when there is none. */
export function systemdBus(): SystemdBus {
  if (connected !== undefined) return connected;
  const addresses = busAddresses();
  let a: SdbusAddon;
  try {
    a = loadAddon();
  } catch (err) {
    throw new RuntimeError(`systemd cgroup driver: cannot load tsrunc_sdbus.node (build it with node-gyp; it needs libsystemd): ${(err as Error).message}`);
  }
  let last: RuntimeError | undefined;
  for (const [address, busClient] of addresses) {
    try {
      a.connect(address, busClient);
      return (connected = new SdBus(a));
    } catch (err) {
      last = connectError(address, err as BusError);
    }
  }
  throw last!;
}
