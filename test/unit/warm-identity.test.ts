// How a warm worker words the difference between a caller's identity and its own (worker.ts); the
// refusals themselves are tested with real callers in test/warm/daemon.test.ts.
import { describe, expect, it } from 'vitest';
import { identityDifference } from '../../src/runtime/warm/worker';

const mine = 'Uid:\t0\t0\t0\t0\nCapEff:\t000001ffffffffff\nNoNewPrivs:\t0\nLSM label:\t\nns mnt:\tmnt:[4026531841]\nns user:\tuser:[4026531837]\n';

describe('identityDifference', () => {
  it('is undefined for the same identity', () => {
    expect(identityDifference(mine, mine)).toBeUndefined();
  });

  it('names the first field that differs, with both values', () => {
    const theirs = mine.replace('000001ffffffffff', '00000000a80425fb').replace('NoNewPrivs:\t0', 'NoNewPrivs:\t1');
    expect(identityDifference(mine, theirs)).toBe('another CapEff (00000000a80425fb, not 000001ffffffffff)');
  });

  it('names a namespace of another type by its type', () => {
    expect(identityDifference(mine, mine.replace('mnt:[4026531841]', 'mnt:[4026532200]'))).toBe('another mnt namespace');
    expect(identityDifference(mine, mine.replace('user:[4026531837]', '-'))).toBe('another user namespace');
  });

  it('says a field the other does not have is none, and an LSM label that differs', () => {
    expect(identityDifference(mine, mine.replace('NoNewPrivs:\t0\n', ''))).toBe('another NoNewPrivs (none, not 0)');
    expect(identityDifference(mine, mine.replace('LSM label:\t', 'LSM label:\tunconfined'))).toBe('another LSM label (unconfined, not )');
  });
});
