// create: validate the bundle, claim the id, make the cgroup, compute the plan, let the helper run it.
// On any failure everything made so far is removed again.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Resources, Spec } from '../oci/types';
import { Bundle, bundleError, loadBundle } from './bundle/load';
import { ContainerRecord, StateStore, checkId, ERR_EXISTS } from './state-store';
import { Problem, RuntimeError, formatProblem } from './problems';
import type { Logger } from './log';
import { writePidFile } from './container';
import { runHelper } from './helper-client';
import { buildCreatePlan, HostFacts, PlanInput } from '../linux/plan-builder';
import { CgroupMountInfo, SourceKind } from '../linux/mounts';
import { hasNew, namespaceSet } from '../linux/namespaces';
import { deviceCgroupRules } from '../linux/devices';
import { readProcStat } from '../linux/proc';
import { native } from '../linux/native';
import { cgroupManagerFor, CgroupManager, detectCgroupLayout } from '../linux/cgroups';
import { homeDir } from '../linux/passwd';

export interface CreateOptions {
  id: string;
  bundle: string;
  pidFile?: string;
  noPivot: boolean;
  preserveFds: number;
  consoleSocket?: string;
}

export function hostFacts(): HostFacts {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const capBnd = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? '0';
  return {
    capLastCap: Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim()),
    boundingSet: BigInt(`0x${capBnd}`),
    hasKcore: fs.existsSync('/proc/kcore'),
    sourceKind: (p: string): SourceKind => {
      try {
        return fs.statSync(p).isDirectory() ? 'dir' : 'file';
      } catch {
        return 'missing';
      }
    },
  };
}

/** The process environment, with HOME from the container's /etc/passwd when the config sets none. */
export function containerEnv(spec: Spec, rootfs: string): string[] {
  const env = spec.process?.env ?? [];
  if (env.some((e) => e.startsWith('HOME='))) return env;
  return [...env, `HOME=${homeDir(rootfs, spec.process?.user.uid ?? 0) ?? '/'}`];
}

export function cgroupMountInfo(spec: Spec, cgroup: CgroupManager): CgroupMountInfo {
  const layout = detectCgroupLayout();
  const newCgroupNamespace = hasNew(namespaceSet(spec), 'cgroup');
  if (cgroup.driver === 'v2') {
    return { driver: 'v2', newCgroupNamespace, hierarchies: [{ name: '', hostPath: Object.values(cgroup.paths)[0] }] };
  }
  const hierarchies = Object.entries(cgroup.paths)
    .filter(([key]) => key !== 'unified' && layout.v1[key] !== undefined)
    .map(([key, hostPath]) => ({ name: path.basename(layout.v1[key]), hostPath }));
  return { driver: 'v1', newCgroupNamespace, hierarchies };
}

export function planInput(bundle: Bundle, cgroup: CgroupManager, stateDir: string, opts: CreateOptions): PlanInput {
  return {
    spec: bundle.spec,
    rootfs: bundle.rootfs,
    bundle: bundle.dir,
    stateDir,
    preserveFds: opts.preserveFds,
    noPivot: opts.noPivot,
    cgroup: { ...cgroupMountInfo(bundle.spec, cgroup), procsFiles: cgroup.procsFiles() },
    env: containerEnv(bundle.spec, bundle.rootfs),
    host: hostFacts(),
  };
}

/** The config's resources with the device rules every container gets. */
export function cgroupResources(spec: Spec): Resources {
  return { ...spec.linux?.resources, devices: deviceCgroupRules(spec.linux?.resources?.devices, spec.linux?.devices) };
}

export function cgroupFor(spec: Spec, id: string): CgroupManager {
  return cgroupManagerFor({ id, cgroupsPath: spec.linux?.cgroupsPath });
}

function logWarnings(log: Logger, problems: Problem[]): void {
  for (const p of problems) if (p.severity === 'warning') log.warn(formatProblem(p));
}

function checkUnsupported(spec: Spec, opts: CreateOptions): void {
  if (spec.process?.terminal) {
    throw new RuntimeError('process.terminal: terminals are not supported by tsrunc yet; set "terminal": false');
  }
  if (opts.consoleSocket !== undefined) {
    throw new RuntimeError('--console-socket is not supported by tsrunc yet (process.terminal must be false)');
  }
  // Refused rather than ignored: a container that asked for a seccomp filter must not run without it,
  // and one whose hooks (network setup, device injection, …) did not run would start half-made.
  if (spec.linux?.seccomp !== undefined) {
    throw new RuntimeError('linux.seccomp: seccomp filters are not supported by tsrunc yet; remove linux.seccomp to run without one');
  }
  const phase = Object.entries(spec.hooks ?? {}).find(([, hooks]) => Array.isArray(hooks) && hooks.length > 0)?.[0];
  if (phase !== undefined) {
    throw new RuntimeError(`hooks.${phase}: hooks are not supported by tsrunc yet; remove them to run without`);
  }
}

export async function createContainer(store: StateStore, log: Logger, opts: CreateOptions): Promise<ContainerRecord> {
  checkId(opts.id);
  if (store.exists(opts.id)) throw new RuntimeError(ERR_EXISTS);
  const bundle = loadBundle(opts.bundle);
  logWarnings(log, bundle.problems);
  checkUnsupported(bundle.spec, opts);
  const { spec } = bundle;

  const stateDir = store.claim(opts.id);
  let cgroup: CgroupManager | undefined;
  let pid = 0;
  try {
    native().mkfifo(store.fifoPath(opts.id), 0o622);
    cgroup = cgroupFor(spec, opts.id);
    const { plan, problems } = buildCreatePlan(planInput(bundle, cgroup, stateDir, opts));
    if (problems.some((p) => p.severity === 'error')) throw bundleError(bundle.configPath, problems);
    logWarnings(log, problems);
    const resources = cgroupResources(spec);
    for (const text of cgroup.unsupported(resources)) log.warn(`cgroup: ${text}`);
    cgroup.create();
    cgroup.apply(resources);
    const result = await runHelper(plan, opts.preserveFds).catch((err: RuntimeError & { pid?: number }) => {
      pid = err.pid ?? 0;
      throw err;
    });
    pid = result.pid;
    const stat = readProcStat(pid);
    if (!stat) throw new RuntimeError('container init exited during create');
    const record: ContainerRecord = {
      ociVersion: spec.ociVersion,
      id: opts.id,
      pid,
      pidStartTime: stat.startTime,
      bundle: bundle.dir,
      rootfs: bundle.rootfs,
      created: new Date().toISOString(),
      owner: os.userInfo().username,
      annotations: spec.annotations,
      cgroup: { driver: cgroup.driver, paths: cgroup.paths, created: [...cgroup.created] },
      ownPidNamespace: hasNew(namespaceSet(spec), 'pid'),
    };
    store.write(record);
    if (opts.pidFile !== undefined) writePidFile(opts.pidFile, pid);
    return record;
  } catch (err) {
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
        await native().waitpid(pid);
      } catch {
        // Already gone or not our child.
      }
    }
    try {
      cgroup?.destroy();
    } catch (cleanupErr) {
      log.warn(`cannot remove cgroup: ${(cleanupErr as Error).message}`);
    }
    store.remove(opts.id);
    throw err;
  }
}
