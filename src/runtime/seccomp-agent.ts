// The seccomp notification fd handed to the agent at linux.seccomp.listenerPath, as runc does it: the
// init tells its number (`seccomp-listener`), tsrunc takes a copy with pidfd_getfd, connects to the
// agent's unix socket and sends, in one message, runc's ContainerProcessState JSON with the fd as
// SCM_RIGHTS, then closes its copy. The agent is told nothing else, and gets no other fd.
import type { Host } from './host';
import { SPEC_VERSION } from './cli/definition';
import { errnoText } from './errno-text';
import { RuntimeError } from '../common/errors';

/** A connect or send that takes longer (an agent whose backlog is full) fails create or exec. */
const AGENT_TIMEOUT_MS = 10_000;
/** specs.SeccompFdName: the name of the fd in `fds`. */
const SECCOMP_FD_NAME = 'seccompFd';

export interface SeccompListener {
  path: string;
  metadata?: string;
}

/** The container's state as the agent gets it (runtime-spec State). */
export interface AgentContainerState {
  id: string;
  status: 'creating' | 'running';
  /** The init's pid as tsrunc sees it. */
  pid: number;
  bundle: string;
  annotations?: Record<string, string>;
}

/** runc's specs.ContainerProcessState: ociVersion, fds, pid, metadata (when given), state. */
export function containerProcessState(state: AgentContainerState, processPid: number, metadata: string | undefined): string {
  const annotations = state.annotations && Object.keys(state.annotations).length > 0 ? { annotations: state.annotations } : {};
  return JSON.stringify({
    ociVersion: SPEC_VERSION,
    fds: [SECCOMP_FD_NAME],
    pid: processPid,
    ...(metadata ? { metadata } : {}),
    state: { ociVersion: SPEC_VERSION, id: state.id, status: state.status, pid: state.pid, bundle: state.bundle, ...annotations },
  });
}

function errText(err: unknown): string {
  const n = (err as { errno?: unknown }).errno;
  return typeof n === 'number' ? errnoText(Math.abs(n)) : (err as Error).message;
}

/**
 * Sends the notification fd `targetFd` of process `processPid` (the init of create, or the process
 * exec starts) to the agent; a failure is a RuntimeError naming linux.seccomp.listenerPath.
 */
export function sendNotifyFd(host: Host, listener: SeccompListener, processPid: number, targetFd: number, state: AgentContainerState): void {
  const at = 'linux.seccomp.listenerPath';
  let fd: number;
  const pidfd = host.pidfdOpen(processPid);
  try {
    fd = host.pidfdGetFd(pidfd, targetFd);
  } catch (err) {
    throw new RuntimeError(`${at}: cannot take the seccomp notification fd from the container's process: ${errText(err)}`);
  } finally {
    host.close(pidfd);
  }
  try {
    host.sendFd(listener.path, containerProcessState(state, processPid, listener.metadata), fd, AGENT_TIMEOUT_MS);
  } catch (err) {
    const connecting = (err as { syscall?: unknown }).syscall === 'connect';
    // runc's words first, which engines and runc's tests look for.
    throw new RuntimeError(connecting
      ? `${at}: failed to connect with seccomp agent specified in the seccomp profile at ${listener.path}: ${errText(err)}`
      : `${at}: cannot send the seccomp notification fd to the agent at ${listener.path}: ${errText(err)}`);
  } finally {
    host.close(fd);
  }
}
