import { describe, expect, it } from 'vitest';
import { dedupEnv, processEnv } from '../../src/runtime/process-env';

describe('process.env as runc prepares it', () => {
  const home = () => '/root';

  it('keeps each name once: the last value, at its last place', () => {
    expect(dedupEnv(['A=1', 'B=2', 'A=3', 'C=4'])).toEqual(['B=2', 'A=3', 'C=4']);
    expect(processEnv(['ONE=two', 'ONE=', 'PATH=/bin'], home)).toEqual(['ONE=', 'PATH=/bin', 'HOME=/root']);
  });

  it('adds HOME from the passwd entry when it is missing or (the last one given) empty', () => {
    expect(processEnv(['PATH=/bin'], home)).toEqual(['PATH=/bin', 'HOME=/root']);
    expect(processEnv(['HOME=', 'PATH=/bin'], home)).toEqual(['PATH=/bin', 'HOME=/root']);
    expect(processEnv(['HOME=/override', 'HOME='], home)).toEqual(['HOME=/root']);
    expect(processEnv(['HOME=', 'HOME=/override'], home)).toEqual(['HOME=/override']);
    expect(processEnv([], home)).toEqual(['HOME=/root']);
  });

  it('leaves no process.env empty, as runc adds nothing to a nil environment', () => {
    let asked = false;
    expect(processEnv(undefined, () => { asked = true; return '/root'; })).toEqual([]);
    expect(asked).toBe(false);
  });
});
