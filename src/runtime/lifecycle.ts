// The lifecycle table: for each action, in which status it is allowed and, when not, what it says.
// The texts are runc 1.1's (engines may match them), checked against runc 1.1.5 on real containers;
// "creating" (a create still under way, see provisional-record.ts) is tsrunc's own: runc never reports it.
//
//   creating → created → running → stopped, and created or running ⇄ paused (pause, resume).
//
// A status is derived live (state-store.ts); commands ask mustAllow() here before they act.
import type { Status } from '../oci/types';
import { RuntimeError } from '../common/errors';

export const STATUSES: readonly Status[] = ['creating', 'created', 'running', 'paused', 'stopped'];

/** The commands that look at a container's status; a flag that changes the answer makes its own action. */
export type Action =
  | 'start' | 'kill' | 'kill --all' | 'pause' | 'resume' | 'delete' | 'delete --force'
  | 'exec' | 'exec --ignore-paused' | 'ps' | 'update' | 'state' | 'events';

/** What an action says in a status that does not allow it (given the container id); null: allowed. */
type Cell = ((id: string) => string) | null;

const ALLOWED = null;
const says = (text: string): Cell => () => text;
const beingCreated: Cell = (id) => `container ${id} is being created`;
const notStopped = (status: Status): Cell => (id) => `cannot delete container ${id} that is not stopped: ${status}`;

const NOT_RUNNING = says('container not running');
const EXEC_STOPPED = says('cannot exec in a stopped container');

const TABLE: Record<Action, Record<Status, Cell>> = {
  start: {
    creating: beingCreated,
    created: ALLOWED,
    running: says('cannot start an already running container'),
    paused: says('cannot start a container in the paused state'),
    stopped: says('cannot start a container that has stopped'),
  },
  kill: { creating: beingCreated, created: ALLOWED, running: ALLOWED, paused: ALLOWED, stopped: NOT_RUNNING },
  // Also SIGKILL of a container without its own pid namespace. A stopped container is no error (exit 0), as
  // in runc, and what is left in its cgroup (processes of a shared pid namespace outlive the init) is signalled.
  'kill --all': { creating: beingCreated, created: ALLOWED, running: ALLOWED, paused: ALLOWED, stopped: ALLOWED },
  pause: { creating: beingCreated, created: ALLOWED, running: ALLOWED, paused: NOT_RUNNING, stopped: NOT_RUNNING },
  resume: {
    creating: beingCreated, created: says('container not paused'), running: says('container not paused'),
    paused: ALLOWED, stopped: says('container not paused'),
  },
  // A created container is killed and deleted without --force, as runc does.
  delete: {
    creating: notStopped('creating'), created: ALLOWED, running: notStopped('running'), paused: notStopped('paused'),
    stopped: ALLOWED,
  },
  'delete --force': { creating: ALLOWED, created: ALLOWED, running: ALLOWED, paused: ALLOWED, stopped: ALLOWED },
  exec: {
    creating: beingCreated, created: ALLOWED, running: ALLOWED,
    paused: says('cannot exec in a paused container (use --ignore-paused to override)'), stopped: EXEC_STOPPED,
  },
  // The process waits in the frozen cgroup until the container is resumed.
  'exec --ignore-paused': { creating: beingCreated, created: ALLOWED, running: ALLOWED, paused: ALLOWED, stopped: EXEC_STOPPED },
  ps: { creating: beingCreated, created: ALLOWED, running: ALLOWED, paused: ALLOWED, stopped: ALLOWED },
  update: { creating: beingCreated, created: ALLOWED, running: ALLOWED, paused: ALLOWED, stopped: NOT_RUNNING },
  state: { creating: ALLOWED, created: ALLOWED, running: ALLOWED, paused: ALLOWED, stopped: ALLOWED },
  events: { creating: beingCreated, created: ALLOWED, running: ALLOWED, paused: ALLOWED, stopped: (id) => `container with id ${id} is not running` },
};

export const ACTIONS = Object.keys(TABLE) as Action[];

export function isAllowed(action: Action, status: Status): boolean {
  return TABLE[action][status] === ALLOWED;
}

/** What `action` says about container `id` in `status`; undefined when it is allowed. */
export function refusal(action: Action, status: Status, id: string): string | undefined {
  return TABLE[action][status]?.(id);
}

/** Throws the refusal of `action` in `status`, if it has one. */
export function mustAllow(action: Action, status: Status, id: string): void {
  if (!isAllowed(action, status)) throw refused(action, status, id);
}

/** The error of `action` in a status that refuses it (such as one found while acting: the container stopped meanwhile). */
export function refused(action: Action, status: Status, id: string): RuntimeError {
  const text = refusal(action, status, id);
  if (text === undefined) throw new Error(`the lifecycle allows ${action} when ${status}`);
  return new RuntimeError(text);
}
