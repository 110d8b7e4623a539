// A worker's side of one front's connection while it serves the front's request (docs/warm-path.md):
// the container's processes are the front's children (it spawned the helper), so the worker asks the
// front to reap them (`wait <pid>`); the front forwards the signals run and exec pass on (`signal <n>`),
// which reach the command's handlers as if this process had received them; `exit <status>` ends it.
import * as fs from 'node:fs';
import { constants } from 'node:os';
import type { WaitStatus } from '../../linux/native';
import type { Host } from '../host';

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name]));

function childError(pid: number): Error {
  return Object.assign(new Error(`waitpid ${pid}: no child process (not the front's)`), { code: 'ECHILD' });
}

export class FrontLink {
  private pending = Buffer.alloc(0);
  private readonly waiters = new Map<number, { resolve: (s: WaitStatus) => void; reject: (e: Error) => void }>();
  /** The read the event loop has in flight once a wait is asynchronous (run and exec in the foreground). */
  private reading: Promise<void> | undefined;
  private ended = false;

  constructor(private readonly host: Host, readonly fd: number) {}

  send(line: string): void {
    const data = Buffer.from(`${line}\n`);
    for (let off = 0; off < data.length; ) off += this.host.write(this.fd, data, off);
  }

  /** Waits for the front's child pid, blocking. */
  waitpidSync(pid: number): WaitStatus {
    if (this.reading) throw new Error('waitpidSync while an asynchronous wait is in flight');
    this.send(`wait ${pid}`);
    const buf = Buffer.alloc(512);
    for (;;) {
      for (let line = this.nextLine(); line !== undefined; line = this.nextLine()) {
        const answer = this.handle(line);
        if (answer?.pid === pid) {
          if (answer.status === undefined) throw childError(pid);
          return answer.status;
        }
      }
      const n = this.host.read(this.fd, buf);
      if (n === 0) throw Object.assign(new Error('the front went away'), { code: 'EPIPE' });
      this.pending = Buffer.concat([this.pending, buf.subarray(0, n)]);
    }
  }

  /** Waits for the front's child pid while the event loop goes on (the terminal, signals). */
  waitpid(pid: number): Promise<WaitStatus> {
    const answer = new Promise<WaitStatus>((resolve, reject) => this.waiters.set(pid, { resolve, reject }));
    this.send(`wait ${pid}`);
    this.reading ??= this.readLoop();
    return answer;
  }

  /** Sends the command's exit status, and waits for the front to go (the end of an asynchronous read). */
  async finish(status: number): Promise<void> {
    this.send(`exit ${status}`);
    this.ended = true;
    await this.reading;
  }

  /** Says the request goes to the cold path; nothing of it ran. */
  cold(): void {
    this.send('cold');
  }

  private async readLoop(): Promise<void> {
    const buf = Buffer.alloc(512);
    for (;;) {
      for (let line = this.nextLine(); line !== undefined; line = this.nextLine()) {
        const answer = this.handle(line);
        const waiter = answer && this.waiters.get(answer.pid);
        if (!answer || !waiter) continue;
        this.waiters.delete(answer.pid);
        if (answer.status === undefined) waiter.reject(childError(answer.pid));
        else waiter.resolve(answer.status);
      }
      let n: number;
      try {
        n = await new Promise<number>((resolve, reject) => fs.read(this.fd, buf, 0, buf.length, null, (err, got) => (err ? reject(err) : resolve(got))));
      } catch (err) {
        n = 0;
        if (!this.ended) for (const w of this.waiters.values()) w.reject(err as Error);
      }
      if (n === 0) {
        for (const w of this.waiters.values()) w.reject(Object.assign(new Error('the front went away'), { code: 'EPIPE' }));
        this.waiters.clear();
        return;
      }
      this.pending = Buffer.concat([this.pending, buf.subarray(0, n)]);
    }
  }

  private nextLine(): string | undefined {
    const nl = this.pending.indexOf(10);
    if (nl < 0) return undefined;
    const line = this.pending.toString('utf8', 0, nl);
    this.pending = this.pending.subarray(nl + 1);
    return line;
  }

  /** A signal is passed on at once; an answer to a wait is returned (status undefined: not the front's child). */
  private handle(line: string): { pid: number; status?: WaitStatus } | undefined {
    const [word, a, b] = line.split(' ');
    if (word === 'signal') {
      const name = SIGNAL_NAMES.get(Number(a));
      if (name) (process.emit as (event: string, signal: string) => boolean)(name, name);
      return undefined;
    }
    if (word === 'exited') return { pid: Number(a), status: { exitCode: Number(b), signal: null } };
    if (word === 'signaled') return { pid: Number(a), status: { exitCode: null, signal: Number(b) } };
    if (word === 'unknown') return { pid: Number(a) };
    return undefined;
  }
}
