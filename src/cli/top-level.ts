import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { helpExtras } from './help-text.js';
import { commanderError } from './run-program.js';

/** The program without its commands: description, global flags, help text. */
export function topLevelProgram(): Command {
  return new Command('offsite')
    .description("Take a machine's data off site to AWS, and prove it got there.\nRun with no arguments in a terminal for the wizard.")
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    // Handled by main() before parsing; declared so that help, man page and docs show it.
    .option('--sandbox', 'start the local AWS stand-in, run the wizard (or the command that follows) against it, remove it after')
    .exitOverride()
    .configureOutput({ outputError: commanderError('offsite') })
    .addHelpText(
      'after',
      helpExtras({
        environment: ['AWS_PROFILE', 'AWS_REGION', 'EC2_BACKUP_FLAGS_SSH', 'OFFSITE_STATE_DIR', 'OFFSITE_DEBUG'],
        exitCodes: { 3: 'verification found differences', 4: 'clean-up left something behind; offsite cleanup removes it' },
        examples: ['offsite --sandbox', 'offsite ebs --method rsync /srv/www', 'offsite help export create-job'],
        notes: 'offsite help <command> (or offsite <command> --help) tells more; docs/ has a page per command.',
      }),
    );
}

/** The version from package.json (two levels above the compiled dist/src/cli, one above src/cli). */
function packageVersion(): string {
  for (const up of ['../../../package.json', '../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // try the next layout
    }
  }
  return 'unknown';
}
