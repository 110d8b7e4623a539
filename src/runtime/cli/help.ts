// Help for people, rendered by yargs from the same definition the fast parser uses.
import yargs from 'yargs/yargs';
import { COMMANDS, FlagDef, GLOBAL_FLAGS, VERSION } from './definition';

function options(flags: FlagDef[]): Record<string, import('yargs').Options> {
  return Object.fromEntries(flags.filter((f) => !f.hidden && f.name !== 'help' && f.name !== 'version').map((f) => [f.name, {
    type: f.type, describe: f.describe, alias: f.alias, default: f.default,
  }]));
}

export function showHelp(command?: string): void {
  let y = yargs([]).scriptName('tsrunc').usage('tsrunc [global options] <command> [options] [arguments]')
    .version(VERSION).options(options(GLOBAL_FLAGS)).wrap(Math.min(110, process.stdout.columns || 100));
  for (const c of COMMANDS) {
    if (command !== undefined && c.name !== command) continue;
    const positionals = c.positionals.map((p) => (p.required ? `<${p.name}>` : `[${p.name}${p.variadic ? '..' : ''}]`)).join(' ');
    y = y.command(`${c.name} ${positionals}`.trim(), c.describe, (sub) => sub.options(options(c.flags)));
  }
  if (command !== undefined) {
    y.parse([command, "--help"], {}, (_err, _argv, output) => {
      process.stdout.write(`${output}\n`);
    });
  } else {
    y.showHelp((s) => process.stdout.write(`${s}\n`));
  }
}
