// The lifecycle table against what runc 1.1.5 says, action by action and status by status (checked on
// real containers: `runc <action>` in each status). "creating" is tsrunc's own status.
import { describe, expect, it } from 'vitest';
import { ACTIONS, Action, isAllowed, mustAllow, refusal, refused, STATUSES } from '../../src/runtime/lifecycle';
import type { Status } from '../../src/oci/types';
import { isRuntimeError } from '../../src/common/errors';

const ok = null;
const creating = 'container c1 is being created';
const notRunning = 'container not running';
const notPaused = 'container not paused';
const execStopped = 'cannot exec in a stopped container';

/** Columns: creating, created, running, paused, stopped. */
const EXPECTED: Record<Action, [string | null, string | null, string | null, string | null, string | null]> = {
  start: [creating, ok, 'cannot start an already running container', 'cannot start a container in the paused state',
    'cannot start a container that has stopped'],
  kill: [creating, ok, ok, ok, notRunning],
  'kill --all': [creating, ok, ok, ok, ok],
  pause: [creating, ok, ok, notRunning, notRunning],
  resume: [creating, notPaused, notPaused, ok, notPaused],
  delete: ['cannot delete container c1 that is not stopped: creating', ok,
    'cannot delete container c1 that is not stopped: running', 'cannot delete container c1 that is not stopped: paused', ok],
  'delete --force': [ok, ok, ok, ok, ok],
  exec: [creating, ok, ok, 'cannot exec in a paused container (use --ignore-paused to override)', execStopped],
  'exec --ignore-paused': [creating, ok, ok, ok, execStopped],
  ps: [creating, ok, ok, ok, ok],
  update: [creating, ok, ok, ok, notRunning],
  state: [ok, ok, ok, ok, ok],
  events: [creating, ok, ok, ok, 'container with id c1 is not running'],
};

describe('the lifecycle table', () => {
  it('has the five statuses and every action above', () => {
    expect(STATUSES).toEqual(['creating', 'created', 'running', 'paused', 'stopped']);
    expect([...ACTIONS].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const action of Object.keys(EXPECTED) as Action[]) {
    it(action, () => {
      const got = STATUSES.map((status) => refusal(action, status, 'c1') ?? null);
      expect(got).toEqual(EXPECTED[action]);
      for (const status of STATUSES) expect(isAllowed(action, status)).toBe(got[STATUSES.indexOf(status)] === null);
    });
  }

  it('mustAllow throws a RuntimeError with the text, and passes what is allowed', () => {
    const thrown = (status: Status): unknown => {
      try {
        mustAllow('resume', status, 'c1');
        return undefined;
      } catch (err) {
        return err;
      }
    };
    expect(thrown('paused')).toBeUndefined();
    const err = thrown('running');
    expect(isRuntimeError(err) && err.message).toBe(notPaused);
  });

  it('refused() of an allowed cell is a programming error, not a message for the user', () => {
    expect(refused('kill', 'stopped', 'c1').message).toBe(notRunning);
    expect(() => refused('kill', 'running', 'c1')).toThrow('the lifecycle allows kill when running');
  });

  it('refuses every action that needs a finished record while a create runs', () => {
    const onCreating = ACTIONS.filter((a) => isAllowed(a, 'creating'));
    expect(onCreating.sort()).toEqual(['delete --force', 'state']);
  });
});
