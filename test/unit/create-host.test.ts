// create's host steps and the head start against the fake host (test/support/fake-host.ts), with a
// real bundle in a temporary folder (prepareCreate reads it): the order of the steps, the rollback when
// any step fails (what was done undone, last first; an undo that fails logged, the failure rethrown),
// and the head start's undo. Real containers: test/oci-conformance/lifecycle.test.ts and
// crash-safe-create.test.ts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeHost, recordingLog } from '../support/fake-host';
import { StateStore } from '../../src/runtime/state-store';
import { createContainer, CreateOptions } from '../../src/runtime/create';
import { CREATE_STEPS, HEAD_STEPS, headStepsFor } from '../../src/runtime/create-steps';
import type { CgroupManager } from '../../src/linux/cgroups';
import { CreateHeadStart } from '../../src/runtime/head-start';
import { baseSpec } from '../support/base-spec';

const ROOT = '/run/tsrunc';
const DIR = `${ROOT}/c1`;
const CGROUP = '/sys/fs/cgroup/c1';

const bundle = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-create-host-'));
fs.mkdirSync(path.join(bundle, 'rootfs/bin'), { recursive: true });
fs.writeFileSync(path.join(bundle, 'rootfs/bin/true'), '#!/bin/sh\n', { mode: 0o755 });
const spec = baseSpec();
spec.process!.args = ['/bin/true'];
fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
afterAll(() => fs.rmSync(bundle, { recursive: true, force: true }));

let host: FakeHost;
let store: StateStore;
const opts: CreateOptions = { id: 'c1', bundle, noPivot: false, preserveFds: 0 };

beforeEach(() => {
  host = new FakeHost();
  store = new StateStore(ROOT, host);
});
afterEach(() => vi.restoreAllMocks());

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('it succeeded');
}

/** The calls that make or undo something (not the writes of state.json), with pids as names. */
function madeAndUndone(): string[] {
  const names = new Map<number, string>();
  for (const [i, h] of host.helpers.entries()) names.set(h.proc.pid, `helper${i}`);
  for (const p of host.spawned) if (p.atStart !== undefined && !names.has(p.pid)) names.set(p.pid, 'init');
  return host.calls
    .filter((c) => /^(mkdir \/run\/tsrunc\/|mkfifo|spawnHelper|cgroup\.(create|destroy)|kill |rmdir|write helper)/.test(c))
    .map((c) => c.replace(/\b\d{2,}\b/g, (pid) => names.get(Number(pid)) ?? pid));
}

/** Nothing of the create is left: no state, no cgroup, no process but the test's, no open fd. */
function expectNothingLeft(): void {
  expect(host.under(ROOT).filter((p) => p !== ROOT)).toEqual([]);
  expect([...host.cgroups.keys()]).toEqual([]);
  expect([...host.processes.values()].filter((p) => p.state === 'R').map((p) => p.pid)).toEqual([process.pid]);
  expect(host.openFds()).toEqual([]);
}

describe('create', () => {
  it("makes what it makes in runc's order (but the helper, started first), and leaves a created container", async () => {
    const created = await createContainer(store, recordingLog(), opts);
    expect(madeAndUndone()).toEqual([
      'spawnHelper tsrunc-init 3', // first: its start overlaps the claim; it waits for its head
      `mkdir ${DIR}`, // the state directory (its provisional record follows)
      `mkfifo ${DIR}/exec.fifo`,
      `cgroup.create ${CGROUP}`,
      'write helper helper0', // the head: into the cgroup
      'write helper helper0', // the rest of the plan
    ]);
    // The resources go to the cgroup once the helper is on its way in, before the plan is sent.
    const sends = host.calls.flatMap((c, i) => (c.startsWith('write helper') ? [i] : []));
    const apply = host.calls.indexOf(`cgroup.apply ${CGROUP}`);
    expect(apply > sends[0] && apply < sends[sends.length - 1]).toBe(true);
    const init = host.processes.get(created.pid)!;
    expect(init.cgroup).toBe(CGROUP);
    expect(JSON.parse(host.fileText(`${DIR}/state.json`)!)).toMatchObject({ id: 'c1', pid: init.pid, pidStartTime: init.startTime, bundle });
    expect(host.exists(`${DIR}/exec.fifo`)).toBe(true);
    // The helper exited once the init was ready, and was reaped.
    expect(host.processes.has(host.helpers[0].proc.pid)).toBe(false);
    expect(host.openFds()).toEqual([]);
  });

  // What is undone when each step fails, in the order undone (kill helper0: the helper ended; kill init).
  const undone: Record<string, string[]> = {
    'start the helper': [],
    'claim the id (the state directory)': ['kill helper0 9'],
    'write the provisional record': [`rmdir ${DIR}`, 'kill helper0 9'],
    'make exec.fifo': [`rmdir ${DIR}`, 'kill helper0 9'],
    'make the cgroup': [`rmdir ${DIR}`, 'kill helper0 9'],
    'send the helper into the cgroup': [`cgroup.destroy ${CGROUP}`, `rmdir ${DIR}`, 'kill helper0 9'],
    'apply the resources': ['kill helper0 9', `cgroup.destroy ${CGROUP}`, `rmdir ${DIR}`],
    'run the plan (the init, the create-time hooks)': ['kill helper0 9', `cgroup.destroy ${CGROUP}`, `rmdir ${DIR}`],
    // From here the helper has exited: the init is killed (and reaped) first.
    'write state.json': ['kill init 9', `cgroup.destroy ${CGROUP}`, `rmdir ${DIR}`],
    'write the pid file': ['kill init 9', `cgroup.destroy ${CGROUP}`, `rmdir ${DIR}`],
    'receive the console': ['kill init 9', `cgroup.destroy ${CGROUP}`, `rmdir ${DIR}`],
  };

  it('has a rollback case here for each of its steps', () => {
    expect(CREATE_STEPS.map((s) => s.name)).toEqual(Object.keys(undone));
  });

  for (const step of CREATE_STEPS) {
    it(`when "${step.name}" fails: what the steps before it did is undone, last first, and its error rethrown`, async () => {
      const boom = new Error(`${step.name} failed`);
      vi.spyOn(step, 'run').mockImplementation(() => {
        throw boom;
      });
      const log = recordingLog();
      expect(await failure(createContainer(store, log, opts))).toBe(boom);
      const calls = madeAndUndone();
      const undoStart = calls.findIndex((c) => c.startsWith('kill ') || c.startsWith('rmdir') || c.startsWith('cgroup.destroy'));
      expect(undoStart < 0 ? [] : calls.slice(undoStart)).toEqual(undone[step.name]);
      expect(log.warnings).toEqual([]);
      expectNothingLeft();
    });
  }

  it('a cgroup it cannot make (busy) is left alone; the rest is undone', async () => {
    host.cgroups.set(CGROUP, { frozen: false });
    host.spawn({ cgroup: CGROUP });
    const err = await failure(createContainer(store, recordingLog(), opts));
    expect(err.message).toMatch(/EBUSY/);
    expect(host.calls).not.toContain(`cgroup.destroy ${CGROUP}`);
    expect(host.cgroups.has(CGROUP)).toBe(true);
    expect(host.under(ROOT)).toEqual([ROOT]);
  });

  it("a helper that fails after it reported the init: the helper's text, the init killed and reaped, nothing left", async () => {
    host.helperAnswer = { failsAfterPid: 'mount: no such device' };
    const err = await failure(createContainer(store, recordingLog(), opts));
    expect(err.message).toBe('tsrunc-init: mount: no such device');
    expect(madeAndUndone().slice(-3)).toEqual(['kill init 9', `cgroup.destroy ${CGROUP}`, `rmdir ${DIR}`]);
    expect(host.calls.filter((c) => c.startsWith('waitpidSync')).length).toBe(2); // the helper and the init
    expectNothingLeft();
  });

  it('a failing undo is logged, the other undos still run, and the original error is rethrown', async () => {
    host.failOn(`cgroup.apply ${CGROUP}`, new Error('cannot write memory.max'));
    host.failOn(`cgroup.destroy ${CGROUP}`, new Error('rmdir: device busy'));
    const log = recordingLog();
    const err = await failure(createContainer(store, log, opts));
    expect(err.message).toBe('cannot write memory.max');
    expect(log.warnings).toEqual(['cannot undo "make the cgroup": rmdir: device busy']);
    expect(host.under(ROOT)).toEqual([ROOT]);
    expect(host.helpers[0].proc.state).toBe('Z');
  });

  it('an id in use is refused before anything is made', async () => {
    store.claim('c1');
    host.calls.length = 0;
    expect((await failure(createContainer(store, recordingLog(), opts))).message).toBe('container with given ID already exists');
    expect(host.calls).toEqual([]);
  });
});

describe("create's head start", () => {
  it('runs the first steps: the state directory, exec.fifo, the helper in the cgroup', () => {
    const head = CreateHeadStart.begin(store, recordingLog(), opts)!;
    expect(head).toBeDefined();
    expect(madeAndUndone()).toEqual(['spawnHelper tsrunc-init 3', `mkdir ${DIR}`, `mkfifo ${DIR}/exec.fifo`, `cgroup.create ${CGROUP}`, 'write helper helper0']);
    expect(HEAD_STEPS).toEqual(CREATE_STEPS.slice(0, HEAD_STEPS.length));
    expect(JSON.parse(host.fileText(`${DIR}/state.json`)!)).toMatchObject({ status: 'creating', helper: { pid: host.helpers[0].proc.pid } });
  });

  it('for a cgroup whose create() only queues it (systemd), stops before joining it, which waits for it', () => {
    const steps = headStepsFor({ settle: () => undefined } as unknown as CgroupManager).map((s) => s.name);
    expect(steps).toEqual(HEAD_STEPS.map((s) => s.name).slice(0, -1));
    expect(HEAD_STEPS[HEAD_STEPS.length - 1].name).toBe('send the helper into the cgroup');
    expect(headStepsFor({} as CgroupManager)).toBe(HEAD_STEPS);
  });

  it('undo() ends the helper, removes the cgroup, then the state directory; once', () => {
    const head = CreateHeadStart.begin(store, recordingLog(), opts)!;
    host.calls.length = 0;
    head.undo(recordingLog());
    expect(madeAndUndone()).toEqual(['kill helper0 9', `cgroup.destroy ${CGROUP}`, `rmdir ${DIR}`]);
    expectNothingLeft();
    const after = host.calls.length;
    head.undo(recordingLog());
    expect(host.calls.length).toBe(after);
  });

  for (const step of HEAD_STEPS) {
    it(`when "${step.name}" fails there is no head start, and nothing is left`, () => {
      vi.spyOn(step, 'run').mockImplementation(() => {
        throw new Error('no');
      });
      expect(CreateHeadStart.begin(store, recordingLog(), opts)).toBeUndefined();
      expectNothingLeft();
    });
  }

  it('create goes on from it without repeating its steps; its undo then does nothing', async () => {
    const head = CreateHeadStart.begin(store, recordingLog(), opts)!;
    const created = await createContainer(store, recordingLog(), opts, head);
    expect(madeAndUndone().filter((c) => c.startsWith('mkdir') || c.startsWith('spawnHelper'))).toEqual(['spawnHelper tsrunc-init 3', `mkdir ${DIR}`]);
    const after = host.calls.length;
    head.undo(recordingLog());
    expect(host.calls.length).toBe(after);
    expect(host.isSameLiveProcess(created.pid, created.pidStartTime)).toBe(true);
  });

  it('a bundle that create then refuses undoes the head start: nothing is left', async () => {
    const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrunc-create-host-bad-'));
    try {
      fs.mkdirSync(path.join(bad, 'rootfs'));
      fs.writeFileSync(path.join(bad, 'config.json'), JSON.stringify({ ...spec, process: { ...spec.process, args: [] } }));
      const o = { ...opts, bundle: bad };
      const head = CreateHeadStart.begin(store, recordingLog(), o)!;
      expect(head).toBeDefined();
      expect((await failure(createContainer(store, recordingLog(), o, head))).message).toMatch(/process\.args/);
      expectNothingLeft();
    } finally {
      fs.rmSync(bad, { recursive: true, force: true });
    }
  });
});
