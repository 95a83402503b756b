/**
 * The docs against the commands, so neither can change alone. Commands are found by walking the commander
 * definitions of the three binaries, so a command added later is checked too: it needs a page in docs/ (offsite
 * <command> → docs/<command>.md), every long flag on that page and in its --help, help with environment, exit
 * codes and examples, and every example in the docs and in --help must parse.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CommanderError, type Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { helpExtrasOf } from '../../src/cli/help-text.js';
import { splitWords } from '../../src/util/words.js';
import { renderJsonDoc } from '../../scripts/docs/json-doc.js';
import { commandPath, renderManPage, walk } from '../../scripts/docs/man-page.js';
import { programs } from '../../scripts/docs/programs.js';

const root = join(import.meta.dirname, '..', '..');
const docs = join(root, 'docs');
const BINARIES = ['offsite', 'ec2-backup', 's3export'];

/** offsite itself is the wizard's page; offsite <command> and its subcommands share docs/<command>.md; the other binaries have their own. */
function pageOf(command: Command): string {
  const [binary, top] = commandPath(command).split(' ');
  if (binary === 'offsite') return top ? `${top}.md` : 'wizard.md';
  return `${binary}.md`;
}

/** Commands as written, without commander's implicit help command. */
function commandsOf(program: Command): Command[] {
  return walk(program).filter((command) => command.name() !== 'help');
}

const mentions = (text: string, flag: string): boolean => new RegExp(`(?<![\\w-])${flag}(?![\\w-])`).test(text);

describe('docs and --help name every flag', () => {
  for (const program of programs()) {
    for (const command of commandsOf(program)) {
      const page = pageOf(command);
      it(`${commandPath(command)}: every long flag is on docs/${page} and in its --help`, () => {
        const file = join(docs, page);
        expect(existsSync(file), `docs/${page} is missing: every command needs its page (see docs/architecture.md, how to add a mode)`).toBe(true);
        const text = readFileSync(file, 'utf8');
        const help = command.helpInformation();
        const flags = command.options.map((option) => option.long).filter((flag): flag is string => Boolean(flag));
        expect(flags.filter((flag) => !mentions(text, flag)), `flags of ${commandPath(command)} missing from docs/${page}`).toEqual([]);
        expect(flags.filter((flag) => !mentions(help, flag)), `flags missing from ${commandPath(command)} --help`).toEqual([]);
      });

      it(`${commandPath(command)}: --help lists environment, exit codes and examples`, () => {
        const extras = helpExtrasOf(command);
        expect(extras, `${commandPath(command)}: add .addHelpText('after', helpExtras({ environment, exitCodes, examples })) (src/cli/help-text.ts)`).toBeDefined();
        expect(extras!.environment.length).toBeGreaterThan(0);
        expect(extras!.exitCodes.map(([code]) => code)).toEqual(expect.arrayContaining(['0', '1', '2', '130']));
        expect(extras!.examples.length, 'two or three examples').toBeGreaterThanOrEqual(2);
      });
    }
  }
});

/** Command lines in ```sh blocks of the README and docs/ that start with one of the binaries (after VAR=value words). */
function documentedExamples(): { where: string; line: string }[] {
  const files = ['README.md', ...readdirSync(docs).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
  const found: { where: string; line: string }[] = [];
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
      for (const raw of block[1]!.split('\n')) {
        const line = raw.replace(/\s+#\s.*$/, '').trim();
        const command = line.replace(/^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+/, '');
        if (BINARIES.some((binary) => command === binary || command.startsWith(`${binary} `))) found.push({ where: file, line: command });
      }
    }
  }
  return found;
}

/** Parses a command line with the real definitions, every action replaced by nothing and every exit turned into a throw. */
function parses(line: string): string | undefined {
  const [binary, ...args] = splitWords(line, line);
  const program = programs().find((p) => p.name() === binary);
  if (!program) return `${binary}: not one of ${BINARIES.join(', ')}`;
  // `offsite [--sandbox]` alone opens the wizard; main() takes --sandbox before commander sees the rest.
  const rest = binary === 'offsite' && args[0] === '--sandbox' ? args.slice(1) : args;
  if (binary === 'offsite' && rest.length === 0) return undefined;
  const asksForHelp = rest[0] === 'help' || rest.includes('--help') || rest.includes('-h');
  let output = '';
  for (const command of walk(program)) {
    command.exitOverride().configureOutput({ writeOut: (s) => void (output += s), writeErr: (s) => void (output += s), outputError: (s) => void (output += s) });
    if (command.commands.length === 0) command.action(() => undefined);
  }
  try {
    program.parse(rest, { from: 'user' });
    return undefined;
  } catch (error) {
    if (error instanceof CommanderError && asksForHelp && /help/.test(error.code)) return undefined;
    return error instanceof CommanderError ? `${error.code}: ${output.trim() || error.message}` : String(error);
  }
}

describe('examples parse', () => {
  it('every example in the README and docs/ parses with the real flags', () => {
    const examples = documentedExamples();
    expect(examples.length).toBeGreaterThan(20);
    const failures = examples.flatMap(({ where, line }) => {
      const problem = parses(line);
      return problem ? [`${where}: ${line} → ${problem}`] : [];
    });
    expect(failures).toEqual([]);
  });

  it('every example in --help parses', () => {
    const failures = programs()
      .flatMap(commandsOf)
      .flatMap((command) => (helpExtrasOf(command)?.examples ?? []).map((line) => ({ where: commandPath(command), line })))
      .flatMap(({ where, line }) => {
        const problem = parses(line.replace(/^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+/, ''));
        return problem ? [`${where} --help: ${line} → ${problem}`] : [];
      });
    expect(failures).toEqual([]);
  });

  it('a wrong flag in an example is caught', () => {
    expect(parses('offsite ebs --no-such-flag /srv')).toMatch(/unknownOption/);
    expect(parses('offsite ebs')).toMatch(/missingArgument/);
  });
});

describe('generated docs are committed as generated', () => {
  it('docs/json.md is what npm run docs:json writes', () => {
    expect(readFileSync(join(docs, 'json.md'), 'utf8')).toBe(renderJsonDoc());
  });

  it('man/*.1 are what npm run docs:man writes', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    for (const program of programs()) {
      expect(readFileSync(join(root, 'man', `${program.name()}.1`), 'utf8'), `man/${program.name()}.1: run npm run docs:man`).toBe(renderManPage(program, version));
    }
  });
});
