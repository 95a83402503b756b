import { Command } from 'commander';
import { ExitCode } from '../core/exit-codes.js';
import { runProgram } from './run-program.js';
import { addExportCommands, addExportOptions } from './commands/export.js';

/**
 * The seed-compatible `s3export [options] <command> [arguments]` (cargomedia/s3export_backup): the same commands
 * as `offsite export`, the original's generic options (--quiet, --quiet-warnings, --non-interactive, --forks),
 * result lines on stdout ("Job created, id: …", "Job successfully cancelled"), progress and errors on stderr.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('s3export')
    .usage('[options] <command> [arguments]')
    .description('Ship-a-disk export jobs (AWS Import/Export Disk; AWS Snowball with --service snowball).')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`s3export: ${text.replace(/^error: /, '').trim().split('\n')[0]}\n`) });
  addExportOptions(program).option('--forks <value>', 'accepted for compatibility; jobs are single requests');
  addExportCommands(program, 's3export');
  program.addHelpText(
    'after',
    `
Environment: AWS_PROFILE, AWS_REGION, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (the manifest's accessKeyId must be
the signing key), AWS_ENDPOINT_URL_IMPORTEXPORT / AWS_ENDPOINT_URL_SNOWBALL / AWS_ENDPOINT_URL.
Exit status: 0 ok, 1 failed, 2 bad input (manifest, device, job id), 130 interrupted.`,
  );
  if (argv.length === 0) {
    process.stdout.write(program.helpInformation());
    return ExitCode.ok;
  }
  return runProgram(program, argv, 's3export');
}
