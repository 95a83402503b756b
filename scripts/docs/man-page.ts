/**
 * A man page (roff, section 1) from a commander program: the same options, descriptions, environment, exit codes
 * and examples that `--help` shows, so the two cannot say different things.
 */
import type { Command, Option } from 'commander';
import { helpExtrasOf } from '../../src/cli/help-text.js';

export function renderManPage(program: Command, version: string): string {
  const name = program.name();
  const [summary, ...more] = program.description().split('\n');
  const lines = [
    `.TH ${name.toUpperCase()} 1 "" "offsite ${version}" "User Commands"`,
    '.SH NAME',
    `${name} \\- ${roff(summary ?? '')}`,
    '.SH SYNOPSIS',
    `.B ${name}`,
    roff(program.usage()),
  ];
  if (more.length > 0) lines.push('.SH DESCRIPTION', ...more.map(roff));
  lines.push(...optionsBlock('.SH OPTIONS', program));
  const subcommands = walk(program).filter((command) => command !== program && command.name() !== 'help');
  if (subcommands.length > 0) {
    lines.push('.SH COMMANDS');
    for (const command of subcommands) {
      lines.push(`.SS "${roff(commandPath(command))} ${roff(command.usage())}"`, roff(command.description()));
      lines.push(...optionsBlock('.PP\nOptions:', command), ...extrasBlocks(command, '.PP\n'));
    }
  }
  lines.push(...extrasBlocks(program, '.SH '));
  lines.push('.SH SEE ALSO', 'offsite(1), ec2-backup(1), s3export(1); the pages in docs/ of the source (one per command).', '');
  return lines.join('\n');
}

/** The program and every command below it, depth first. */
export function walk(command: Command): Command[] {
  return [command, ...command.commands.flatMap(walk)];
}

/** `offsite export create-job`: the names from the program down. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

function optionsBlock(title: string, command: Command): string[] {
  // As --help lists them: the help and version options included, hidden ones left out.
  const options = command.createHelp().visibleOptions(command);
  if (options.length === 0) return [];
  return [title, ...options.flatMap((option) => ['.TP', `.B ${roff(option.flags)}`, roff(optionText(option))])];
}

function optionText(option: Option): string {
  const extras = [
    ...(option.argChoices ? [`one of: ${option.argChoices.join(', ')}`] : []),
    ...(option.defaultValue !== undefined && typeof option.defaultValue !== 'boolean' ? [`default: ${String(option.defaultValue)}`] : []),
  ];
  return extras.length > 0 ? `${option.description} (${extras.join('; ')})` : option.description;
}

function extrasBlocks(command: Command, heading: string): string[] {
  const extras = helpExtrasOf(command);
  if (!extras) return [];
  const title = (text: string): string => (heading.startsWith('.SH') ? `${heading}${text.toUpperCase()}` : `${heading}${text}:`);
  const items = (rows: [string, string][]): string[] => rows.flatMap(([term, meaning]) => ['.TP', `.B ${roff(term)}`, roff(meaning)]);
  return [
    title('Environment'),
    ...items(extras.environment),
    title('Exit status'),
    ...items(extras.exitCodes),
    title('Examples'),
    ...extras.examples.flatMap((line) => ['.PP', '.nf', `  ${roff(line)}`, '.fi']),
    ...(extras.notes ? ['.PP', roff(extras.notes)] : []),
  ];
}

/** Text safe in roff: backslashes escaped, hyphens literal, no line taken for a request. */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}
