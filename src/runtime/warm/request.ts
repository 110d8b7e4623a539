// A front's request (docs/warm-path.md, native/front/warm.c send_request): after its length (which the
// addon's acceptRequest reads), NUL-terminated fields (protocol, deadline, cwd, umask, helper pid, N,
// open mask, argv, environment). Pure: bytes in, a request or why it is malformed out.

export const PROTOCOL = 'tsrunc-warm-2';

export interface WarmRequest {
  /** After this (ms on CLOCK_MONOTONIC) the front has given up waiting for `hello`: the request must not run. */
  deadlineMs: number;
  cwd: string;
  umask: number;
  /** The helper the front spawned for create, run or exec; undefined for the other commands. */
  helperPid?: number;
  /** --preserve-fds N as the front read it. */
  preserveFds: number;
  /** Which of the front's fds 0..2+N are open (and so, in order, among the descriptors received). */
  open: boolean[];
  argv: string[];
  env: Record<string, string>;
}

/** The request in body (the bytes after the length); throws an Error naming what is wrong. */
export function parseRequest(body: Buffer): WarmRequest {
  // One decoding of the whole body: a NUL is never part of a UTF-8 sequence, so each field decodes as it would alone.
  const fields = body.toString('utf8').split('\0');
  if (fields.pop() !== '') throw new Error('a field without its NUL');
  let next = 0;
  const take = (what: string): string => {
    if (next >= fields.length) throw new Error(`no ${what}`);
    return fields[next++];
  };
  const count = (what: string): number => {
    const text = take(what);
    if (!/^\d{1,6}$/.test(text)) throw new Error(`bad ${what} ${JSON.stringify(text)}`);
    return Number(text);
  };
  const protocol = take('protocol');
  if (protocol !== PROTOCOL) throw new Error(`protocol ${JSON.stringify(protocol)}, not ${PROTOCOL}`);
  const deadlineText = take('deadline');
  if (!/^\d{1,16}$/.test(deadlineText)) throw new Error(`bad deadline ${JSON.stringify(deadlineText)}`);
  const cwd = take('cwd');
  const umaskText = take('umask');
  if (!/^[0-7]{1,4}$/.test(umaskText)) throw new Error(`bad umask ${JSON.stringify(umaskText)}`);
  const helperText = take('helper pid');
  if (helperText !== '' && !/^[1-9]\d*$/.test(helperText)) throw new Error(`bad helper pid ${JSON.stringify(helperText)}`);
  const preserveFds = count('preserve-fds');
  const openText = take('open mask');
  if (!/^[01]*$/.test(openText) || openText.length !== 3 + preserveFds) throw new Error(`bad open mask ${JSON.stringify(openText)}`);
  const argv = Array.from({ length: count('argc') }, () => take('argument'));
  const env: Record<string, string> = {};
  for (let i = count('envc'); i > 0; i--) {
    const entry = take('environment entry');
    const eq = entry.indexOf('=');
    // As Node reads its own environment: an entry without "=" is left out.
    if (eq > 0) env[entry.slice(0, eq)] ??= entry.slice(eq + 1);
  }
  if (next !== fields.length) throw new Error('fields after the environment');
  return {
    deadlineMs: Number(deadlineText),
    cwd,
    umask: parseInt(umaskText, 8),
    ...(helperText !== '' ? { helperPid: Number(helperText) } : {}),
    preserveFds,
    open: [...openText].map((c) => c === '1'),
    argv,
    env,
  };
}

/** The descriptors received with a request, by the front's fd number: stdio, the preserved fds, then the helper's socket. */
export function receivedFds(request: WarmRequest, fds: number[]): { byFrontFd: Map<number, number>; helperFd?: number } {
  const want = request.open.filter(Boolean).length + (request.helperPid !== undefined ? 1 : 0);
  if (fds.length !== want) throw new Error(`${fds.length} descriptors came with the request, not ${want}`);
  const byFrontFd = new Map<number, number>();
  let k = 0;
  request.open.forEach((open, frontFd) => {
    if (open) byFrontFd.set(frontFd, fds[k++]);
  });
  return { byFrontFd, ...(request.helperPid !== undefined ? { helperFd: fds[k] } : {}) };
}
