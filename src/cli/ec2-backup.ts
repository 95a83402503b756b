import { Command, CommanderError } from 'commander';
import { UsageError, describeError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { parseMethod, parseVolumeId } from '../core/ebs/validate.js';
import { plainPresenter } from '../ui/plain.js';
import { buildEbsPlan } from './ebs-plan.js';

const USAGE = 'ec2-backup [-h] [-m method] [-v volume-id] dir';

/**
 * The seed-compatible command: stdout carries only the volume id, on success; progress goes to stderr only
 * when EC2_BACKUP_VERBOSE is set; errors are one line on stderr.
 */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const writeErr = (line: string): void => void process.stderr.write(`${line}\n`);
  const program = new Command('ec2-backup')
    .usage('[-h] [-m method] [-v volume-id] dir')
    .description('Back up a directory into Elastic Block Storage (EBS).')
    .helpOption('-h', 'print this usage and exit')
    .option('-m <method>', 'dd (default): tar onto the raw volume; rsync: (incremental) filesystem sync')
    .option('-v <volume-id>', 'back up onto this existing volume instead of creating one')
    .option('--snapshot', 'after the verified backup, also snapshot the volume (off by default; the output stays the volume id)')
    .argument('<dir>', 'the directory to back up')
    .addHelpText(
      'after',
      `
Environment:
  EC2_BACKUP_FLAGS_AWS  run-instances flags, e.g. "--instance-type t3.small --key-name mykey"
  EC2_BACKUP_FLAGS_SSH  ssh flags, e.g. "-i ~/.ssh/ec2-key -l ec2-user"
  EC2_BACKUP_VERBOSE    when set, report progress on stderr
  AWS_PROFILE, AWS_REGION, AWS_CONFIG_FILE, AWS_ENDPOINT_URL: the usual AWS settings (never modified)

Prints the volume id on success. Exit status: 0 ok, 1 failed, 2 bad usage, 130 interrupted.`,
    )
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text), outputError: (text, write) => write(oneLine(text)) })
    .showHelpAfterError(false);
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') return ExitCode.ok;
      return ExitCode.usage;
    }
    throw error;
  }
  const options = program.opts<{ m?: string; v?: string; snapshot?: boolean }>();
  const verbose = Boolean(env.EC2_BACKUP_VERBOSE);
  try {
    const method = parseMethod(options.m, '-m');
    const volumeId = options.v === undefined ? undefined : parseVolumeId(options.v, '-v');
    const plan = await buildEbsPlan({ dir: program.args[0]!, method, ...(volumeId ? { volumeId } : {}), ...(options.snapshot ? { snapshot: true } : {}) }, env);
    const { executeEbsBackup } = await import('./ebs-run.js'); // the AWS SDK loads only when work starts
    return await executeEbsBackup({
      plan,
      sink: plainPresenter(writeErr, { level: verbose ? 'verbose' : 'quiet', program: 'ec2-backup' }),
      onResult: (result) => process.stdout.write(`${result.volumeId}\n`),
      onInterruptNotice: (message) => writeErr(`ec2-backup: ${message}`),
    });
  } catch (error) {
    writeErr(`ec2-backup: ${describeError(error)}`);
    return error instanceof UsageError ? ExitCode.usage : ExitCode.failed;
  }
}

/** Commander's message and the usage, on one line. */
function oneLine(text: string): string {
  return `ec2-backup: ${text.replace(/^error: /, '').trim().split('\n')[0]} (usage: ${USAGE})\n`;
}
