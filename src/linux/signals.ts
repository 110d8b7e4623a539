// Signal names and numbers as kill(1) and runc take them: 9, KILL, SIGKILL, RTMIN+3.
import { constants } from 'node:os';
import { RuntimeError } from '../common/errors';

const SIGRTMIN = 34;
const SIGRTMAX = 64;

export function parseSignal(text: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    // 0 sends nothing and only checks that the process is there (runc takes it too).
    if (n >= 0 && n <= SIGRTMAX) return n;
    throw new RuntimeError(`invalid signal ${JSON.stringify(text)}: numbers go from 0 to ${SIGRTMAX}`);
  }
  const name = text.toUpperCase().replace(/^SIG/, '');
  const rt = /^RT(MIN|MAX)([+-]\d+)?$/.exec(name);
  if (rt) {
    const n = (rt[1] === 'MIN' ? SIGRTMIN : SIGRTMAX) + Number(rt[2] ?? 0);
    if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
  }
  const n = (constants.signals as Record<string, number>)[`SIG${name}`];
  if (n === undefined) throw new RuntimeError(`unknown signal ${JSON.stringify(text)}`);
  return n;
}

/** A signal's name ("SIGKILL", "SIGRTMIN+3"), or "signal N" for a number without one. */
export function signalName(n: number): string {
  if (n >= SIGRTMIN && n <= SIGRTMAX) return n === SIGRTMIN ? 'SIGRTMIN' : n === SIGRTMAX ? 'SIGRTMAX' : `SIGRTMIN+${n - SIGRTMIN}`;
  const name = Object.entries(constants.signals).find(([, v]) => v === n)?.[0];
  return name ?? `signal ${n}`;
}
