// Freezing a cgroup (for pause/resume): v1 freezer.state, v2 cgroup.freeze.

import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import { errnoOf, RuntimeError } from '../../common/errors';
import { describeFsError, readCgroupFile, readIfExists, sleepSync, writeCgroupFile } from './fsops';

function write(file: string, value: string): void {
  try {
    writeCgroupFile(file, value);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT' && file.endsWith('cgroup.freeze')) {
      throw new RuntimeError(`cannot freeze: ${file} does not exist (the cgroup v2 freezer needs Linux 5.2, and the cgroup must exist)`);
    }
    throw new RuntimeError(`cannot write ${value} to ${file}: ${describeFsError(e)}`);
  }
}

/**
 * v1: write FROZEN until the state reads FROZEN. A v1 freeze can stall in FREEZING while processes keep
 * forking; like runc, thaw now and then and try again, and give up (thawed) after about a second.
 */
export function freezeV1(dir: string): void {
  const file = posix.join(dir, 'freezer.state');
  for (let i = 0; i < 1000; i++) {
    if (i % 50 === 49) {
      write(file, 'THAWED');
      sleepSync(10);
    }
    write(file, 'FROZEN');
    if (readCgroupFile(file) === 'FROZEN') return;
    if (i >= 10) sleepSync(1);
  }
  write(file, 'THAWED');
  throw new RuntimeError(`cannot freeze ${dir}: it stayed in FREEZING (processes keep appearing?); left thawed`);
}

export function thawV1(dir: string): void {
  const file = posix.join(dir, 'freezer.state');
  write(file, 'THAWED');
  for (let i = 0; i < 1000 && readCgroupFile(file) !== 'THAWED'; i++) sleepSync(1);
}

export function frozenV1(dir: string): boolean {
  return readIfExists(posix.join(dir, 'freezer.state')) === 'FROZEN';
}

function waitEvents(dir: string, want: '0' | '1', timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  for (;;) {
    const events = readIfExists(posix.join(dir, 'cgroup.events')) ?? '';
    if (new RegExp(`^frozen ${want}$`, 'm').test(events)) return true;
    if (Date.now() >= deadline) return false;
    sleepSync(delay);
    delay = Math.min(delay * 2, 20);
  }
}

/** v2: write 1 to cgroup.freeze, then wait until cgroup.events says "frozen 1". */
export function freezeV2(dir: string): void {
  write(posix.join(dir, 'cgroup.freeze'), '1');
  if (!waitEvents(dir, '1', 2000)) {
    write(posix.join(dir, 'cgroup.freeze'), '0');
    throw new RuntimeError(`cannot freeze ${dir}: cgroup.events did not report "frozen 1" within 2 s; left thawed`);
  }
}

/**
 * v2: write 0 to cgroup.freeze and wait for "frozen 0". A cgroup that is gone meanwhile has nothing left
 * to thaw (systemd removes a scope's cgroup as soon as its last process has exited, frozen or not).
 */
export function thawV2(dir: string): void {
  try {
    write(posix.join(dir, 'cgroup.freeze'), '0');
  } catch (err) {
    if (!existsSync(dir)) return;
    throw err;
  }
  waitEvents(dir, '0', 2000);
}

export function frozenV2(dir: string): boolean {
  return readIfExists(posix.join(dir, 'cgroup.freeze')) === '1';
}
