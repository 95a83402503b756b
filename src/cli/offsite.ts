import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { ExitCode } from '../core/exit-codes.js';
import { runProgram } from './run-program.js';
import { registerEbsCommand } from './commands/ebs.js';
import { registerArchiveCommand } from './commands/archive.js';
import { registerS3Command } from './commands/s3.js';
import { registerExportCommand } from './commands/export.js';
import { registerVerifyCommand } from './commands/verify.js';
import { registerRestoreCommand } from './commands/restore.js';

export function buildProgram(): Command {
  const program = new Command('offsite')
    .description("Take a machine's data off site to AWS, and prove it got there.\nRun with no arguments in a terminal for the wizard.")
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`offsite: ${text.replace(/^error: /, '').trim().split('\n')[0]}\n`) });

  registerEbsCommand(program);
  registerArchiveCommand(program);
  registerS3Command(program);
  registerExportCommand(program);
  registerVerifyCommand(program);
  registerRestoreCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length === 0) {
    if (process.stdin.isTTY && process.stdout.isTTY && !process.env.CI) {
      const { runWizard } = await import('./wizard.js');
      return runWizard((chosen) => main(chosen));
    }
    process.stderr.write('offsite: no command given (run it in a terminal for the wizard, or see offsite --help)\n');
    return ExitCode.usage;
  }
  return runProgram(program, argv, 'offsite');
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
