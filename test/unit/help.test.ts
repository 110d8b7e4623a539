// Help in the shape runc's (urfave/cli's) has: what runc's help.bats and scripts read.
import { describe, expect, it } from 'vitest';
import { helpText } from '../../src/runtime/cli/help';
import { COMMANDS } from '../../src/runtime/cli/definition';

describe('help', () => {
  it("tsrunc's: NAME, USAGE, VERSION, DESCRIPTION, COMMANDS and GLOBAL OPTIONS, each line indented by three spaces", () => {
    const text = helpText();
    const lines = text.split('\n');
    expect(lines.slice(0, 5)).toEqual(['NAME:', '   tsrunc - Open Container Initiative runtime', '', 'USAGE:', '   tsrunc [global options] command [command options] [arguments...]']);
    expect(lines.filter((l) => /^[A-Z ]+:$/.test(l))).toEqual(['NAME:', 'USAGE:', 'VERSION:', 'DESCRIPTION:', 'COMMANDS:', 'GLOBAL OPTIONS:']);
    for (const c of COMMANDS) expect(text).toMatch(new RegExp(`^ {3}${c.name} +${c.describe.replace(/[()[\]'.]/g, '\\$&')}$`, 'm'));
    // Options with a value say so, and their default; hidden ones (--rootless, --criu) are left out.
    expect(text).toMatch(/^ {3}--root value +root directory for storage of container state \(default: "\/run\/tsrunc"\)$/m);
    expect(text).toMatch(/^ {3}--help, -h +show help$/m);
    expect(text).not.toMatch(/--rootless|--criu/);
    expect(text.endsWith('\n')).toBe(true);
  });

  it("a command's: its name and what it does on the second line, usage with its arguments, its options and --help", () => {
    const lines = helpText('kill').split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'NAME:', "   tsrunc kill - send a signal to a container's init (default SIGTERM)", '', 'USAGE:', '   tsrunc kill [command options] <container-id> [signal]',
    ]);
    expect(lines.slice(6)).toEqual(['OPTIONS:', '   --all, -a   signal every process in the container', '   --help, -h  show help', '']);
    expect(helpText('exec')).toMatch(/^ {3}tsrunc exec \[command options\] <container-id> \[command\.\.\.\]$/m);
    expect(helpText('exec')).toMatch(/^ {3}--preserve-fds value +pass N additional fds \(from 3\) to the process \(default: 0\)$/m);
    // Hidden options (runc's, ignored here) are not listed; --pidfd-socket is a real one.
    expect(helpText('exec')).not.toMatch(/--apparmor|--process-label/);
    expect(helpText('exec')).toMatch(/^ {3}--pidfd-socket value +AF_UNIX socket to receive a pidfd of the new process/m);
    expect(helpText('help').split('\n').slice(0, 5)).toEqual(['NAME:', "   tsrunc help - show the commands, or one command's options", '', 'USAGE:', '   tsrunc help [command]']);
  });
});
