// Test support for real cgroups: unique ids, child processes, and a cleanup that works even after a
// failed test (thaw, kill what is inside, rmdir deepest first) — only for cgroups named tsrunc-test-*.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { detectCgroupLayout } from '../../src/linux/cgroups/layout';

export const testId = (what: string): string => `tsrunc-test-${what}-${randomBytes(4).toString('hex')}`;

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

export async function startSleep(): Promise<ChildProcess> {
  const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
  await once(child, 'spawn');
  return child;
}

export async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

export function readValue(file: string): string {
  return readFileSync(file, 'utf8').trim();
}

function dirsBelow(dir: string): string[] {
  const out = [dir];
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(...dirsBelow(join(dir, e.name)));
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Removes every cgroup named `<mount>/<id>` (and below) in every hierarchy; `id` must be a test id.
 * Two passes over all hierarchies: first thaw everything and SIGKILL what is inside (a frozen v1 task
 * cannot die, and the freezer hierarchy may come after the one being emptied), then rmdir deepest first.
 */
export async function cleanupTestCgroups(id: string): Promise<void> {
  if (!id.includes('tsrunc-test-')) throw new Error(`refusing to clean up ${id}: not a test cgroup`);
  const layout = detectCgroupLayout();
  const mounts = new Set([...Object.values(layout.v1), ...(layout.unified ? [layout.unified] : [])]);
  const trees = [...mounts]
    .map((mount) => join(mount, id))
    .filter((top) => existsSync(top))
    .map((top) => dirsBelow(top).sort((a, b) => b.split('/').length - a.split('/').length));
  for (const dirs of trees) {
    for (const d of dirs) {
      for (const [file, value] of [['freezer.state', 'THAWED'], ['cgroup.freeze', '0']]) {
        try {
          if (existsSync(join(d, file))) writeFileSync(join(d, file), value);
        } catch {
          /* best effort */
        }
      }
    }
  }
  for (const dirs of trees) {
    for (const d of dirs) {
      for (const line of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) {
        if (line === '') continue;
        try {
          process.kill(Number(line), 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  }
  for (const dirs of trees) {
    for (const d of dirs) {
      for (let i = 0; ; i++) {
        try {
          rmdirSync(d);
          break;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') break;
          if (code !== 'EBUSY' || i >= 100) throw e;
          await sleep(20);
        }
      }
    }
  }
}
