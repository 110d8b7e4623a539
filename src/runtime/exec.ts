// exec: a new process in an existing container, as runc's exec. The process comes from --process (an
// OCI `process` object, validated like config.json's) or from the container's own process with the
// command and flags applied. The helper joins the container's cgroup and namespaces and starts it
// (src/linux/exec-plan.ts); then exec either leaves it (--detach) or waits for it.
import * as fs from 'node:fs';
import { runtimeProc } from '../linux/proc';
import { constants } from 'node:os';
import type { Capabilities, MemoryPolicy, Personality, Process, Seccomp, Spec } from '../oci/types';
import { formatProblem, Problem, problemsError, RuntimeError } from '../common/errors';
import type { Logger } from './log';
import type { ContainerRecord, StateStore } from './state-store';
import { cgroupOf, statusFor, writePidFile } from './container';
import { Action, refused } from './lifecycle';
import { containerEnv, hostFacts } from './create';
import { sendNotifyFd } from './seccomp-agent';
import { StartedHelper, unreapedPid } from './helper-client';
import type { ExecHeadStart } from './head-start';
import { parseConfig } from './bundle/load';
import { mergeProblems, schemaProblems } from './bundle/schema-problems';
import { readProcessAsRunc } from './bundle/runc-reading';
import { semanticProblems } from './bundle/semantic-checks';
import { cwdMagicLinkProblem } from './bundle/host-checks';
import { locatePath, parsePath } from './bundle/locate';
import { buildExecPlan, EXEC_JOIN_ORDER, JoinedNamespace, NS_FILES } from '../linux/exec-plan';
import type { Host } from './host';
import { subCgroupEntry } from '../linux/cgroups/sub-cgroup';
import { cgroupVersion } from '../linux/cgroups/manager';
import { checkTerminal, OwnConsole, proxyTerminal } from './terminal';

export interface ExecOptions {
  id: string;
  /** --process: a file holding the process; the flags below are then ignored, as in runc. */
  processFile?: string;
  /** The command and its arguments (without --process). */
  args: string[];
  cwd?: string;
  env: string[];
  /** --user UID[:GID]. */
  user?: string;
  additionalGids: string[];
  caps: string[];
  noNewPrivs: boolean;
  detach: boolean;
  pidFile?: string;
  preserveFds: number;
  /** --cgroup: sub-cgroups of the container's cgroup to run the process in (sub-cgroup.ts). */
  cgroups: string[];
  ignorePaused: boolean;
  /** --tty: process.terminal of the process made from the flags. */
  tty?: boolean;
  /** --console-socket: where the pty master goes. */
  consoleSocket?: string;
  /** --pidfd-socket: where the new process sends a pidfd of itself (as runc). */
  pidfdSocket?: string;
}

/** Signals a foreground exec passes on to its process (run's list). */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

const inProcess = (p: Problem) => p.path === 'process' || p.path.startsWith('process.') || p.path.startsWith('process[');

/**
 * What is wrong with a process object: config.json's schema and checks for `process` (paths such as
 * "process.args").
 */
export function processProblems(process: unknown): Problem[] {
  const doc = { ociVersion: '1.0.0', process };
  const problems = mergeProblems(schemaProblems(doc), semanticProblems(doc as Spec)).filter(inProcess);
  // The container's mounts are not known here: its procfs is taken to be at /proc.
  const cwd = typeof process === 'object' && process !== null ? (process as { cwd?: unknown }).cwd : undefined;
  const magic = cwdMagicLinkProblem(cwd, ['/proc']);
  return magic !== undefined ? [...problems, magic] : problems;
}

/** Line and column in a process file of a problem about "process.<field>" (the file is the process). */
function positioned(source: string, problems: Problem[]): Problem[] {
  return problems.map((p) => {
    const at = locatePath(source, parsePath(p.path).slice(1), p.aboutKey === true);
    return at === undefined ? p : { ...p, line: at.line, column: at.column };
  });
}

function processError(what: string, problems: Problem[]): RuntimeError {
  return problemsError(`invalid process ${what}`, problems);
}

/** Fails on errors; returns the warnings. */
function checkProcess(process: unknown, what: string, source?: string): Problem[] {
  const found = processProblems(process);
  const problems = source === undefined ? found : positioned(source, found);
  if (problems.some((p) => p.severity === 'error')) throw processError(what, problems);
  return problems;
}

/** --process: the file's process, validated. */
export function readProcessFile(file: string): { process: Process; warnings: Problem[] } {
  let source: string;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new RuntimeError(`cannot read process file ${file}: ${(err as Error).message}`);
  }
  const process = parseConfig(file, source) as Process;
  const readings = positioned(source, readProcessAsRunc(process));
  const warnings = checkProcess(process, file, source);
  return { process, warnings: [...readings, ...warnings] };
}

/** What exec takes from the container's config: its process, and the seccomp filter, personality and memory policy every process gets. */
interface FromConfig {
  process?: Process;
  seccomp?: Seccomp;
  personality?: Personality;
  memoryPolicy?: MemoryPolicy;
}

function configProcess(record: ContainerRecord): FromConfig {
  if (record.process !== undefined) {
    return {
      process: record.process,
      ...(record.seccomp ? { seccomp: record.seccomp } : {}),
      ...(record.personality ? { personality: record.personality } : {}),
      ...(record.memoryPolicy ? { memoryPolicy: record.memoryPolicy } : {}),
    };
  }
  const file = `${record.bundle}/config.json`;
  let spec: Spec;
  try {
    spec = parseConfig(file, fs.readFileSync(file, 'utf8')) as Spec;
  } catch (err) {
    throw new RuntimeError(`cannot read the container's process from ${file}: ${(err as Error).message}`);
  }
  return {
    ...(spec.process ? { process: spec.process } : {}),
    ...(spec.linux?.seccomp ? { seccomp: spec.linux.seccomp } : {}),
    ...(spec.linux?.personality ? { personality: spec.linux.personality } : {}),
    ...(spec.linux?.memoryPolicy ? { memoryPolicy: spec.linux.memoryPolicy } : {}),
  };
}

function uint(text: string, what: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff) throw new RuntimeError(`bad ${what}: ${JSON.stringify(text)} is not a number from 0 to 4294967295`);
  return Number(text);
}

/** The container's process with the command and flags applied, as runc's exec does without --process. */
export function processFromFlags(base: Process | undefined, opts: ExecOptions): Process {
  if (opts.args.length === 0) throw new RuntimeError('exec args cannot be empty');
  const p: Process = structuredClone(base ?? { cwd: '/', user: { uid: 0, gid: 0 } });
  p.args = opts.args;
  if (opts.cwd !== undefined && opts.cwd !== '') p.cwd = opts.cwd;
  p.user = { ...(p.user ?? { uid: 0, gid: 0 }) };
  if (opts.user !== undefined && opts.user !== '') {
    const [uid, gid] = opts.user.split(/:(.*)/s);
    if (gid !== undefined) p.user.gid = uint(gid, 'gid');
    p.user.uid = uint(uid, 'uid');
  }
  for (const g of opts.additionalGids) {
    if (/^-\d+$/.test(g)) throw new RuntimeError(`additional-gids must be a positive number ${g}`);
    p.user.additionalGids = [...(p.user.additionalGids ?? []), uint(g, 'additional gid')];
  }
  if (opts.caps.length > 0) {
    const caps: Capabilities = { ...p.capabilities };
    for (const c of opts.caps) {
      caps.bounding = [...(caps.bounding ?? []), c];
      caps.effective = [...(caps.effective ?? []), c];
      caps.permitted = [...(caps.permitted ?? []), c];
      // Ambient needs inheritable, which --cap does not add: only when the config has inheritable.
      if (caps.inheritable !== undefined) caps.ambient = [...(caps.ambient ?? []), c];
    }
    p.capabilities = caps;
  }
  p.env = [...(p.env ?? []), ...opts.env];
  p.terminal = opts.tty === true;
  if (opts.noNewPrivs) p.noNewPrivileges = true;
  return p;
}

/** The init's namespaces that are not the runtime's own: those the new process must join. */
export function containerNamespaces(pid: number): JoinedNamespace[] {
  const joined: JoinedNamespace[] = [];
  for (const type of EXEC_JOIN_ORDER) {
    const file = NS_FILES[type];
    let mine: string;
    try {
      mine = fs.readlinkSync(`${runtimeProc()}/ns/${file}`);
    } catch {
      continue; // this kernel has no such namespace type
    }
    const path = `/proc/${pid}/ns/${file}`;
    let theirs: string;
    try {
      theirs = fs.readlinkSync(path);
    } catch (err) {
      throw new RuntimeError(`cannot read the container init's ${type} namespace (${path}): ${(err as Error).message}`);
    }
    if (theirs !== mine) joined.push({ type, path });
  }
  return joined;
}

const FROM_FLAGS = "(the container's process with the exec flags)";

const execAction = (opts: ExecOptions): Action => (opts.ignorePaused ? 'exec --ignore-paused' : 'exec');

/** Runs the process, going on from exec's head start when there is one (helper started, joining the cgroup). */
export async function execProcess(store: StateStore, log: Logger, opts: ExecOptions, head?: ExecHeadStart): Promise<number> {
  try {
    return await execIn(store, log, opts, head);
  } finally {
    // Once the helper has its plan this does nothing; before, it ends the helper.
    head?.undo();
  }
}

async function execIn(store: StateStore, log: Logger, opts: ExecOptions, head: ExecHeadStart | undefined): Promise<number> {
  const record = head?.record ?? store.mustRead(opts.id, execAction(opts));
  statusFor(store, record, execAction(opts));
  const fromConfig = configProcess(record);
  let proc: Process;
  let warnings: Problem[];
  if (opts.processFile !== undefined) {
    ({ process: proc, warnings } = readProcessFile(opts.processFile));
  } else {
    proc = processFromFlags(fromConfig.process, opts);
    warnings = checkProcess(proc, FROM_FLAGS);
  }
  proc = { ...proc, user: proc.user ?? { uid: 0, gid: 0 } };
  const env = containerEnv({ ociVersion: '', process: proc }, record.rootfs);

  const terminal = proc.terminal === true;
  checkTerminal(terminal, opts.consoleSocket, opts.detach);
  const own = terminal && opts.consoleSocket === undefined ? OwnConsole.open(store.host) : undefined;
  try {
    return await execWith(store.host, opts, log, record, proc, env, warnings, fromConfig, own?.socket ?? opts.consoleSocket, own, head?.helper);
  } finally {
    own?.close();
  }
}

async function execWith(
  host: Host, opts: ExecOptions, log: Logger, record: ContainerRecord, proc: Process, env: string[], warnings: Problem[],
  config: FromConfig, consoleSocket: string | undefined, own: OwnConsole | undefined, helper: StartedHelper | undefined,
): Promise<number> {
  const namespaces = containerNamespaces(record.pid);
  const { plan, problems } = buildExecPlan({
    ...(consoleSocket !== undefined ? { consoleSocket } : {}),
    ...(opts.pidfdSocket !== undefined ? { pidfdSocket: opts.pidfdSocket } : {}),
    ...(own !== undefined ? { relaysTerminal: true } : {}),
    process: proc, env, preserveFds: opts.preserveFds, namespaces, host: hostFacts(),
    cgroup: opts.cgroups.length > 0
      ? subCgroupEntry(cgroupVersion(record.cgroup.driver), record.cgroup.paths, opts.cgroups, (dir) => host.exists(dir))
      : cgroupOf(host, record).entry(),
    ...(config.seccomp !== undefined ? { seccomp: config.seccomp } : {}),
    ...(config.personality !== undefined ? { personality: config.personality } : {}),
    ...(config.memoryPolicy !== undefined ? { memoryPolicy: config.memoryPolicy } : {}),
  });
  const all = [...warnings, ...problems];
  if (all.some((p) => p.severity === 'error')) throw processError(opts.processFile ?? FROM_FLAGS, all);
  for (const w of all) log.warn(formatProblem(w));
  // The namespace links were read by pid: make sure that pid is still the container's init.
  if (!host.isSameLiveProcess(record.pid, record.pidStartTime)) throw refused(execAction(opts), 'stopped', record.id);

  // Handlers first (see run): a signal before the process exists is passed on once it does.
  let pid = 0;
  const pending: NodeJS.Signals[] = [];
  const forward = (signal: NodeJS.Signals) => {
    // With tsrunc's own pty the kernel tells the process of a resize (proxyTerminal sets the size).
    if (own !== undefined && signal === 'SIGWINCH') return;
    if (pid <= 0) {
      pending.push(signal);
      return;
    }
    try {
      host.kill(pid, constants.signals[signal]);
    } catch {
      // Exited already; waitpid reports it.
    }
  };
  if (!opts.detach) for (const s of FORWARDED) process.on(s, forward);
  try {
    try {
      const seccomp = config.seccomp;
      // The exec'd process gets its own filter and notification fd, for the agent too (runc's state: running).
      const onSeccompListener = (execPid: number, fd: number) => sendNotifyFd(host, {
        path: seccomp?.listenerPath ?? '', ...(seccomp?.listenerMetadata !== undefined ? { metadata: seccomp.listenerMetadata } : {}),
      }, execPid, fd, {
        id: record.id, status: 'running', pid: record.pid, bundle: record.bundle, ...(record.annotations ? { annotations: record.annotations } : {}),
      });
      pid = (helper ?? StartedHelper.start(host, opts.preserveFds)).run(plan, { log, onSeccompListener }).pid;
    } catch (err) {
      const unreaped = unreapedPid(err);
      if (unreaped !== undefined) killAndReap(host, unreaped);
      throw err;
    }
    if (opts.pidFile !== undefined) {
      try {
        writePidFile(host, opts.pidFile, pid);
      } catch (err) {
        killAndReap(host, pid);
        throw err;
      }
    }
    let master: number | undefined;
    if (own !== undefined) {
      try {
        master = own.receive();
      } catch (err) {
        killAndReap(host, pid);
        throw err;
      }
    }
    if (opts.detach) return 0;
    for (const signal of pending) forward(signal);
    const exited = host.waitpid(pid);
    const exit = master !== undefined ? await proxyTerminal(host, master, exited) : await exited;
    return exit.signal !== null ? 128 + exit.signal : exit.exitCode ?? 0;
  } finally {
    if (!opts.detach) for (const s of FORWARDED) process.off(s, forward);
  }
}

/** The new process is our child (CLONE_PARENT): kill and reap it when exec fails after it exists. */
function killAndReap(host: Host, pid: number): void {
  try {
    host.kill(pid, 'SIGKILL');
    host.waitpidSync(pid);
  } catch {
    // Gone, or reaped already.
  }
}
