// create: diagnose the bundle and compute the plan without touching anything (prepareCreate, which
// explain prints and check reports the problems of), then run create's host steps (create-steps.ts:
// claim the id, make the cgroup, let the helper run the plan, ...). On any failure everything made so
// far is removed again.
import * as fs from 'node:fs';
import { runtimeProc } from '../linux/proc';
import * as path from 'node:path';
import type { Resources, Spec } from '../oci/types';
import { addProblems, Bundle, BundleInspection, bundleError, inspectBundle } from './bundle/load';
import type { ConfigFile } from './bundle/config-file';
import { gatherHostCheckFacts, hostProblems } from './bundle/host-checks';
import { ContainerRecord, StateStore, checkId, ERR_EXISTS } from './state-store';
import { Problem, RuntimeError, formatProblem, isRuntimeError, problemsOf } from '../common/errors';
import type { Logger } from './log';
import type { CreateHeadStart } from './head-start';
import { hookState } from '../oci/hooks';
import { withHookRunner } from './hooks';
import { buildCreatePlan, HostFacts, PlanInput } from '../linux/plan-builder';
import { CgroupMountInfo, SourceKind } from '../linux/mounts';
import { hasNew, namespaceSet } from '../linux/namespaces';
import { deviceCgroupRules } from '../linux/devices';
import { CgroupManager, CgroupWrite, detectCgroupLayout, type NotApplied, type PlannedDeviceProgram } from '../linux/cgroups';
import type { Plan } from '../linux/plan';
import { homeDir } from '../linux/passwd';
import { processEnv } from './process-env';
import { checkTerminal, OwnConsole } from './terminal';
import { CREATE_STEPS, createHookState, createRun } from './create-steps';
import { runSteps } from './steps';
import { CgroupFor, Host, realHost } from './host';

export interface CreateOptions {
  id: string;
  bundle: string;
  pidFile?: string;
  noPivot: boolean;
  preserveFds: number;
  consoleSocket?: string;
  /** --pidfd-socket: where the new process sends a pidfd of itself (as runc). */
  pidfdSocket?: string;
  /** false for a foreground `run`: a terminal without a console socket is then tsrunc's own. */
  detach?: boolean;
}

/** What create made; with an own console (a foreground run with a terminal), the pty master. */
export type CreatedContainer = ContainerRecord & { consoleMaster?: number };

/** Mount points of full (root "/") procfs and sysfs mounts in mountinfo text, unescaped. */
export function fullPseudoFsMounts(mountinfo: string): string[] {
  return mountinfo.split('\n').flatMap((line) => {
    const [left, right] = line.split(' - ');
    const fields = left?.split(' ') ?? [];
    const fstype = right?.split(' ')[0];
    if (fields.length < 5 || fields[3] !== '/' || (fstype !== 'proc' && fstype !== 'sysfs')) return [];
    return [fields[4].replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)))];
  });
}

export function hostFacts(): HostFacts {
  const self = runtimeProc();
  const status = fs.readFileSync(`${self}/status`, 'utf8');
  const capBnd = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? '0';
  return {
    capLastCap: Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim()),
    boundingSet: BigInt(`0x${capBnd}`),
    hasKcore: fs.existsSync('/proc/kcore'),
    pseudoFsMounts: fullPseudoFsMounts(fs.readFileSync(`${self}/mountinfo`, 'utf8')),
    sourceKind: (p: string): SourceKind => {
      try {
        return fs.statSync(p).isDirectory() ? 'dir' : 'file';
      } catch {
        // Not there, or not to be looked at: the plan reports a missing mount source, naming the field.
        return 'missing';
      }
    },
  };
}

/** The process environment as runc prepares it: each name once, HOME from the container's /etc/passwd when unset or empty. */
export function containerEnv(spec: Spec, rootfs: string): string[] {
  return processEnv(spec.process?.env, () => homeDir(rootfs, spec.process?.user.uid ?? 0) ?? '/');
}

export function cgroupMountInfo(spec: Spec, cgroup: CgroupManager): CgroupMountInfo {
  const layout = detectCgroupLayout();
  const newCgroupNamespace = hasNew(namespaceSet(spec), 'cgroup');
  if (cgroup.driver !== 'v1') {
    return { driver: 'v2', newCgroupNamespace, hierarchies: [{ name: '', hostPath: Object.values(cgroup.paths)[0] }] };
  }
  const hierarchies = Object.entries(cgroup.paths)
    .filter(([key]) => key !== 'unified' && layout.v1[key] !== undefined)
    .map(([key, hostPath]) => ({ name: path.basename(layout.v1[key]), hostPath }));
  return { driver: 'v1', newCgroupNamespace, hierarchies };
}

export function planInput(
  bundle: Bundle, cgroup: CgroupManager, stateDir: string, opts: Pick<CreateOptions, 'preserveFds' | 'noPivot' | 'consoleSocket' | 'pidfdSocket'> & { id?: string; relaysTerminal?: boolean }, host: HostFacts = hostFacts(),
): PlanInput {
  return {
    ...(opts.consoleSocket !== undefined ? { consoleSocket: opts.consoleSocket } : {}),
    ...(opts.pidfdSocket !== undefined ? { pidfdSocket: opts.pidfdSocket } : {}),
    ...(opts.relaysTerminal === true ? { relaysTerminal: true } : {}),
    spec: bundle.spec,
    ...(opts.id !== undefined ? { id: opts.id } : {}),
    rootfs: bundle.rootfs,
    bundle: bundle.dir,
    stateDir,
    preserveFds: opts.preserveFds,
    noPivot: opts.noPivot,
    cgroup: { ...cgroupMountInfo(bundle.spec, cgroup), ...cgroup.entry() },
    env: containerEnv(bundle.spec, bundle.rootfs),
    host,
  };
}

/** The config's resources with the device rules every container gets. */
export function cgroupResources(spec: Spec): Resources {
  return { ...spec.linux?.resources, devices: deviceCgroupRules(spec.linux?.resources?.devices, spec.linux?.devices) };
}

function logWarnings(log: Logger, problems: Problem[]): void {
  for (const p of problems) if (p.severity === 'warning') log.warn(formatProblem(p));
}

/** What tsrunc cannot do yet, as problems of the config (so check reports them as create refuses them). */
export function unsupportedProblems(config: unknown): Problem[] {
  const problems: Problem[] = [];
  const spec = config as Partial<Spec> | null;
  if (spec === null || typeof spec !== 'object') return problems;
  // process.terminal is supported: whether it can be used depends on --console-socket (create checks).
  return problems;
}

export interface PrepareOptions {
  id: string;
  /** Where the state directory will be (store.dir(id)); nothing is made there. */
  stateDir: string;
  noPivot: boolean;
  preserveFds: number;
  /** --console-socket: with process.terminal, the plan sets up a pty and sends its master there. */
  consoleSocket?: string;
  /** --pidfd-socket: where the new process sends a pidfd of itself (as runc). */
  pidfdSocket?: string;
  /** The console socket is tsrunc's own, which relays the pty (PlanInput.relaysTerminal). */
  relaysTerminal?: boolean;
  /** config.json as read already (create's head start); read from the bundle when absent. */
  file?: ConfigFile;
  /** The container's cgroup manager when it exists already (the head start made it). */
  cgroup?: CgroupManager;
  /** How the cgroup manager is made otherwise (the command's host); the machine's when absent. */
  cgroupFor?: Host['cgroupFor'];
}

/** Everything create needs, computed without changing anything on the host. */
export interface Prepared {
  bundle: Bundle;
  cgroup: CgroupManager;
  /** The resources apply() gets, what it writes (cgroup.resourceWrites) and attaches (cgroup.deviceProgram). */
  resources: Resources;
  writes: CgroupWrite[];
  deviceProgram?: PlannedDeviceProgram;
  /** The settings the cgroup driver leaves out. */
  unsupported: NotApplied[];
  plan: Plan;
  host: HostFacts;
  /** Every problem (warnings only, once prepareCreate returns), positioned, in document order. */
  problems: Problem[];
}

export interface Diagnosis {
  bundle: BundleInspection;
  /** Set when the plan could be built (which may still leave errors in `problems`). */
  prepared?: Prepared;
  problems: Problem[];
}

/** "linux.resources.memory.swappiness: not applied: …" as a warning about that field. */
function unsupportedWarning(u: NotApplied): Problem {
  return { severity: 'warning', path: u.path, message: `not applied: ${u.reason}` };
}

/**
 * Everything wrong with a bundle that can be known before anything is made: the document (schema and
 * semantics), what tsrunc does not support, the plan create would run (its builder's problems), the
 * cgroup settings on this host's cgroups, and the host checks (program, cwd, ids, names, hooks, ...).
 * It goes as far as it can instead of stopping at the first stage that fails. check prints it;
 * prepareCreate (create, explain) refuses a bundle it finds errors in. Throws only when there is no
 * config to look at.
 */
export function diagnoseBundle(bundleDir: string, opts: PrepareOptions): Diagnosis {
  const inspection = inspectBundle(bundleDir, opts.file ? { file: opts.file } : {});
  const { dir, source, config } = inspection;
  const later: Problem[][] = [unsupportedProblems(config)];
  // A document the schema refused is still looked at, field by field: a stage that trips over a
  // malformed field is skipped (its error says why), and what the later stages say about a field the
  // schema already faulted is left out.
  const valid = inspection.spec !== undefined;
  const hasErrors = () => inspection.problems.some((p) => p.severity === 'error') || later.flat().some((p) => p.severity === 'error');
  const guard = <T>(stage: () => T): T | undefined => {
    try {
      return stage();
    } catch (err) {
      if (valid && !hasErrors()) throw err;
      return undefined;
    }
  };
  let prepared: Prepared | undefined;
  if (config !== null && typeof config === 'object' && !Array.isArray(config)) {
    const spec = config as Spec;
    const rootfs = inspection.rootfs ?? path.resolve(dir, typeof spec.root?.path === 'string' ? spec.root.path : 'rootfs');
    const bundle: Bundle = { dir, configPath: inspection.configPath, source, spec, rootfs, problems: inspection.problems };
    const host = hostFacts();
    let cgroup: CgroupManager | undefined = opts.cgroup;
    if (cgroup === undefined) guard(() => {
      try {
        cgroup = (opts.cgroupFor ?? realHost.cgroupFor)({
          id: opts.id, cgroupsPath: spec.linux?.cgroupsPath, annotations: spec.annotations, resources: spec.linux?.resources,
        });
      } catch (err) {
        later.push(problemsOf(err, 'linux.cgroupsPath'));
      }
    });
    let plan: Plan | undefined;
    if (cgroup !== undefined) {
      const cg: CgroupManager = cgroup;
      guard(() => {
        const built = buildCreatePlan(planInput(bundle, cg, opts.stateDir, opts, host));
        plan = built.plan;
        later.push(built.problems);
      });
    }
    const resources = guard(() => cgroupResources(spec)) ?? {};
    let writes: CgroupWrite[] = [];
    let deviceProgram: PlannedDeviceProgram | undefined;
    let unsupported: NotApplied[] = [];
    if (cgroup !== undefined) {
      const cg: CgroupManager = cgroup;
      guard(() => {
        try {
          writes = cg.resourceWrites(resources);
          deviceProgram = cg.deviceProgram(resources);
        } catch (err) {
          later.push(problemsOf(err, 'linux.resources'));
        }
        unsupported = cg.unsupported(resources);
        later.push(unsupported.map(unsupportedWarning));
      });
    }
    guard(() => {
      const env = containerEnv(spec, rootfs);
      later.push(hostProblems(
        { spec, bundle: dir, env, tolerant: !valid, ...(inspection.rootfs !== undefined ? { rootfs: inspection.rootfs } : {}), ...(plan ? { plan } : {}) },
        gatherHostCheckFacts(spec, host),
      ));
    });
    if (valid && plan !== undefined && cgroup !== undefined) {
      prepared = { bundle, cgroup, resources, writes, ...(deviceProgram !== undefined ? { deviceProgram } : {}), unsupported, plan, host, problems: [] };
    }
  }
  const faulted = inspection.problems.filter((p) => p.severity === 'error').map((p) => p.path);
  const problems = addProblems(source, inspection.problems, ...(valid ? later : later.map((list) => list.filter((p) => !overlaps(p.path, faulted)))));
  if (prepared) prepared.problems = problems;
  return { bundle: inspection, ...(prepared ? { prepared } : {}), problems };
}

/** True when `path` is, contains or is inside one of `paths` (on segment boundaries). */
function overlaps(path: string, paths: string[]): boolean {
  const within = (a: string, b: string) => a === b || (a.startsWith(b) && (a[b.length] === '.' || a[b.length] === '['));
  return paths.some((p) => p !== '' && (within(path, p) || within(p, path)));
}

/**
 * The one preparation of create (and explain, which prints its result): diagnoseBundle, refusing a
 * bundle with errors (every error listed, with its line and column), creating nothing.
 */
export function prepareCreate(bundleDir: string, opts: PrepareOptions): Prepared {
  const d = diagnoseBundle(bundleDir, opts);
  if (d.prepared === undefined || d.problems.some((p) => p.severity === 'error')) {
    throw bundleError(d.bundle.configPath, d.problems);
  }
  return d.prepared;
}

/**
 * Creates the container: prepares it (nothing is made if the bundle is refused), then runs its host
 * steps (create-steps.ts CREATE_STEPS), going on from a head start when there is one (it ran the first
 * of them); when create fails, nothing it or the head start made is left.
 */
export async function createContainer(store: StateStore, log: Logger, opts: CreateOptions, head?: CreateHeadStart): Promise<CreatedContainer> {
  let own: OwnConsole | undefined;
  try {
    if (head === undefined) {
      checkId(opts.id);
      if (store.exists(opts.id)) throw new RuntimeError(ERR_EXISTS);
    }
    const detach = opts.detach ?? true;
    // A foreground run's own console socket: the plan needs its path (dropped when there is no terminal).
    own = !detach && opts.consoleSocket === undefined ? OwnConsole.open(store.host) : undefined;
    return createWithConsole(store, log, opts, detach, own, head);
  } catch (err) {
    head?.undo(log);
    throw err;
  } finally {
    own?.close();
  }
}

function createWithConsole(
  store: StateStore, log: Logger, opts: CreateOptions, detach: boolean, own: OwnConsole | undefined, head: CreateHeadStart | undefined,
): CreatedContainer {
  let prepared: Prepared;
  const consoleSocket = opts.consoleSocket ?? own?.socket;
  try {
    prepared = prepareCreate(opts.bundle, {
      id: opts.id, stateDir: store.dir(opts.id), noPivot: opts.noPivot, preserveFds: opts.preserveFds,
      ...(consoleSocket !== undefined ? { consoleSocket } : {}),
      ...(opts.pidfdSocket !== undefined ? { pidfdSocket: opts.pidfdSocket } : {}),
      ...(own !== undefined ? { relaysTerminal: true } : {}),
      ...(head !== undefined ? { file: head.file, cgroup: head.run.cgroup } : { cgroupFor: (o: CgroupFor) => store.host.cgroupFor(o) }),
    });
  } catch (err) {
    // The warnings too, so the log shows as much as `tsrunc check` would.
    if (isRuntimeError(err)) logWarnings(log, err.problems);
    throw err;
  }
  // As runc, which works in the bundle directory from here: the hooks start there (and for run the
  // later ones too), and the config's relative paths mean the same to them as to the runtime.
  process.chdir(prepared.bundle.dir);
  const terminal = prepared.bundle.spec.process?.terminal === true;
  checkTerminal(terminal, opts.consoleSocket, detach);
  logWarnings(log, prepared.problems);
  const { bundle, plan, cgroup, resources } = prepared;
  const { spec } = bundle;

  const run = head?.run ?? createRun(store, { id: opts.id, bundle: bundle.dir, preserveFds: opts.preserveFds, cgroup });
  run.input = {
    spec, rootfs: bundle.rootfs, plan, resources, log,
    ...(opts.pidFile !== undefined ? { pidFile: opts.pidFile } : {}),
    ...(terminal && own !== undefined ? { ownConsole: own } : {}),
  };
  // The head start ran the first steps of the list (its bundle has its own copy of them).
  const done = head?.take() ?? [];
  try {
    runSteps(CREATE_STEPS.slice(done.length), run, log, done);
  } catch (err) {
    // Once the container existed, a failed create ends as a delete would (runtime.md "Lifecycle": a
    // failing create-time hook continues at step 12), poststop hooks last, as runc does.
    if (run.pid > 0 && (spec.hooks?.poststop?.length ?? 0) > 0) {
      withHookRunner((r) => r.runHooksWarning('poststop', spec.hooks?.poststop, hookState(createHookState(run, 'stopped'), 0), log));
    }
    throw err;
  }
  const record = run.record!;
  return run.consoleMaster !== undefined ? { ...record, consoleMaster: run.consoleMaster } : record;
}
