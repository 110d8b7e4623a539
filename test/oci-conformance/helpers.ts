// Shared helpers of the conformance tests: configs for the one busybox bundle a file reuses, polling
// with a deadline, and checks that nothing of a container is left.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Spec } from '../../src/oci/types';
import { native } from '../../src/linux/native';
import { readProcStat } from '../../src/linux/proc';
import { daemonPids, Result, TestEnv, testSpec } from '../support/env';

export { testSpec };

/** Rewrites the bundle's config.json. */
export function setConfig(bundle: string, config: Spec | string): void {
  fs.writeFileSync(path.join(bundle, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config, null, 2));
}

/** testSpec(args), changed by edit. */
export function specWith(args: string[], edit?: (spec: Spec) => void): Spec {
  const spec = testSpec(args);
  edit?.(spec);
  return spec;
}

/** Writes the config and runs it in the foreground under a fresh id: the container's exit status and output. */
export function runSpec(env: TestEnv, bundle: string, spec: Spec, extra: string[] = []): Result {
  setConfig(bundle, spec);
  return env.tsrunc(['run', ...extra, '--bundle', bundle, env.id('run')]);
}

/** runSpec, failing the test unless the container exits 0; its stdout. */
export function output(env: TestEnv, bundle: string, spec: Spec, extra: string[] = []): string {
  const r = runSpec(env, bundle, spec, extra);
  if (r.status !== 0) throw new Error(`run ${JSON.stringify(spec.process?.args)} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls fn every 10 ms until it returns something truthy; throws after timeoutMs. */
export async function waitFor<T>(what: string, fn: () => T, timeoutMs = 5_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

/** Reaps a container init that has exited (it is a zombie child of this subreaper), so /proc/<pid> goes. */
export async function reap(pid: number): Promise<void> {
  if (pid <= 0) return;
  await waitFor(`process ${pid} to exit`, () => {
    const st = readProcStat(pid);
    return st === undefined || st.state === 'Z';
  });
  if (readProcStat(pid)?.state === 'Z') {
    try {
      await native().waitpid(pid);
    } catch {
      // Not our child: whoever it belongs to reaps it.
    }
  }
}

export function cgroupDirs(id: string): string {
  return spawnSync('find', ['/sys/fs/cgroup', '-maxdepth', '4', '-name', id], { encoding: 'utf8' }).stdout.trim();
}

export function hostMounts(needle: string): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(needle));
}

/** Living processes (or zombies) that are children of this test process. */
export function childPids(): number[] {
  const pids: number[] = [];
  const daemons = daemonPids();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && !daemons.has(Number(name))) pids.push(Number(name));
    } catch {
      // gone
    }
  }
  return pids;
}

/** What is left of container id (state dir, cgroup, mounts of the bundle or id, the init pid). */
export function leftoversOf(env: TestEnv, id: string, opts: { bundle?: string; pid?: number } = {}): string[] {
  const left: string[] = [];
  if (fs.existsSync(path.join(env.root, id))) left.push(`state dir ${path.join(env.root, id)}`);
  const cg = cgroupDirs(id);
  if (cg) left.push(`cgroup ${cg}`);
  for (const m of [...hostMounts(id), ...(opts.bundle ? hostMounts(opts.bundle) : [])]) left.push(`mount ${m}`);
  if (opts.pid && fs.existsSync(`/proc/${opts.pid}`)) left.push(`process ${opts.pid}`);
  return left;
}

/** The optional fields (shared:N, master:N, …) and mount options of the mountinfo line for mountPoint. */
export interface MountEntry {
  root: string;
  mountPoint: string;
  options: string[];
  optional: string[];
  fstype: string;
  source: string;
  superOptions: string[];
}

export function parseMountinfo(text: string): MountEntry[] {
  return text.split('\n').filter(Boolean).map((line) => {
    const [pre, post] = line.split(' - ');
    const f = pre.split(' ');
    const [fstype, source, superOptions] = post.split(' ');
    return {
      root: f[3], mountPoint: f[4], options: f[5].split(','), optional: f.slice(6),
      fstype, source, superOptions: (superOptions ?? '').split(','),
    };
  });
}

/** The last (topmost) mount at mountPoint. */
export function mountAt(entries: MountEntry[], mountPoint: string): MountEntry | undefined {
  return entries.filter((e) => e.mountPoint === mountPoint).pop();
}
