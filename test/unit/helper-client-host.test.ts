// The helper client against the fake host (test/support/fake-host.ts): what it does with a helper that
// says something outside the protocol, which the real helper cannot be made to do (its op table
// refuses every argument that could carry a line: test/unit/helper-client.test.ts).
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeHost } from '../support/fake-host';
import { StartedHelper, unreapedPid } from '../../src/runtime/helper-client';
import { op } from '../../src/linux/op-schema';
import type { Plan } from '../../src/linux/plan';

let host: FakeHost;

beforeEach(() => {
  host = new FakeHost();
});

const PLAN: Plan = {
  host: [op.cloexecFrom({ fd: 3 }), op.clone({ flags: 17 }), op.reportPid(), op.release()],
  container: [op.waitRelease(), op.ready()],
};

describe('the helper client and a helper outside the protocol', () => {
  it('a line it does not know: the helper is killed and reaped, the init killed and left to the caller, the error names the line', () => {
    host.helperAnswer = { saysAfterPid: 'bogus 1 2' };
    const helper = StartedHelper.start(host, 0);
    let err: Error | undefined;
    try {
      helper.run(PLAN);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toMatch(/unexpected message "bogus 1 2"/);
    const init = unreapedPid(err);
    expect(init).toBeGreaterThan(0);
    expect(init).not.toBe(helper.pid);
    // Both got SIGKILL; the helper is reaped here, the init is the caller's to reap (a zombie now).
    expect(host.calls).toEqual(expect.arrayContaining([`kill ${helper.pid} 9`, `kill ${init} 9`, `waitpidSync ${helper.pid}`]));
    expect(host.calls).not.toContain(`waitpidSync ${init}`);
    expect(host.procStat(helper.pid)).toBeUndefined();
    expect(host.procStat(init!)?.state).toBe('Z');
  });
});
