import { Command } from 'commander';
import { ExitCode } from '../exit-codes.js';
import { commanderError, runProgram } from './run-program.js';
import { addExportCommands, addExportOptions } from './commands/export.js';
import { wrapHelpToTerminal } from './help-text.js';

/**
 * The seed-compatible `s3export [options] <command> [arguments]` (cargomedia/s3export_backup): the same commands
 * as `offsite export`, the original's generic options (--quiet, --quiet-warnings, --non-interactive, --forks),
 * result lines on stdout ("Job created, id: …", "Job successfully cancelled"), progress and errors on stderr.
 */
export function buildS3exportProgram(): Command {
  const program = new Command('s3export')
    .usage('[options] <command> [arguments]')
    .description('Ship-a-disk export jobs (AWS Import/Export Disk; AWS Snowball with --service snowball).')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({ outputError: commanderError('s3export') });
  addExportOptions(program).option('--forks <value>', 'accepted for compatibility; jobs are single requests');
  addExportCommands(program, 's3export');
  wrapHelpToTerminal(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildS3exportProgram();
  if (argv.length === 0) {
    program.outputHelp();
    return ExitCode.ok;
  }
  return runProgram(program, argv, 's3export');
}
