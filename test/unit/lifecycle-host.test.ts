// start, kill and delete against the fake host (test/support/fake-host.ts): exec.fifo's protocol, kill
// --all with the cgroup frozen around the signalling, delete's kill-and-wait, with runc's texts. The
// same commands run on real containers in test/oci-conformance/lifecycle.test.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeHost, recordingLog } from '../support/fake-host';
import { StateStore } from '../../src/runtime/state-store';
import { kill, remove, start, statusOf } from '../../src/runtime/container';

const SIGTERM = 15;
const SIGKILL = 9;

let host: FakeHost;
let store: StateStore;

beforeEach(() => {
  host = new FakeHost();
  store = new StateStore('/run/tsrunc', host);
});

function failure(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('it succeeded');
}

/** The calls that signal a process, as "pid signal". */
const signalled = () => host.calls.filter((c) => /^(kill|pidfdSendSignal) /.test(c)).map((c) => c.split(' ').slice(1).join(' '));

describe('start: exec.fifo', () => {
  it('opening the fifo releases the waiting init; the fifo goes and the container is running', () => {
    const { record, init } = host.container(store, 'c1', { status: 'created' });
    expect(statusOf(store, record)).toBe('created');
    start(store, 'c1');
    expect(init.released).toBe(true);
    // The lock is a flock on the container directory; then the fifo is opened, which lets the init go on.
    expect(host.calls).toEqual(['open /run/tsrunc/c1', 'flock /run/tsrunc/c1 exclusive', 'open /run/tsrunc/c1/exec.fifo', 'unlink /run/tsrunc/c1/exec.fifo']);
    expect(host.exists(store.fifoPath('c1'))).toBe(false);
    expect(statusOf(store, record)).toBe('running');
    expect(host.openFds()).toEqual([]);
  });

  it('without the fifo the container counts as running: "cannot start an already running container"', () => {
    host.container(store, 'c1', { status: 'running' });
    expect(failure(() => start(store, 'c1'))).toBe('cannot start an already running container');
    expect(host.calls.filter((c) => c.endsWith('exec.fifo'))).toEqual([]);
  });

  it('a stopped init: "cannot start a container that has stopped", the fifo left alone', () => {
    const { record } = host.container(store, 'c1', { status: 'created' });
    host.exitProcess(host.processes.get(record.pid)!, { exitCode: 0, signal: null });
    expect(failure(() => start(store, 'c1'))).toBe('cannot start a container that has stopped');
    expect(host.exists(store.fifoPath('c1'))).toBe(true);
  });

  it('an init that dies once the fifo is opened, without a word: "cannot start a container that has stopped"', () => {
    host.container(store, 'c1', { status: 'created', atStart: 'dies' });
    expect(failure(() => start(store, 'c1'))).toBe('cannot start a container that has stopped');
    expect(host.openFds()).toEqual([]);
  });

  it("a failed startContainer hook: start fails with the init's text and kills what is left in the cgroup", () => {
    const { others } = host.container(store, 'c1', { status: 'created', others: 1, atStart: { fails: 'hooks.startContainer[0]: /h exited with status 1' } });
    expect(failure(() => start(store, 'c1'))).toBe('hooks.startContainer[0]: /h exited with status 1');
    expect(others[0].signals).toEqual([SIGKILL]);
    expect(host.exists(store.fifoPath('c1'))).toBe(false);
  });
});

describe('kill', () => {
  it('kill --all freezes the cgroup, signals the init and each process in it, then thaws it, in that order', () => {
    const { init, others, cgroup } = host.container(store, 'c1', { status: 'running', others: 2 });
    kill(store, 'c1', SIGTERM, true, recordingLog());
    const pids = [init, ...others].map((p) => p.pid);
    expect(host.calls).toEqual([
      `cgroup.freeze ${cgroup}`,
      `pidfdSendSignal ${init.pid} ${SIGTERM}`,
      // The init is in the cgroup too: frozen, it has not ended yet.
      ...pids.map((pid) => `kill ${pid} ${SIGTERM}`),
      `cgroup.thaw ${cgroup}`,
    ]);
    for (const pid of pids) expect(host.processes.get(pid)!.signals).toEqual([SIGTERM]);
    expect(host.cgroups.get(cgroup)!.frozen).toBe(false);
  });

  it('kill --all of a paused container: signalled frozen, then thawed, so every process gets the signal', () => {
    const { init, others, cgroup, record } = host.container(store, 'c1', { status: 'paused', others: 1 });
    expect(statusOf(store, record)).toBe('paused');
    kill(store, 'c1', SIGTERM, true, recordingLog());
    const order = host.calls.map((c) => c.split(' ')[0]);
    expect(order[0]).toBe('cgroup.freeze');
    expect(order[order.length - 1]).toBe('cgroup.thaw');
    expect(signalled()).toEqual([`${init.pid} ${SIGTERM}`, `${init.pid} ${SIGTERM}`, `${others[0].pid} ${SIGTERM}`]);
    // Frozen while signalled: the signals arrived at the thaw.
    expect(init.signals).toEqual([SIGTERM]);
    expect(others[0].signals).toEqual([SIGTERM]);
    expect(host.cgroups.get(cgroup)!.frozen).toBe(false);
  });

  it('kill --all without a freezer warns and signals every process all the same, thawing nothing', () => {
    const { others, cgroup } = host.container(store, 'c1', { status: 'running', others: 1 });
    host.failOn('cgroup.freeze');
    const log = recordingLog();
    kill(store, 'c1', SIGKILL, true, log);
    expect(log.warnings).toEqual([expect.stringMatching(/^cannot freeze the cgroup of c1 to signal it; signalling it as it runs: /)]);
    expect(others[0].signals).toEqual([SIGKILL]);
    expect(host.calls).not.toContain(`cgroup.thaw ${cgroup}`);
  });

  it('kill --all of a stopped container signals what is left in its cgroup; kill of one says "container not running"', () => {
    const { others } = host.container(store, 'c1', { status: 'stopped', others: 1 });
    kill(store, 'c1', SIGTERM, true, recordingLog());
    expect(others[0].signals).toEqual([SIGTERM]);
    expect(failure(() => kill(store, 'c1', SIGTERM, false, recordingLog()))).toBe('container not running');
    expect(failure(() => kill(store, 'c1', SIGKILL, false, recordingLog()))).toBe('container not running');
  });

  it('kill --all of a stopped container with nothing left signals nothing and freezes nothing', () => {
    host.container(store, 'c1', { status: 'stopped' });
    kill(store, 'c1', SIGKILL, true, recordingLog());
    expect(signalled()).toEqual([]);
    expect(host.calls.filter((c) => c.startsWith('cgroup.'))).toEqual([]);
  });

  it('SIGKILL of a container sharing the pid namespace whose init is gone kills what is left, as runc 1.2+ (no error)', () => {
    const { others } = host.container(store, 'c1', { status: 'stopped', others: 2, ownPidNamespace: false });
    kill(store, 'c1', SIGKILL, false, recordingLog());
    expect(others.map((o) => o.signals)).toEqual([[SIGKILL], [SIGKILL]]);
    // Other signals still go to the init alone, which is gone.
    expect(failure(() => kill(store, 'c1', SIGTERM, false, recordingLog()))).toBe('container not running');
  });

  it('kill signals the init alone through its pidfd; SIGKILL of a paused one thaws it so that it ends now', () => {
    const { init, others, cgroup } = host.container(store, 'c1', { status: 'paused', others: 1 });
    kill(store, 'c1', SIGKILL, false, recordingLog());
    expect(host.calls).toEqual([`pidfdSendSignal ${init.pid} ${SIGKILL}`, `cgroup.thaw ${cgroup}`]);
    expect(init.state).toBe('Z');
    expect(others[0].signals).toEqual([]);
  });

  it('SIGKILL without an own pid namespace goes to every process (the init would not take them along)', () => {
    const { others } = host.container(store, 'c1', { status: 'running', others: 1, ownPidNamespace: false });
    kill(store, 'c1', SIGKILL, false, recordingLog());
    expect(others[0].signals).toEqual([SIGKILL]);
  });
});

describe('delete', () => {
  it('of a created container: kills the init and the rest, waits, removes the cgroup and then the state', () => {
    const { init, others, cgroup } = host.container(store, 'c1', { status: 'created', others: 1 });
    remove(store, 'c1', false, recordingLog());
    expect(host.calls.filter((c) => /^(kill|pidfdSendSignal|cgroup\.\w+|rmdir) /.test(c))).toEqual([
      `pidfdSendSignal ${init.pid} ${SIGKILL}`,
      ...others.map((p) => `kill ${p.pid} ${SIGKILL}`),
      `cgroup.destroy ${cgroup}`,
      'rmdir /run/tsrunc/c1',
    ]);
    expect(host.under('/run/tsrunc')).toEqual(['/run/tsrunc']);
    expect(host.cgroups.has(cgroup)).toBe(false);
    expect(host.openFds()).toEqual([]);
  });

  it('without --force refuses a running or paused container, in runc\'s words, and touches nothing', () => {
    host.container(store, 'r', { status: 'running', others: 1 });
    host.container(store, 'p', { status: 'paused' });
    expect(failure(() => remove(store, 'r', false, recordingLog()))).toBe('cannot delete container r that is not stopped: running');
    expect(failure(() => remove(store, 'p', false, recordingLog()))).toBe('cannot delete container p that is not stopped: paused');
    expect(signalled()).toEqual([]);
    expect(host.exists('/run/tsrunc/r/state.json') && host.exists('/run/tsrunc/p/state.json')).toBe(true);
  });

  for (const status of ['created', 'running', 'paused', 'stopped'] as const) {
    it(`--force of a ${status} container leaves no process, cgroup or state`, () => {
      const { init, others, cgroup } = host.container(store, 'c1', { status, others: status === 'stopped' ? 0 : 2 });
      remove(store, 'c1', true, recordingLog());
      for (const p of [init, ...others]) expect(p.state).toBe('Z');
      if (status === 'stopped') expect(signalled()).toEqual([]);
      else expect(signalled()[0]).toBe(`${init.pid} ${SIGKILL}`);
      // A paused container is thawed before it is killed: a frozen process would not die.
      if (status === 'paused') expect(host.calls.indexOf(`cgroup.thaw ${cgroup}`)).toBeLessThan(host.calls.indexOf(`pidfdSendSignal ${init.pid} ${SIGKILL}`));
      expect(host.calls.indexOf(`cgroup.destroy ${cgroup}`)).toBeGreaterThan(Math.max(...host.calls.map((c, i) => (/^(kill|pidfd)/.test(c) ? i : -1))));
      expect(host.cgroups.has(cgroup)).toBe(false);
      expect(host.exists('/run/tsrunc/c1')).toBe(false);
    });
  }

  it('--force of a container whose create is still running kills its helper and init, then removes it all', () => {
    const creator = host.spawn();
    const helper = host.spawn({ cgroup: '/sys/fs/cgroup/c1' });
    const init = host.spawn({ cgroup: '/sys/fs/cgroup/c1' });
    host.cgroups.set('/sys/fs/cgroup/c1', { frozen: false });
    store.claim('c1');
    const identity = (p: { pid: number; startTime: string }) => ({ pid: p.pid, startTime: p.startTime });
    store.write({
      status: 'creating', id: 'c1', creator: identity(creator), bundle: '/b', created: '2026-01-01T00:00:00.000Z', owner: 'root',
      cgroup: { driver: 'v2', paths: { unified: '/sys/fs/cgroup/c1' }, created: ['/sys/fs/cgroup/c1'] },
      helper: identity(helper), init: identity(init),
    });
    expect(failure(() => remove(store, 'c1', false, recordingLog()))).toBe('cannot delete container c1 that is not stopped: creating');
    remove(store, 'c1', true, recordingLog());
    expect(signalled().slice(0, 2)).toEqual([`${helper.pid} ${SIGKILL}`, `${init.pid} ${SIGKILL}`]);
    expect(creator.signals).toEqual([]);
    expect(host.cgroups.has('/sys/fs/cgroup/c1')).toBe(false);
    expect(host.exists('/run/tsrunc/c1')).toBe(false);
  });

  it('of a container without a mount namespace: the mounts it made in the runtime\'s go, those there before stay', () => {
    const { record } = host.container(store, 'c1', { status: 'stopped' });
    store.write({ ...record, hostMounts: { rootfs: '/b/rootfs', kept: [20] } });
    host.mkdir('/proc/self', { mode: 0o755, recursive: true });
    const mountinfo = ['1 0 0:1 / / rw - ext4 /dev/vda rw', '20 1 0:2 / /b/rootfs rw - overlay o rw', '40 20 0:1 /b/rootfs /b/rootfs rw - ext4 /dev/vda rw'];
    host.writeFile('/proc/self/mountinfo', mountinfo.join('\n'));
    const detach = host.detachMount.bind(host);
    host.detachMount = (file: string) => {
      detach(file);
      host.writeFile('/proc/self/mountinfo', mountinfo.slice(0, 2).join('\n'));
    };
    remove(store, 'c1', false, recordingLog());
    expect(host.calls.filter((c) => c.startsWith('detachMount'))).toEqual(['detachMount /b/rootfs']);
    expect(host.exists('/run/tsrunc/c1')).toBe(false);
  });

  it('a process that outlives SIGKILL fails delete with its pid, and the state stays for another try', () => {
    const { init } = host.container(store, 'c1', { status: 'running' });
    init.survives.add(SIGKILL);
    expect(failure(() => remove(store, 'c1', true, recordingLog()))).toBe(`process ${init.pid} of the container did not exit after SIGKILL`);
    expect(host.exists('/run/tsrunc/c1/state.json')).toBe(true);
    expect(host.openFds()).toEqual([]);
  });
});
