// ps's table: the host's ps output cut down to the container's processes, as runc prints it.
import { RuntimeError } from '../../common/errors';

/** The header and the rows of ps output whose PID column holds one of pids. */
export function filterPsOutput(output: string, pids: readonly number[]): string {
  const lines = output.split('\n');
  const pidIndex = lines[0].trim().split(/\s+/).indexOf('PID');
  if (pidIndex < 0) throw new RuntimeError("couldn't find PID field in ps output");
  const wanted = new Set(pids);
  const kept = [lines[0]];
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const field = line.trim().split(/\s+/)[pidIndex];
    if (!/^\d+$/.test(field ?? '')) throw new RuntimeError(`unable to parse pid: ${JSON.stringify(field ?? '')}`);
    if (wanted.has(Number(field))) kept.push(line);
  }
  return `${kept.join('\n')}\n`;
}

export function psTable(args: string[], pids: readonly number[]): string {
  // Loaded here, not at the top: every command in this dist file would pay for child_process.
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const r = spawnSync('ps', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new RuntimeError(`cannot run ps: ${r.error.message}`);
  if (r.status !== 0) throw new RuntimeError(`ps ${args.join(' ')} exited with status ${r.status}: ${r.stdout}${r.stderr}`.trim());
  return filterPsOutput(r.stdout, pids);
}
