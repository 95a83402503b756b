import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { ExitCode } from '../exit-codes.js';
import { commanderError, runProgram } from './run-program.js';
import { registerEbsCommand } from './commands/ebs.js';
import { registerArchiveCommand } from './commands/archive.js';
import { registerS3Command } from './commands/s3.js';
import { registerExportCommand } from './commands/export.js';
import { registerVerifyCommand } from './commands/verify.js';
import { helpExtras, wrapHelpToTerminal } from './help-text.js';
import { registerCleanupCommand } from './commands/cleanup.js';
import { registerRestoreCommand } from './commands/restore.js';

export function buildProgram(): Command {
  const program = new Command('offsite')
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

  registerEbsCommand(program);
  registerArchiveCommand(program);
  registerS3Command(program);
  registerExportCommand(program);
  registerVerifyCommand(program);
  registerCleanupCommand(program);
  registerRestoreCommand(program);
  wrapHelpToTerminal(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const sandbox = sandboxFlagAt(argv);
  if (sandbox !== -1) {
    const { runInSandbox } = await import('./sandbox.js');
    return runInSandbox((chosen) => main(chosen), argv.toSpliced(sandbox, 1));
  }
  const program = buildProgram();
  if (argv.length === 0) {
    if (process.stdin.isTTY && process.stdout.isTTY && !process.env.CI) {
      const { runWizard } = await import('./wizard.js');
      return runWizard((chosen) => main(chosen));
    }
    process.stderr.write('offsite: no command given (run it in a terminal for the wizard, or see offsite --help)\n');
    return ExitCode.usage;
  }
  return runProgram(program, helpFor(argv), 'offsite');
}

/** Where --sandbox is (anywhere before a `--`), or -1: it changes where the whole run happens, not one command. */
function sandboxFlagAt(argv: string[]): number {
  const end = argv.indexOf('--');
  const at = argv.indexOf('--sandbox');
  return end !== -1 && at > end ? -1 : at;
}

/** `offsite help export create-job` as `offsite export create-job --help` (commander's help command takes one name). */
function helpFor(argv: string[]): string[] {
  return argv[0] === 'help' && argv.length > 2 ? [...argv.slice(1), '--help'] : argv;
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
