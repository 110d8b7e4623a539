// A private containerd for engine tests: its own socket, root and state in a temp folder, stopped again
// with the shims it started (they daemonize to the test process, a subreaper) stopped and reaped.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../../src/linux/native';

export const hasContainerd = spawnSync('sh', ['-c', 'command -v containerd && command -v ctr && command -v containerd-shim-runc-v2']).status === 0;

/** containerd-shim processes whose parent is this process. */
function shimChildren(): number[] {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return stat.includes('(containerd-shim') && Number(fields[1]) === process.pid;
    } catch {
      return false; // exited while looked at
    }
  });
}

export interface PrivateContainerd {
  /** Its gRPC socket (ctr -a). */
  sock: string;
  ctr(args: string[], timeout?: number): { status: number | null; stdout: string; stderr: string };
  /** Stops containerd, then kills and reaps the shims it left. */
  stop(): Promise<void>;
}

/** Starts containerd with its files under dir and waits (up to waitMs) until ctr reaches it. */
export async function startContainerd(dir: string, waitMs = 10_000): Promise<PrivateContainerd> {
  fs.mkdirSync(dir, { recursive: true });
  const sock = path.join(dir, 'containerd.sock');
  fs.writeFileSync(path.join(dir, 'config.toml'), [
    'version = 2', `root = "${dir}/root"`, `state = "${dir}/state"`, '[grpc]', `  address = "${sock}"`,
    '[plugins."io.containerd.grpc.v1.cri"]', '  disable = true', '',
  ].join('\n'));
  const daemon: ChildProcess = spawn('containerd', ['--config', path.join(dir, 'config.toml')], { stdio: 'ignore' });
  const ctr = (args: string[], timeout = 30_000) => {
    const r = spawnSync('ctr', ['-a', sock, ...args], { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  for (let waited = 0; waited < waitMs && ctr(['version']).status !== 0; waited += 100) await new Promise((r) => setTimeout(r, 100));
  return {
    sock,
    ctr,
    async stop() {
      if (daemon.exitCode === null) {
        daemon.kill('SIGTERM');
        await new Promise((r) => daemon.once('exit', r));
      }
      for (const pid of shimChildren()) {
        try {
          process.kill(pid, 'SIGKILL');
          await native().waitpid(pid);
        } catch {
          // gone already
        }
      }
    },
  };
}
