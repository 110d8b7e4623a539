// --preserve-fds N: the container gets the caller's descriptors 3 to 3+N-1, so each must be one the
// caller passed. Node opens its own descriptors (its event loop's epoll, eventfds, signal pipes) at the
// lowest free numbers before any of tsrunc runs, so a number in the range the caller left closed is one of
// Node's by the time tsrunc looks, and tsrunc's own files take the next free ones: the range is the
// caller's only when every number in it is open and none is of a kind only Node's event loop makes.
// Anything else is refused before anything is made, as runc refuses a descriptor that is not open.
import { RuntimeError } from '../common/errors';
import type { Host } from './host';
import { runtimeProc } from '../linux/proc';

/** What /proc/self/fd shows for the descriptors libuv makes for itself. */
const EVENT_LOOP_KINDS = /^anon_inode:\[(eventpoll|eventfd|io_uring|signalfd|timerfd)\]$/;

/** Throws, naming the first descriptor of 3..3+n-1 that the caller did not pass. */
export function checkPreservedFds(host: Pick<Host, 'readlink'>, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RuntimeError(`invalid --preserve-fds ${n}: must not be negative`);
  for (let fd = 3; fd < 3 + n; fd++) {
    let target: string;
    try {
      target = host.readlink(`${runtimeProc()}/fd/${fd}`);
    } catch {
      throw new RuntimeError(`--preserve-fds ${n}: file descriptor ${fd} is not open`);
    }
    if (EVENT_LOOP_KINDS.test(target)) throw new RuntimeError(`--preserve-fds ${n}: file descriptor ${fd} is not open`);
  }
}
