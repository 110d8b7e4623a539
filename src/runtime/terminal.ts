// process.terminal: when a pty is made and where its master goes. With --console-socket the helper
// sends the master there (docs/plan-format.md, `console-connect` and `console`). A foreground `run` or
// `exec` without one does as runc does: tsrunc listens on a console socket of its own, receives the
// master and copies between it and its own stdio until the process exits.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RuntimeError } from '../common/errors';
import type { WaitStatus } from '../linux/native';
import type { Host } from './host';
import { print } from './output';

/** sizeof(sockaddr_un.sun_path) - 1: the longest path connect(2) takes. */
const SUN_PATH_MAX = 107;

/**
 * runc's checkTerminal (utils_linux.go): a detached terminal needs a console socket, and a console
 * socket is only for a terminal of a process tsrunc leaves running.
 */
export function checkTerminal(terminal: boolean, consoleSocket: string | undefined, detach: boolean): void {
  if (detach && terminal && consoleSocket === undefined) {
    throw new RuntimeError('cannot allocate tty if tsrunc will detach without setting console socket (process.terminal is true: give --console-socket)');
  }
  if ((!detach || !terminal) && consoleSocket !== undefined) {
    throw new RuntimeError(`cannot use console socket if tsrunc will not detach or allocate tty (${terminal ? 'not detaching' : 'process.terminal is false'})`);
  }
  if (consoleSocket !== undefined && (consoleSocket === '' || Buffer.byteLength(consoleSocket) > SUN_PATH_MAX)) {
    throw new RuntimeError(`--console-socket ${JSON.stringify(consoleSocket)}: an AF_UNIX socket path must have 1 to ${SUN_PATH_MAX} bytes`);
  }
}

/** A console socket of tsrunc's own, in a new private directory. */
export class OwnConsole {
  private constructor(private readonly host: Host, readonly dir: string, readonly socket: string, private listenFd: number) {}

  static open(host: Host): OwnConsole {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-pty-'));
    const socket = path.join(dir, 'pty.sock');
    try {
      return new OwnConsole(host, dir, socket, host.listenUnix(socket, 4));
    } catch (err) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The master: the helper sent it before `ready`, so it is waiting already. */
  receive(): number {
    return this.host.receiveFd(this.listenFd, 10_000).fd;
  }

  close(): void {
    if (this.listenFd >= 0) fs.closeSync(this.listenFd);
    this.listenFd = -1;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Copies stdin to the pty master and the master to stdout until `exited` settles and the master has
 * nothing more (EIO once every slave fd is closed; at most 2 s after the exit). The caller's terminal
 * is raw meanwhile and follows its size (SIGWINCH). Closes the master.
 */
/** A stream reading fd (closed with it): a terminal's, a pipe's or socket's, or a file's, as Node makes process.stdin. */
function inputStream(fd: number): NodeJS.ReadableStream & { destroy(): void } {
  const tty = require('node:tty') as typeof import('node:tty');
  if (tty.isatty(fd)) return new tty.ReadStream(fd);
  const st = fs.fstatSync(fd);
  if (st.isFIFO() || st.isSocket()) {
    const net = require('node:net') as typeof import('node:net');
    return new net.Socket({ fd, readable: true, writable: false });
  }
  return fs.createReadStream('', { fd });
}

export async function proxyTerminal(host: Host, master: number, exited: Promise<WaitStatus>): Promise<WaitStatus> {
  // Loaded here: node:tty brings Node's stream machinery, which create without a terminal never needs.
  const tty = require('node:tty') as typeof import('node:tty');
  const pty = new tty.ReadStream(master);
  // Streams of this call's own, over a copy of fd 0, and plain writes to fd 1: not process.stdin and
  // process.stdout, which are made once per process (a warm worker serves many callers' stdio).
  const stdin = inputStream(host.dup(0));
  const raw = stdin instanceof tty.ReadStream;
  const resize = () => {
    try {
      const size = host.getWinsize(1);
      host.setWinsize(master, size.rows, size.cols);
    } catch {
      // stdout is not a terminal, or the pty is gone
    }
  };
  const input = (data: Buffer) => pty.write(data);
  try {
    if (raw) (stdin as import('node:tty').ReadStream).setRawMode(true);
    resize();
    process.on('SIGWINCH', resize);
    const drained = new Promise<void>((resolve) => {
      pty.on('data', (data: Buffer) => print(data));
      pty.on('end', resolve);
      pty.on('error', () => resolve()); // EIO: no slave left
      pty.on('close', resolve);
    });
    stdin.on('data', input);
    stdin.on('error', () => {});
    const status = await exited;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise<void>((resolve) => { timer = setTimeout(resolve, 2000); })]);
    clearTimeout(timer);
    return status;
  } finally {
    process.off('SIGWINCH', resize);
    stdin.off('data', input);
    if (raw) (stdin as import('node:tty').ReadStream).setRawMode(false);
    stdin.destroy();
    pty.destroy();
  }
}
