// tsrunc check on bundles that are fine, or only doubtful: exit status, text and JSON output.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEnv, TSRUNC, testSpec } from '../support/env';
import { setConfig, specWith } from '../oci-conformance/helpers';

let env: TestEnv;
let bundle: string;

beforeAll(() => {
  env = new TestEnv('chk');
  bundle = env.bundle('b', testSpec(['sh', '-c', 'true']));
  // An absolute symlink in the rootfs: it must be read inside the rootfs (/bin/busybox there).
  fs.symlinkSync('/bin/busybox', path.join(bundle, 'rootfs', 'bin', 'abs-sh'));
});

afterAll(async () => {
  expect(await env.cleanup()).toEqual([]);
});

interface Report {
  bundle: string;
  config: string;
  valid: boolean;
  errors: number;
  warnings: number;
  problems: { severity: string; path: string; line: number | null; column: number | null; message: string; found: string | null; expected: string | null; hint: string | null }[];
}

function checkJson(): { status: number | null; report: Report; stderr: string } {
  const r = env.tsrunc(['check', '--json', '--bundle', bundle]);
  return { status: r.status, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}

describe('check', () => {
  it('a good bundle: exit 0, no errors, and the report says so', () => {
    setConfig(bundle, testSpec(['sh', '-c', 'true']));
    const { status, report, stderr } = checkJson();
    expect(stderr).toBe('');
    expect(report.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(status).toBe(0);
    expect(report).toMatchObject({ bundle, config: path.join(bundle, 'config.json'), valid: true, errors: 0 });
    const text = env.tsrunc(['check', '--bundle', bundle]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/(no problems found|0 errors, \d+ warnings?) in \S+config\.json\n$/);
  });

  it('the default spec of `tsrunc spec`, and a program reached through an absolute symlink in the rootfs', () => {
    fs.rmSync(path.join(bundle, 'config.json'));
    env.ok(['spec', '--bundle', bundle]);
    expect(checkJson()).toMatchObject({ status: 0, report: { valid: true, errors: 0 } });
    setConfig(bundle, testSpec(['abs-sh', '-c', 'true']));
    expect(checkJson()).toMatchObject({ status: 0, report: { valid: true, errors: 0 } });
  });

  it('warnings alone: exit 0, the warnings reported with their positions', () => {
    setConfig(bundle, specWith(['true'], (s) => {
      s.process!.capabilities!.bounding!.push('CAP_NET_RAWW');
      (s as unknown as { hostnme: string }).hostnme = 'typo';
    }));
    const { status, report } = checkJson();
    expect(status).toBe(0);
    expect(report.valid).toBe(true);
    expect(report.errors).toBe(0);
    expect(report.warnings).toBe(2);
    expect(report.problems.map((p) => [p.severity, p.path, p.hint])).toEqual([
      ['warning', 'process.capabilities.bounding[3]', "did you mean 'CAP_NET_RAW'?"],
      ['warning', 'hostnme', "did you mean 'hostname'?"],
    ]);
    for (const p of report.problems) expect(p.line).toBeGreaterThan(1);
  });

  it('text output: the config line with a caret under the value, the hint; no ANSI codes when not a terminal', () => {
    setConfig(bundle, specWith(['true'], (s) => {
      (s.linux!.namespaces![1] as { type: string }).type = 'net';
      s.process!.cwd = '/etc/passwd';
    }));
    const r = env.tsrunc(['check', '--bundle', bundle]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(/\x1b\[/);
    expect(r.stdout).toContain('error: process.cwd: cannot change to directory /etc/passwd: not a directory (ENOTDIR)\n');
    expect(r.stdout).toMatch(/error: linux\.namespaces\[1\]\.type: must be one of: pid, network, .*\n {2}--> \S+config\.json:(\d+):17\n/);
    expect(r.stdout).toMatch(/\n {2}\d{3} \| {9}"type": "net"\n {2} {3} \| {17}\^{5}\n/);
    expect(r.stdout).toContain("  = hint: did you mean 'network'?\n");
    expect(r.stdout).toMatch(/2 errors, 0 warnings in \S+config\.json\n$/);
  });

  it('colour only on a terminal, and not with NO_COLOR', () => {
    setConfig(bundle, specWith(['no-such-program']));
    const cmd = `${TSRUNC} --root ${env.root} check --bundle ${bundle}`;
    const tty = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '' } });
    expect(tty.status).toBe(1);
    expect(tty.stdout).toMatch(/\x1b\[1;31merror\x1b\[0m/);
    const off = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(off.stdout).toContain('error: process.args[0]');
    expect(off.stdout).not.toMatch(/\x1b\[/);
  });

  it('no config to look at: one problem, still JSON; exit 1', () => {
    const missing = path.join(env.tmp, 'no-such-bundle');
    const r = env.tsrunc(['check', '--json', '--bundle', missing]);
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report).toMatchObject({ valid: false, errors: 1, warnings: 0 });
    expect(report.problems[0]).toMatchObject({ severity: 'error', path: '', line: null, message: expect.stringMatching(/does not exist/) });
  });

  it('a document nested 100,000 levels deep: one problem with its position and the limit, no stack; exit 1', () => {
    const n = 100_000;
    const config = JSON.stringify(testSpec(['true']));
    setConfig(bundle, `${config.slice(0, -1)},"x-unknown":${'['.repeat(n)}${']'.repeat(n)}}`);
    const r = env.tsrunc(['check', '--json', '--bundle', bundle]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as Report;
    expect(report).toMatchObject({ valid: false, errors: 1, warnings: 0 });
    expect(report.problems[0]).toMatchObject({ severity: 'error', path: '', line: 1, column: config.length + 1012, message: 'arrays and objects nested more than 1000 levels deep' });
    const text = env.tsrunc(['check', '--bundle', bundle]);
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/^error: config\.json: arrays and objects nested more than 1000 levels deep\n/);
    expect(text.stdout + text.stderr).not.toMatch(/RangeError|\bat \S+:\d+:\d+/);
  });

  it('creates nothing', () => {
    setConfig(bundle, testSpec(['true']));
    env.ok(['check', '--bundle', bundle]);
    expect(env.stateEntries()).toEqual([]);
  });
});
