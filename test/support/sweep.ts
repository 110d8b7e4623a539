// The last resort of tests whose subject is cleanup itself (a killed create, a corrupt record): when
// tsrunc fails to remove a container, its processes and cgroups are removed here so that a failing
// test does not leave them on the machine. Never a substitute for asserting that tsrunc did it.
import * as fs from 'node:fs';
import { cgroupDirs } from '../oci-conformance/helpers';
import { sleepMs } from '../../src/linux/proc';

/** Kills whatever is in the cgroups named `id` and removes them (deepest first); what it had to remove. */
export function sweepCgroups(id: string): string[] {
  const dirs = cgroupDirs(id).split('\n').filter(Boolean).sort((a, b) => b.length - a.length);
  for (let round = 0; round < 50; round++) {
    let busy = false;
    for (const dir of dirs) {
      for (const pid of fs.existsSync(`${dir}/cgroup.procs`) ? fs.readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean) : []) {
        busy = true;
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    if (!busy) break;
    sleepMs(20);
  }
  for (const dir of dirs) {
    try {
      fs.rmdirSync(dir);
    } catch {
      // reported by the test's own assertions
    }
  }
  return dirs;
}
