import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/runtime/cli/parse';

describe('command line parsing (engine spellings)', () => {
  it('reads containerd shim argv', () => {
    const cl = parseCommandLine(['--root', '/run/r', '--log', '/b/log.json', '--log-format', 'json',
      'create', '--bundle', '/b', '--pid-file', '/b/init.pid', 'ctr1']);
    expect(cl.globals.root).toBe('/run/r');
    expect(cl.globals['log-format']).toBe('json');
    expect(cl.command?.name).toBe('create');
    expect(cl.flags.bundle).toBe('/b');
    expect(cl.flags['pid-file']).toBe('/b/init.pid');
    expect(cl.positionals).toEqual(['ctr1']);
  });

  it('reads conmon argv with --flag=value and podman single-dash long flags', () => {
    const cl = parseCommandLine(['--log-format=json', '--log', '/x/oci-log', 'run', '-no-subreaper', '-bundle=/b', '--detach', 'c']);
    expect(cl.globals['log-format']).toBe('json');
    expect(cl.flags['no-subreaper']).toBe(true);
    expect(cl.flags.bundle).toBe('/b');
    expect(cl.flags.detach).toBe(true);
  });

  it('takes kill signals as numbers and names, and --all', () => {
    expect(parseCommandLine(['kill', '--all', 'c', '9']).positionals).toEqual(['c', '9']);
    expect(parseCommandLine(['kill', 'c', 'KILL']).flags.all).toBe(false);
  });

  it('uses defaults', () => {
    const cl = parseCommandLine(['state', 'c']);
    expect(cl.globals.root).toBe('/run/tsrunc');
    expect(cl.globals['log-format']).toBe('text');
  });

  it('accepts -b and flags after the id', () => {
    const cl = parseCommandLine(['delete', 'c', '--force']);
    expect(cl.flags.force).toBe(true);
    expect(parseCommandLine(['create', '-b', '/b', 'c']).flags.bundle).toBe('/b');
  });

  it('parses --preserve-fds as a number and booleans written --x=false', () => {
    const cl = parseCommandLine(['--rootless=false', 'create', '--preserve-fds', '2', '--no-pivot=false', 'c']);
    expect(cl.flags['preserve-fds']).toBe(2);
    expect(cl.flags['no-pivot']).toBe(false);
    expect(cl.globals.rootless).toBe('false');
  });

  it('refuses unknown flags, commands and missing ids', () => {
    expect(() => parseCommandLine(['create', '--bogus', 'c'])).toThrow(/flag provided but not defined: --bogus/);
    // runc's words (urfave/cli's, which runc's help.bats looks for), then which commands there are.
    expect(() => parseCommandLine(['frobnicate'])).toThrow(/^No help topic for 'frobnicate': tsrunc has no command "frobnicate"; commands are: create, /);
    expect(() => parseCommandLine(['start'])).toThrow(/missing argument/);
    expect(() => parseCommandLine(['create', '--preserve-fds', 'x', 'c'])).toThrow(/not an integer/);
  });

  it('leaves global-only command lines without a command', () => {
    expect(parseCommandLine(['--version']).command).toBeUndefined();
    expect(parseCommandLine(['-v']).globals.version).toBe(true);
  });
});
