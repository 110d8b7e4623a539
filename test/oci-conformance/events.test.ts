// events (runc's: stats as JSON lines, OOM events), help for every command, checkpoint/restore without CRIU.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv, TSRUNC } from '../support/env';
import { parseInterval } from '../../src/runtime/commands/events';
import { statsJson } from '../../src/linux/cgroups/stats';
import { COMMANDS } from '../../src/runtime/cli/definition';
import { reap, setConfig, specWith, waitFor } from './helpers';

let env: TestEnv;
let bundle: string;
const MiB = 1024 * 1024;

beforeAll(() => {
  env = new TestEnv('events');
  bundle = env.bundle('b', specWith(['true']));
});

afterAll(async () => {
  expect(await env.cleanup()).toEqual([]);
});

interface StatsLine { type: string; id: string; data?: { cpu: { usage: { total: number } }; memory: { usage: { limit: number; usage: number } }; pids: { current: number; limit: number } } }
const lines = (text: string) => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as StatsLine);

describe('events', () => {
  it('--stats: one line of runc\'s stats whose numbers are the cgroup\'s and move', async () => {
    setConfig(bundle, specWith(['sh', '-c', 'while :; do :; done'], (s) => {
      s.linux!.resources = { ...s.linux!.resources, memory: { limit: 64 * MiB }, pids: { limit: 50 } };
    }));
    const id = env.id('ev');
    env.ok(['run', '--detach', '--bundle', bundle, id]);
    const { pid } = env.state(id);
    const first = lines(env.ok(['events', '--stats', id]).stdout);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ type: 'stats', id, data: { memory: { usage: { limit: 64 * MiB } }, pids: { current: 1, limit: 50 } } });
    await new Promise((r) => setTimeout(r, 300));
    const second = lines(env.ok(['events', '--stats', id]).stdout)[0];
    expect(second.data!.cpu.usage.total).toBeGreaterThan(first[0].data!.cpu.usage.total);
    env.ok(['delete', '--force', id]);
    await reap(pid);
    const gone = env.tsrunc(['events', '--stats', id]);
    expect({ status: gone.status, err: gone.stderr.trim() }).toEqual({ status: 1, err: expect.stringContaining('container does not exist') });
  });

  it('a stream every --interval with an oom line when the OOM killer acts; it ends when the container stops', async () => {
    setConfig(bundle, specWith(['sh', '-c', 'sleep 1; x=$(head -c 67108864 /dev/zero | tr "\\0" a); sleep 1'], (s) => {
      s.linux!.resources = { ...s.linux!.resources, memory: { limit: 16 * MiB, swap: 16 * MiB } };
    }));
    const id = env.id('oom');
    env.ok(['run', '--detach', '--bundle', bundle, id]);
    const { pid } = env.state(id);
    const child = spawn(TSRUNC, ['--root', env.root, 'events', '--interval', '300ms', id], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const status = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(status).toBe(0);
    const got = lines(out);
    expect(got.filter((l) => l.type === 'stats').length).toBeGreaterThanOrEqual(3);
    expect(got.filter((l) => l.type === 'oom')).toEqual([{ type: 'oom', id }]);
    await waitFor('stopped', () => env.state(id).status === 'stopped');
    env.ok(['delete', id]);
    await reap(pid);
  }, 120_000); // generous: a guest under TCG runs it 5-8x slower

  it('reads --interval as Go durations and writes 64-bit numbers exactly', () => {
    expect([parseInterval('5s'), parseInterval('500ms'), parseInterval('1m30s'), parseInterval('1.5s')]).toEqual([5000, 500, 90_000, 1500]);
    expect(() => parseInterval('5')).toThrow('invalid --interval "5"');
    expect(() => parseInterval('0s')).toThrow('duration interval must be greater than 0');
    expect(statsJson({ limit: 2n ** 63n - 4096n, max: 2n ** 64n - 1n })).toBe('{"limit":9223372036854771712,"max":18446744073709551615}');
  });
});

describe('help, checkpoint and restore', () => {
  it('help lists every command; help CMD, CMD -h and CMD --help show its options, in runc\'s shape', () => {
    for (const args of [['help'], ['--help'], ['-h'], []]) {
      const all = env.ok(args).stdout;
      expect(all.split('\n').slice(0, 2), args.join(' ')).toEqual(['NAME:', '   tsrunc - Open Container Initiative runtime']);
      for (const c of COMMANDS) expect(all, c.name).toMatch(new RegExp(`^ {3}${c.name} +\\S`, 'm'));
    }
    for (const name of ['events', 'checkpoint', 'list']) {
      for (const args of [['help', name], [name, '-h'], [name, '--help']]) {
        const lines = env.ok(args).stdout.split('\n');
        expect(lines.slice(0, 2), args.join(' ')).toEqual(['NAME:', expect.stringMatching(new RegExp(`^ {3}tsrunc ${name} - `))]);
      }
    }
    for (const args of [['help', 'nope'], ['nope', '-h'], ['nope']]) {
      const r = env.tsrunc(args);
      expect({ status: r.status, out: r.stdout, err: r.stderr }, args.join(' ')).toEqual({ status: 3, out: '', err: expect.stringContaining("No help topic for 'nope'") });
    }
  });

  it('checkpoint and restore take runc\'s options and say that CRIU is missing', () => {
    for (const args of [['checkpoint', '--image-path', '/tmp/x', '--leave-running', 'c1'], ['restore', '--image-path', '/tmp/x', '--bundle', bundle, 'c1']]) {
      const r = env.tsrunc(['--criu', 'no-such-criu', ...args]);
      expect({ status: r.status, err: r.stderr.trim() }).toEqual({
        status: 1, err: expect.stringContaining(`${args[0]} needs CRIU, and there is no \\"no-such-criu\\" in PATH`),
      });
    }
  });
});
