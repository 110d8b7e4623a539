// Help for people, in the shape runc's (urfave/cli's) has, since scripts and runc's own tests read it:
// sections headed NAME:, USAGE:, COMMANDS:, (GLOBAL) OPTIONS:, their lines indented by three spaces,
// and the second line of a command's help "   tsrunc CMD - what it does". Built from the definition
// the fast parser uses, so the two cannot drift. Its own dist file: only --help loads it.
import { COMMANDS, CommandDef, FlagDef, GLOBAL_FLAGS, SPEC_VERSION, VERSION } from './definition';

const INDENT = '   ';

/** Rows of two columns, the second aligned two spaces after the widest first. */
function table(rows: [string, string][]): string[] {
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `${INDENT}${right === '' ? left : `${left.padEnd(width)}  ${right}`}`);
}

/** "--format value, -f value" for a flag with a value, "--quiet, -q" for a switch. */
function flagNames(flag: FlagDef): string {
  const takes = flag.type === 'boolean' ? '' : ' value';
  return [flag.name, ...(flag.alias ?? [])].map((n) => `${n.length === 1 ? '-' : '--'}${n}${takes}`).join(', ');
}

function flagUsage(flag: FlagDef): string {
  if (flag.default === undefined || flag.type === 'boolean') return flag.describe;
  return `${flag.describe} (default: ${typeof flag.default === 'string' ? JSON.stringify(flag.default) : flag.default})`;
}

const shown = (flags: FlagDef[]) => flags.filter((f) => !f.hidden);

function argsUsage(command: CommandDef): string {
  return command.positionals.map((p) => (p.required ? `<${p.name}>` : `[${p.name}${p.variadic ? '...' : ''}]`)).join(' ');
}

function appHelp(): string {
  const lines = [
    'NAME:',
    `${INDENT}tsrunc - Open Container Initiative runtime`,
    '',
    'USAGE:',
    `${INDENT}tsrunc [global options] command [command options] [arguments...]`,
    '',
    'VERSION:',
    `${INDENT}${VERSION} (runtime-spec ${SPEC_VERSION})`,
    '',
    'DESCRIPTION:',
    `${INDENT}tsrunc runs containers from OCI bundles (a directory with a config.json and a root`,
    `${INDENT}filesystem), with runc's command line: "tsrunc run [-b bundle] <container-id>" runs one.`,
    '',
    'COMMANDS:',
    ...table(COMMANDS.map((c) => [c.name, c.describe])),
    '',
    'GLOBAL OPTIONS:',
    ...table(shown(GLOBAL_FLAGS).map((f) => [flagNames(f), flagUsage(f)])),
  ];
  return `${lines.join('\n')}\n`;
}

const helpFlag: FlagDef = { name: 'help', type: 'boolean', alias: ['h'], describe: 'show help' };

function commandHelp(command: CommandDef): string {
  const flags = command.name === 'help' ? [] : [...shown(command.flags), helpFlag];
  const lines = [
    'NAME:',
    `${INDENT}tsrunc ${command.name} - ${command.describe}`,
    '',
    'USAGE:',
    `${INDENT}${['tsrunc', command.name, flags.length > 0 ? '[command options]' : '', argsUsage(command)].filter((s) => s !== '').join(' ')}`,
    ...(flags.length > 0 ? ['', 'OPTIONS:', ...table(flags.map((f) => [flagNames(f), flagUsage(f)]))] : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** The help for the command named (it must exist), or for tsrunc as a whole. */
export function helpText(command?: string): string {
  const def = command === undefined ? undefined : COMMANDS.find((c) => c.name === command);
  return def === undefined ? appHelp() : commandHelp(def);
}

export function showHelp(command?: string): void {
  process.stdout.write(helpText(command));
}
